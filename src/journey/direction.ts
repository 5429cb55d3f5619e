// Which way a journey travels the path: "request" (ascending point order) or "reply" (descending).
// Evidence, strongest first:
//  1. two sightings on one node (one clock): the later one is further along the way it travels;
//  2. the caller's flow selector (which side initiates);
//  3. the protocol's own word: ICMP echo request/reply, TCP SYN vs SYN-ACK, the DNS QR bit;
//  4. a tuple (point, addresses, ports) already seen travelling one way: its reverse goes the other;
//  5. sightings on different nodes in time order (clock offsets can fool this, so it comes late);
//  otherwise "request".
import type { RawJourney } from './passes.ts';
import type { SightingStore } from './store.ts';
import type { FlowSelector } from './types.ts';

export interface PathPoints {
  order: Float64Array;
  node: Int32Array;
}

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** 1 request, -1 reply, 0 no match. */
function selectorVote(st: SightingStore, j: RawJourney, sel: FlowSelector): number {
  const g = j.group;
  const proto = typeof sel.proto === 'string' ? PROTO_NUMBERS[sel.proto] : sel.proto;
  if (proto !== undefined && st.gProto[g] !== proto) return 0;
  const ports = st.gProto[g] === 6 || st.gProto[g] === 17;
  for (const s of j.sightings) {
    const src = st.srcText(s);
    const dst = st.dstText(s);
    const sp = ports ? st.sport[s]! : -1;
    const dp = ports ? st.dport[s]! : -1;
    const fwd =
      (sel.src === undefined || sel.src === src) &&
      (sel.dst === undefined || sel.dst === dst) &&
      (sel.sport === undefined || sel.sport === sp) &&
      (sel.dport === undefined || sel.dport === dp);
    if (
      fwd &&
      (sel.src !== undefined || sel.dst !== undefined || sel.sport !== undefined || sel.dport !== undefined)
    ) {
      return 1;
    }
    const rev =
      (sel.src === undefined || sel.src === dst) &&
      (sel.dst === undefined || sel.dst === src) &&
      (sel.sport === undefined || sel.sport === dp) &&
      (sel.dport === undefined || sel.dport === sp);
    if (
      rev &&
      (sel.src !== undefined || sel.dst !== undefined || sel.sport !== undefined || sel.dport !== undefined)
    ) {
      return -1;
    }
  }
  return 0;
}

const ICMP_REQUEST = new Set([8, 13, 15, 17]);
const ICMP_REPLY = new Set([0, 14, 16, 18]);
const ICMP_ERROR = new Set([3, 4, 5, 11, 12]);

function protocolVote(st: SightingStore, g: number): number {
  const proto = st.gProto[g]!;
  const f = st.gFlags[g]!;
  if (proto === 6) {
    if ((f & 0x12) === 0x02) return 1;
    if ((f & 0x12) === 0x12) return -1;
  } else if (proto === 1) {
    if (ICMP_REQUEST.has(f >>> 8)) return 1;
    // an error travels back towards the sender of what it quotes
    if (ICMP_REPLY.has(f >>> 8) || ICMP_ERROR.has(f >>> 8)) return -1;
  } else if (proto === 58) {
    if (f >>> 8 === 128) return 1;
    if (f >>> 8 === 129 || f >>> 8 < 5) return -1;
  } else if (proto === 17 && st.gApp[g]! >= 0) {
    return st.gApp[g]! >>> 16 ? -1 : 1;
  }
  return 0;
}

/** Order against time among sightings sharing a clock: +1 ascending, -1 descending, 0 unknown. */
function sameNodeVote(st: SightingStore, pp: PathPoints, ss: number[]): number {
  let vote = 0;
  for (let i = 0; i < ss.length; i++) {
    const a = ss[i]!;
    for (let k = i + 1; k < ss.length; k++) {
      const b = ss[k]!;
      const pa = st.point[a]!;
      const pb = st.point[b]!;
      if (pp.node[pa] !== pp.node[pb]) continue;
      const dOrder = pp.order[pb]! - pp.order[pa]!;
      const dTime = st.time[b]! - st.time[a]!;
      if (dOrder === 0 || dTime === 0) continue;
      vote += dOrder > 0 === dTime > 0 ? 1 : -1;
    }
  }
  return Math.sign(vote);
}

function crossNodeVote(st: SightingStore, pp: PathPoints, ss: number[]): number {
  let first = ss[0]!;
  let last = first;
  for (const s of ss) {
    if (st.time[s]! < st.time[first]!) first = s;
    if (st.time[s]! > st.time[last]!) last = s;
  }
  const d = pp.order[st.point[last]!]! - pp.order[st.point[first]!]!;
  return Math.sign(d);
}

function tupleKey(st: SightingStore, s: number, reverse: boolean): number {
  const g = st.group[s]!;
  const a = reverse ? st.dst[s]! : st.src[s]!;
  const b = reverse ? st.src[s]! : st.dst[s]!;
  const pa = reverse ? st.dport[s]! : st.sport[s]!;
  const pb = reverse ? st.sport[s]! : st.dport[s]!;
  let h = Math.imul(st.point[s]! ^ (st.gProto[g]! << 16) ^ (st.gIpv[g]! << 24), 0x9e3779b1);
  h = Math.imul(h ^ a, 0x85ebca6b);
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ ((pa << 16) | pb), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

export function decideDirections(
  st: SightingStore,
  pp: PathPoints,
  js: RawJourney[],
  selector: FlowSelector | undefined,
): void {
  const undecided: RawJourney[] = [];
  const vote = new Int8Array(js.length);
  for (let i = 0; i < js.length; i++) {
    const j = js[i]!;
    let dir = j.sightings.length > 1 ? sameNodeVote(st, pp, j.sightings) : 0;
    if (dir === 0 && selector !== undefined) dir = selectorVote(st, j, selector);
    if (dir === 0) dir = protocolVote(st, j.group);
    vote[i] = dir;
    j.reply = dir < 0;
    if (dir === 0) undecided.push(j);
  }
  if (undecided.length === 0) return;
  const learned = new Map<number, number>();
  for (let i = 0; i < js.length; i++) {
    if (vote[i] === 0) continue;
    for (const s of js[i]!.sightings) learned.set(tupleKey(st, s, false), vote[i]!);
  }
  for (const j of undecided) {
    let dir = 0;
    for (const s of j.sightings) {
      dir = learned.get(tupleKey(st, s, false)) ?? -(learned.get(tupleKey(st, s, true)) ?? 0);
      if (dir !== 0) break;
    }
    if (dir === 0 && j.sightings.length > 1) dir = crossNodeVote(st, pp, j.sightings);
    j.reply = dir < 0;
  }
}

/** Puts each journey's sightings in path order and sets its start time. */
export function orderSightings(st: SightingStore, pp: PathPoints, js: RawJourney[]): void {
  for (const j of js) {
    const ss = j.sightings;
    const sign = j.reply ? -1 : 1;
    // Insertion sort: a journey has a handful of sightings.
    for (let i = 1; i < ss.length; i++) {
      const x = ss[i]!;
      const ox = sign * pp.order[st.point[x]!]!;
      let k = i - 1;
      for (; k >= 0; k--) {
        const y = ss[k]!;
        const oy = sign * pp.order[st.point[y]!]!;
        if (oy < ox || (oy === ox && st.time[y]! <= st.time[x]!)) break;
        ss[k + 1] = y;
      }
      ss[k + 1] = x;
    }
    j.start = st.time[ss[0]!]!;
  }
}
