// The bundle's report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched
// — a Content-Security-Policy says so to the browser too) that someone can open from a ticket
// attachment: what was traced, the path drawn on the nodes' plumbing, each journey's findings,
// per-hop timing and sightings, conntrack's view, and everything the run warned about. Every string
// from the capture or the cluster is escaped. Past `maxJourneys` the journeys fold into one overview
// table, so a trace of hundreds of packets stays a page of a few hundred KB.

import type { Journey } from '../journey/types.ts';
import { describeEndpoint } from '../topology/endpoints.ts';
import type { Topology } from '../topology/model.ts';
import type { ConntrackTuple } from '../topology/parsers/conntrack.ts';
import { natOf } from '../topology/parsers/conntrack.ts';
import type { ConntrackEvent, ProbeSpec, TraceResult } from '../trace/types.ts';
import { hopViews, renderHopTable } from './report-hops.ts';
import { journeyWhat, renderJourney } from './report-journey.ts';
import { renderPathSvg } from './report-path.ts';
import { REPORT_CSS } from './report-style.ts';
import { anchor, duration, esc, plural } from './report-util.ts';

export interface ReportInput {
  trace: TraceResult;
  topology?: Topology;
  /** Journeys drawn in full (default 50); journeys with a loss or duplicate go first. */
  maxJourneys?: number;
  /** Rows of the one-line-per-journey overview (default 1000). */
  maxOverview?: number;
  /** The bundle's files, for the header (default: the files every bundle has, design.md's "Bundle"). */
  files?: string[];
}

// design.md's "Bundle": the files every trace saves.
const BUNDLE_FILES = [
  'capture.pcapng',
  'topology.json',
  'trace.json',
  'conntrack.log',
  'commands.log',
  'report.html',
];

export function describeProbe(p: ProbeSpec): string {
  switch (p.kind) {
    case 'icmp':
      return 'ICMP echo (ping)';
    case 'tcp':
      return `TCP connect to port ${p.port}`;
    case 'http':
      return `HTTP GET ${p.path} on port ${p.port}`;
    case 'udp':
      return `UDP datagram to port ${p.port}`;
    case 'dns':
      return `DNS query for ${p.name} to port ${p.port}`;
  }
}

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '')} UTC`;
}

function header(input: ReportInput): string {
  const t = input.trace;
  const r = t.request;
  const facts: [string, string][] = [
    ['when', esc(when(t.startedAt))],
    ['duration', esc(duration(t.durationMs * 1e6))],
    ['request', `<code>${esc(r.src)}</code> → <code>${esc(r.dst)}</code> (namespace ${esc(r.namespace)})`],
    [
      'probe',
      r.probe
        ? esc(describeProbe(r.probe))
        : r.passive
          ? `none: passive capture for ${esc(duration(r.passive.durationMs * 1e6))}`
          : 'none',
    ],
    [
      'path',
      `${esc(t.path.kind)}: ${esc(describeEndpoint(t.path.from))} → ${esc(describeEndpoint(t.path.to))}` +
        (t.path.service
          ? `<br>service ${esc(t.path.service.name)} ${esc(t.path.service.vip)} → ${esc(t.path.service.endpoint)}` +
            (t.path.service.endpoints.length > 1 ? ` (of ${esc(t.path.service.endpoints.join(', '))})` : '')
          : ''),
    ],
    ['filter', `<code>${esc(t.filter)}</code>`],
    ['t0', `<code>${esc(t.t0)}</code> (every time below counts from here)`],
  ];
  const files = input.files ?? BUNDLE_FILES;
  if (t.bundle) {
    const links = files.map((f) => `<a href="${esc(encodeURI(f))}">${esc(f)}</a>`).join(' · ');
    facts.push(['bundle', `<code>${esc(t.bundle)}</code><br>${links}`]);
  } else {
    facts.push(['bundle', 'not saved']);
  }
  return (
    `<header class="top"><div class="inner"><div class="sub">nettrace trace report</div><h1>${esc(t.title)}</h1>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></div></header>`
  );
}

function cards(t: TraceResult): string {
  const js = t.journeys;
  const req = js.filter((j) => j.direction === 'request').length;
  const lost = js.filter((j) => j.findings.some((f) => f.kind === 'lost')).length;
  const dup = js.filter((j) => j.findings.some((f) => f.kind === 'duplicate')).length;
  const kinds = new Map<string, number>();
  for (const j of js)
    for (const k of new Set(j.findings.map((f) => f.kind))) kinds.set(k, (kinds.get(k) ?? 0) + 1);
  const same = js
    .filter((j) => j.latency_ns !== undefined && j.comparable !== false)
    .map((j) => j.latency_ns!)
    .sort((a, b) => a - b);
  const card = (v: string, k: string, bad = false) =>
    `<div class="card${bad ? ' bad' : ''}"><div class="v">${v}</div><div class="k">${k}</div></div>`;
  const out = [
    card(String(js.length), `journeys (${req} request, ${js.length - req} reply)`),
    card(String(t.points.length), `capture points, ${t.points.reduce((n, p) => n + p.packets, 0)} packets`),
    card(String(lost), 'journeys with a loss', lost > 0),
  ];
  if (dup) out.push(card(String(dup), 'journeys duplicated', true));
  if (same.length) {
    const median = same[Math.floor((same.length - 1) / 2)]!;
    out.push(card(esc(duration(median)), `median first→last (${same.length} on one clock)`));
  }
  const order = ['snat', 'dnat', 'encap', 'decap', 'routed', 'mac-rewrite'];
  const changes = order.filter((k) => kinds.has(k)).map((k) => `${k} ${kinds.get(k)}`);
  if (changes.length)
    out.push(
      card(String(changes.length), esc(`kinds of change, in how many journeys: ${changes.join(', ')}`)),
    );
  return `<div class="cards">${out.join('')}</div>`;
}

function callouts(t: TraceResult): string {
  const out: string[] = [];
  const lost = t.journeys.filter((j) => j.findings.some((f) => f.kind === 'lost')).length;
  if (lost)
    out.push(
      `<div class="callout bad"><b>${plural(lost, 'journey')} ended before the path did.</b> ` +
        `Their findings say after which point the packet was last seen.</div>`,
    );
  if (t.warnings.length)
    out.push(
      `<div class="callout"><b>Warnings</b><ul>${t.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`,
    );
  return out.join('');
}

function pathSection(input: ReportInput, views: ReturnType<typeof hopViews>): string {
  const t = input.trace;
  const notes = t.path.notes.length
    ? `<ul>${t.path.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
    : '';
  const points = t.points.map(
    (p) =>
      `<tr><td><code>${esc(p.id)}</code></td><td>${esc(p.node)}</td><td>${esc(p.interface)}</td><td>${esc(p.role)}</td>` +
      `<td>${esc(p.description)}</td><td class="num${p.packets === 0 ? ' bad' : ''}">${p.packets}</td>` +
      `<td class="num${p.dropped ? ' bad' : ''}">${p.dropped ?? ''}</td></tr>`,
  );
  return (
    `<section id="path"><h2>The path</h2>` +
    `<p class="muted">${plural(t.path.hops.length, 'hop')}, ${plural(views.filter((v) => v.point).length, 'capture point')}. ` +
    `Filled boxes are where a capture saw the packets; dashed ones are places no device shows ` +
    `(OVN's flow tables in br-int, patch ports, a userspace tunnel port), with what they do to the packet.</p>` +
    `<div class="scroll">${renderPathSvg(t, views, input.topology)}</div>${notes}` +
    `<h3>Hop by hop</h3><div class="scroll">${renderHopTable(views)}</div>` +
    `<h3>Capture points</h3><div class="scroll"><table class="points"><thead><tr><th>point</th><th>node</th>` +
    `<th>interface</th><th>role</th><th>what</th><th>packets</th><th>dropped</th></tr></thead>` +
    `<tbody>${points.join('')}</tbody></table></div></section>`
  );
}

const hasProblem = (j: Journey) => j.findings.some((f) => f.kind === 'lost' || f.kind === 'duplicate');

/** The journeys drawn in full: those with a loss or duplicate first, then the earliest. */
function chooseDetailed(js: Journey[], max: number): Set<number> {
  const chosen = new Set<number>();
  for (let i = 0; i < js.length && chosen.size < max; i++) if (hasProblem(js[i]!)) chosen.add(i);
  for (let i = 0; i < js.length && chosen.size < max; i++) chosen.add(i);
  return chosen;
}

function journeysSection(
  input: ReportInput,
  views: ReturnType<typeof hopViews>,
  chosen: Set<number>,
): string {
  const t = input.trace;
  const js = t.journeys;
  if (js.length === 0)
    return `<section id="journeys"><h2>Journeys</h2><p>No packet was seen at two points.</p></section>`;
  const problem = (i: number) => hasProblem(js[i]!);
  const maxRows = input.maxOverview ?? 1000;
  const rows = js.slice(0, maxRows).map((j, i) => {
    const kinds = new Map<string, number>();
    for (const f of j.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    const fk = [...kinds]
      .map(
        ([k, n]) =>
          `<span class="${k === 'lost' || k === 'duplicate' ? 'bad' : ''}">${esc(k)}${n > 1 ? `×${n}` : ''}</span>`,
      )
      .join(' ');
    const num = chosen.has(i) ? `<a href="#${anchor('j', i)}">${i}</a>` : String(i);
    const lat =
      j.latency_ns === undefined
        ? ''
        : `${duration(j.latency_ns)}${j.comparable === false ? ' <span class="nc">‡</span>' : ''}`;
    return (
      `<tr><td class="num">${num}</td><td><span class="dir ${j.direction}">${j.direction}</span>${j.retransmission ? ' <span class="warn">retx</span>' : ''}</td>` +
      `<td class="what">${esc(journeyWhat(j))}</td><td class="num">${j.sightings.length}</td><td class="num">${lat}</td><td>${fk}</td></tr>`
    );
  });
  const moreRows =
    js.length > maxRows
      ? `<p class="muted">… and ${js.length - maxRows} more journeys: see trace.json.</p>`
      : '';
  const detailed = [...chosen].sort((a, b) => a - b);
  let opened = 0;
  const blocks = detailed.map((i, rank) => {
    const open = rank < 2 || (problem(i) && opened < 6);
    if (open) opened++;
    return renderJourney(js[i]!, i, t, views, chosen, open);
  });
  const folded =
    js.length > detailed.length
      ? `<p class="callout">Showing ${detailed.length} of ${js.length} journeys in full` +
        `${detailed.some(problem) ? ' (those with a loss or duplicate first)' : ''}; ` +
        `the other ${js.length - detailed.length} are in the overview above and in trace.json.</p>`
      : '';
  return (
    `<section id="journeys"><h2>Journeys</h2>` +
    `<p class="muted">One journey is one packet recognised at every point it passed. ‡: a time across two nodes' clocks.</p>` +
    `<details class="overview"${js.length <= 60 ? ' open' : ''}><summary>Overview: ${plural(js.length, 'journey')}</summary>` +
    `<div class="scroll"><table class="overview"><thead><tr><th>#</th><th>direction</th><th>packet</th><th>sightings</th>` +
    `<th>first→last</th><th>findings</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>${moreRows}</details>` +
    `${folded}${blocks.join('\n')}</section>`
  );
}

function tuple(u: ConntrackTuple): string {
  const a = (ip: string, port?: number) => (port === undefined ? ip : `${ip}:${port}`);
  const icmp = u.icmpId !== undefined ? ` id ${u.icmpId}` : '';
  return `${a(u.src, u.sport)} → ${a(u.dst, u.dport)}${icmp}`;
}

function conntrackSection(events: ConntrackEvent[] | undefined, detailed: Set<number>): string {
  if (!events?.length) return '';
  const rows = events.map((e) => {
    const c = e.entry;
    const nat = natOf(c);
    const n = [
      nat.snat ? `SNAT ${nat.snat.from.address} → ${nat.snat.to.address}` : '',
      nat.dnat
        ? `DNAT ${nat.dnat.from.address}${nat.dnat.from.port !== undefined ? `:${nat.dnat.from.port}` : ''} → ${nat.dnat.to.address}${nat.dnat.to.port !== undefined ? `:${nat.dnat.to.port}` : ''}`
        : '',
    ]
      .filter(Boolean)
      .join('; ');
    const time = c.timeUs !== undefined ? new Date(c.timeUs / 1000).toISOString().slice(11, 23) : '';
    const shown = e.journeys.slice(0, 12);
    const js =
      shown.map((i) => (detailed.has(i) ? `<a href="#${anchor('j', i)}">${i}</a>` : String(i))).join(' ') +
      (e.journeys.length > shown.length ? ` … (${e.journeys.length})` : '');
    const flags = [c.unreplied ? 'UNREPLIED' : '', c.assured ? 'ASSURED' : '', ...(c.status ?? [])].filter(
      Boolean,
    );
    return (
      `<tr><td>${esc(e.source)}</td><td>${esc(e.kind)}</td><td>${esc(c.event ?? '')}</td><td class="num">${esc(time)}</td>` +
      `<td>${esc(c.protocol)}</td><td>${esc(c.state ?? c.protoinfo?.state ?? '')}</td><td><code>${esc(tuple(c.orig))}</code></td>` +
      `<td><code>${esc(tuple(c.reply))}</code></td><td class="does">${esc(n)}</td><td>${c.zone ?? ''}</td>` +
      `<td class="muted">${esc(flags.join(' '))}</td><td>${js}</td></tr>`
    );
  });
  return (
    `<section id="conntrack"><h2>Connection tracking</h2>` +
    `<p class="muted">What conntrack recorded for the traced connections; the reply tuple shows the NAT it applies.</p>` +
    `<div class="scroll"><table class="conntrack"><thead><tr><th>where</th><th>tool</th><th>event</th><th>time</th><th>proto</th><th>state</th>` +
    `<th>original</th><th>reply</th><th>NAT</th><th>zone</th><th>flags</th><th>journeys</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

function notesSection(t: TraceResult): string {
  const u = t.unmatched;
  const offsets = t.clockOffsets.map(
    (o) =>
      `<li>clock of ${esc(o.to)} − clock of ${esc(o.from)} ≈ ${esc(duration(o.offset_ns))} (from ${o.samples} deltas both ways)</li>`,
  );
  const probe = t.probe
    ? `<h3>Probe</h3><p>on <code>${esc(t.probe.host)}</code>: <code>${esc(t.probe.argv.join(' '))}</code> → exit code ` +
      `${t.probe.exitCode === null ? 'none (killed)' : t.probe.exitCode}</p>` +
      (t.probe.output ? `<pre>${esc(t.probe.output)}</pre>` : '<p class="muted">no output</p>')
    : '';
  return (
    `<section id="notes"><h2>Clocks, unmatched packets, warnings</h2>` +
    `<h3>Clocks</h3>${t.clockWarnings.length ? `<ul>${t.clockWarnings.map((w) => `<li class="warn">${esc(w)}</li>`).join('')}</ul>` : '<p class="muted">All deltas are within one clock.</p>'}` +
    (offsets.length ? `<ul>${offsets.join('')}</ul>` : '') +
    `<h3>Unmatched</h3><ul><li>${u.nonIp} frames without an IP packet (ARP, LLDP, …), not correlated</li>` +
    `<li>${u.unknownPoint} frames from an interface that is no capture point</li>` +
    `<li>${u.singleSighting} packets seen at one point only (lost right after it, or traffic off the path)</li></ul>` +
    `<h3>Warnings</h3>${t.warnings.length ? `<ul>${t.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p class="muted">None.</p>'}` +
    `${probe}</section>`
  );
}

export function renderReportHtml(input: ReportInput): string {
  const t = input.trace;
  const views = hopViews(t);
  const hasCt = (t.conntrack?.length ?? 0) > 0;
  const chosen = chooseDetailed(t.journeys, input.maxJourneys ?? 50);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`nettrace: ${t.title}`)}</title>`,
    `<style>${REPORT_CSS}</style></head><body>`,
    header(input),
    '<main>',
    `<nav class="toc"><a href="#path">Path</a><a href="#journeys">Journeys (${t.journeys.length})</a>` +
      `${hasCt ? '<a href="#conntrack">Conntrack</a>' : ''}<a href="#notes">Clocks &amp; warnings</a></nav>`,
    cards(t),
    callouts(t),
    pathSection(input, views),
    journeysSection(input, views, chosen),
    conntrackSection(t.conntrack, chosen),
    notesSection(t),
    '<footer>Written by nettrace. This page is self-contained: no scripts, fonts or images are fetched; ' +
      'the bundle beside it holds the capture (capture.pcapng) and the full result (trace.json).</footer>',
    '</main></body></html>',
    '',
  ].join('\n');
}
