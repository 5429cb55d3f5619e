// Conversation analysis of a capture: flows (with their TCP state timelines), non-IP traffic,
// HTTP/1.x transactions and DNS query/answer pairs, fed one decoded packet at a time. `result()`
// is plain JSON: what `nettrace analyze -o json` prints and the renderers read. Times are
// nanoseconds since the capture's first packet (the caller keeps the epoch base).
import type { Packet } from '../decode/packet.ts';
import { DnsTracker, type DnsTransaction } from './dns.ts';
import { type Flow, FlowTable, type FlowTunnel, type NonIpCount } from './flow-table.ts';
import {
  HttpConnection,
  type HttpIssue,
  HttpLog,
  type HttpTransaction,
  mayStartHttp,
  startsLikeHttp,
} from './http.ts';
import { TCP_STATES, TCP_SYN, type TcpStateName, type TcpSummary } from './tcp-state.ts';

export type { DnsTransaction } from './dns.ts';
export type { FlowTunnel, NonIpCount } from './flow-table.ts';
export type { HttpIssue, HttpTransaction } from './http.ts';
export type { TcpStateName, TcpSummary, TcpTransition } from './tcp-state.ts';

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

export interface ConversationSummary {
  packets: number;
  ipPackets: number;
  nonIpPackets: number;
  flows: number;
  /** Flow count per protocol name. */
  flowsByProto: Record<string, number>;
  /** TCP flows per state after their last packet. */
  tcpStates: Partial<Record<TcpStateName, number>>;
  httpTransactions: number;
  /** Requests without a response. */
  httpUnanswered: number;
  dnsTransactions: number;
  dnsUnanswered: number;
  /** First and last packet time (0 when no packet). */
  firstNs: number;
  lastNs: number;
}

export interface ConversationResult {
  summary: ConversationSummary;
  /** First-seen order unless sorted by `ResultOptions`. */
  flows: FlowRecord[];
  nonIp: Record<string, NonIpCount>;
  /** In request order (a response without a seen request: in response order). */
  http: HttpTransaction[];
  httpIssues: HttpIssue[];
  /** Answered/unsolicited in order, then the unanswered ones. */
  dns: DnsTransaction[];
}

export type FlowSortKey = 'first' | 'bytes' | 'packets' | 'duration';

export interface ResultOptions {
  /** Sort flows (descending, except `first`: first-seen order). Default `first`. */
  sortFlowsBy?: FlowSortKey;
  /** Keep only the first N flows after sorting. */
  top?: number;
  /** Keep only the first N HTTP transactions / DNS transactions (the summary still counts all). */
  maxHttp?: number;
  maxDns?: number;
}

const FLOW_KEYS: Record<FlowSortKey, (f: FlowRecord) => number> = {
  first: (f) => -f.id,
  bytes: (f) => f.bytesAB + f.bytesBA,
  packets: (f) => f.packetsAB + f.packetsBA,
  duration: (f) => f.durationNs,
};

/** Flows sorted by `by`, largest first (`first`: first-seen order); ties keep first-seen order. */
export function sortFlows(flows: readonly FlowRecord[], by: FlowSortKey): FlowRecord[] {
  const key = FLOW_KEYS[by];
  return flows.slice().sort((x, y) => key(y) - key(x) || x.id - y.id);
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

export class ConversationAnalyzer {
  readonly table = new FlowTable();
  private readonly httpLog = new HttpLog();
  private readonly dns = new DnsTracker();
  private packets = 0;
  private firstNs = Number.POSITIVE_INFINITY;
  private lastNs = Number.NEGATIVE_INFINITY;
  private httpConnections = 0;

  /** Feeds one decoded packet; returns its flow (undefined for non-IP packets). */
  add(p: Packet, tNs: number, wireLen: number): Flow | undefined {
    this.packets++;
    if (tNs < this.firstNs) this.firstNs = tNs;
    if (tNs > this.lastNs) this.lastNs = tNs;
    const table = this.table;
    const f = table.add(p, tNs, wireLen);
    const l4 = table.l4;
    if (f === undefined || l4 < 0) return f;
    const layers = p.layers;
    const t = layers[l4]!;
    if (t.proto === 'tcp' && t.payloadLen > 0) {
      let h = f.http;
      if (h === undefined && t.payloadCaptured > 0 && mayStartHttp(p.data[t.payloadOffset]!)) {
        const end = t.payloadOffset + Math.min(t.payloadCaptured, t.payloadLen);
        if (startsLikeHttp(p.data, t.payloadOffset, end) !== 0) {
          h = f.http = new HttpConnection(f.id, this.httpLog);
          this.httpConnections++;
        }
      }
      if (h !== undefined) {
        // Data on a SYN (TCP Fast Open) starts one after the SYN's sequence number.
        const seq = t.flags & TCP_SYN ? (t.seq + 1) >>> 0 : t.seq;
        h.segment(table.dir, seq, p.data, t.payloadOffset, t.payloadCaptured, t.payloadLen, tNs);
      }
    }
    const next = layers[l4 + 1];
    if (next !== undefined && next.proto === 'dns') this.dns.add(f.id, next, tNs);
    return f;
  }

  /**
   * The analysis so far. Flow records are built fresh; HTTP/DNS transaction records are the
   * analyzer's own (plain data, shared to spare memory), so take the result after the last `add`.
   */
  result(opts: ResultOptions = {}): ConversationResult {
    let flows = this.table.flows().map(flowRecord);
    const flowsByProto: Record<string, number> = {};
    const tcpStates: Partial<Record<TcpStateName, number>> = {};
    for (const f of flows) {
      flowsByProto[f.proto] = (flowsByProto[f.proto] ?? 0) + 1;
      if (f.tcp) tcpStates[f.tcp.state] = (tcpStates[f.tcp.state] ?? 0) + 1;
    }
    // The transaction records are handed out as they are (not copied): they are plain data already,
    // and a big capture holds hundreds of thousands of them.
    const allHttp = this.httpLog.transactions;
    const allDns = this.dns.transactions();
    const httpIssues = this.httpLog.issues.slice();
    if (this.httpLog.droppedIssues > 0) {
      httpIssues.push({
        flow: 0,
        tNs: this.lastNs,
        message: `${this.httpLog.droppedIssues} more issues not listed`,
      });
    }
    const summary: ConversationSummary = {
      packets: this.packets,
      ipPackets: this.table.ipPackets,
      nonIpPackets: this.table.nonIpPackets,
      flows: flows.length,
      flowsByProto,
      tcpStates: orderedStates(tcpStates),
      httpTransactions: allHttp.length,
      httpUnanswered: allHttp.filter((t) => t.method !== undefined && t.status === undefined).length,
      dnsTransactions: allDns.length,
      dnsUnanswered: allDns.filter((t) => t.status === 'unanswered').length,
      firstNs: this.packets ? this.firstNs : 0,
      lastNs: this.packets ? this.lastNs : 0,
    };
    if (opts.sortFlowsBy !== undefined && opts.sortFlowsBy !== 'first')
      flows = sortFlows(flows, opts.sortFlowsBy);
    if (opts.top !== undefined) flows = flows.slice(0, Math.max(0, opts.top));
    const http = opts.maxHttp !== undefined ? allHttp.slice(0, Math.max(0, opts.maxHttp)) : allHttp.slice();
    const dns = opts.maxDns !== undefined ? allDns.slice(0, Math.max(0, opts.maxDns)) : allDns;
    return { summary, flows, nonIp: this.table.nonIp(), http, httpIssues, dns };
  }

  /**
   * Objects the analysis holds (flows, transitions, HTTP parsers and their pending/held items, DNS
   * transactions, HTTP transactions, interned addresses): a memory gauge that must not grow with
   * packets of already-known conversations.
   */
  storedObjects(): number {
    let n = this.table.auxObjects + this.httpLog.transactions.length + this.httpLog.issues.length;
    n += this.dns.size + this.httpConnections;
    for (const f of this.table.flows()) {
      n++;
      if (f.tcp) n += 1 + f.tcp.transitions.length;
      if (f.http) n += f.http.heldObjects;
    }
    return n;
  }
}

function orderedStates(s: Partial<Record<TcpStateName, number>>): Partial<Record<TcpStateName, number>> {
  const out: Partial<Record<TcpStateName, number>> = {};
  for (const k of TCP_STATES) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
