// Flows, HTTP and DNS transactions as JSON-ready records, their JSON text, and the orders the
// summaries list them in.
import type { DnsTransaction } from './dns.ts';
import type { Flow, FlowTunnel } from './flow.ts';
import type { HttpTransaction } from './http-log.ts';
import { jsonNumber } from './json-number.ts';
import type { TcpSummary } from './tcp-state.ts';

/** One flow, JSON-ready. Side A is the initiator. */
export interface FlowRecord {
  id: number;
  ipVersion: 4 | 6;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, or `ip-N`. */
  proto: string;
  a: string;
  /** TCP/UDP port; ICMP echo identifier; 0 when none. */
  aPort: number;
  b: string;
  bPort: number;
  packetsAB: number;
  packetsBA: number;
  bytesAB: number;
  bytesBA: number;
  firstNs: number;
  lastNs: number;
  durationNs: number;
  /** The tunnel around the flow's first packet. */
  tunnel?: FlowTunnel;
  tcp?: TcpSummary;
}

export type FlowSortKey = 'first' | 'bytes' | 'packets' | 'duration';

/** A flow's bytes both ways (a Flow or its record). */
const bytesOf = (f: { bytesAB: number; bytesBA: number }) => f.bytesAB + f.bytesBA;

const FLOW_KEYS: Record<FlowSortKey, (f: FlowRecord) => number> = {
  first: (f) => -f.id,
  bytes: bytesOf,
  packets: (f) => f.packetsAB + f.packetsBA,
  duration: (f) => f.durationNs,
};

/** By `key`, largest first; ties in first-seen order (id). */
const largestFirst =
  <T extends { id: number }>(key: (f: T) => number) =>
  (x: T, y: T) =>
    key(y) - key(x) || x.id - y.id;

/** Flows sorted by `by`, largest first (`first`: first-seen order); ties keep first-seen order. */
export function sortFlows(flows: readonly FlowRecord[], by: FlowSortKey): FlowRecord[] {
  return flows.slice().sort(largestFirst(FLOW_KEYS[by]));
}

export function topFlows(flows: readonly FlowRecord[], n: number, by: FlowSortKey = 'bytes'): FlowRecord[] {
  return sortFlows(flows, by).slice(0, Math.max(0, n));
}

/** Answered HTTP transactions, slowest first. */
export function slowestHttp(http: readonly HttpTransaction[], n: number): HttpTransaction[] {
  return http
    .filter((t) => t.latencyNs !== undefined)
    .sort((x, y) => y.latencyNs! - x.latencyNs!)
    .slice(0, Math.max(0, n));
}

/** Answered DNS transactions, slowest first. */
export function slowestDns(dns: readonly DnsTransaction[], n: number): DnsTransaction[] {
  return dns
    .filter((t) => t.latencyNs !== undefined)
    .sort((x, y) => y.latencyNs! - x.latencyNs!)
    .slice(0, Math.max(0, n));
}

export function flowRecord(f: Flow): FlowRecord {
  const r: FlowRecord = {
    id: f.id,
    ipVersion: f.ipVersion,
    proto: f.protoName,
    a: f.aAddr,
    aPort: f.aPort,
    b: f.bAddr,
    bPort: f.bPort,
    packetsAB: f.packetsAB,
    packetsBA: f.packetsBA,
    bytesAB: f.bytesAB,
    bytesBA: f.bytesBA,
    firstNs: f.firstNs,
    lastNs: f.lastNs,
    durationNs: f.lastNs - f.firstNs,
  };
  if (f.tunnel) r.tunnel = { ...f.tunnel };
  if (f.tcp) r.tcp = f.tcp.summary();
  return r;
}

/**
 * JSON.stringify(flowRecord(f)), without building the record (a big capture has tens of thousands
 * of flows, each record several objects).
 */
export function flowJson(f: Flow): string {
  // Protocol names and IPv4 addresses never need escaping (letters, digits, '-', '.').
  const v4 = f.ipVersion === 4;
  let s =
    `{"id":${f.id},"ipVersion":${f.ipVersion},"proto":"${f.protoName}",` +
    `"a":${v4 ? `"${f.aAddr}"` : JSON.stringify(f.aAddr)},"aPort":${f.aPort},` +
    `"b":${v4 ? `"${f.bAddr}"` : JSON.stringify(f.bAddr)},"bPort":${f.bPort},` +
    `"packetsAB":${jsonNumber(f.packetsAB)},"packetsBA":${jsonNumber(f.packetsBA)},"bytesAB":${jsonNumber(f.bytesAB)},` +
    `"bytesBA":${jsonNumber(f.bytesBA)},"firstNs":${jsonNumber(f.firstNs)},"lastNs":${jsonNumber(f.lastNs)},` +
    `"durationNs":${jsonNumber(f.lastNs - f.firstNs)}`;
  if (f.tunnel) s += `,"tunnel":${JSON.stringify(f.tunnel)}`;
  if (f.tcp) s += `,"tcp":${f.tcp.summaryJson()}`;
  return `${s}}`;
}

/** What largestFlows reads of a flow table: flows by id, without a view of each. */
export interface FlowIndex {
  readonly size: number;
  totalBytes(id: number): number;
  totalPackets(id: number): number;
  firstNs(id: number): number;
  lastNs(id: number): number;
  protoOf(id: number): number;
}

/** sortFlows' keys, read from the table. */
const INDEX_KEYS: Record<Exclude<FlowSortKey, 'first'>, (t: FlowIndex, id: number) => number> = {
  bytes: (t, id) => t.totalBytes(id),
  packets: (t, id) => t.totalPackets(id),
  duration: (t, id) => t.lastNs(id) - t.firstNs(id),
};

/**
 * Ids of the `top` flows largest by `by` (bytes and packets count both directions; ties: first seen
 * first), of all flows or only TCP ones, in that order: what a summary lists, without a view of
 * every flow. sortFlows' order.
 */
export function largestFlows(
  table: FlowIndex,
  top: number,
  tcpOnly: boolean,
  by: Exclude<FlowSortKey, 'first'> = 'bytes',
): number[] {
  const key = INDEX_KEYS[by];
  const before = (x: number, y: number) => key(table, y) - key(table, x) || x - y;
  const n = Math.max(0, Math.floor(top));
  if (n > 64) {
    // Many asked for (--top 20000): one sort of them all, not an insertion per flow.
    const ids: number[] = [];
    for (let id = 1; id <= table.size; id++) if (!tcpOnly || table.protoOf(id) === 6) ids.push(id);
    return ids.sort(before).slice(0, n);
  }
  const best: number[] = [];
  for (let id = 1; id <= table.size && n > 0; id++) {
    if (tcpOnly && table.protoOf(id) !== 6) continue;
    if (best.length === n && before(id, best[n - 1]!) >= 0) continue;
    // Kept sorted; a new one goes in its place (n is a summary's few, so this is cheap).
    let i = best.length === n ? n - 1 : best.length;
    while (i > 0 && before(id, best[i - 1]!) < 0) {
      best[i] = best[i - 1]!;
      i--;
    }
    best[i] = id;
  }
  return best;
}
