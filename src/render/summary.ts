// The human summary of `nettrace analyze`: what was read, which protocols, the top conversations
// with their TCP story, HTTP and DNS transactions, and what could not be decoded.
import type { AnalysisResult } from '../analyze.ts';
import { type FlowSortKey, slowestDns, topFlows } from '../flow/analyzer.ts';
import { bold, bytes, count, dim, duration, endpoint, type Style, table } from './table.ts';

export type SummarySections = 'all' | { flows?: boolean; http?: boolean; dns?: boolean };

export interface SummaryOptions {
  sections: SummarySections;
  /** How many flows, HTTP and DNS rows to list. */
  top: number;
  color: boolean;
  /** Which flows are the top ones (default bytes). */
  sortFlows?: Exclude<FlowSortKey, 'first'>;
}

export function renderSummary(r: AnalysisResult, o: SummaryOptions): string {
  const st: Style = { color: o.color };
  const all = o.sections === 'all';
  const want = (k: 'flows' | 'http' | 'dns') => all || Boolean((o.sections as Record<string, boolean>)[k]);
  const out: string[] = [];
  if (all) out.push(capture(r, st), protocols(r, st));
  const by = o.sortFlows ?? 'bytes';
  if (want('flows')) out.push(flows(r, o.top, by, st), tcpTimelines(r, o.top, by, st));
  if (want('http')) out.push(http(r, o.top, st));
  if (want('dns')) out.push(dns(r, o.top, st));
  if (all) out.push(issues(r, st));
  return out.filter((s) => s.length > 0).join('\n\n');
}

function capture(r: AnalysisResult, st: Style): string {
  const lines: string[] = [];
  const span = r.firstTime !== undefined && r.lastTime !== undefined ? r.lastTime - r.firstTime : 0;
  lines.push(
    bold('Capture', st) +
      `  ${count(r.packets)} packets` +
      (r.displayFilter
        ? ` matching ${r.displayFilter.expression} (of ${count(r.displayFilter.packetsRead)} read)`
        : '') +
      `, ${bytes(r.bytes)} on the wire` +
      (r.firstTime !== undefined
        ? `, ${new Date(r.firstTime * 1000).toISOString()} for ${duration(span * 1e9)}`
        : ''),
  );
  for (const f of r.files) {
    lines.push(`  ${f.path} (${f.format ?? 'unknown format'}): ${count(f.packets)} packets`);
    for (const i of f.interfaces) {
      const name = i.name ? `${i.name}` : `interface ${i.id}`;
      const desc = i.description ? ` — ${i.description}` : '';
      lines.push(dim(`    ${name}: link type ${i.linktype}, snaplen ${i.snaplen}${desc}`, st));
    }
    if (f.diagnostic) lines.push(`    stopped early: ${f.diagnostic.message}`);
  }
  return lines.join('\n');
}

function protocols(r: AnalysisResult, st: Style): string {
  const entries = Object.entries(r.protocols);
  if (entries.length === 0) return '';
  const s = r.conversations.summary;
  const parts = entries.map(([p, n]) => `${p} ${count(n)}`);
  const lines = [
    bold('Protocols', st) + '  (packets containing each; tunnelled packets count their inner layers)',
  ];
  for (let i = 0; i < parts.length; i += 8) lines.push('  ' + parts.slice(i, i + 8).join(', '));
  lines.push(
    `  ${count(s.flows)} flows (${Object.entries(s.flowsByProto)
      .map(([p, n]) => `${p} ${count(n)}`)
      .join(', ')})` + (s.nonIpPackets ? `, ${count(s.nonIpPackets)} non-IP packets` : ''),
  );
  return lines.join('\n');
}

function flows(r: AnalysisResult, top: number, by: Exclude<FlowSortKey, 'first'>, st: Style): string {
  const list = topFlows(r.conversations.flows, top, by);
  if (list.length === 0) return bold('Flows', st) + '  none';
  const rows = list.map((f) => [
    String(f.id),
    f.proto,
    `${endpoint(f.a, f.aPort, f.proto)} → ${endpoint(f.b, f.bPort, f.proto)}`,
    `${count(f.packetsAB)}/${count(f.packetsBA)}`,
    bytes(f.bytesAB + f.bytesBA),
    duration(f.durationNs),
    f.tcp?.state ?? '',
    f.tunnel ? `${f.tunnel.type} vni ${f.tunnel.vni} ${f.tunnel.outerSrc}→${f.tunnel.outerDst}` : '',
  ]);
  // The count from the summary: a text result holds only the flows it shows (summaryOf).
  const head = `Top ${list.length} of ${count(r.conversations.summary.flows)} flows by ${by}`;
  return (
    bold(head, st) +
    '\n' +
    table(
      ['>#', 'proto', 'initiator → responder', '>pkts A→B/B→A', '>bytes', '>duration', 'tcp state', 'tunnel'],
      rows,
      st,
    )
  );
}

function tcpTimelines(r: AnalysisResult, top: number, by: Exclude<FlowSortKey, 'first'>, st: Style): string {
  const tcp = topFlows(
    r.conversations.flows.filter((f) => f.tcp),
    top,
    by,
  );
  if (tcp.length === 0) return '';
  const lines = [bold('TCP timelines', st) + '  (conntrack state names; times from the flow start)'];
  for (const f of tcp) {
    const t = f.tcp!;
    const steps = t.transitions.map(
      (x) => `${x.state}${x.pickedUp ? '(picked up)' : ''} +${duration(x.tNs - f.firstNs)}`,
    );
    const notes: string[] = [];
    const re = t.retransmissions.A + t.retransmissions.B;
    if (re) notes.push(`${re} retransmissions (A ${t.retransmissions.A}, B ${t.retransmissions.B})`);
    const rst = t.resets.A + t.resets.B;
    if (rst)
      notes.push(
        `reset by ${t.resets.A ? 'A' : ''}${t.resets.A && t.resets.B ? '+' : ''}${t.resets.B ? 'B' : ''}`,
      );
    lines.push(
      `  #${f.id} ${endpoint(f.a, f.aPort, 'tcp')} → ${endpoint(f.b, f.bPort, 'tcp')}: ${steps.join(' → ')}`,
    );
    if (notes.length) lines.push(`      ${notes.join('; ')}`);
  }
  return lines.join('\n');
}

function http(r: AnalysisResult, top: number, st: Style): string {
  const c = r.conversations;
  if (c.http.length === 0 && c.httpIssues.length === 0) return bold('HTTP', st) + '  none';
  const rows = c.http
    .slice(0, top)
    .map((t) => [
      `#${t.flow}`,
      t.method ?? '?',
      t.host ? `${t.host}${t.uri ?? ''}` : (t.uri ?? '?'),
      t.status !== undefined ? `${t.status} ${t.reason ?? ''}`.trim() : 'no response',
      t.latencyNs !== undefined ? duration(t.latencyNs) : '',
    ]);
  const lines = [
    bold(
      `HTTP  ${count(c.summary.httpTransactions)} transactions, ${count(c.summary.httpUnanswered)} unanswered`,
      st,
    ),
    table(['flow', 'method', 'host + uri', 'status', '>latency'], rows, st),
  ];
  if (c.http.length > top)
    lines.push(dim(`  … ${count(c.http.length - top)} more (--http -o json lists all)`, st));
  for (const i of c.httpIssues.slice(0, 5)) lines.push(`  issue on flow #${i.flow}: ${i.message}`);
  return lines.join('\n');
}

function dns(r: AnalysisResult, top: number, st: Style): string {
  const c = r.conversations;
  if (c.summary.dnsTransactions === 0) return bold('DNS', st) + '  none';
  const answered = slowestDns(c.dns, top);
  const shown = answered.length > 0 ? answered : c.dns.slice(0, top);
  const rows = shown.map((t) => [
    `${t.qname} ${t.qtype}`,
    t.status === 'answered' ? (t.rcode ?? '') : t.status,
    (t.answers ?? []).slice(0, 3).join(', ') + ((t.answers?.length ?? 0) > 3 ? ', …' : ''),
    t.latencyNs !== undefined ? duration(t.latencyNs) : '',
    t.queries > 1 ? `${t.queries} copies` : '',
  ]);
  const head = `DNS  ${count(c.summary.dnsTransactions)} queries, ${count(c.summary.dnsUnanswered)} unanswered${answered.length ? '; slowest answered:' : ''}`;
  return bold(head, st) + '\n' + table(['query', 'result', 'answers', '>latency', 'note'], rows, st);
}

function issues(r: AnalysisResult, st: Style): string {
  const i = r.issues;
  if (i.packets === 0) return bold('Decode issues', st) + '  none';
  const codes = Object.entries(i.byCode)
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(', ');
  const lines = [bold('Decode issues', st) + `  ${count(i.packets)} packets (${codes})`];
  for (const s of i.samples.slice(0, 10)) {
    lines.push(`  frame ${s.frame}: ${s.layer} ${s.code} at byte ${s.offset}: ${s.message}`);
  }
  if (i.samples.length > 10) lines.push(dim('  … -o json lists more', st));
  return lines.join('\n');
}
