// The flat decoder's contract (see flat.ts): whatever it takes, the Dissector decodes without an
// issue into the same protocols, and the analysis reads the same key and tunnel from the layers.
// Checked on every capture we have, on random bytes, on generated frames of every shape it reads
// (valid, corrupted, cut by a snap length), under `--decode-as` rules and a shallow Dissector, and
// once more at the level of the whole analysis (flat and layer paths give the same result).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { analyzeFiles, makeDissector } from '../analyze.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { defaultDissector } from './bindings.ts';
import type { Dissector } from './dissector.ts';
import { FlatDecoder } from './flat.ts';
import { FlatPacket } from './flat-packet.ts';
import { type FlatTally, flatMismatch, flatTally, takenKind } from './test-support/flat-check.ts';
import { arp, icmpEcho, icmpError, ip4 } from './test-support/l3-build.ts';
import {
  ascii,
  be16,
  be32,
  concat,
  dnsHeader,
  dnsName,
  dnsRR,
  eth,
  geneve,
  ovnOption,
  tcp,
  udp,
  vxlan,
} from './test-support/l4-build.ts';

const TESTDATA = fileURLToPath(new URL('../../testdata/', import.meta.url));
const CORPORA = fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));

function captures(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/i.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function assertAgrees(t: FlatTally, path: string): void {
  const shown = t.mismatches
    .slice(0, 5)
    .map((m) => `frame ${m.frame} (origLen ${m.origLen}): ${m.why}\n  ${m.hex}`);
  assert.equal(t.mismatches.length, 0, `${path}:\n${shown.join('\n')}`);
}

function checkCaptures(files: string[], d: Dissector): Map<string, FlatTally> {
  const flat = new FlatDecoder(d);
  const all = new Map<string, FlatTally>();
  for (const f of files) {
    const t = flatTally(f, d, flat);
    assertAgrees(t, f);
    all.set(f, t);
  }
  return all;
}

const testdataFiles = captures(TESTDATA);

describe('flat decoder: captures', () => {
  test('every testdata capture: the flat decoder agrees with the layers', () => {
    assert.ok(testdataFiles.length > 50, `only ${testdataFiles.length} captures under ${TESTDATA}`);
    const tallies = checkCaptures(testdataFiles, defaultDissector());
    // The fast path must keep taking the common shapes (else it silently stops being fast).
    const share = (rel: string): number => {
      const t = tallies.get(join(TESTDATA, rel));
      assert.ok(t !== undefined && t.packets > 0, `${rel} missing or empty`);
      return t.taken / t.packets;
    };
    for (const rel of [
      'journey/lab-trace.pcapng', // Ethernet/IPv4/TCP, HTTP, some Geneve and ICMP
      'tcpdump/tfo-5c1fa7f9ae91.pcap', // Ethernet/IPv4/TCP with options
      'tcpdump/geneve.pcap', // Geneve with inner Ethernet/IPv4
      'zeek/tunnels__geneve-47101.pcap',
      'tcpdump/vxlan.pcap',
    ]) {
      assert.ok(share(rel) > 0.5, `${rel}: flat decoder took only ${(share(rel) * 100).toFixed(0)}%`);
    }
  });

  const corpora = existsSync(CORPORA) ? captures(CORPORA) : [];
  test('every shared corpus capture: the flat decoder agrees with the layers', {
    skip: corpora.length === 0 ? `${CORPORA} is absent` : false,
  }, () => {
    checkCaptures(corpora, defaultDissector());
  });
});

// ---- Frame generators ----------------------------------------------------------------------

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
/** `arb` about once in `n` draws, else undefined (the builder's default). */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const addr: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [10, 244, 1, 7], [172, 16, 0, 1]),
  fc.array(u8, { minLength: 4, maxLength: 4 }),
);
const port = (...common: number[]) => fc.oneof(fc.constantFrom(...common), u16);

const tcpOption = fc.oneof(
  u16.map((v) => [2, 4, ...be16(v)]), // MSS
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]), // window scale
  fc.constant([4, 2]), // SACK permitted
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 })
    .map((bl) => [5, 2 + 8 * bl.length, ...bl.flatMap(([l, r]) => [...be32(l), ...be32(r)])]),
  fc.tuple(u32, u32).map(([v, e]) => [8, 10, ...be32(v), ...be32(e)]), // timestamps
  fc.constant([1]),
  fc.constant([0]),
  fc.tuple(fc.integer({ min: 6, max: 255 }), bytes(0, 6)).map(([k, d]) => [k, 2 + d.length, ...d]),
  // known kinds with a wrong length, and lengths that cannot be walked
  fc
    .tuple(fc.constantFrom(2, 3, 4, 5, 8, 30), fc.integer({ min: 0, max: 44 }), bytes(0, 10))
    .map(([k, len, d]) => [k, len, ...d]),
);
const tcpOptions = fc.array(tcpOption, { maxLength: 6 }).map((os) => os.flat().slice(0, 40));
const tcpFlags = fc.oneof(
  fc.constantFrom(0x002, 0x012, 0x010, 0x018, 0x011, 0x004, 0x014, 0x0c2),
  u16.map((f) => f & 0xfff),
);

const HTTP = [
  'GET /index.html HTTP/1.1\r\nHost: svc\r\nUser-Agent: t\r\n\r\n',
  'POST /api HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd',
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.0 404 Not Found\r\n\r\n',
  '\r\nGET / HTTP/1.1\r\n\r\n',
  'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n',
  'ICY 200 OK\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n',
  'GE',
  'HTTP/',
  'GETT / HTTP/1.1\r\n',
  'get / HTTP/1.1\r\n',
  'hello, this is the rest of a body\r\n',
  '{"items":[1,2,3]}',
].map(ascii);
const tcpPayload = fc.oneof(
  { weight: 3, arbitrary: bytes(0, 0) },
  { weight: 3, arbitrary: bytes(1, 80) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...HTTP), bytes(0, 20)).map(([h, tail]) => concat(h, tail)),
  },
);
const tcpSegment = fc
  .record({
    sport: port(8080, 80, 53, 9999, 443, 40000),
    dport: port(8080, 80, 53, 9999, 5432, 6081),
    seq: u32,
    ack: u32,
    flags: tcpFlags,
    win: u16,
    options: rarely(tcpOptions, 2),
    dataOffset: rarely(fc.integer({ min: 0, max: 15 }), 10),
    payload: tcpPayload,
  })
  .map((o) => ({ proto: 6, bytes: tcp(o, o.payload) }));

const icmpMessage = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(0, 8, 13, 14, 15, 16, 17, 18, 42, 43),
      ident: u16,
      seq: u16,
      data: bytes(0, 40),
    })
    .map((o) => icmpEcho(o.type, o.ident, o.seq, o.data)),
  fc
    .record({
      type: fc.constantFrom(3, 4, 5, 11, 12),
      code: u8,
      quote: fc.oneof(
        bytes(0, 0),
        bytes(1, 30),
        fc
          .tuple(u16, u16)
          .map(([s, d]) => ip4({ proto: 17 }, udp({ sport: s, dport: d }, new Uint8Array(20))).slice(0, 28)),
      ),
    })
    .map((o) => icmpError(o.type, o.code, o.quote)),
  // short messages: 0 to 7 bytes, often of a type that needs 8
  fc
    .tuple(fc.constantFrom(0, 3, 8, 11, 42, 43, 9), bytes(0, 6))
    .map(([t, rest]) => concat([t], rest).slice(0, 7)),
  fc.tuple(u8, u8, bytes(0, 24)).map(([t, c, body]) => concat([t, c, 0, 0], body)),
);

const ipOption = fc.oneof(
  fc.constant([1]),
  fc.constant([0]),
  fc.tuple(fc.constantFrom(7, 68, 130, 131, 137, 148), bytes(0, 8)).map(([t, d]) => [t, 2 + d.length, ...d]),
  fc.tuple(u8, fc.integer({ min: 0, max: 50 }), bytes(0, 4)).map(([t, len, d]) => [t, len, ...d]),
);
const ipOptions = fc.array(ipOption, { minLength: 1, maxLength: 5 }).map((os) => os.flat().slice(0, 40));

interface Ip4Spec {
  src: number[];
  dst: number[];
  ttl: number;
  id: number;
  flags: number;
  frag: number;
  options: number[] | undefined;
  ihl: number | undefined;
  lenDelta: number | undefined;
  lenAbs: number | undefined;
  version: number | undefined;
  proto: number | undefined;
}
const ip4Spec: fc.Arbitrary<Ip4Spec> = fc.record({
  src: addr,
  dst: addr,
  ttl: u8,
  id: u16,
  flags: fc.oneof(
    { weight: 6, arbitrary: fc.constant(2) },
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) },
  ),
  frag: fc.oneof(
    { weight: 20, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x1fff }) },
  ),
  options: rarely(ipOptions, 6),
  ihl: rarely(fc.integer({ min: 0, max: 15 }), 25),
  // off by a little (where off-by-one errors show) or by a lot
  lenDelta: rarely(fc.oneof(fc.integer({ min: -12, max: 3 }), fc.integer({ min: -60, max: 100 })), 8),
  lenAbs: rarely(fc.oneof(fc.constant(0), u16), 25),
  version: rarely(fc.constantFrom(0, 5, 6, 15), 40),
  proto: rarely(fc.constantFrom(1, 4, 6, 17, 41, 47, 58, 132, 253), 20),
});

function buildIp4(s: Ip4Spec, l4: { proto: number; bytes: Uint8Array }): Uint8Array {
  const opts = s.options === undefined ? [] : [...s.options];
  while (opts.length % 4) opts.push(0);
  const natural = 20 + opts.length + l4.bytes.length;
  const totalLen =
    s.lenAbs ?? (s.lenDelta === undefined ? undefined : Math.max(0, Math.min(0xffff, natural + s.lenDelta)));
  return ip4(
    {
      src: s.src,
      dst: s.dst,
      ttl: s.ttl,
      id: s.id,
      flags: s.flags,
      frag: s.frag,
      options: opts,
      ihl: s.ihl,
      totalLen,
      version: s.version,
      proto: s.proto ?? l4.proto,
    },
    l4.bytes,
  );
}

// A tunnel's or DNS client's source port is mostly an ephemeral one (a lower bound port would take
// the datagram).
const ephemeral = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 32768, max: 65535 }) },
  { weight: 1, arbitrary: u16 },
);

/** DNS labels: host-name ones mostly, then any printable bytes (dots, backslashes), any bytes, long ones. */
const dnsLabel = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(fc.constantFrom(...ascii('abcdefghijklmnopqrstuvwxyz0123456789-')), {
      minLength: 1,
      maxLength: 12,
    }),
  },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 63 }) },
  // printable but for one byte at the edge of what is shown as it is
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 20 }),
        fc.constantFrom(0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff),
        fc.nat(),
      )
      .map(([l, x, at]) => [...l.slice(0, at % (l.length + 1)), x, ...l.slice(at % (l.length + 1))]),
  },
  { weight: 1, arbitrary: fc.array(u8, { minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 66 }).map((n) => new Array<number>(n).fill(0x61)) },
);
const dnsNameBytes = fc
  .record({
    labels: fc.oneof(
      { weight: 6, arbitrary: fc.array(dnsLabel, { maxLength: 6 }) },
      // names near Wireshark's 255-byte limit: three labels of 63, then one of 50 to 66
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 50, max: 66 })
          .map((n) => [
            ...new Array<number[]>(3).fill(new Array<number>(63).fill(0x62)),
            new Array<number>(n).fill(0x63),
          ]),
      },
      { weight: 1, arbitrary: fc.array(dnsLabel, { minLength: 7, maxLength: 40 }) },
    ),
    end: fc.oneof(
      { weight: 8, arbitrary: fc.constant([0]) },
      { weight: 1, arbitrary: fc.constant([0xc0, 12]) }, // a compression pointer
      { weight: 1, arbitrary: fc.constant([]) }, // no end: runs into the question
    ),
  })
  .map((n) => [...n.labels.flatMap((l) => [l.length & 255, ...l]), ...n.end]);
/** DNS messages, mostly queries of one question, some not (answers, two questions, a response, cut). */
const dnsMessage = fc
  .record({
    id: u16,
    flags: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0x0100, 0x0000, 0x0120) },
      { weight: 1, arbitrary: fc.constantFrom(0x8180, 0x8183) },
      { weight: 1, arbitrary: u16 },
    ),
    qd: fc.oneof(
      { weight: 8, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 2, 0xffff) },
    ),
    an: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(1, 0x100) },
    ),
    ar: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
    name: dnsNameBytes,
    qtype: fc.oneof(fc.constantFrom(1, 28, 33, 255, 65), u16),
    qclass: fc.oneof(fc.constant(1), u16),
    tail: fc.oneof({ weight: 6, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 12) }),
    drop: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) },
    ),
  })
  .map((m) => {
    const msg = concat(
      dnsHeader({ id: m.id, flags: m.flags, qd: m.qd, an: m.an, ar: m.ar }),
      m.name,
      be16(m.qtype),
      be16(m.qclass),
      m.tail,
    );
    return msg.slice(0, Math.max(0, msg.length - m.drop));
  });

/** ARP (and RARP) messages: Ethernet/IPv4 ones mostly, other sizes and hardware types, cut ones. */
const arpFrame = fc
  .record({
    type: fc.constantFrom(0x0806, 0x0806, 0x0806, 0x8035),
    htype: fc.oneof(
      { weight: 6, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(6, 19, 32) },
      { weight: 1, arbitrary: u16 },
    ),
    ptype: fc.oneof({ weight: 6, arbitrary: fc.constant(0x0800) }, { weight: 1, arbitrary: u16 }),
    hsize: rarely(fc.oneof(fc.constantFrom(0, 8, 20), u8), 6),
    psize: rarely(fc.oneof(fc.constantFrom(0, 16), u8), 6),
    op: fc.oneof(fc.constantFrom(1, 2, 3, 4), u16),
    sha: fc.array(u8, { minLength: 6, maxLength: 6 }),
    spa: addr,
    tpa: addr,
    keep: rarely(fc.nat(), 6), // a message cut short (by the frame, not the capture)
    padding: fc.oneof({ weight: 2, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 18) }),
  })
  .map((a) => {
    const body = arp(a);
    return eth(
      a.type,
      concat(a.keep === undefined ? body : body.slice(0, a.keep % (body.length + 1)), a.padding),
    );
  });

/** Generators for IPv4 packets and Ethernet frames that may hold up to `depth` tunnels. */
function shapes(depth: number): { ip: fc.Arbitrary<Uint8Array>; frame: fc.Arbitrary<Uint8Array> } {
  const inner = depth > 0 ? shapes(depth - 1) : undefined;
  const plain = bytes(0, 60).map((payload) => ({ payload }));
  const dnsQuery = fc.tuple(ephemeral, dnsMessage).map(([sport, payload]) => ({ sport, dport: 53, payload }));
  const udpPayload: fc.Arbitrary<{ sport?: number; dport?: number; payload: Uint8Array }> =
    inner === undefined
      ? fc.oneof({ weight: 2, arbitrary: plain }, { weight: 2, arbitrary: dnsQuery })
      : fc.oneof(
          { weight: 2, arbitrary: plain },
          { weight: 2, arbitrary: dnsQuery },
          {
            weight: 3,
            arbitrary: fc
              .record({
                sport: ephemeral,
                version: fc.oneof(
                  { weight: 8, arbitrary: fc.constant(0) },
                  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
                ),
                oam: fc.boolean(),
                critical: fc.boolean(),
                vni: u24,
                options: fc.array(
                  fc.oneof(
                    fc.tuple(u16, u16).map(([i, e]) => ovnOption(i, e)),
                    fc.record({ cls: u16, type: u8, data: fc.array(u8, { maxLength: 12 }) }),
                    fc.record({
                      cls: u16,
                      type: u8,
                      data: fc.array(u8, { maxLength: 8 }),
                      words: fc.integer({ min: 0, max: 31 }),
                    }),
                  ),
                  { maxLength: 3 },
                ),
                optWords: rarely(fc.integer({ min: 0, max: 63 }), 10),
                inner: fc.oneof(
                  { weight: 6, arbitrary: inner.frame.map((b) => ({ proto: 0x6558, b })) },
                  { weight: 2, arbitrary: inner.ip.map((b) => ({ proto: 0x0800, b })) },
                  { weight: 1, arbitrary: fc.tuple(u16, bytes(0, 40)).map(([proto, b]) => ({ proto, b })) },
                ),
              })
              .map((g) => ({
                sport: g.sport,
                dport: 6081,
                payload: geneve({ ...g, proto: g.inner.proto }, g.inner.b),
              })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record({
                sport: ephemeral,
                dport: fc.constantFrom(4789, 8472),
                flags: fc.oneof(fc.constant(0x0800), u16),
                vni: u24,
                inner: fc.oneof(
                  { weight: 5, arbitrary: inner.frame },
                  { weight: 1, arbitrary: bytes(0, 20) },
                ),
              })
              .map((v) => ({ sport: v.sport, dport: v.dport, payload: vxlan(v.vni, v.inner, v.flags) })),
          },
        );
  const udpDatagram = fc
    .record({
      sport: fc.oneof(
        { weight: 2, arbitrary: ephemeral },
        { weight: 1, arbitrary: port(53, 6081, 4789, 8472, 8080) },
      ),
      dport: port(53, 6081, 4789, 8472, 8080),
      body: udpPayload,
      length: rarely(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), u16), 10),
      lengthDelta: rarely(fc.integer({ min: -8, max: 8 }), 10),
    })
    .map((o) => {
      const length =
        o.length ??
        (o.lengthDelta === undefined ? undefined : Math.max(0, 8 + o.body.payload.length + o.lengthDelta));
      return {
        proto: 17,
        bytes: udp(
          { sport: o.body.sport ?? o.sport, dport: o.body.dport ?? o.dport, length },
          o.body.payload,
        ),
      };
    });
  const l4 = fc.oneof(
    { weight: 4, arbitrary: tcpSegment },
    { weight: inner === undefined ? 4 : 7, arbitrary: udpDatagram },
    { weight: 2, arbitrary: icmpMessage.map((b) => ({ proto: 1, bytes: b })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(4, 41, 47, 50, 132, 253), bytes(0, 40))
        .map(([proto, b]) => ({ proto, bytes: b })),
    },
  );
  const ip = fc.tuple(ip4Spec, l4).map(([s, t]) => buildIp4(s, t));
  const frame = fc
    .record({
      type: fc.oneof(
        { weight: 30, arbitrary: fc.constant(0x0800) },
        { weight: 1, arbitrary: fc.constantFrom(0x86dd, 0x0806, 0x8100, 0x6558, 0x05dc, 0x0600) },
        { weight: 1, arbitrary: u16 },
      ),
      ip,
      padding: fc.oneof({ weight: 3, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 40) }),
    })
    .map((f) => eth(f.type, concat(f.ip, f.padding)));
  return { ip, frame: fc.oneof({ weight: 20, arbitrary: frame }, { weight: 1, arbitrary: arpFrame }) };
}

interface Captured {
  data: Uint8Array;
  origLen: number;
}

/** A frame as a capture might hold it: maybe corrupted, maybe cut by a snap length, maybe a view. */
function captured(frame: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Captured> {
  return fc
    .record({
      frame,
      flips: fc.oneof(
        { weight: 5, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }) },
      ),
      // a snap length: a usual one, or anywhere
      cut: rarely(fc.oneof(fc.constantFrom(54, 64, 68, 96, 128, 150), fc.nat()), 5),
      // or the frame itself was short (its wire length is what was captured)
      short: rarely(fc.nat(), 12),
      extra: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3000 })) },
      ),
      shortOrig: rarely(fc.nat(), 40),
      view: fc.boolean(),
    })
    .map((o) => {
      const full = o.frame.slice();
      for (const [pos, v] of o.flips) if (full.length > 0) full[pos % full.length] = v;
      if (o.short !== undefined) {
        const data = full.slice(0, o.short % (full.length + 1));
        return { data, origLen: data.length };
      }
      const capLen = o.cut === undefined ? full.length : o.cut % (full.length + 1);
      let data = full.slice(0, capLen);
      if (o.view) {
        // Capture readers hand out views into a bigger buffer.
        const big = new Uint8Array(capLen + 11).fill(0xee);
        big.set(data, 5);
        data = big.subarray(5, 5 + capLen);
      }
      const origLen = o.shortOrig !== undefined ? o.shortOrig % (capLen + 1) : full.length + o.extra;
      return { data, origLen };
    });
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Stats {
  runs: number;
  taken: number;
  /** Taken frames by takenKind: "tcp", "udp+geneve+dns", "arp", ... */
  kinds: Map<string, number>;
}
const newStats = (): Stats => ({ runs: 0, taken: 0, kinds: new Map() });

/** fast-check property body: the contract on one frame, counting what the flat decoder took. */
function contract(d: Dissector, flat: FlatDecoder, stats: Stats) {
  const out = new FlatPacket();
  return (c: Captured): void => {
    const why = flatMismatch(d, flat, c.data, c.origLen, 1);
    if (why !== undefined) throw new Error(`${why}\nframe ${toHex(c.data)} origLen ${c.origLen}`);
    stats.runs++;
    if (!flat.decode(c.data, c.origLen, 1, out)) return;
    stats.taken++;
    const kind = takenKind(out);
    stats.kinds.set(kind, (stats.kinds.get(kind) ?? 0) + 1);
  };
}

const frames0 = shapes(0);
const frames1 = shapes(1);
const frames2 = shapes(2);
const structured = captured(
  fc.oneof(
    { weight: 4, arbitrary: frames1.frame },
    { weight: 1, arbitrary: frames2.frame },
    { weight: 1, arbitrary: frames0.frame },
  ),
);
/** Runs per property (the generated-frames one makes four times as many). */
const RUNS = 5000;

describe('flat decoder: properties', () => {
  test('arbitrary bytes never throw and never disagree', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const stats = newStats();
    const run = contract(d, flat, stats);
    fc.assert(
      fc.property(bytes(0, 200), fc.nat(3000), (data, extra) => run({ data, origLen: data.length + extra })),
      { numRuns: RUNS },
    );
    // The same, behind an Ethernet/IPv4 start so that the bytes reach the deeper readers.
    fc.assert(
      fc.property(bytes(0, 200), fc.nat(3000), u8, (tail, extra, proto) => {
        const data = concat(new Uint8Array(12), [0x08, 0x00, 0x45, 0], tail);
        if (data.length > 23) data[23] = proto % 3 === 0 ? 6 : proto % 3 === 1 ? 17 : 1;
        run({ data, origLen: data.length + extra });
      }),
      { numRuns: RUNS },
    );
    assert.equal(stats.runs, 2 * RUNS);
  });

  test('generated frames (valid, corrupted, cut): the flat decoder agrees, and takes many', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const stats = newStats();
    fc.assert(fc.property(structured, contract(d, flat, stats)), { numRuns: 4 * RUNS });
    // Not vacuous: a good share is taken, of every shape the flat decoder reads.
    assert.ok(stats.taken > stats.runs * 0.15, `taken ${stats.taken} of ${stats.runs}`);
    const all = JSON.stringify([...stats.kinds]);
    const count = (match: (kind: string) => boolean): number =>
      [...stats.kinds].reduce((n, [kind, c]) => n + (match(kind) ? c : 0), 0);
    for (const kind of ['tcp', 'udp', 'udp+dns', 'icmp', 'none', 'arp']) {
      assert.ok(count((k) => k === kind) >= 20, `kind ${kind} seldom taken: ${all}`);
    }
    for (const tunnel of ['+geneve', '+vxlan']) {
      assert.ok(count((k) => k.includes(tunnel)) >= 20, `${tunnel} seldom taken: ${all}`);
      assert.ok(count((k) => k === `tcp${tunnel}`) >= 5, `tcp${tunnel} seldom taken: ${all}`);
    }
    assert.ok(count((k) => k.startsWith('udp+') && !k.startsWith('udp+dns')) >= 5, `UDP in tunnels: ${all}`);
  });
});

const RULES = [
  'udp.port==6081:none',
  'tcp.port==8080:none',
  'udp.port==4789:geneve',
  'ethertype==0x0800:none',
  'ip.proto==6:udp',
  'tcp.port==9999:http',
];

describe('flat decoder: --decode-as', () => {
  for (const rule of RULES) {
    test(`${rule}: captures and generated frames`, () => {
      const d = makeDissector([rule]);
      const tallies = checkCaptures(testdataFiles, d);
      fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), { numRuns: RUNS });
      if (rule === 'ethertype==0x0800:none') {
        // No IPv4 is decoded, so only ARP is taken.
        let arps = 0;
        for (const t of tallies.values()) {
          assert.deepEqual(
            Object.keys(t.kinds).filter((k) => k !== 'arp'),
            [],
          );
          arps += t.kinds.arp ?? 0;
        }
        assert.ok(arps > 0, 'ARP is still taken');
      }
      if (rule === 'udp.port==6081:none') {
        // Geneve's port unbound: its packets are plain UDP now, and still the flat decoder's.
        const t = tallies.get(join(TESTDATA, 'tcpdump/geneve.pcap'))!;
        assert.ok(t.taken > t.packets / 2, `taken ${t.taken} of ${t.packets}`);
      }
    });
  }

  test('all the rules at once', () => {
    const d = makeDissector(RULES.filter((r) => !r.startsWith('ethertype')));
    checkCaptures(testdataFiles, d);
    fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), { numRuns: RUNS });
  });
});

describe('flat decoder: tunnels in tunnels, shallow dissectors', () => {
  const tcpFrame = eth(
    0x0800,
    ip4(
      { proto: 6, src: [10, 1, 0, 1], dst: [10, 1, 0, 2] },
      tcp({ sport: 40000, dport: 5432, flags: 0x18 }, ascii('data')),
    ),
  );
  const wrap = (kind: 'geneve' | 'vxlan', inner: Uint8Array, outer: number): Uint8Array =>
    eth(
      0x0800,
      ip4(
        { proto: 17, src: [172, 16, 0, outer], dst: [172, 16, 1, outer] },
        kind === 'geneve'
          ? udp({ sport: 50000, dport: 6081 }, geneve({ vni: outer, options: [ovnOption(3, 4)] }, inner))
          : udp({ sport: 50000, dport: 4789 }, vxlan(outer, inner)),
      ),
    );

  test('Geneve/VXLAN in Geneve/VXLAN: declined or agreeing', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const out = new FlatPacket();
    for (const [a, b] of [
      ['geneve', 'geneve'],
      ['vxlan', 'geneve'],
      ['geneve', 'vxlan'],
      ['vxlan', 'vxlan'],
    ] as const) {
      const frame = wrap(b, wrap(a, tcpFrame, 1), 2);
      assert.equal(
        d.decode(frame, frame.length, 1).layers.length,
        11,
        `${a} in ${b}: the frame holds both tunnels`,
      );
      assert.equal(flatMismatch(d, flat, frame, frame.length, 1), undefined, `${a} in ${b}`);
    }
    // ARP inside a tunnel: the packet belongs to the outer IP header's flow, not to non-IP.
    for (const kind of ['geneve', 'vxlan'] as const) {
      const frame = wrap(kind, eth(0x0806, arp()), 3);
      assert.equal(flatMismatch(d, flat, frame, frame.length, 1), undefined, `ARP in ${kind}`);
      if (flat.decode(frame, frame.length, 1, out)) assert.equal(out.ipVersion, 4, `ARP in ${kind}`);
    }
    // One tunnel is taken, with the tunnel around the inner flow.
    const one = wrap('geneve', tcpFrame, 9);
    assert.equal(flat.decode(one, one.length, 1, out), true);
    assert.equal(flatMismatch(d, flat, one, one.length, 1), undefined);
    assert.deepEqual([out.vni, out.sport, out.dport, out.outerSrc >>> 0], [9, 40000, 5432, 0xac100009]);
    // Generated: two tunnels deep, with everything else the generator varies.
    const stats = newStats();
    fc.assert(fc.property(captured(frames2.frame), contract(d, flat, stats)), { numRuns: RUNS });
  });

  for (const depth of [6, 7, 8, 9, 10]) {
    test(`a Dissector with maxDepth ${depth}`, () => {
      const d = defaultDissector();
      d.maxDepth = depth;
      checkCaptures(testdataFiles, d);
      fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), {
        numRuns: depth === 6 ? RUNS : Math.floor(RUNS / 3),
      });
    });
  }
});

// ---- The whole analysis ----------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so the synthetic capture is the same every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SynthPacket {
  tNs: number;
  data: Uint8Array;
  origLen?: number;
}

const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
const OUTER = [
  [172, 18, 0, 2],
  [172, 18, 0, 3],
];

/** Plain and Geneve-wrapped TCP flows (some HTTP), DNS, ICMP echo and ARP, in time order. */
function syntheticTraffic(flows: number): SynthPacket[] {
  const rnd = prng(20240611);
  const pkts: SynthPacket[] = [];
  const geneveCopy = (ip: Uint8Array, i: number, outbound: boolean): Uint8Array => {
    const [a, b] = outbound ? [OUTER[0]!, OUTER[1]!] : [OUTER[1]!, OUTER[0]!];
    const g = geneve({ vni: 1 + (i % 3), options: [ovnOption(i % 7, (i + 1) % 7)] }, eth(0x0800, ip));
    return eth(
      0x0800,
      ip4({ proto: 17, src: a, dst: b }, udp({ sport: 49152 + (i % 1000), dport: 6081 }, g)),
    );
  };
  for (let i = 0; i < flows; i++) {
    const client = [10, 244, 1 + (i % 3), 10 + (i % 200)];
    const server = [10, 96, 0, 10 + (i % 5)];
    const cport = 33000 + i;
    const sport = [8080, 80, 5432, 443][i % 4]!;
    const http = sport === 8080 || sport === 80;
    const wrapped = i % 3 !== 2; // two flows in three are also seen inside Geneve
    let cseq = Math.floor(rnd() * 2 ** 32);
    let sseq = Math.floor(rnd() * 2 ** 32);
    let t = i * 2_000_000 + Math.floor(rnd() * 1_000_000);
    const send = (
      fromClient: boolean,
      flags: number,
      payload: Uint8Array,
      options?: number[],
      wire = 0,
    ): void => {
      const seg = tcp(
        {
          sport: fromClient ? cport : sport,
          dport: fromClient ? sport : cport,
          seq: fromClient ? cseq : sseq,
          ack: flags & 0x10 ? (fromClient ? sseq : cseq) : 0,
          flags,
          win: 502 + (i % 50),
          options,
        },
        payload,
      );
      const ip = ip4(
        { proto: 6, src: fromClient ? client : server, dst: fromClient ? server : client, id: i },
        seg,
      );
      t += 10_000 + Math.floor(rnd() * 50_000);
      const plain = eth(0x0800, ip);
      // Half the wrapped flows are seen in the tunnel first.
      const first = wrapped && i % 2 === 0 ? geneveCopy(ip, i, fromClient) : plain;
      const second = first === plain ? (wrapped ? geneveCopy(ip, i, fromClient) : undefined) : plain;
      // A few big segments are cut by the snap length.
      const cut = wire > 0 ? first.length - wire : 0;
      pkts.push({
        tNs: t,
        data: cut > 0 ? first.slice(0, first.length - cut) : first,
        origLen: first.length,
      });
      if (second !== undefined) pkts.push({ tNs: t + 15_000, data: second });
      const n = payload.length + (flags & 0x03 ? 1 : 0);
      if (fromClient) cseq = (cseq + n) >>> 0;
      else sseq = (sseq + n) >>> 0;
    };
    send(true, 0x002, new Uint8Array(0), SYN_OPTIONS);
    send(false, 0x012, new Uint8Array(0), SYN_OPTIONS);
    send(true, 0x010, new Uint8Array(0));
    const body = ascii('x'.repeat(300 + (i % 40) * 30));
    if (http) {
      send(true, 0x018, ascii(`GET /items/${i} HTTP/1.1\r\nHost: svc-${i % 5}\r\nAccept: */*\r\n\r\n`));
      send(false, 0x010, new Uint8Array(0));
      send(
        false,
        0x018,
        concat(ascii(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.slice(0, 100)),
      );
      send(false, 0x018, body.slice(100), undefined, i % 5 === 0 ? 120 : 0);
    } else {
      send(
        true,
        0x018,
        Uint8Array.from({ length: 40 + (i % 20) }, () => Math.floor(rnd() * 256)),
      );
      send(false, 0x018, body);
    }
    send(true, 0x010, new Uint8Array(0));
    if (i % 9 === 4) {
      send(true, 0x014, new Uint8Array(0));
      continue;
    }
    send(true, 0x011, new Uint8Array(0));
    send(false, 0x011, new Uint8Array(0));
    send(true, 0x010, new Uint8Array(0));
  }
  for (let i = 0; i < flows; i++) {
    const t = i * 2_000_000 + 700_000;
    const name = dnsName(`svc-${i % 17}.default.svc.cluster.local`);
    const id = (i * 7919) & 0xffff;
    const client = [10, 244, 2, 10 + (i % 50)];
    const dns = [10, 96, 0, 10];
    const q = concat(dnsHeader({ id, flags: 0x0100 }), name, be16(1), be16(1));
    const a = concat(
      dnsHeader({ id, flags: 0x8180, an: 1 }),
      name,
      be16(1),
      be16(1),
      dnsRR([0xc0, 12], 1, 1, 30, [10, 96, 1, i % 250]),
    );
    const qip = ip4({ proto: 17, src: client, dst: dns }, udp({ sport: 40000 + i, dport: 53 }, q));
    pkts.push({ tNs: t, data: eth(0x0800, qip) });
    // Some queries are seen in the tunnel too (the same DNS transaction, a second query packet).
    if (i % 5 === 0) pkts.push({ tNs: t + 20_000, data: geneveCopy(qip, i, true) });
    if (i % 11 !== 0)
      pkts.push({
        tNs: t + 300_000,
        data: eth(0x0800, ip4({ proto: 17, src: dns, dst: client }, udp({ sport: 53, dport: 40000 + i }, a))),
      });
    if (i % 4 === 0) {
      const ident = 0x100 + i;
      const pa = [10, 244, 3, 1];
      const pb = [10, 244, 3, 2 + (i % 3)];
      pkts.push({
        tNs: t + 100_000,
        data: eth(0x0800, ip4({ proto: 1, src: pa, dst: pb }, icmpEcho(8, ident, i, new Uint8Array(56)))),
      });
      pkts.push({
        tNs: t + 150_000,
        data: eth(0x0800, ip4({ proto: 1, src: pb, dst: pa }, icmpEcho(0, ident, i, new Uint8Array(56)))),
      });
    }
    if (i % 10 === 0) pkts.push({ tNs: t + 200_000, data: eth(0x0806, arp({ tpa: [10, 244, 3, i % 250] })) });
  }
  return pkts.sort((x, y) => x.tNs - y.tNs);
}

describe('flat decoder: the whole analysis', () => {
  test('every testdata capture: the same result with and without the flat decoder', () => {
    for (const f of testdataFiles)
      assert.deepStrictEqual(analyzeFiles([f]), analyzeFiles([f], { flat: false }), f);
    // All at once: protocols and flows carried across files.
    assert.deepStrictEqual(analyzeFiles(testdataFiles), analyzeFiles(testdataFiles, { flat: false }));
    // And under the --decode-as rules.
    const some = [
      'journey/lab-trace.pcapng',
      'tcpdump/geneve.pcap',
      'tcpdump/vxlan.pcap',
      'zeek/http__get.pcap',
    ].map((r) => join(TESTDATA, r));
    for (const rule of RULES) {
      assert.deepStrictEqual(
        analyzeFiles(some, { decodeAs: [rule] }),
        analyzeFiles(some, { decodeAs: [rule], flat: false }),
        rule,
      );
    }
  });

  test('a synthetic capture of mixed traffic, plain and in Geneve: the same result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat-'));
    try {
      const path = join(dir, 'mixed.pcapng');
      const pkts = syntheticTraffic(150);
      writePcapngFile(path, (w) => {
        const ifc = w.addInterface({ linktype: 1, name: 'eth0' });
        const base = 1_718_000_000;
        for (const p of pkts)
          w.writePacket(ifc, { tsSec: base, tsNsec: p.tNs, data: p.data, origLen: p.origLen });
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const fast = analyzeFiles([path]);
      const slow = analyzeFiles([path], { flat: false });
      assert.deepStrictEqual(fast, slow);
      // The capture holds what it should, so the comparison means something.
      const c = slow.conversations;
      assert.ok(pkts.length > 2000, `${pkts.length} packets`);
      assert.equal(slow.packets, pkts.length);
      assert.equal(slow.issues.packets, 0, JSON.stringify(slow.issues.samples.slice(0, 3)));
      assert.ok(c.http.length >= 70, `${c.http.length} HTTP transactions`);
      assert.ok(c.dns.length >= 150, `${c.dns.length} DNS transactions`);
      assert.ok(
        c.flows.some((f) => f.tunnel?.type === 'geneve' && f.proto === 'tcp'),
        'a flow first seen in Geneve',
      );
      assert.ok(
        c.flows.some((f) => f.tunnel === undefined && f.proto === 'tcp' && f.packetsAB >= 12),
        'a plain flow also seen wrapped',
      );
      assert.ok(c.flows.some((f) => f.proto === 'icmp'));
      assert.ok((c.nonIp.arp?.packets ?? 0) > 0, JSON.stringify(c.nonIp));
      const d = defaultDissector();
      const t = flatTally(path, d, new FlatDecoder(d));
      assertAgrees(t, path);
      assert.ok(t.taken > t.packets * 0.7, `flat decoder took ${t.taken} of ${t.packets}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
