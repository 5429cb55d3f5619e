// From fingerprint groups to journeys: one journey per passage of a packet along the path. Copies
// of a packet at one point close together in time are duplicates of one passage; copies further
// apart are a new passage (the same bytes sent again). Then TSO/GSO: a super-packet seen on a veth
// and its segments seen on a NIC have different fingerprints, so they are joined by TCP sequence
// range here.
import type { SightingStore } from './store.ts';

export interface Dup {
  /** Extra identical copies at this point. */
  count: number;
  /** From the first copy to the last. */
  deltaNs: number;
}

export interface Segs {
  count: number;
  bytes: number;
}

export interface RawJourney {
  group: number;
  /** Sighting indices; in path order once the direction is known. */
  sightings: number[];
  /** Keyed by sighting index. */
  dups: Map<number, Dup> | undefined;
  /** TSO/GSO segments standing for the journey's super-packet at a point, keyed by sighting index. */
  segs: Map<number, Segs> | undefined;
  /** 0 for the first passage of these bytes, 1 for the next, ... */
  pass: number;
  reply: boolean;
  /** Time of the first sighting in path order. */
  start: number;
}

function journey(group: number, sightings: number[], pass: number): RawJourney {
  // start begins as a non-integer so V8 stores it as a double from the outset: turning a small-integer
  // field into a double later migrates every one of a million objects.
  return { group, sightings, dups: undefined, segs: undefined, pass, reply: false, start: Number.NaN };
}

/** The same headers: a copy of one packet at one point rather than a second trip through it. */
function identical(st: SightingStore, a: number, b: number): boolean {
  return (
    st.src[a] === st.src[b] &&
    st.dst[a] === st.dst[b] &&
    st.sport[a] === st.sport[b] &&
    st.dport[a] === st.dport[b] &&
    st.ttl[a] === st.ttl[b] &&
    st.macSrc[a] === st.macSrc[b] &&
    st.macDst[a] === st.macDst[b] &&
    st.tunnel[a] === st.tunnel[b]
  );
}

export function buildPasses(st: SightingStore, npoints: number, windowNs: number): RawJourney[] {
  const out: RawJourney[] = [];
  const stamp = new Int32Array(npoints).fill(-1);
  for (let g = 0; g < st.gn; g++) {
    // Fast path: at most one sighting per point, the overwhelmingly common case.
    let distinct = true;
    // Sized up front: a million journeys of three sightings should not each carry push() slack.
    const list: number[] = new Array(st.gCount[g]!);
    let k = 0;
    for (let s = st.gFirst[g]!; s >= 0; s = st.next[s]!) {
      const p = st.point[s]!;
      if (stamp[p] === g) distinct = false;
      stamp[p] = g;
      list[k++] = s;
    }
    if (distinct) {
      out.push(journey(g, list, 0));
      continue;
    }
    splitPasses(st, g, list, windowNs, out);
  }
  return out;
}

interface Cluster {
  primary: number;
  dup: Dup | undefined;
  extras: number[];
}

function splitPasses(
  st: SightingStore,
  g: number,
  list: number[],
  windowNs: number,
  out: RawJourney[],
): void {
  const byPoint = new Map<number, number[]>();
  for (const s of list) {
    const p = st.point[s]!;
    const l = byPoint.get(p);
    if (l) l.push(s);
    else byPoint.set(p, [s]);
  }
  const clustersByPoint: Cluster[][] = [];
  let passes = 0;
  for (const ss of byPoint.values()) {
    ss.sort((a, b) => st.time[a]! - st.time[b]!);
    const cs: Cluster[] = [];
    let cur: Cluster | undefined;
    for (const s of ss) {
      if (cur !== undefined && st.time[s]! - st.time[cur.primary]! <= windowNs) {
        if (identical(st, s, cur.primary)) {
          cur.dup ??= { count: 0, deltaNs: 0 };
          cur.dup.count++;
          cur.dup.deltaNs = st.time[s]! - st.time[cur.primary]!;
        } else {
          // Same packet, other headers, at one point: it came back through (a hairpin).
          cur.extras.push(s);
        }
        continue;
      }
      cur = { primary: s, dup: undefined, extras: [] };
      cs.push(cur);
    }
    clustersByPoint.push(cs);
    if (cs.length > passes) passes = cs.length;
  }
  for (let k = 0; k < passes; k++) {
    const j = journey(g, [], k);
    for (const cs of clustersByPoint) {
      const c = cs[k];
      if (c === undefined) continue;
      j.sightings.push(c.primary, ...c.extras);
      if (c.dup) {
        j.dups ??= new Map();
        j.dups.set(c.primary, c.dup);
      }
    }
    out.push(j);
  }
}

const SEQ_SPAN = 4294967296;

/**
 * Joins TCP segments to the super-packet they were cut from (or merged into, by GRO): journeys
 * missing some points whose data lies inside a bigger journey's sequence range, with the same
 * acknowledgement, seen only at points the bigger one was not seen at. The segments' sightings
 * become one sighting of the bigger journey per point (`segs`). Returns the journeys left.
 */
export function coalesceSegments(st: SightingStore, js: RawJourney[], npoints: number): RawJourney[] {
  const byAck = new Map<number, RawJourney[]>();
  for (const j of js) {
    const g = j.group;
    if (st.gProto[g] !== 6 || st.gLen[g] === 0 || j.sightings.length >= npoints) continue;
    const l = byAck.get(st.gAck[g]!);
    if (l) l.push(j);
    else byAck.set(st.gAck[g]!, [j]);
  }
  const consumed = new Set<RawJourney>();
  for (const bucket of byAck.values()) {
    if (bucket.length < 2) continue;
    bucket.sort((a, b) => st.gLen[b.group]! - st.gLen[a.group]!);
    for (const x of bucket) {
      if (consumed.has(x)) continue;
      const xs = st.gSeq[x.group]!;
      const xl = st.gLen[x.group]!;
      const xPoints = new Set(x.sightings.map((s) => st.point[s]!));
      const parts: { off: number; j: RawJourney }[] = [];
      for (const y of bucket) {
        if (y === x || consumed.has(y)) continue;
        const yl = st.gLen[y.group]!;
        const off = (st.gSeq[y.group]! - xs + SEQ_SPAN) % SEQ_SPAN;
        if (yl >= xl || off + yl > xl) continue;
        if (y.sightings.some((s) => xPoints.has(st.point[s]!))) continue;
        parts.push({ off, j: y });
      }
      if (parts.length === 0) continue;
      parts.sort((a, b) => a.off - b.off);
      const atPoint = new Map<number, { first: number; count: number; bytes: number; seen: Set<number> }>();
      for (const { off, j } of parts) {
        consumed.add(j);
        for (const s of j.sightings) {
          const p = st.point[s]!;
          let m = atPoint.get(p);
          if (m === undefined) {
            m = { first: s, count: 0, bytes: 0, seen: new Set() };
            atPoint.set(p, m);
          }
          if (m.seen.has(off)) continue; // the same range twice: a resent segment, not a new one
          m.seen.add(off);
          m.count++;
          m.bytes += st.gLen[j.group]!;
        }
      }
      for (const m of atPoint.values()) {
        x.sightings.push(m.first);
        x.segs ??= new Map();
        x.segs.set(m.first, { count: m.count, bytes: m.bytes });
      }
    }
  }
  return consumed.size === 0 ? js : js.filter((j) => !consumed.has(j));
}
