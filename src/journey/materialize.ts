// The correlation as the caller sees it: journeys in the Trace result's JSON shape, built on demand
// from the compact columns. A capture of a million packets makes a million journeys: iterating them
// one at a time (and writing each out) keeps memory flat, while toResult() holds them all.
import type { PathPoints } from './direction.ts';
import { journeyFindings, protocolName, summarize } from './findings.ts';
import type { RawJourney } from './passes.ts';
import type { SightingStore } from './store.ts';
import type { CapturePoint, ClockOffset, CorrelationResult, Finding, Journey, Sighting } from './types.ts';

const MIRROR: Record<string, string> = {
  'ip.src': 'ip.dst',
  'ip.dst': 'ip.src',
  'tcp.srcport': 'tcp.dstport',
  'tcp.dstport': 'tcp.srcport',
  'udp.srcport': 'udp.dstport',
  'udp.dstport': 'udp.srcport',
  'icmp.ident': 'icmp.ident',
};

export interface CorrelationParts {
  st: SightingStore;
  points: CapturePoint[];
  pp: PathPoints;
  sortedOrders: number[];
  raw: RawJourney[];
  retrans: Int32Array;
  answers: Int32Array;
  t0: string;
  unmatched: CorrelationResult['unmatched'];
  clockWarnings: string[];
  clockOffsets: ClockOffset[];
}

export class Correlation implements Iterable<Journey> {
  readonly t0: string;
  readonly points: CapturePoint[];
  readonly unmatched: CorrelationResult['unmatched'];
  readonly clockWarnings: string[];
  readonly clockOffsets: ClockOffset[];
  /** NAT rewrites of request journeys, as "mirrored field|to|from", built on first need. */
  private requestNat: Set<string> | undefined;

  constructor(private readonly c: CorrelationParts) {
    this.t0 = c.t0;
    this.points = c.points;
    this.unmatched = c.unmatched;
    this.clockWarnings = c.clockWarnings;
    this.clockOffsets = c.clockOffsets;
  }

  get length(): number {
    return this.c.raw.length;
  }

  /** Journey i (in time order), built fresh on each call. */
  journey(i: number): Journey {
    const { st, points, raw } = this.c;
    const j = raw[i]!;
    const findings = journeyFindings(st, points, this.c.sortedOrders, j);
    if (j.reply) this.markReverseNat(findings);
    const sightings = this.sightings(j);
    let comparable = true;
    for (const s of sightings) if (s.comparable === false) comparable = false;
    const latency = { ns: sightings[sightings.length - 1]!.time_ns - sightings[0]!.time_ns, comparable };
    const r = this.c.retrans[i]!;
    const out: Journey = {
      direction: j.reply ? 'reply' : 'request',
      summary: summarize(st, j, findings, latency, r >= 0),
      protocol: protocolName(st.gProto[j.group]!),
      sightings,
      findings,
    };
    if (sightings.length > 1) {
      out.latency_ns = latency.ns;
      out.comparable = comparable;
    }
    const a = this.c.answers[i]!;
    if (a >= 0) out.answers = a;
    if (r >= 0) {
      out.retransmission = true;
      out.retransmits = r;
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<Journey> {
    for (let i = 0; i < this.c.raw.length; i++) yield this.journey(i);
  }

  /** Everything at once, as `nettrace trace -o json` prints it. */
  toResult(): CorrelationResult {
    const journeys: Journey[] = new Array(this.c.raw.length);
    for (let i = 0; i < journeys.length; i++) journeys[i] = this.journey(i);
    return {
      t0: this.t0,
      points: this.points,
      journeys,
      unmatched: this.unmatched,
      clockWarnings: this.clockWarnings,
      clockOffsets: this.clockOffsets,
    };
  }

  /** A reply's NAT that undoes a request's (a -> b there, b -> a on the mirrored field here). */
  private markReverseNat(findings: Finding[]): void {
    let nat = false;
    for (const f of findings) if (f.kind === 'snat' || f.kind === 'dnat') nat = true;
    if (!nat) return;
    if (this.requestNat === undefined) {
      this.requestNat = new Set();
      const { st, points, raw, sortedOrders } = this.c;
      for (const j of raw) {
        if (j.reply || !natChanges(st, j)) continue;
        for (const f of journeyFindings(st, points, sortedOrders, j)) {
          if (f.kind === 'snat' || f.kind === 'dnat')
            this.requestNat.add(`${MIRROR[f.field]}|${f.to}|${f.from}`);
        }
      }
    }
    for (const f of findings) {
      if ((f.kind === 'snat' || f.kind === 'dnat') && this.requestNat.has(`${f.field}|${f.from}|${f.to}`)) {
        f.reverses = true;
      }
    }
  }

  private sightings(j: RawJourney): Sighting[] {
    const { st, points, pp } = this.c;
    const out: Sighting[] = [];
    let prev = -1;
    for (const s of j.sightings) {
      const g = st.group[s]!;
      const pi = st.point[s]!;
      const o = { point: points[pi]!.id, time_ns: st.time[s]! } as Sighting;
      if (prev >= 0) {
        o.delta_ns = st.time[s]! - st.time[prev]!;
        if (pp.node[st.point[prev]!] !== pp.node[pi]) o.comparable = false;
      }
      if (st.frame[s]! > 0) o.frame = st.frame[s]!;
      o['ip.src'] = st.srcText(s);
      o['ip.dst'] = st.dstText(s);
      o['ip.ttl'] = st.ttl[s]!;
      if (st.gIpv[g] === 4) o['ip.id'] = st.gIpId[g]!;
      if (st.macSrc[s]! >= 0) {
        o['eth.src'] = st.macText(st.macSrc[s]!);
        o['eth.dst'] = st.macText(st.macDst[s]!);
      }
      const proto = st.gProto[g]!;
      if (proto === 6) {
        o['tcp.srcport'] = st.sport[s]!;
        o['tcp.dstport'] = st.dport[s]!;
        o['tcp.seq_raw'] = st.gSeq[g]!;
        o['tcp.len'] = st.gLen[g]!;
      } else if (proto === 17) {
        o['udp.srcport'] = st.sport[s]!;
        o['udp.dstport'] = st.dport[s]!;
      } else if (proto === 1 && (st.gFlags[g]! >>> 8 === 0 || st.gFlags[g]! >>> 8 === 8)) {
        o['icmp.ident'] = st.sport[s]!;
        o['icmp.seq'] = st.gSeq[g]!;
      }
      const t = st.tunnel[s]!;
      if (t >= 0) o.encap = st.tunnels[t]!;
      const seg = j.segs?.get(s);
      if (seg !== undefined) {
        o.segments = seg.count;
        o.segment_bytes = seg.bytes;
      }
      const dup = j.dups?.get(s);
      if (dup !== undefined) o.duplicates = dup.count;
      out.push(o);
      prev = s;
    }
    return out;
  }
}

/** Whether any address or port differs between consecutive sightings (cheap, no objects). */
function natChanges(st: SightingStore, j: RawJourney): boolean {
  const ss = j.sightings;
  for (let i = 1; i < ss.length; i++) {
    const a = ss[i - 1]!;
    const b = ss[i]!;
    if (
      st.src[a] !== st.src[b] ||
      st.dst[a] !== st.dst[b] ||
      st.sport[a] !== st.sport[b] ||
      st.dport[a] !== st.dport[b]
    ) {
      return true;
    }
  }
  return false;
}
