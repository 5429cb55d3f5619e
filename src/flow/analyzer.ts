// Conversation analysis of a capture: flows (with their TCP state timelines), non-IP traffic,
// HTTP/1.x transactions and DNS query/answer pairs, fed one decoded packet at a time. `result()`
// is plain JSON: what `nettrace analyze -o json` prints and the renderers read. Times are
// nanoseconds since the capture's first packet (the caller keeps the epoch base).

import { DNS_QUERY, type FlatPacket, L4_TCP } from '../decode/flat-packet.ts';
import type { Packet } from '../decode/packet.ts';
import { DnsTracker, type DnsTransaction } from './dns.ts';
import { type Flow, protoName } from './flow.ts';
import { FlowTable, type NonIpCount } from './flow-table.ts';
import { HttpConnection } from './http.ts';
import { type HttpIssue, HttpLog, type HttpTransaction } from './http-log.ts';
import { mayStartHttp, startsLikeHttp } from './http-start.ts';
import {
  type FlowRecord,
  type FlowSortKey,
  flowJson,
  flowRecord,
  largestFlows,
  sortFlows,
} from './records.ts';
import { TCP_ACK, TCP_STATES, TCP_SYN, type TcpStateName } from './tcp-state.ts';

export type { DnsTransaction } from './dns.ts';
export type { FlowTunnel } from './flow.ts';
export type { NonIpCount } from './flow-table.ts';
export type { HttpIssue, HttpTransaction } from './http-log.ts';
export {
  type FlowRecord,
  type FlowSortKey,
  flowJson,
  flowRecord,
  slowestDns,
  slowestHttp,
  sortFlows,
  topFlows,
} from './records.ts';
export type { TcpStateName, TcpSummary, TcpTransition } from './tcp-state.ts';

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

export interface ResultOptions {
  /** Sort flows (descending, except `first`: first-seen order). Default `first`. */
  sortFlowsBy?: FlowSortKey;
  /** Keep only the first N flows after sorting. */
  top?: number;
  /** Keep only the first N HTTP transactions / DNS transactions (the summary still counts all). */
  maxHttp?: number;
  maxDns?: number;
  /**
   * Only the records a summary of the top N shows (the text output): the N largest flows (by
   * `summaryBy`) and the N largest TCP flows (in first-seen order), the N slowest answered DNS transactions and
   * the first N (in `dns` order); every HTTP transaction. `summary` still counts everything. A
   * capture's flows and DNS transactions run to hundreds of thousands: this builds no record for
   * the rest. Other options are ignored.
   */
  summaryOf?: number;
  /** The order the summary's flows are chosen in (default bytes). */
  summaryBy?: Exclude<FlowSortKey, 'first'>;
}

/** Records made one at a time, for writing a big result without holding all of them. */
export interface RecordList<T> {
  readonly length: number;
  item(i: number): T;
  /** JSON.stringify(item(i)). */
  json(i: number): string;
}

/** ConversationResult with its two big lists as RecordLists (same keys, same order). */
export interface ConversationStream extends Omit<ConversationResult, 'flows' | 'dns'> {
  flows: RecordList<FlowRecord>;
  dns: RecordList<DnsTransaction>;
}

export class ConversationAnalyzer {
  readonly table = new FlowTable();
  private readonly httpLog = new HttpLog();
  private readonly dns = new DnsTracker();
  private packets = 0;
  private firstNs = Number.POSITIVE_INFINITY;
  private lastNs = Number.NEGATIVE_INFINITY;
  private httpConnections = 0;
  /**
   * Each flow's HTTP parser (Flow.http) by flow id: a payload segment reaches its parser without
   * the Flow object, one memory access fewer per segment on a big capture.
   */
  private readonly conns: (HttpConnection | undefined)[] = [undefined];

  /** HTTP parsers made: one per flow whose payload started like HTTP/1.x. */
  get httpParsers(): number {
    return this.httpConnections;
  }

  /** Feeds one decoded packet; returns its flow (undefined for non-IP packets). */
  add(p: Packet, tNs: number, wireLen: number): Flow | undefined {
    const id = this.addPacket(p, tNs, wireLen);
    return id === 0 ? undefined : this.table.flow(id);
  }

  /** `add` returning the flow's id (0 for a non-IP packet). */
  addPacket(p: Packet, tNs: number, wireLen: number): number {
    this.packets++;
    if (tNs < this.firstNs) this.firstNs = tNs;
    if (tNs > this.lastNs) this.lastNs = tNs;
    const table = this.table;
    const id = table.addPacket(p, tNs, wireLen);
    if (id === 0) return 0;
    const key = table.key;
    this.payload(id, key, p.data, tNs);
    const l4 = key.l4Index;
    const next = l4 < 0 ? undefined : p.layers[l4 + 1];
    if (next !== undefined && next.proto === 'dns') this.dns.add(id, next, tNs);
    return id;
  }

  /**
   * A packet the flat decoder read into `key` (a DNS message in it is a plain query; any other is
   * decoded whole and fed to `addPacket`); returns its flow's id (0 for ARP, its only non-IP packet).
   */
  addKey(key: FlatPacket, data: Uint8Array, tNs: number, wireLen: number): number {
    this.packets++;
    if (tNs < this.firstNs) this.firstNs = tNs;
    if (tNs > this.lastNs) this.lastNs = tNs;
    if (key.ipVersion === 0) {
      // The one non-IP packet the flat decoder reads.
      this.table.countArp(wireLen);
      return 0;
    }
    const id = this.table.addKey(key, tNs, wireLen);
    this.payload(id, key, data, tNs);
    if (key.dns === DNS_QUERY) this.dns.query(id, key.dnsId, key.dnsName, key.dnsQtype, tNs);
    return id;
  }

  /** A TCP segment's payload, to the flow's HTTP parser (made when the payload starts like HTTP/1.x). */
  private payload(id: number, key: FlatPacket, data: Uint8Array, tNs: number): void {
    if (key.l4 !== L4_TCP || key.payloadLen <= 0) return;
    const conns = this.conns;
    while (conns.length <= id) conns.push(undefined);
    let h = conns[id];
    const off = key.payloadOffset;
    const cap = key.payloadCaptured;
    if (h === undefined && cap > 0 && mayStartHttp(data[off]!)) {
      const end = off + Math.min(cap, key.payloadLen);
      if (startsLikeHttp(data, off, end) !== 0) {
        h = conns[id] = new HttpConnection(id, this.httpLog);
        this.httpConnections++;
        // On a connection seen from its handshake, the other side's stream goes on where this
        // segment acknowledges it: a response whose first segment comes late is then held for it,
        // not parsed from its second segment (and its head lost). The ACK, not the tracker's
        // highest sequence seen: a 5-tuple reused without a close seen keeps the old one there.
        const tcp = this.table.tcp(id);
        if (key.flags & TCP_ACK && tcp !== undefined && !tcp.pickedUp) {
          h.expect(this.table.dir === 0 ? 1 : 0, key.ack);
        }
      }
    }
    if (h !== undefined) {
      // Data on a SYN (TCP Fast Open) starts one after the SYN's sequence number.
      // As int32, like the parser's own arithmetic (modulo 2^32): a uint32 above 2^31 would not
      // be a small integer, and the compiled code would be thrown away at the first one.
      const seq = key.flags & TCP_SYN ? (key.seq + 1) | 0 : key.seq;
      h.segment(this.table.dir, seq, data, off, cap, key.payloadLen, tNs);
    }
  }

  /**
   * The analysis so far. Flow records are built fresh; HTTP/DNS transaction records are the
   * analyzer's own (plain data, shared to spare memory), so take the result after the last `add`.
   */
  result(opts: ResultOptions = {}): ConversationResult {
    if (opts.summaryOf !== undefined) return this.summaryResult(opts.summaryOf, opts.summaryBy);
    let flows = this.table.flows().map(flowRecord);
    const summary = this.summary();
    if (opts.sortFlowsBy !== undefined && opts.sortFlowsBy !== 'first')
      flows = sortFlows(flows, opts.sortFlowsBy);
    if (opts.top !== undefined) flows = flows.slice(0, Math.max(0, opts.top));
    // The transaction records are handed out as they are (not copied): they are plain data already,
    // and a big capture holds hundreds of thousands of them.
    const allHttp = this.httpLog.transactions;
    const http = opts.maxHttp !== undefined ? allHttp.slice(0, Math.max(0, opts.maxHttp)) : allHttp.slice();
    const allDns = this.dns.transactions();
    const dns = opts.maxDns !== undefined ? allDns.slice(0, Math.max(0, opts.maxDns)) : allDns;
    return { summary, flows, nonIp: this.table.nonIp(), http, httpIssues: this.httpIssues(), dns };
  }

  private summaryResult(n: number, by: Exclude<FlowSortKey, 'first'> = 'bytes'): ConversationResult {
    const table = this.table;
    const kept = new Set([...largestFlows(table, n, false, by), ...largestFlows(table, n, true, by)]);
    const flows = [...kept].sort((x, y) => x - y).map((id) => flowRecord(table.flow(id)));
    return {
      summary: this.summary(),
      flows,
      nonIp: this.table.nonIp(),
      http: this.httpLog.transactions.slice(),
      httpIssues: this.httpIssues(),
      dns: this.dns.summaryTransactions(n),
    };
  }

  /**
   * `result()` (default options) with the flow and DNS records made only when asked for, one at a
   * time: what `analyze -o json` writes, without holding every record at once.
   */
  resultStream(): ConversationStream {
    const table = this.table;
    const order = this.dns.order();
    const dns = this.dns;
    return {
      summary: this.summary(),
      flows: {
        length: table.size,
        item: (i) => flowRecord(table.flow(i + 1)),
        json: (i) => flowJson(table.flow(i + 1)),
      },
      nonIp: this.table.nonIp(),
      http: this.httpLog.transactions.slice(),
      httpIssues: this.httpIssues(),
      dns: { length: order.length, item: (k) => dns.record(order[k]!), json: (k) => dns.json(order[k]!) },
    };
  }

  private summary(): ConversationSummary {
    const flowsByProto: Record<string, number> = {};
    const tcpStates: Partial<Record<TcpStateName, number>> = {};
    const table = this.table;
    for (let id = 1; id <= table.size; id++) {
      const p = table.protoOf(id);
      const proto = protoName(p);
      flowsByProto[proto] = (flowsByProto[proto] ?? 0) + 1;
      if (p === 6) {
        const state = table.tcpStateOf(id);
        tcpStates[state] = (tcpStates[state] ?? 0) + 1;
      }
    }
    const allHttp = this.httpLog.transactions;
    return {
      packets: this.packets,
      ipPackets: this.table.ipPackets,
      nonIpPackets: this.table.nonIpPackets,
      flows: table.size,
      flowsByProto,
      tcpStates: orderedStates(tcpStates),
      httpTransactions: allHttp.length,
      httpUnanswered: allHttp.filter((t) => t.method !== undefined && t.status === undefined).length,
      dnsTransactions: this.dns.size,
      dnsUnanswered: this.dns.unanswered,
      firstNs: this.packets ? this.firstNs : 0,
      lastNs: this.packets ? this.lastNs : 0,
    };
  }

  private httpIssues(): HttpIssue[] {
    // Segments still held at the end: the gap before them never filled (a segment the capture
    // lost), so what they carry was not parsed. Merged into the log's issues in time order, under
    // the same cap.
    const gaps: HttpIssue[] = [];
    for (const h of this.conns) {
      const held = h?.heldSegments();
      if (h === undefined || held === undefined) continue;
      const s = held.count === 1 ? '' : 's';
      gaps.push({
        flow: h.flow,
        tNs: held.tNs,
        message: `${held.count} segment${s} held for a gap in the TCP stream that never filled`,
      });
    }
    gaps.sort((a, b) => a.tNs - b.tNs);
    const log = this.httpLog;
    const issues: HttpIssue[] = [];
    let dropped = log.droppedIssues;
    const add = (is: HttpIssue) => {
      if (issues.length < log.maxIssues) issues.push(is);
      else dropped++;
    };
    let g = 0;
    for (const is of log.issues) {
      while (g < gaps.length && gaps[g]!.tNs < is.tNs) add(gaps[g++]!);
      add(is);
    }
    while (g < gaps.length) add(gaps[g++]!);
    if (dropped > 0) {
      issues.push({ flow: 0, tNs: this.lastNs, message: `${dropped} more issues not listed` });
    }
    return issues;
  }

  /**
   * Objects the analysis holds (flows, transitions, HTTP parsers and their pending/held items, DNS
   * transactions, HTTP transactions, interned addresses): a memory gauge that must not grow with
   * packets of already-known conversations.
   */
  storedObjects(): number {
    let n = this.table.auxObjects + this.httpLog.transactions.length + this.httpLog.issues.length;
    n += this.dns.size + this.httpConnections + this.table.size + this.table.transitions;
    for (const h of this.conns) if (h !== undefined) n += h.heldObjects;
    return n;
  }
}

function orderedStates(s: Partial<Record<TcpStateName, number>>): Partial<Record<TcpStateName, number>> {
  const out: Partial<Record<TcpStateName, number>> = {};
  for (const k of TCP_STATES) if (s[k] !== undefined) out[k] = s[k];
  return out;
}
