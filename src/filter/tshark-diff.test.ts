// Display filters against tshark's: every corpus and testdata capture is copied into one pcapng
// (an interface per original interface, so every link type keeps its own; frame k at second k), and
// each filter picks its frames there in tshark and in nettrace's compileFilter. The two frame sets
// must be the same, frame for frame; a frame in only one of them passes only when DIFFERENCES names
// it (by filter, source file and a filter of its own) or the decoder differential accepts a
// difference in its capture. The filters: FILTERS, written by hand over the syntax and the fields
// people filter on, and GENERATED random ones over design.md's fields, with values the captures
// hold. tshark evaluates up to 100 filters in one run with `-z io,stat,1,...`: one row per second,
// so one row per frame; filters with a comma (a set) go through `-Y`, one run each.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeDissector, setFrame } from '../analyze.ts';
import { type FrameInfo, fieldValues, newFrameInfo } from '../decode/fields.ts';
import type { Packet } from '../decode/packet.ts';
import { DIFFERENCES as DECODER_DIFFERENCES, tsharkReadArgs } from '../decode/test-support/tshark-fields.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { CORPORA, captures, TESTDATA } from '../pcap/test-support/captures.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { compileFilter } from './display-filter.ts';
import { GENERATED_FIELDS, generateFilters } from './test-support/generate.ts';

const run = promisify(execFile);

/** Filters over the syntax and the fields people filter on; each must match some frames and not all. */
const FILTERS = [
  'tcp',
  'udp',
  'arp',
  'icmp || icmpv6',
  'dns',
  'http',
  'vxlan || geneve',
  'vlan',
  'sll',
  'mpls',
  'ipv6 && !ip',
  'not ip and not ipv6',
  'ip.addr == 10.0.0.0/8',
  'ip.src == 192.168.0.0/16 || ip.dst == 172.16.0.0/12',
  'ip.addr != 10.0.0.0/8',
  'ip.addr ~= 10.0.0.0/8',
  'ipv6.addr == fe80::/10',
  'ipv6.src == 2001:db8::/32 || ipv6.dst == ::1',
  'ip.ttl < 64',
  'ip.ttl == 0100',
  'all ip.ttl >= 64',
  'ip.flags.df == 1 && ip.proto == 17',
  'tcp.port == 80',
  'tcp.dstport in {1..80}',
  'udp.port in {53, 5353, 4789, 6081}',
  'udp.srcport >= 1024 && udp.dstport < 1024',
  'tcp.flags & 0x02',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.reset == True || tcp.flags.fin == 1',
  'tcp.len > 0 && !(tcp.port == 80)',
  'tcp.window_size_value <= 1024',
  'eth.type == 0x86dd',
  'eth.dst == ff:ff:ff:ff:ff:ff',
  'eth.addr == 00-00-00-00-00-00',
  'frame.len > 1000',
  'frame.len <= 60 && frame.cap_len == 60',
  'frame.interface_id == 3',
  'dns.flags.response == 0',
  'dns.qry.type == 28 || dns.aaaa',
  'dns.qry.name contains "google"',
  'dns.qry.name matches "^WWW\\\\."',
  'dns.a == 0.0.0.0/1',
  'http.request.method == "GET"',
  'http.response.code >= 300',
  'http.host contains "."',
  'vxlan.vni == 0x0 || geneve.vni > 0',
  'icmp.type == 8 || icmpv6.type in {128, 133..135}',
  'arp.opcode == 2',
  'vlan.id > 0',
  'frame contains "HTTP"',
  'frame contains 00:50:56',
  '(tcp || udp) && !(ip.ttl > 100) || arp',
];

/** How many random filters, and from which seed (change it to explore; keep it fixed in CI). */
const GENERATED = 300;
const SEED = 20261126;

interface Difference {
  filter: RegExp;
  side: 'tshark only' | 'nettrace only';
  /** Source capture (path relative to the corpora or testdata); any when absent. */
  file?: RegExp;
  /** A display filter the frame matches in nettrace: what makes it this difference. */
  when?: string;
  reason: string;
}

/** Every accepted difference, with its reason. Keep this list short and honest. */
const DIFFERENCES: Difference[] = [
  {
    filter: /^http$/,
    side: 'tshark only',
    when: 'tcp.len > 0 && !http',
    reason:
      "tshark, reading segment by segment, calls every TCP payload on an HTTP port `http` (a body's or " +
      'a cut head\'s "continuation"); nettrace\'s http layer is a message head it could read',
  },
  {
    filter: /\barp\b/,
    side: 'nettrace only',
    file: /tcpdump\/arp-oobr\.pcap$/,
    when: 'arp && !arp.opcode',
    reason:
      'an ATM ARP (hardware type 19) too short for its addresses: tshark names that protocol `atmarp`; ' +
      'nettrace keeps an arp layer with the bad-length issue and no fields',
  },
  {
    filter: /^vlan$/,
    side: 'nettrace only',
    file: /tcpdump\/arp-too-long-tha\.pcap$/,
    when: 'eth.type == 0x88a8',
    reason:
      'an 802.1ad service tag (0x88a8): tshark names that protocol `ieee8021ad`, nettrace decodes it as vlan',
  },
  {
    filter: /icmpv6/,
    side: 'tshark only',
    file: /tcpdump\/icmpv6-length-zero\.pcapng$/,
    when: 'ipv6.plen == 0',
    reason:
      'an IPv6 payload length of 0 without a Jumbo option: nettrace stops there with a bad-length issue, ' +
      'tshark goes on to an empty icmpv6 layer (no icmpv6 field has a value in either)',
  },
  {
    filter: /ipv6/,
    side: 'tshark only',
    file: /tcpdump\/ipv6-bad-version\.pcap$/,
    when: 'eth.type == 0x86dd && !ipv6',
    reason:
      'an IPv6 ethertype with a version other than 6: tshark adds an ipv6 item holding only ' +
      'ipv6.version and hands the bytes to `data`; nettrace reports the header malformed and adds no layer',
  },
  {
    filter: /not ip and not ipv6/,
    side: 'nettrace only',
    file: /tcpdump\/ipv6-bad-version\.pcap$/,
    when: 'eth.type == 0x86dd && !ipv6',
    reason: 'the same bad-version IPv6 headers, seen from the other side',
  },
];

interface Source {
  rel: string;
  frame: number;
}

/** Runs `jobs` two at a time (the machine has two cores). */
async function twoAtATime<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/** tshark's frame set for one filter, by -Y. */
async function tsharkY(file: string, filter: string): Promise<Set<number>> {
  const args = ['-n', '-r', file, ...tsharkReadArgs(), '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
  const { stdout } = await run('tshark', args, { maxBuffer: 64 << 20 });
  return new Set(
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map(Number),
  );
}

/**
 * tshark's frame sets for several filters in one run: `-z io,stat,1,F1,F2,...` prints one row per
 * second, and frame k (k = 1..frames) sits alone in second k - 1.
 */
async function tsharkIoStat(file: string, filters: string[], frames: number): Promise<Set<number>[]> {
  const args = ['-n', '-r', file, ...tsharkReadArgs(), '-q', '-z', `io,stat,1,${filters.join(',')}`];
  const { stdout } = await run('tshark', args, { maxBuffer: 256 << 20 });
  const sets = filters.map(() => new Set<number>());
  let row = 0;
  for (const line of stdout.split('\n')) {
    if (!/^\|\s*\d+ <>/.test(line)) continue;
    row++;
    if (row > frames) break;
    const cells = line.split('|');
    // cells: '', interval, then Frames and Bytes per filter
    for (let c = 0; c < filters.length; c++) {
      if (Number(cells[2 + 2 * c]) > 0) sets[c]!.add(row);
    }
  }
  assert.ok(row >= frames, `tshark io,stat gave ${row} rows for ${frames} frames`);
  return sets;
}

describe('display filters against tshark on every capture, in one pcapng', () => {
  let dir: string;
  let merged: string;
  /** Frame number in the merged file → where it came from. */
  const sources: Source[] = [undefined as unknown as Source];
  /** Frame numbers each filter matches in nettrace. */
  const ours = new Map<string, Set<number>>();
  /** Frame numbers each filter matches in tshark. */
  const theirs = new Map<string, Set<number>>();
  /** The DIFFERENCES that excused some frame. */
  const used = new Set<Difference>();
  /** The random filters (made in `before`, from the values the captures hold). */
  const generated: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nettrace-filter-'));
    merged = join(dir, 'all.pcapng');
    // testdata/ holds copies of some corpus files: each distinct capture once.
    const seen = new Set<string>();
    const files = [
      ...captures(CORPORA).map((f) => ({ f, rel: relative(CORPORA, f) })),
      ...captures(TESTDATA).map((f) => ({ f, rel: `testdata/${relative(TESTDATA, f)}` })),
    ].filter(({ f }) => {
      const h = createHash('sha256').update(readFileSync(f)).digest('hex');
      if (seen.has(h)) return false;
      seen.add(h);
      return true;
    });
    let sentinel: Uint8Array | undefined;
    writePcapngFile(merged, (w) => {
      for (const { f, rel } of files) {
        const ids = new Map<number, number>();
        readCaptureFile(f, {
          onPacket(rec, iface) {
            let id = ids.get(iface.globalId);
            if (id === undefined) {
              id = w.addInterface({ linktype: iface.linktype, snaplen: iface.snaplen, name: iface.name });
              ids.set(iface.globalId, id);
            }
            // Frame k at second k - 1 (io,stat's rows); the corpus' own times are not filtered here.
            w.writePacket(id, {
              tsSec: 1.7e9 + sources.length - 1,
              tsNsec: 0,
              data: rec.data,
              origLen: rec.origLen,
            });
            sources.push({ rel, frame: rec.number });
            sentinel ??= rec.data.slice();
          },
        });
      }
      // A last frame well after the others: io,stat's closing row may hold two frames.
      const id = w.addInterface({ linktype: 1 });
      w.writePacket(id, { tsSec: 1.7e9 + sources.length + 10, tsNsec: 0, data: sentinel! });
    });
    const frames = sources.length - 1;
    // Every packet decoded once, kept (with a copy of its bytes) for every filter.
    const dissector = makeDissector();
    const decoded: { p: Packet; f: FrameInfo }[] = [];
    const running = newFrameInfo();
    readCaptureFile(merged, {
      onPacket(rec, iface) {
        if (rec.number > frames) return;
        const p = dissector.decode(rec.data.slice(), rec.origLen, rec.linktype);
        decoded.push({ p, f: { ...setFrame(running, rec, iface) } });
      },
    });
    const values = new Map<string, string[]>();
    for (const field of GENERATED_FIELDS) {
      const seen = new Set<string>();
      for (const { p, f } of decoded) for (const v of fieldValues(field, p, f)) seen.add(v);
      values.set(field, [...seen].sort());
    }
    generated.push(...generateFilters(values, GENERATED, SEED));
    const all = [...FILTERS, ...generated];
    for (const text of [...all, ...DIFFERENCES.flatMap((d) => (d.when ? [d.when] : []))]) {
      const c = compileFilter(text);
      const set = new Set<number>();
      for (const { p, f } of decoded) if (c.matches(p, f)) set.add(f.number);
      ours.set(text, set);
    }
    const bySet = all.filter((t) => t.includes(','));
    const byStat = all.filter((t) => !t.includes(','));
    const batches: string[][] = [];
    for (let i = 0; i < byStat.length; i += 100) batches.push(byStat.slice(i, i + 100));
    const found = await twoAtATime<Set<number>[]>([
      ...batches.map((b) => () => tsharkIoStat(merged, b, frames)),
      ...bySet.map((t) => async () => [await tsharkY(merged, t)]),
    ]);
    const texts = [...batches.flat(), ...bySet];
    found.flat().forEach((set, i) => {
      theirs.set(texts[i]!, set);
    });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the merged capture holds every capture', () => {
    assert.ok(sources.length > 3000, `${sources.length - 1} frames`);
    assert.ok(new Set(sources.slice(1).map((s) => s.rel)).size > 100);
  });

  /** The frames where nettrace and tshark disagree on `text` that nothing accepts. */
  function unexplained(text: string): string[] {
    const mine = ours.get(text)!;
    const tshark = theirs.get(text)!;
    const out: string[] = [];
    const check = (side: Difference['side'], n: number): void => {
      const s = sources[n]!;
      const d = DIFFERENCES.find(
        (d) =>
          d.side === side &&
          d.filter.test(text) &&
          (d.file === undefined || d.file.test(s.rel)) &&
          (d.when === undefined || ours.get(d.when)!.has(n)),
      );
      if (d) used.add(d);
      else if (!DECODER_DIFFERENCES.some((d) => d.file?.test(s.rel)))
        out.push(`${side}: ${s.rel} frame ${s.frame}`);
    };
    for (const n of tshark) if (!mine.has(n)) check('tshark only', n);
    for (const n of mine) if (!tshark.has(n)) check('nettrace only', n);
    return out;
  }

  for (const text of FILTERS) {
    test(text, () => {
      const tshark = theirs.get(text)!;
      assert.ok(tshark.size > 0, 'tshark matches no frame: the filter tests nothing');
      assert.ok(tshark.size < sources.length - 1, 'tshark matches every frame: the filter tests nothing');
      const u = unexplained(text);
      assert.deepEqual(u.slice(0, 20), [], `${u.length} unexplained frames`);
    });
  }

  test(`${GENERATED} generated filters (seed ${SEED})`, () => {
    assert.equal(generated.length, GENERATED);
    const wrong = generated.flatMap((text) => unexplained(text).map((u) => `${text} — ${u}`));
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} unexplained frames`);
    // Generated from values the captures hold, most filters match something, and not everything.
    const some = generated.filter((t) => theirs.get(t)!.size > 0 && theirs.get(t)!.size < sources.length - 1);
    assert.ok(
      some.length > GENERATED / 2,
      `${some.length} of ${GENERATED} filters match some frames but not all`,
    );
  });

  test('every accepted difference still occurs', () => {
    assert.deepEqual(
      DIFFERENCES.filter((d) => !used.has(d)).map((d) => d.reason),
      [],
    );
  });
});
