// The terminal view of a trace: the path, then one table per journey — where the packet was seen,
// when, with which addresses — and at each hop what changed there. A field that differs from the
// previous sighting is marked, so "same frame on eth0 and the host veth; source rewritten to the
// node IP on the NIC" reads straight off the table.
import type { Finding, Journey, Sighting } from '../journey/types.ts';
import type { TraceResult } from '../trace/types.ts';
import { bold, dim, duration, type Style, table } from './table.ts';

export interface TraceTextOptions {
  color: boolean;
  /** Journeys to list in full (the rest are counted). */
  maxJourneys?: number;
}

export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'snat':
    case 'dnat':
      return `${f.kind.toUpperCase()} ${f.field} ${f.from} → ${f.to}${f.reverses ? ' (reverse NAT of the request)' : ''}`;
    case 'encap':
      return `encap ${f.tunnel} vni ${f.vni} ${f['outer.ip.src']} → ${f['outer.ip.dst']}${f.ovn ? ` (OVN in-port ${f.ovn.ingress}, out-port ${f.ovn.egress})` : ''}`;
    case 'decap':
      return `decap ${f.tunnel} vni ${f.vni}`;
    case 'routed':
      return `routed: TTL ${f.from} → ${f.to}`;
    case 'mac-rewrite':
      return `${f.field} ${f.from} → ${f.to}`;
    case 'lost':
      return `LOST after ${f.at}: never seen at ${f.expected}${f.bytes !== undefined ? ` (${f.bytes} bytes of segments missing)` : ''}`;
    case 'duplicate':
      return `duplicate ×${f.count} within ${duration(f.delta_ns)}`;
  }
}

function l4(s: Sighting): string {
  const sp = s['tcp.srcport'] ?? s['udp.srcport'];
  const dp = s['tcp.dstport'] ?? s['udp.dstport'];
  if (sp !== undefined && dp !== undefined) return `${s['ip.src']}:${sp} → ${s['ip.dst']}:${dp}`;
  return `${s['ip.src']} → ${s['ip.dst']}`;
}

function journeyTable(j: Journey, st: Style): string {
  const rows: string[][] = [];
  let prev: Sighting | undefined;
  const first = j.sightings[0]?.time_ns ?? 0;
  for (const s of j.sightings) {
    const mark = (text: string, changed: boolean) => (changed ? bold(`${text} *`, st) : text);
    const addr = l4(s);
    const changedAddr = prev !== undefined && l4(prev) !== addr;
    const ttlChanged = prev !== undefined && prev['ip.ttl'] !== s['ip.ttl'];
    const macs = s['eth.src'] ? `${s['eth.src']} → ${s['eth.dst']}` : '';
    const macChanged =
      prev !== undefined &&
      prev['eth.src'] !== undefined &&
      `${prev['eth.src']} → ${prev['eth.dst']}` !== macs;
    const here = j.findings.filter((f) => f.at === s.point && f.kind !== 'lost').map(describeFinding);
    const extra: string[] = [];
    if (s.encap)
      extra.push(
        `in ${s.encap.tunnel} vni ${s.encap.vni} ${s.encap['outer.ip.src']}→${s.encap['outer.ip.dst']}`,
      );
    if (s.segments) extra.push(`${s.segments} segments`);
    rows.push([
      s.point,
      `+${duration(s.time_ns - first)}`,
      s.delta_ns === undefined ? '' : `${duration(s.delta_ns)}${s.comparable === false ? ' ≈' : ''}`,
      mark(addr, changedAddr),
      mark(String(s['ip.ttl']), ttlChanged),
      mark(macs, macChanged),
      [...here, ...extra].join('; '),
    ]);
    prev = s;
  }
  return table(
    ['point', '>time', '>hop', 'addresses', '>ttl', 'eth', 'what happened here'],
    rows,
    st,
    '    ',
  );
}

export function renderTraceText(t: TraceResult, o: TraceTextOptions): string {
  const st: Style = { color: o.color };
  const out: string[] = [];
  out.push(bold(t.title, st));
  out.push(
    `  path ${t.path.kind}: ${t.path.hops.map((h) => (h.capture ? h.id : dim(`(${h.id})`, st))).join(' → ')}`,
  );
  for (const n of t.path.notes) out.push(dim(`  note: ${n}`, st));
  out.push(
    `  captured at ${t.points.length} points: ${t.points.map((p) => `${p.id} ${p.packets}`).join(', ')} packets`,
  );
  if (t.probe) out.push(dim(`  probe: ${t.probe.argv.join(' ')} (exit ${t.probe.exitCode})`, st));

  const max = o.maxJourneys ?? 20;
  const shown = t.journeys.slice(0, max);
  shown.forEach((j, i) => {
    out.push('');
    const flags = [
      j.retransmission ? `retransmission of #${(j.retransmits ?? 0) + 1}` : '',
      j.answers !== undefined ? `answers #${j.answers + 1}` : '',
      j.latency_ns !== undefined
        ? `${duration(j.latency_ns)} end to end${j.comparable === false ? ' (clocks differ)' : ''}`
        : '',
    ].filter(Boolean);
    out.push(
      `${bold(`#${i + 1} ${j.direction}`, st)}  ${j.summary}${flags.length ? `  [${flags.join(', ')}]` : ''}`,
    );
    out.push(journeyTable(j, st));
    for (const f of j.findings.filter((x) => x.kind === 'lost'))
      out.push(bold(`    ${describeFinding(f)}`, st));
  });
  if (t.journeys.length > max)
    out.push('', dim(`… ${t.journeys.length - max} more journeys (-o json lists all)`, st));
  if (t.journeys.length === 0) out.push('', 'no journey: no packet of the flow was captured at any point');

  const notes: string[] = [...t.warnings, ...t.clockWarnings];
  if (t.unmatched.singleSighting)
    notes.push(`${t.unmatched.singleSighting} packets were seen at one point only`);
  if (t.conntrack?.length) {
    out.push('', bold(`conntrack (${t.conntrack.length} events/entries)`, st));
    for (const c of t.conntrack.slice(0, 20)) {
      const e = c.entry;
      const tuple = (x: typeof e.orig) =>
        `${x.src}${x.sport !== undefined ? `:${x.sport}` : ''} → ${x.dst}${x.dport !== undefined ? `:${x.dport}` : ''}`;
      out.push(
        `  ${c.source.padEnd(12)} ${(e.event ?? c.kind).padEnd(7)} ${e.protocol} ${e.state ?? ''} ${tuple(e.orig)} | reply ${tuple(e.reply)}${e.zone !== undefined ? ` zone ${e.zone}` : ''}${c.journeys.length ? `  (journeys ${c.journeys.map((x) => `#${x + 1}`).join(' ')})` : ''}`,
      );
    }
  }
  if (notes.length) out.push('', ...notes.map((n) => `  ! ${n}`));
  if (t.bundle)
    out.push('', dim(`bundle: ${t.bundle} (nettrace analyze ${t.bundle} replays it; open report.html)`, st));
  return out.join('\n');
}
