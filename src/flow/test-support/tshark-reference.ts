// Both sides of the flow differential (tshark-diff.test.ts) in one shape: tshark's conversation
// tables and DNS/HTTP/TCP packet fields, and nettrace's analysis, as comparable records.
import assert from 'node:assert/strict';
import type { ConversationResult } from '../analyzer.ts';

/** One 5-tuple's traffic, oriented from `from` to `to` (its two endpoints, as `addr:port`). */
export interface Conversation {
  proto: 'tcp' | 'udp';
  from: string;
  to: string;
  frames: [number, number];
  /** Bytes per direction and the divisor they are given in (1, 1000 for tshark's kB, 1e6 for MB). */
  bytes: [number, number];
  unit: [number, number];
  /** Relative start (`S.NNNNNNNNN`) and duration (`S.NNNN`), as tshark prints them. */
  start: string;
  duration: string;
  /** Conversations (tshark) or flows (nettrace) summed into this one. */
  parts: number;
}

const key = (proto: string, a: string, b: string) => `${proto} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;

/** Adds `c` into `into` under its 5-tuple, oriented as the first one seen of it. */
function addTo(into: Map<string, Conversation>, c: Conversation): void {
  const k = key(c.proto, c.from, c.to);
  const have = into.get(k);
  if (have === undefined) {
    into.set(k, c);
    return;
  }
  const same = have.from === c.from;
  for (const d of [0, 1] as const) {
    const e = same ? d : d === 0 ? 1 : 0;
    have.frames[d] += c.frames[e];
    have.bytes[d] += c.bytes[e];
    // Values tshark rounded (kB, MB) do not add up: such a sum is not compared.
    if (have.unit[d] !== 1 || c.unit[e] !== 1) have.unit[d] = Number.NaN;
  }
  have.parts += c.parts;
}

const BYTE_UNITS: Record<string, number> = { bytes: 1, kB: 1000, MB: 1e6, GB: 1e9 };
const CONV_LINE =
  /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+) (bytes|kB|MB|GB)\s+(\d+)\s+(\d+) (bytes|kB|MB|GB)\s+\d+\s+\d+ \S+\s+(\d+\.\d+)\s+(\d+\.\d+)\s*$/;

/** tshark's TCP and UDP conversation tables of `file`. */
export function parseTshark(stdout: string, rel: string): Map<string, Conversation> {
  const out = new Map<string, Conversation>();
  let proto: 'tcp' | 'udp' | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 'tcp';
    else if (line.startsWith('UDP Conversations')) proto = 'udp';
    if (!line.includes('<->')) continue;
    const m = CONV_LINE.exec(line);
    assert.ok(m && proto, `${rel}: a tshark conversation line not understood: ${line}`);
    // "<-" is B to A, "->" A to B.
    addTo(out, {
      proto,
      from: m[1]!,
      to: m[2]!,
      frames: [Number(m[6]), Number(m[3])],
      bytes: [Number(m[7]), Number(m[4])],
      unit: [BYTE_UNITS[m[8]!]!, BYTE_UNITS[m[5]!]!],
      start: m[9]!,
      duration: m[10]!,
      parts: 1,
    });
  }
  return out;
}

/** nettrace's TCP and UDP flows (analyze's own path), summed by 5-tuple. */
export function ours(r: ConversationResult): Map<string, Conversation> {
  const out = new Map<string, Conversation>();
  for (const f of r.flows) {
    if (f.proto !== 'tcp' && f.proto !== 'udp') continue;
    addTo(out, {
      proto: f.proto,
      from: `${f.a}:${f.aPort}`,
      to: `${f.b}:${f.bPort}`,
      frames: [f.packetsAB, f.packetsBA],
      bytes: [f.bytesAB, f.bytesBA],
      unit: [1, 1],
      start: secText(f.firstNs, 9),
      duration: secText(f.lastNs - f.firstNs, 4),
      parts: 1,
    });
  }
  return out;
}

/** Nanoseconds as seconds with `digits` decimals (9: exact below 2^53 ns; 4: rounded, as tshark). */
function secText(ns: number, digits: 4 | 9): string {
  if (digits === 4) return (ns / 1e9).toFixed(4);
  const s = Math.floor(ns / 1e9);
  return `${s}.${String(Math.round(ns - s * 1e9)).padStart(9, '0')}`;
}

const FIELDS = [
  ...['dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.time', 'dns.response_in', 'dns.response_to'],
  ...['dns.retransmission', 'http.request.method', 'http.request.uri', 'http.response.code', 'http.time'],
  // The innermost addresses are the Source/Destination columns (ip.src would be a tunnel's outer one).
  ...['_ws.col.Source', 'tcp.srcport', '_ws.col.Destination', 'tcp.dstport', 'tcp.flags.reset'],
  ...[
    'tcp.analysis.retransmission',
    'tcp.analysis.fast_retransmission',
    'tcp.analysis.spurious_retransmission',
  ],
];

export interface Transactions {
  /** `status name#id` (answered ones `@latencyNs`), sorted. */
  dns: string[];
  /** Requests `method uri` and responses `status@latencyNs` (`@-` when unpaired), sorted. */
  http: string[];
  /** Per TCP sender: `src > dst: R retransmissions, S resets` (those with either), sorted. */
  tcp: string[];
}

/** Counts per direction (`src > dst`) as `Transactions.tcp` lines. */
function tcpLines(counts: Map<string, [number, number]>): string[] {
  const out: string[] = [];
  for (const [dir, [re, rst]] of counts) {
    if (re > 0 || rst > 0) out.push(`${dir}: ${re} retransmissions, ${rst} resets`);
  }
  return out.sort();
}

function count(counts: Map<string, [number, number]>, dir: string, re: number, rst: number): void {
  const c = counts.get(dir) ?? [0, 0];
  c[0] += re;
  c[1] += rst;
  counts.set(dir, c);
}

export function tsharkTransactions(rows: string[][]): Transactions {
  const out: Transactions = { dns: [], http: [], tcp: [] };
  const tcp = new Map<string, [number, number]>();
  for (const row of rows) {
    const [id, response, name, time, responseIn, responseTo, retransmission] = row;
    const [method, uri, status, httpTime, src, sport, dst, dport, reset, ...retrans] = row.slice(7);
    if (sport)
      count(tcp, `${src}:${sport} > ${dst}:${dport}`, retrans.some((x) => x) ? 1 : 0, reset === '1' ? 1 : 0);
    if (method) out.http.push(`${method} ${uri}`);
    if (status) out.http.push(`${status}@${httpTime ? Math.round(Number(httpTime) * 1e9) : '-'}`);
    // A copy tshark calls a retransmission is nettrace's second query / duplicate response.
    if (!id || retransmission) continue;
    const tx = `${name}#${Number(id)}`;
    if (response === '1') {
      if (time) out.dns.push(`answered ${tx}@${Math.round(Number(time) * 1e9)}`);
      else if (!responseTo) out.dns.push(`unsolicited ${tx}`);
    } else if (!responseIn) out.dns.push(`unanswered ${tx}`);
  }
  out.dns.sort();
  out.http.sort();
  out.tcp = tcpLines(tcp);
  return out;
}

export function oursTransactions(r: ConversationResult): Transactions {
  const dns = r.dns.map(
    (t) => `${t.status} ${t.qname}#${t.id}${t.status === 'answered' ? `@${t.latencyNs}` : ''}`,
  );
  const http: string[] = [];
  for (const t of r.http) {
    if (t.method !== undefined) http.push(`${t.method} ${t.uri}`);
    if (t.status !== undefined) http.push(`${t.status}@${t.latencyNs ?? '-'}`);
  }
  const tcp = new Map<string, [number, number]>();
  for (const f of r.flows) {
    if (f.tcp === undefined) continue;
    const [a, b] = [`${f.a}:${f.aPort}`, `${f.b}:${f.bPort}`];
    count(tcp, `${a} > ${b}`, f.tcp.retransmissions.A, f.tcp.resets.A);
    count(tcp, `${b} > ${a}`, f.tcp.retransmissions.B, f.tcp.resets.B);
  }
  return { dns: dns.sort(), http: http.sort(), tcp: tcpLines(tcp) };
}

/**
 * One tshark run: the DNS and HTTP packets' fields (two passes, so a query knows its response; TCP
 * segments dissected one by one, as nettrace reads them), then the conversation tables.
 */
export const TSHARK_ARGS = [
  ...['-n', '-2', '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', 'tcp || dns'],
  ...['-T', 'fields', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])],
  ...['-z', 'conv,tcp', '-z', 'conv,udp'],
];

/** tshark's output split: the packets' field rows, and the statistics after them. */
export function splitTshark(stdout: string): { rows: string[][]; stats: string } {
  const at = stdout.search(/^====/m);
  const head = at < 0 ? stdout : stdout.slice(0, at);
  const rows = head
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
  return { rows, stats: at < 0 ? '' : stdout.slice(at) };
}
