// The flat view's contract, checked on one frame: whenever the flat decoder takes a frame,
// extractFlat must fill the PacketView exactly as fingerprint.ts `extract` fills it from the
// Dissector's layers of the same frame, wherever the frame sits in its buffer (alone, or at an
// offset with other bytes before and after it, as the capture reader hands it out). Used by
// flat-view.test.ts on captures and on generated frames.
import assert from 'node:assert/strict';
import { defaultDissector } from '../../decode/bindings.ts';
import type { Dissector } from '../../decode/dissector.ts';
import { FlatDecoder } from '../../decode/flat.ts';
import { TUNNEL_NONE as FLAT_NONE, FlatPacket, L4_ICMP, L4_TCP, L4_UDP } from '../../decode/flat-packet.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { journeyDissector } from '../correlate.ts';
import { extract, PacketView, TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN } from '../fingerprint.ts';
import { extractFlat } from '../flat-view.ts';

export { captures } from '../../decode/test-support/flat-check.ts';

// ---- The contract on one frame ---------------------------------------------------------------

/** What the sighting store (store.ts `add`, `findOrAddGroup`) reads of every IPv4 packet's view. */
export const VIEW_FIELDS = [
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
  'src6',
  'dst6',
  'ttl',
  'sport',
  'dport',
  'macSrc',
  'macDst',
  'tunnel',
  'app',
] as const satisfies readonly (keyof PacketView)[];
/** What it reads besides when the packet was in a tunnel (internTunnel). */
export const TUNNEL_FIELDS = [
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
// stale). src6/dst6 are compared too: extract writes them for IPv6 only, and for IPv4 both sides
// leave the starting view's values. extract writes every other compared field in every branch that
// reaches it, so nothing compared is ever stale on the path of record.
export const STALE = new PacketView();
{
  let i = 0;
  const s = STALE as unknown as Record<string, number | string>;
  for (const k of Object.keys(s)) {
    i++;
    s[k] = typeof s[k] === 'string' ? `stale-${k}` : -1000 - i;
  }
}
export const START: readonly PacketView[] = [new PacketView(), STALE];
export const startView = (i: number): PacketView => Object.assign(new PacketView(), START[i]!);

export function viewDiff(flat: PacketView, ref: PacketView): string | undefined {
  for (const k of VIEW_FIELDS)
    if (flat[k] !== ref[k]) return `${k}: extractFlat ${flat[k]}, extract ${ref[k]}`;
  if (ref.tunnel === TUNNEL_NONE) return undefined;
  for (const k of TUNNEL_FIELDS)
    if (flat[k] !== ref[k]) return `${k}: extractFlat ${flat[k]}, extract ${ref[k]}`;
  return undefined;
}

/** Bytes before a frame copied into a bigger buffer (odd, so no alignment is assumed). */
export const AT = 7;
/** Bytes after it: enough for a payload hash that read past the frame to see them. */
export const TAIL = 80;
export const junk = (i: number): number => (i * 151 + 89) & 255;

export interface Verdict {
  taken: boolean;
  mismatch?: string;
}

/** The contract for one Dissector (and the flat decoder built from it). */
export class ViewCheck {
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

export function describeFrame(c: ViewCheck, data: Uint8Array, origLen: number, linktype: number): string {
  const p = c.d.decode(data, origLen, linktype);
  return `frame ${hexOf(data)} linktype ${linktype} origLen ${origLen} (layers: ${p.layers.map((l) => l.proto).join(' ')}; dissector ${c.name})`;
}

const bump = (m: Map<string, number>, key: string): void => {
  m.set(key, (m.get(key) ?? 0) + 1);
};

/** What a taken frame was, for the counts that show a run was not vacuous. */
export function tally(
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

export const checkers = (): ViewCheck[] => [
  new ViewCheck('journeyDissector', journeyDissector()),
  new ViewCheck('defaultDissector', defaultDissector()),
];

// ---- Captures ----------------------------------------------------------------------------------

export interface FileTally {
  packets: number;
  /** Per checker name: taken frames by kind. */
  counts: Map<string, Map<string, number>>;
}

/** The contract on every frame of a capture, read in place from the capture reader's buffer. */
export function checkCapture(path: string, cs: ViewCheck[]): FileTally {
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
