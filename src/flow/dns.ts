// DNS queries paired with their answers, from decoded DNS layers (UDP and TCP alike). A query is
// identified by its flow, its 16-bit id and its first question's name; a second copy of an
// unanswered query counts as a retransmission, a second answer as a duplicate. Answers that match
// no query seen (capture started after it) are kept too, marked `unsolicited`.
import type { DnsLayer } from '../decode/layers.ts';

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

export class DnsTracker {
  private readonly list: DnsTransaction[] = [];
  /** By flow id × 65536 + DNS id (flow ids stay far below 2^37, so the key is an exact integer). */
  private readonly byKey = new Map<number, DnsTransaction>();

  /** Each packet's name is a new string: share one copy per distinct name (up to MAX_NAMES). */
  private readonly names = new Map<string, string>();

  get size(): number {
    return this.list.length;
  }

  private intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size < MAX_NAMES) this.names.set(name, name);
    return name;
  }

  add(flow: number, dns: DnsLayer, tNs: number) {
    const q = dns.questions[0];
    const qname = this.intern(q?.name ?? '');
    const key = flow * 65536 + dns.id;
    const e = this.byKey.get(key);
    if (!dns.response) {
      if (e !== undefined && e.status === 'unanswered' && e.qname === qname) {
        e.queries++;
        return;
      }
      const tx: DnsTransaction = {
        flow,
        id: dns.id,
        qname,
        qtype: q ? dnsTypeName(q.type) : '',
        status: 'unanswered',
        queryNs: tNs,
        queries: 1,
        responses: 0,
      };
      this.list.push(tx);
      this.byKey.set(key, tx);
      return;
    }
    if (e !== undefined && (q === undefined || e.qname === qname)) {
      e.responses++;
      if (e.status === 'unanswered') {
        fillAnswer(e, dns, tNs);
        e.status = 'answered';
        if (e.queryNs !== undefined) e.latencyNs = tNs - e.queryNs;
      }
      return;
    }
    const tx: DnsTransaction = {
      flow,
      id: dns.id,
      qname,
      qtype: q ? dnsTypeName(q.type) : '',
      status: 'unsolicited',
      queries: 0,
      responses: 1,
    };
    fillAnswer(tx, dns, tNs);
    this.list.push(tx);
    this.byKey.set(key, tx);
  }

  /** Answered and unsolicited ones in the order they began, then the unanswered ones. */
  transactions(): DnsTransaction[] {
    const done = this.list.filter((t) => t.status !== 'unanswered');
    const open = this.list.filter((t) => t.status === 'unanswered');
    return done.concat(open);
  }
}

function fillAnswer(tx: DnsTransaction, dns: DnsLayer, tNs: number) {
  tx.answerNs = tNs;
  tx.rcode = dnsRcodeName(dns.rcode);
  tx.answers = dns.answers.map((r) => `${dnsTypeName(r.type)} ${r.data}`);
}
