// Journeys related to other journeys: a reply answers a request (scapy's answers(): ICMP echo
// id/seq, TCP ack = seq + len, DNS id, UDP ports reversed), a retransmission carries data an
// earlier journey carried. (A reply's NAT undoing its request's is marked in materialize.ts.)
import { isEcho } from './findings.ts';
import type { RawJourney } from './passes.ts';
import type { SightingStore } from './store.ts';

function h32(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  h = Math.imul(h ^ d, 0x27d4eb2f);
  return h ^ (h >>> 15); // signed: a small integer to V8, no boxing as a Map key
}

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

/** The data a journey carries, for finding it again under another IP ID. */
function sameData(st: SightingStore, g: number, h: number): boolean {
  return (
    st.gProto[g] === st.gProto[h] &&
    st.gSeq[g] === st.gSeq[h] &&
    st.gLen[g] === st.gLen[h] &&
    st.gPhash[g] === st.gPhash[h] &&
    (st.gFlags[g]! & (SYN | FIN | RST)) === (st.gFlags[h]! & (SYN | FIN | RST)) &&
    st.gApp[g] === st.gApp[h]
  );
}

/** For each journey: the index of the first journey that carried the same data, or -1. */
export function findRetransmissions(st: SightingStore, js: RawJourney[]): Int32Array {
  const out = new Int32Array(js.length).fill(-1);
  const firstOfGroup = new Int32Array(st.gn).fill(-1);
  // Open addressing over journey indices (+1), checked with sameData: 32-bit keys collide.
  let size = 1024;
  while (size < js.length * 2) size *= 2;
  const table = new Int32Array(size);
  const mask = size - 1;
  for (let i = 0; i < js.length; i++) {
    const j = js[i]!;
    const g = j.group;
    if (j.pass > 0) {
      // Identical bytes again after the duplicate window: sent again.
      out[i] = firstOfGroup[g]!;
      continue;
    }
    firstOfGroup[g] = i;
    const proto = st.gProto[g]!;
    let key: number;
    if (proto === 6 && (st.gLen[g]! > 0 || st.gFlags[g]! & (SYN | FIN))) {
      // The same data under a new IP ID (and maybe a newer ack): a TCP retransmission.
      key = h32(st.gSeq[g]!, st.gLen[g]!, st.gPhash[g]!, st.gFlags[g]! & (SYN | FIN | RST));
    } else if (proto === 17 && st.gApp[g]! >= 0 && st.gApp[g]! >>> 16 === 0) {
      key = h32(17, st.gLen[g]!, st.gPhash[g]!, st.gApp[g]!);
    } else {
      continue;
    }
    let slot = key & mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) {
        table[slot] = i + 1;
        break;
      }
      if (sameData(st, js[e - 1]!.group, g)) {
        out[i] = e - 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return out;
}

const ICMP_ANSWER_OF: Record<number, number> = { 0: 8, 14: 13, 16: 15, 18: 17, 129: 128 };

/** Same point, source and destination swapped (addresses and ports). */
function mirrored(st: SightingStore, a: RawJourney, b: RawJourney): boolean {
  for (const x of a.sightings) {
    for (const y of b.sightings) {
      if (
        st.point[x] === st.point[y] &&
        st.src[x] === st.dst[y] &&
        st.dst[x] === st.src[y] &&
        st.sport[x] === st.dport[y] &&
        st.dport[x] === st.sport[y]
      ) {
        return true;
      }
    }
  }
  return false;
}

/**
 * Among candidate requests: the latest before the reply that it mirrors, else the latest before
 * it, else (clocks misordered them) the first.
 */
function choose(st: SightingStore, js: RawJourney[], cands: number[] | undefined, r: number): number {
  if (cands === undefined || cands.length === 0) return -1;
  let mirror = -1;
  let before = -1;
  for (const c of cands) {
    if (c > r && mirror >= 0) break;
    if (mirrored(st, js[c]!, js[r]!)) mirror = c;
    if (c < r) before = c;
  }
  return mirror >= 0 ? mirror : before >= 0 ? before : cands[0]!;
}

function push(m: Map<number, number[]>, k: number, v: number): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Requests by IPv4 ID | protocol << 16, for ICMP errors (built only when there is one). */
function requestsByIpId(st: SightingStore, js: RawJourney[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < js.length; i++) {
    const g = js[i]!.group;
    if (!js[i]!.reply && st.gIpv[g] === 4) push(m, st.gIpId[g]! | (st.gProto[g]! << 16), i);
  }
  return m;
}

/** For each journey: the index of the request it answers, or -1 (requests answer nothing). */
export function pairReplies(st: SightingStore, js: RawJourney[]): Int32Array {
  const out = new Int32Array(js.length).fill(-1);
  const icmp = new Map<number, number[]>();
  const tcp = new Map<number, number[]>();
  const dns = new Map<number, number[]>();
  const udp = new Map<number, number[]>();
  let replies = 0;
  for (const j of js) if (j.reply) replies++;
  if (replies === 0) return out;
  for (let i = 0; i < js.length; i++) {
    const j = js[i]!;
    if (j.reply) continue;
    const g = j.group;
    const proto = st.gProto[g]!;
    const first = j.sightings[0]!;
    if ((proto === 1 || proto === 58) && isEcho(st, g)) {
      push(icmp, h32(proto, st.gFlags[g]! >>> 8, st.gSeq[g]!, st.sport[first]!), i);
    } else if (proto === 6) {
      const f = st.gFlags[g]!;
      const len = st.gLen[g]! + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);
      if (len > 0) push(tcp, (st.gSeq[g]! + len) | 0, i);
    } else if (proto === 17) {
      const app = st.gApp[g]!;
      if (app >= 0) push(dns, app & 0xffff, i);
      else
        push(
          udp,
          h32(st.point[first]!, st.src[first]!, st.dst[first]!, (st.sport[first]! << 16) | st.dport[first]!),
          i,
        );
    }
  }
  let errors: Map<number, number[]> | undefined;
  for (let i = 0; i < js.length; i++) {
    const j = js[i]!;
    if (!j.reply) continue;
    const g = j.group;
    const proto = st.gProto[g]!;
    if ((proto === 1 || proto === 58) && isEcho(st, g)) {
      const reqType = ICMP_ANSWER_OF[st.gFlags[g]! >>> 8];
      if (reqType === undefined) continue;
      // The querier's side is the reply's last sighting, where the identifier is un-NATed.
      for (const k of [j.sightings[j.sightings.length - 1]!, j.sightings[0]!]) {
        const c = icmp.get(h32(proto, reqType, st.gSeq[g]!, st.sport[k]!));
        if (c !== undefined) {
          out[i] = choose(st, js, c, i);
          break;
        }
      }
    } else if (proto === 1 && st.gApp[g]! >= 0) {
      // An ICMP error answers the packet it quotes: same IP ID and protocol.
      errors ??= requestsByIpId(st, js);
      out[i] = choose(st, js, errors.get(st.gApp[g]!), i);
    } else if (proto === 6 && st.gFlags[g]! & ACK) {
      out[i] = choose(st, js, tcp.get(st.gAck[g]! | 0), i);
    } else if (proto === 17) {
      const app = st.gApp[g]!;
      if (app >= 0) {
        if (app >>> 16) out[i] = choose(st, js, dns.get(app & 0xffff), i);
        continue;
      }
      for (const s of j.sightings) {
        const c = udp.get(h32(st.point[s]!, st.dst[s]!, st.src[s]!, (st.dport[s]! << 16) | st.sport[s]!));
        if (c !== undefined) {
          out[i] = choose(st, js, c, i);
          break;
        }
      }
    }
  }
  return out;
}
