// DNS queries paired with their answers, from decoded DNS layers (UDP and TCP alike). A query is
// identified by its flow, its 16-bit id and its first question's name; a second copy of an
// unanswered query counts as a retransmission, a second answer as a duplicate. Answers that match
// no query seen (capture started after it) are kept too, marked `unsolicited`.
import type { DnsLayer } from '../decode/layers.ts';
import { jsonNumber } from './json-number.ts';

export interface DnsTransaction {
  flow: number;
  id: number;
  /** First question's name and type (`A`, `AAAA`, `TYPE65`...). */
  qname: string;
  qtype: string;
  status: 'answered' | 'unanswered' | 'unsolicited';
  queryNs?: number;
  answerNs?: number;
  latencyNs?: number;
  /** `NOERROR`, `NXDOMAIN`, ... (`RCODE12` when unnamed). */
  rcode?: string;
  /** Answer records as `TYPE data` (`A 10.0.0.1`, `CNAME svc.example.`). */
  answers?: string[];
  /** Copies of the query seen: more than one means it was retransmitted (or captured twice). */
  queries: number;
  /** Responses seen: more than one means duplicates. */
  responses: number;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  39: 'DNAME',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

const MAX_NAMES = 4096;

export function dnsTypeName(t: number): string {
  return TYPE_NAMES[t] ?? `TYPE${t}`;
}

export function dnsRcodeName(r: number): string {
  return RCODE_NAMES[r] ?? `RCODE${r}`;
}

const UNANSWERED = 0;
const ANSWERED = 1;
const UNSOLICITED = 2;
const STATUS_NAMES: readonly DnsTransaction['status'][] = ['unanswered', 'answered', 'unsolicited'];

/** What a response brought: kept apart, since most transactions of a big capture never get one. */
interface Answer {
  answerNs: number;
  rcode: string;
  answers: string[];
}

function mix(flow: number, id: number): number {
  let h = Math.imul(flow, 0x9e3779b1) ^ id;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * Transactions are kept column-wise in typed arrays, found by (flow, id) through an open-addressing
 * table, and turned into DnsTransaction objects only by `transactions()`: a capture full of
 * unanswered queries (a resolver being hammered) holds hundreds of thousands of them, and one
 * object plus one Map entry each is most of the analysis' memory and garbage-collector work.
 */
export class DnsTracker {
  private n = 0;
  private flows = new Int32Array(1024);
  private ids = new Uint16Array(1024);
  /** The first question's type, or -1 when the message had none. */
  private qtypes = new Int32Array(1024);
  private statuses = new Uint8Array(1024);
  private queryNs = new Float64Array(1024);
  /** Copies of the query and responses seen, two int32 per transaction. */
  private counts = new Int32Array(2048);
  private readonly qnames: string[] = [];
  private readonly answered = new Map<number, Answer>();
  /** Open addressing, linear probing: transaction index + 1 by (flow, id), 0 for a free slot. */
  private slots = new Int32Array(4096);
  private mask = 4095;
  /** The slot `find` stopped at: the transaction's, or the free one where a new one goes. */
  private slot = 0;

  /** Each packet's name is a new string: share one copy per distinct name (up to MAX_NAMES). */
  private readonly names = new Map<string, string>();
  /** The last name `json` quoted, and its JSON text. */
  private lastName = '';
  private lastNameJson = '""';

  get size(): number {
    return this.n;
  }

  private intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size < MAX_NAMES) this.names.set(name, name);
    return name;
  }

  add(flow: number, dns: DnsLayer, tNs: number) {
    const q = dns.questions[0];
    if (!dns.response) {
      this.query(flow, dns.id, q?.name ?? '', q ? q.type : -1, tNs);
      return;
    }
    const qname = this.intern(q?.name ?? '');
    const e = this.find(flow, dns.id);
    if (e >= 0 && (q === undefined || this.qnames[e] === qname)) {
      this.counts[2 * e + 1]!++;
      if (this.statuses[e] === UNANSWERED) {
        this.answered.set(e, answerOf(dns, tNs));
        this.statuses[e] = ANSWERED;
      }
      return;
    }
    const tx = this.push(this.slot, e < 0, flow, dns.id, qname, q ? q.type : -1, UNSOLICITED, 0, 0, 1);
    this.answered.set(tx, answerOf(dns, tNs));
  }

  /** A query of flow `flow` (qtype -1: it had no question). */
  query(flow: number, id: number, name: string, qtype: number, tNs: number) {
    const qname = this.intern(name);
    const e = this.find(flow, id);
    if (e >= 0 && this.statuses[e] === UNANSWERED && this.qnames[e] === qname) {
      this.counts[2 * e]!++;
      return;
    }
    this.push(this.slot, e < 0, flow, id, qname, qtype, UNANSWERED, tNs, 1, 0);
  }

  /** The latest transaction with this flow and id (a new one takes the key over), or -1. */
  private find(flow: number, id: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const flows = this.flows;
    const ids = this.ids;
    let i = mix(flow, id) & mask;
    let e = -1;
    for (;;) {
      const s = slots[i]!;
      if (s === 0) break;
      const tx = s - 1;
      // Both compared every time (no && short cut): code the compiled loop has not run yet would
      // make it start over when first run.
      const sameFlow = flows[tx] === flow;
      const sameId = ids[tx] === id;
      if (sameFlow && sameId) {
        e = tx;
        break;
      }
      i = (i + 1) & mask;
    }
    this.slot = i;
    return e;
  }

  /** A new transaction, put in slot `slot` (free when `fresh`, else the key's previous one). */
  private push(
    slot: number,
    fresh: boolean,
    flow: number,
    id: number,
    qname: string,
    qtype: number,
    status: number,
    queryNs: number,
    queries: number,
    responses: number,
  ): number {
    const tx = this.n++;
    if (tx === this.flows.length) this.growColumns();
    this.flows[tx] = flow;
    this.ids[tx] = id;
    this.qnames.push(qname);
    this.qtypes[tx] = qtype;
    this.statuses[tx] = status;
    this.queryNs[tx] = queryNs;
    this.counts[2 * tx] = queries;
    this.counts[2 * tx + 1] = responses;
    this.slots[slot] = tx + 1;
    if (fresh && this.n * 4 > this.mask * 3) this.growSlots();
    return tx;
  }

  private growColumns() {
    const cap = this.flows.length * 2;
    const grow = <T extends Int32Array | Uint16Array | Uint8Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.flows = grow(this.flows, cap);
    this.ids = grow(this.ids, cap);
    this.qtypes = grow(this.qtypes, cap);
    this.statuses = grow(this.statuses, cap);
    this.queryNs = grow(this.queryNs, cap);
    this.counts = grow(this.counts, 2 * cap);
  }

  private growSlots() {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const s = old[j]!;
      if (s === 0) continue;
      let i = mix(this.flows[s - 1]!, this.ids[s - 1]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = s;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Answered and unsolicited ones in the order they began, then the unanswered ones. */
  transactions(): DnsTransaction[] {
    const order = this.order();
    const out: DnsTransaction[] = new Array(order.length);
    for (let k = 0; k < order.length; k++) out[k] = this.record(order[k]!);
    return out;
  }

  /**
   * What a summary of the top `n` shows, in `transactions()` order: the first `n`, and the `n`
   * slowest answered (slowestDns' choice: latency, ties in that order).
   */
  summaryTransactions(n: number): DnsTransaction[] {
    const order = this.order();
    const keep = new Set<number>();
    for (let k = 0; k < Math.min(n, order.length); k++) keep.add(k);
    const latency = (k: number) => {
      const i = order[k]!;
      return this.answered.get(i)!.answerNs - this.queryNs[i]!;
    };
    const answered: number[] = [];
    for (let k = 0; k < order.length; k++) if (this.statuses[order[k]!] === ANSWERED) answered.push(k);
    answered.sort((x, y) => latency(y) - latency(x) || x - y);
    for (const k of answered.slice(0, Math.max(0, n))) keep.add(k);
    return [...keep].sort((x, y) => x - y).map((k) => this.record(order[k]!));
  }

  /** Transactions still waiting for their answer. */
  get unanswered(): number {
    let n = 0;
    const st = this.statuses;
    for (let i = 0; i < this.n; i++) if (st[i] === UNANSWERED) n++;
    return n;
  }

  /** Indexes of the transactions in `transactions()` order. */
  order(): Int32Array {
    const order = new Int32Array(this.n);
    const st = this.statuses;
    let k = 0;
    for (let i = 0; i < this.n; i++) if (st[i] !== UNANSWERED) order[k++] = i;
    for (let i = 0; i < this.n; i++) if (st[i] === UNANSWERED) order[k++] = i;
    return order;
  }

  /**
   * JSON.stringify(record(i)), written without building the record: the text of a capture's
   * hundreds of thousands of transactions is most of what `analyze -o json` prints.
   */
  json(i: number): string {
    const status = this.statuses[i]!;
    if (status !== UNANSWERED) return JSON.stringify(this.record(i));
    const qname = this.qnames[i]!;
    if (qname !== this.lastName) {
      this.lastName = qname;
      this.lastNameJson = JSON.stringify(qname);
    }
    const qt = this.qtypes[i]!;
    const qtype = qt < 0 ? '""' : qtypeJson(qt);
    return `{"flow":${this.flows[i]},"id":${this.ids[i]},"qname":${this.lastNameJson},"qtype":${qtype},"status":"unanswered","queryNs":${jsonNumber(this.queryNs[i]!)},"queries":${this.counts[2 * i]},"responses":${this.counts[2 * i + 1]}}`;
  }

  /** Transaction `i` as the object it always was: keys in the order they were first set. */
  record(i: number): DnsTransaction {
    const status = this.statuses[i]!;
    const qt = this.qtypes[i]!;
    // Keys in the order the records always had; an unsolicited answer has no query time.
    const t: DnsTransaction = {
      flow: this.flows[i]!,
      id: this.ids[i]!,
      qname: this.qnames[i]!,
      qtype: qt < 0 ? '' : dnsTypeName(qt),
      status: STATUS_NAMES[status]!,
      ...(status === UNSOLICITED ? {} : { queryNs: this.queryNs[i]! }),
      queries: this.counts[2 * i]!,
      responses: this.counts[2 * i + 1]!,
    };
    const a = this.answered.get(i);
    if (status === UNANSWERED || a === undefined) return t;
    t.answerNs = a.answerNs;
    t.rcode = a.rcode;
    t.answers = a.answers;
    if (t.queryNs !== undefined) t.latencyNs = a.answerNs - t.queryNs;
    return t;
  }
}

const QTYPE_JSON = new Map<number, string>();

function qtypeJson(t: number): string {
  let j = QTYPE_JSON.get(t);
  if (j === undefined) {
    j = JSON.stringify(dnsTypeName(t));
    if (QTYPE_JSON.size < 1024) QTYPE_JSON.set(t, j);
  }
  return j;
}

function answerOf(dns: DnsLayer, tNs: number): Answer {
  return {
    answerNs: tNs,
    rcode: dnsRcodeName(dns.rcode),
    answers: dns.answers.map((r) => `${dnsTypeName(r.type)} ${r.data}`),
  };
}
