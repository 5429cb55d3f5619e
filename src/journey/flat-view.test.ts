// The correlator's fast path (flat-view.ts) against its path of record (fingerprint.ts `extract`):
// whenever the flat decoder takes a frame, extractFlat must fill the PacketView exactly as extract
// fills it from the Dissector's layers of the same frame, wherever the frame sits in its buffer
// (alone, or at an offset with other bytes before and after it, as the capture reader hands it
// out). Checked on every capture we have, on generated frames (valid, corrupted, cut; Ethernet and
// Linux cooked; in Geneve and VXLAN), and on whole correlations with and without the flat path.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { defaultDissector, LINKTYPE } from '../decode/bindings.ts';
import type { Dissector } from '../decode/dissector.ts';
import { FlatDecoder } from '../decode/flat.ts';
import { TUNNEL_NONE as FLAT_NONE, FlatPacket, L4_ICMP, L4_TCP, L4_UDP } from '../decode/flat-packet.ts';
import { flatTally } from '../decode/test-support/flat-check.ts';
import {
  buildIp4,
  bytes,
  dnsMessage,
  ephemeral,
  icmpMessage,
  ip4Spec,
  type L3,
  u16,
  u24,
} from '../decode/test-support/flat-frames.ts';
import { syntheticTraffic } from '../decode/test-support/flat-frames-traffic.ts';
import { captured, frames0, linked, structured } from '../decode/test-support/flat-frames-tunnel.ts';
import { geneve, ovnOption, tcp, udp } from '../decode/test-support/l4-build.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { type CorrelateCaptureOptions, correlateCapture, journeyDissector } from './correlate.ts';
import { extract, PacketView, TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN } from './fingerprint.ts';
import { extractFlat } from './flat-view.ts';
import type { CapturePoint } from './types.ts';

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

// ---- The contract on one frame ---------------------------------------------------------------

/** What the sighting store (store.ts `add`, `findOrAddGroup`) reads of every IPv4 packet's view. */
const VIEW_FIELDS = [
  'ipv',
  'proto',
  'ipId',
  'seq',
  'ack',
  'flags',
  'len',
  'phash',
  'hash',
  'src',
  'dst',
  'ttl',
  'sport',
  'dport',
  'macSrc',
  'macDst',
  'tunnel',
  'app',
] as const satisfies readonly (keyof PacketView)[];
/** What it reads besides when the packet was in a tunnel (internTunnel). */
const TUNNEL_FIELDS = [
  'vni',
  'outerIpv',
  'outerSrc',
  'outerDst',
  'outerSrc6',
  'outerDst6',
  'ovnIn',
  'ovnOut',
] as const satisfies readonly (keyof PacketView)[];

// How the two views are compared. The correlator reuses one PacketView from packet to packet, flat
// and Dissector-read packets interleaved, so a field one path writes and the other leaves as the
// previous packet had it would make the two paths store different packets. Each side therefore
// starts from the same state, twice: a new PacketView, and a "stale" one whose every field holds a
// value no packet gives it (as if left by a packet of another shape). A field that one side forgets
// to write then shows as the stale value on that side only, even where the right value is the
// default (seq 0, app -1, MAC -1, ...). Compared: the return value; when it is true (an IP packet),
// every field of VIEW_FIELDS, and TUNNEL_FIELDS when the packet was in a tunnel. Not compared, as
// nothing reads them: the fields of a false return (the frame counts as non-IP), the tunnel fields
// of a packet in no tunnel (store.ts keeps tunnel -1 and reads none of them; extract leaves them
// stale), and src6/dst6 (read for IPv6 only; extract writes them only for IPv6, which the flat
// decoder never takes, and `ipv` is compared). extract writes every compared field in every branch
// that reaches it, so nothing compared is ever stale on the path of record.
const STALE = new PacketView();
{
  let i = 0;
  const s = STALE as unknown as Record<string, number | string>;
  for (const k of Object.keys(s)) {
    i++;
    s[k] = typeof s[k] === 'string' ? `stale-${k}` : -1000 - i;
  }
}
const START: readonly PacketView[] = [new PacketView(), STALE];
const startView = (i: number): PacketView => Object.assign(new PacketView(), START[i]!);

function viewDiff(flat: PacketView, ref: PacketView): string | undefined {
  for (const k of VIEW_FIELDS)
    if (flat[k] !== ref[k]) return `${k}: extractFlat ${flat[k]}, extract ${ref[k]}`;
  if (ref.tunnel === TUNNEL_NONE) return undefined;
  for (const k of TUNNEL_FIELDS)
    if (flat[k] !== ref[k]) return `${k}: extractFlat ${flat[k]}, extract ${ref[k]}`;
  return undefined;
}

/** Bytes before a frame copied into a bigger buffer (odd, so no alignment is assumed). */
const AT = 7;
/** Bytes after it: enough for a payload hash that read past the frame to see them. */
const TAIL = 80;
const junk = (i: number): number => (i * 151 + 89) & 255;

interface Verdict {
  taken: boolean;
  mismatch?: string;
}

/** The contract for one Dissector (and the flat decoder built from it). */
class ViewCheck {
  readonly flat: FlatDecoder;
  /** What the flat decoder read of the last frame, in its own buffer, and extract's view of it. */
  readonly fp = new FlatPacket();
  readonly ref = new PacketView();
  refIp = false;
  private readonly at = new FlatPacket();
  private readonly refs = [new PacketView(), new PacketView()];
  private readonly refOk = [false, false];

  constructor(
    readonly name: string,
    readonly d: Dissector,
  ) {
    this.flat = new FlatDecoder(d);
  }

  /**
   * `data` is the frame; `home`, when given, the buffer it sits in (at `off`), which the flat
   * decoder reads in place as the correlator does. It is also read alone (decode) and copied
   * into a bigger buffer between junk bytes (decodeAt). Each read that takes the frame must give
   * extract's view of d.decode(data).
   */
  check(
    data: Uint8Array,
    origLen: number,
    linktype: number,
    home?: { buf: Uint8Array; off: number },
  ): Verdict {
    const padded = new Uint8Array(AT + data.length + TAIL);
    for (let i = 0; i < AT; i++) padded[i] = junk(i);
    for (let i = AT + data.length; i < padded.length; i++) padded[i] = junk(i);
    padded.set(data, AT);
    const reads: [string, Uint8Array, number, FlatPacket][] = [
      ['decode (frame alone)', data, 0, this.fp],
      [`decodeAt ${AT} (junk around it)`, padded, AT, this.at],
    ];
    if (home !== undefined && (home.off > 0 || home.buf.length > home.off + data.length)) {
      reads.push([`decodeAt ${home.off} (in place)`, home.buf, home.off, this.at]);
    }
    let taken: boolean | undefined;
    let haveRef = false;
    for (const [how, buf, off, fp] of reads) {
      let t: boolean;
      try {
        t = this.flat.decodeAt(buf, off, data.length, origLen, linktype, fp);
      } catch (e) {
        return { taken: false, mismatch: `${how}: flat decoder threw: ${(e as Error).message}` };
      }
      if (taken === undefined) taken = t;
      else if (t !== taken) return { taken, mismatch: `${how}: taken ${t}, decode said ${taken}` };
      if (!t) continue;
      if (!haveRef) {
        haveRef = true;
        const p = this.d.decode(data, origLen, linktype);
        for (let s = 0; s < START.length; s++) {
          const v = Object.assign(this.refs[s]!, START[s]);
          this.refOk[s] = extract(p, v);
        }
        this.refIp = this.refOk[0]!;
        Object.assign(this.ref, this.refs[0]);
      }
      for (let s = 0; s < START.length; s++) {
        const v = startView(s);
        let ok: boolean;
        try {
          ok = extractFlat(fp, buf, v);
        } catch (e) {
          return { taken: true, mismatch: `${how}: extractFlat threw: ${(e as Error).message}` };
        }
        const start = s === 0 ? 'new view' : 'stale view';
        if (ok !== this.refOk[s]) {
          return { taken: true, mismatch: `${how}, ${start}: returns ${ok}, extract ${this.refOk[s]}` };
        }
        if (!ok) continue;
        const why = viewDiff(v, this.refs[s]!);
        if (why !== undefined) return { taken: true, mismatch: `${how}, ${start}: ${why}` };
      }
    }
    return { taken: taken === true };
  }
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function describeFrame(c: ViewCheck, data: Uint8Array, origLen: number, linktype: number): string {
  const p = c.d.decode(data, origLen, linktype);
  return `frame ${hexOf(data)} linktype ${linktype} origLen ${origLen} (layers: ${p.layers.map((l) => l.proto).join(' ')}; dissector ${c.name})`;
}

const bump = (m: Map<string, number>, key: string): void => {
  m.set(key, (m.get(key) ?? 0) + 1);
};

/** What a taken frame was, for the counts that show a run was not vacuous. */
function tally(
  m: Map<string, number>,
  c: ViewCheck,
  data: Uint8Array,
  origLen: number,
  linktype: number,
): void {
  const fp = c.fp;
  const v = c.ref;
  bump(m, 'taken');
  bump(m, `link ${linktype}`);
  if (origLen > data.length) bump(m, 'snaplen cut');
  if (!c.refIp) {
    bump(m, 'no IP');
    return;
  }
  bump(m, fp.ethOff >= 0 ? 'mac' : 'no mac');
  if (fp.l4 === L4_TCP) bump(m, 'tcp');
  else if (fp.l4 === L4_ICMP) {
    const type = v.flags >>> 8;
    bump(m, 'icmp');
    if (type === 0 || type === 8) bump(m, 'icmp echo');
    else if (type === 42 || type === 43) bump(m, 'icmp ext-echo');
    if (fp.capEnd - fp.l4Off < 8) bump(m, 'icmp short');
  } else if (fp.l4 === L4_UDP) {
    bump(m, 'udp');
    for (const port of [53, 5353]) {
      if (v.sport === port || v.dport === port) {
        bump(m, `udp ${port}`);
        if (v.app !== -1) bump(m, `udp ${port} app`);
      }
    }
  } else bump(m, 'other IP');
  if (v.tunnel === TUNNEL_GENEVE) bump(m, v.ovnIn >= 0 ? 'geneve+ovn' : 'geneve');
  else if (v.tunnel === TUNNEL_VXLAN) bump(m, 'vxlan');
  if (fp.tunnelSeen !== FLAT_NONE && fp.tunnel === FLAT_NONE) bump(m, 'tunnel, no inner IP');
}

const checkers = (): ViewCheck[] => [
  new ViewCheck('journeyDissector', journeyDissector()),
  new ViewCheck('defaultDissector', defaultDissector()),
];

// ---- Captures ----------------------------------------------------------------------------------

interface FileTally {
  packets: number;
  /** Per checker name: taken frames by kind. */
  counts: Map<string, Map<string, number>>;
}

/** The contract on every frame of a capture, read in place from the capture reader's buffer. */
function checkCapture(path: string, cs: ViewCheck[]): FileTally {
  const t: FileTally = { packets: 0, counts: new Map(cs.map((c) => [c.name, new Map()])) };
  const bad: string[] = [];
  readCaptureFile(path, {
    onFrame(rec) {
      t.packets++;
      const data = rec.buf.subarray(rec.offset, rec.offset + rec.capLen);
      for (const c of cs) {
        const r = c.check(data, rec.origLen, rec.linktype, { buf: rec.buf, off: rec.offset });
        if (r.mismatch !== undefined && bad.length < 5) {
          bad.push(
            `frame ${rec.number}: ${r.mismatch}\n  ${describeFrame(c, data, rec.origLen, rec.linktype)}`,
          );
        }
        if (r.taken) tally(t.counts.get(c.name)!, c, data, rec.origLen, rec.linktype);
      }
    },
  });
  assert.deepEqual(bad, [], `${path}:\n${bad.join('\n')}`);
  return t;
}

const testdataFiles = captures(TESTDATA);

describe('extractFlat = extract: captures', () => {
  test('every testdata capture, with the journey and the default Dissector', () => {
    assert.ok(testdataFiles.length > 50, `only ${testdataFiles.length} captures under ${TESTDATA}`);
    const cs = checkers();
    const all = new Map(testdataFiles.map((f) => [f, checkCapture(f, cs)]));
    const share = (rel: string, name: string, kind = 'taken'): number => {
      const t = all.get(join(TESTDATA, rel));
      assert.ok(t !== undefined && t.packets > 0, `${rel} missing or empty`);
      return (t.counts.get(name)!.get(kind) ?? 0) / t.packets;
    };
    // Not vacuous: the flat path takes most of what the correlator reads.
    for (const name of ['journeyDissector', 'defaultDissector']) {
      for (const rel of [
        'journey/lab-trace.pcapng',
        'tcpdump/geneve.pcap',
        'zeek/tunnels__geneve-47101.pcap',
      ]) {
        const s = share(rel, name);
        assert.ok(s > 0.5, `${rel} (${name}): the flat decoder took only ${(s * 100).toFixed(0)}%`);
      }
      assert.ok(share('journey/lab-trace.pcapng', name, 'geneve+ovn') > 0.02, 'lab trace: Geneve with OVN');
      assert.ok(share('tcpdump/geneve.pcap', name, 'geneve') > 0.3, 'geneve.pcap: Geneve frames taken');
    }
    // The journey Dissector has no DNS decoder: DNS is plain UDP to the flat decoder, app still read.
    const total = (name: string, kind: string): number =>
      [...all.values()].reduce((n, t) => n + (t.counts.get(name)!.get(kind) ?? 0), 0);
    assert.ok(
      total('journeyDissector', 'udp 53 app') > total('defaultDissector', 'udp 53 app'),
      'the journey Dissector leaves DNS responses to the flat decoder',
    );
    for (const kind of ['tcp', 'udp', 'udp 53 app', 'icmp echo', 'vxlan', `link ${LINKTYPE.LINUX_SLL}`]) {
      assert.ok(total('journeyDissector', kind) >= 10, `${kind}: ${total('journeyDissector', kind)} taken`);
    }
  });

  const corpora = existsSync(CORPORA) ? captures(CORPORA) : [];
  test('every shared corpus capture, with the journey and the default Dissector', {
    skip: corpora.length === 0 ? `${CORPORA} is absent` : false,
  }, () => {
    const cs = checkers();
    let taken = 0;
    for (const f of corpora) taken += checkCapture(f, cs).counts.get('journeyDissector')!.get('taken') ?? 0;
    assert.ok(taken > 1000, `${taken} frames taken in ${corpora.length} captures`);
  });
});

// ---- Generated frames --------------------------------------------------------------------------

/** UDP (and some TCP) on the DNS and mDNS ports: queries, responses, anything, too short to read. */
const dnsPorts: fc.Arbitrary<L3> = fc
  .record({
    spec: ip4Spec,
    ports: fc.oneof<fc.Arbitrary<[number, number]>[]>(
      fc.tuple(ephemeral, fc.constantFrom(53, 5353)),
      fc.tuple(fc.constantFrom(53, 5353), ephemeral),
      fc.tuple(fc.constantFrom(53, 5353), fc.constantFrom(53, 5353)),
      fc.tuple(fc.constantFrom(53, 5353), fc.constantFrom(6081, 4789, 8080)),
    ),
    payload: fc.oneof(
      { weight: 4, arbitrary: dnsMessage },
      { weight: 2, arbitrary: bytes(0, 5) },
      { weight: 1, arbitrary: bytes(6, 40) },
    ),
    isTcp: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    length: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: u16 }),
    padding: fc.oneof({ weight: 3, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 20) }),
  })
  .map((o) => {
    const [sport, dport] = o.ports;
    const l4 = o.isTcp
      ? { proto: 6, bytes: tcp({ sport, dport, flags: 0x18 }, o.payload) }
      : { proto: 17, bytes: udp({ sport, dport, length: o.length }, o.payload) };
    const ip = buildIp4(o.spec, l4);
    const payload = new Uint8Array(ip.length + o.padding.length);
    payload.set(ip);
    payload.set(o.padding, ip.length);
    return { type: 0x0800, payload };
  });

/** ICMP messages of every kind the generators make (echo, extended echo, errors, short ones). */
const icmpPackets: fc.Arbitrary<L3> = fc
  .tuple(ip4Spec, icmpMessage)
  .map(([spec, m]) => ({ type: 0x0800, payload: buildIp4(spec, { proto: 1, bytes: m }) }));

/** Geneve carrying OVN's option (first, last or between others), around an Ethernet frame or an IPv4 packet. */
const ovnGeneve: fc.Arbitrary<L3> = fc
  .record({
    outer: ip4Spec,
    sport: ephemeral,
    vni: u24,
    ovn: fc.tuple(u16, u16).map(([i, e]) => ovnOption(i, e)),
    others: fc.array(
      fc.record({
        cls: u16,
        type: fc.integer({ min: 0, max: 255 }),
        data: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
      }),
      { maxLength: 2 },
    ),
    first: fc.boolean(),
    inner: fc.oneof(
      { weight: 3, arbitrary: frames0.frame.map((b) => ({ proto: 0x6558, b })) },
      { weight: 1, arbitrary: frames0.ip.map((b) => ({ proto: 0x0800, b })) },
    ),
  })
  .map((g) => {
    const options = g.first ? [g.ovn, ...g.others] : [...g.others, g.ovn];
    const tunnel = geneve({ vni: g.vni, proto: g.inner.proto, options }, g.inner.b);
    return {
      type: 0x0800,
      payload: buildIp4(g.outer, { proto: 17, bytes: udp({ sport: g.sport, dport: 6081 }, tunnel) }),
    };
  });

const frames = fc.oneof(
  { weight: 1, arbitrary: captured(linked(ovnGeneve)) },
  { weight: 8, arbitrary: structured },
  { weight: 1, arbitrary: captured(linked(dnsPorts)) },
  { weight: 1, arbitrary: captured(linked(icmpPackets)) },
);

/** Property runs: each frame is checked with both Dissectors, read three ways. */
const RUNS = 12000;

describe('extractFlat = extract: generated frames', () => {
  test(`${RUNS} frames (Ethernet and Linux cooked, tunnels, ICMP, DNS ports, cut, corrupted)`, () => {
    const cs = checkers();
    const counts = new Map(cs.map((c) => [c.name, new Map<string, number>()]));
    let runs = 0;
    fc.assert(
      fc.property(frames, (f) => {
        runs++;
        const home =
          f.data.byteOffset > 0 || f.data.buffer.byteLength > f.data.length
            ? { buf: new Uint8Array(f.data.buffer), off: f.data.byteOffset }
            : undefined;
        for (const c of cs) {
          const r = c.check(f.data, f.origLen, f.linktype, home);
          if (r.mismatch !== undefined) {
            throw new Error(`${r.mismatch}\n${describeFrame(c, f.data, f.origLen, f.linktype)}`);
          }
          if (r.taken) tally(counts.get(c.name)!, c, f.data, f.origLen, f.linktype);
        }
      }),
      { numRuns: RUNS },
    );
    assert.equal(runs >= RUNS, true);
    // Not vacuous: every shape extractFlat has a branch for was taken, with both Dissectors. The
    // minimums are about half what a run takes (the default Dissector's DNS decoder keeps all but
    // plain queries on port 53 from the flat decoder, and it takes fewer frames in all).
    const min: Record<string, [journey: number, dflt: number]> = {
      taken: [1500, 1100],
      tcp: [400, 350],
      udp: [450, 200],
      'udp 53': [300, 40],
      'udp 53 app': [300, 30],
      'udp 5353': [60, 50],
      'udp 5353 app': [50, 40],
      icmp: [300, 300],
      'icmp echo': [25, 25],
      'icmp ext-echo': [40, 40],
      'icmp short': [60, 60],
      'other IP': [150, 150],
      geneve: [30, 20],
      'geneve+ovn': [100, 70],
      vxlan: [40, 30],
      'tunnel, no inner IP': [15, 15],
      'no IP': [70, 70],
      mac: [1200, 900],
      'no mac': [180, 130],
      'snaplen cut': [250, 180],
      [`link ${LINKTYPE.LINUX_SLL}`]: [80, 60],
      [`link ${LINKTYPE.LINUX_SLL2}`]: [80, 60],
    };
    for (const [name, m] of counts) {
      const seen = JSON.stringify(Object.fromEntries(m));
      for (const [kind, [journey, dflt]] of Object.entries(min)) {
        const n = name === 'journeyDissector' ? journey : dflt;
        assert.ok(
          (m.get(kind) ?? 0) >= n,
          `${name}: ${kind} taken ${m.get(kind) ?? 0} times (< ${n}): ${seen}`,
        );
      }
    }
  });
});

// ---- Whole correlations ------------------------------------------------------------------------

/** correlateCapture with and without the flat path must give the same result, and that not empty. */
function sameBothWays(path: string, points: CapturePoint[], opts: CorrelateCaptureOptions = {}): number {
  const fast = correlateCapture(path, points, opts);
  const slow = correlateCapture(path, points, { ...opts, flat: false });
  assert.deepEqual(fast, slow, path);
  assert.ok(fast.journeys.length > 0, `${path}: no journeys`);
  return fast.journeys.length;
}

/** A capture's interfaces as points, in file order (nameless ones mapped by "#<index>"). */
function pointsOf(path: string): { points: CapturePoint[]; interfaces: Record<string, string> } {
  const points: CapturePoint[] = [];
  const interfaces: Record<string, string> = {};
  readCaptureFile(path, {
    onInterface(i) {
      const id = i.name ?? `if${i.globalId}`;
      if (i.name === undefined) interfaces[`#${i.globalId}`] = id;
      if (points.some((p) => p.id === id)) return;
      const slash = id.indexOf('/');
      points.push({
        id,
        node: slash > 0 ? id.slice(0, slash) : 'node',
        interface: slash > 0 ? id.slice(slash + 1) : id,
        role: 'nic',
        order: points.length,
      });
    },
    onPacket() {},
  });
  return { points, interfaces };
}

const LAB = join(TESTDATA, 'journey/lab-trace.pcapng');
const START_POINTS: CapturePoint[] = [
  {
    id: 'worker-0/eth0@nettools-dual-pod',
    node: 'worker-0',
    interface: 'eth0',
    role: 'pod',
    pod: 'nettools-dual-pod',
    order: 0,
  },
  {
    id: 'worker-0/b6814bbdcf83f31',
    node: 'worker-0',
    interface: 'b6814bbdcf83f31',
    role: 'host-veth',
    order: 1,
  },
  { id: 'worker-0/ens2f0np0', node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2 },
];
const TO_EXTERNAL: CapturePoint[] = [
  ...START_POINTS,
  { id: 'external/eth0', node: 'external', interface: 'eth0', role: 'external', order: 3 },
];
const CROSS_NODE: CapturePoint[] = [
  ...START_POINTS,
  { id: 'worker-1/ens2f0np0', node: 'worker-1', interface: 'ens2f0np0', role: 'nic', order: 3 },
  {
    id: 'worker-1/189cb0c86fb6cc0',
    node: 'worker-1',
    interface: '189cb0c86fb6cc0',
    role: 'host-veth',
    order: 4,
  },
  { id: 'worker-1/eth0@static-server', node: 'worker-1', interface: 'eth0', role: 'pod', order: 5 },
];

/** The NIC's view of a frame (as bench/journey.ts makes it): innermost IPv4 source SNATed, TTL - 1, source port moved. */
function natCopy(data: Uint8Array, d: Dissector): Uint8Array {
  const out = data.slice();
  const p = d.decode(out, out.length, LINKTYPE.ETHERNET);
  let ip = -1;
  for (let i = 0; i < p.layers.length; i++) if (p.layers[i]!.proto === 'ip') ip = i;
  const l = p.layers[ip];
  if (l === undefined || l.proto !== 'ip') return out;
  out.set([198, 18, 0, 9], l.offset + 12);
  out[l.offset + 8] = (out[l.offset + 8]! - 1) & 255;
  const l4 = p.layers[ip + 1];
  if (l4 !== undefined && (l4.proto === 'tcp' || l4.proto === 'udp')) {
    const port = (l4.srcPort + 20000) & 0xffff;
    out[l4.offset] = port >>> 8;
    out[l4.offset + 1] = port & 255;
  }
  return out;
}

describe('extractFlat = extract: whole correlations, flat path on and off', () => {
  test('the lab trace, to the external host and across nodes, with both Dissectors', () => {
    for (const points of [TO_EXTERNAL, CROSS_NODE]) {
      assert.ok(sameBothWays(LAB, points) > 50);
      sameBothWays(LAB, points, { dissector: defaultDissector() });
    }
  });

  test('every multi-interface pcapng under testdata, its interfaces as points', () => {
    let files = 0;
    for (const f of testdataFiles.filter((p) => p.endsWith('.pcapng'))) {
      const { points, interfaces } = pointsOf(f);
      if (points.length < 2) continue;
      files++;
      sameBothWays(f, points, { interfaces });
      sameBothWays(f, points, { interfaces, dissector: defaultDissector() });
    }
    assert.ok(files >= 3, `${files} multi-interface captures`);
  });

  test('a synthetic capture at three points, SNAT at the third, some in Geneve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat-view-'));
    try {
      const path = join(dir, 'three-points.pcapng');
      const points: CapturePoint[] = [
        { id: 'worker-0/eth0@pod', node: 'worker-0', interface: 'eth0', role: 'pod', order: 0 },
        {
          id: 'worker-0/a3f5c2b19e0d4c7',
          node: 'worker-0',
          interface: 'a3f5c2b19e0d4c7',
          role: 'host-veth',
          order: 1,
        },
        { id: 'worker-0/ens2f0np0', node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2 },
      ];
      const pkts = syntheticTraffic(120);
      const d = defaultDissector();
      const base = 1_718_000_000;
      writePcapngFile(path, (w) => {
        const ids = points.map((p) => w.addInterface({ linktype: LINKTYPE.ETHERNET, name: p.id }));
        for (const p of pkts) {
          const origLen = p.origLen ?? p.data.length;
          w.writePacket(ids[0]!, { tsSec: base, tsNsec: p.tNs, data: p.data, origLen });
          w.writePacket(ids[1]!, { tsSec: base, tsNsec: p.tNs + 3_000, data: p.data, origLen });
          w.writePacket(ids[2]!, { tsSec: base, tsNsec: p.tNs + 40_000, data: natCopy(p.data, d), origLen });
        }
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const r = correlateCapture(path, points);
      assert.deepEqual(r, correlateCapture(path, points, { flat: false }));
      // Not vacuous: the flat path read most of it, and the journeys are there.
      assert.ok(pkts.length > 1500, `${pkts.length} packets per point`);
      assert.equal(r.packets, 3 * pkts.length);
      const jd = journeyDissector();
      const t = flatTally(path, jd, new FlatDecoder(jd));
      assert.ok(t.taken > t.packets * 0.8, `flat decoder took ${t.taken} of ${t.packets}`);
      assert.ok((t.kinds['tcp+geneve'] ?? 0) > 300, JSON.stringify(t.kinds));
      const full = r.journeys.filter((j) => new Set(j.sightings.map((s) => s.point)).size === 3);
      assert.ok(
        full.length > r.journeys.length / 2,
        `${full.length} of ${r.journeys.length} at all three points`,
      );
      const nic = points[2]!.id;
      const snat = full.filter((j) => j.findings.some((f) => f.kind === 'snat' && f.at === nic));
      assert.ok(snat.length > full.length / 2, `${snat.length} of ${full.length} SNATed at the NIC`);
      assert.ok(
        full.some((j) => j.sightings.some((s) => s.encap?.tunnel === 'geneve' && s.encap.ovn !== undefined)),
        'a journey seen in Geneve with the OVN option',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
