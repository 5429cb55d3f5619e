// One journey in the report: its findings as sentences that say where each change happened, a
// waterfall of its sightings over time (each hop's delta as a bar; deltas across two nodes' clocks
// drawn apart, since they hold the clock offset too), and the sightings as a table with what changed
// since the previous hop marked.
import type { Finding, Journey, Sighting } from '../journey/types.ts';
import type { ExpectedChange } from '../topology/path.ts';
import type { TraceResult } from '../trace/types.ts';
import type { HopView } from './report-hops.ts';
import { anchor, duration, esc, micros, r1, svgLines } from './report-util.ts';

const TUNNEL: Record<string, string> = { geneve: 'Geneve', vxlan: 'VXLAN' };

/** A finding in one line: `SNAT ip.src 10.128.2.43 → 198.18.0.9 at worker-0/ens2f0np0`. */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'snat':
    case 'dnat':
      return `${f.kind.toUpperCase()} ${f.field} ${f.from} → ${f.to} at ${f.at}${f.reverses ? " (undoing the request's NAT)" : ''}`;
    case 'encap':
    case 'decap': {
      const ovn = f.ovn ? ` (OVN ports ${f.ovn.ingress} → ${f.ovn.egress})` : '';
      return `${TUNNEL[f.tunnel] ?? f.tunnel} ${f.kind} VNI ${f.vni}, outer ${f['outer.ip.src']} → ${f['outer.ip.dst']}${ovn} at ${f.at}`;
    }
    case 'routed':
      return `routed: ${f.field} ${f.from} → ${f.to} at ${f.at}`;
    case 'mac-rewrite':
      return `MAC rewrite ${f.field} ${f.from} → ${f.to} at ${f.at}`;
    case 'lost':
      return f.bytes === undefined
        ? `lost after ${f.at}: never seen at ${f.expected}`
        : `${f.bytes} bytes of segments lost between ${f.at} and ${f.expected}`;
    case 'duplicate':
      return `duplicated at ${f.at}: ${f.count + 1} copies within ${duration(f.delta_ns)}`;
  }
}

/** The change kind a hop's `does` names for a finding (a reply sees the request's changes mirrored). */
function mirrored(kind: Finding['kind'], reply: boolean): ExpectedChange['kind'] | undefined {
  if (kind === 'lost' || kind === 'duplicate') return undefined;
  if (!reply) return kind;
  const m: Partial<Record<string, ExpectedChange['kind']>> = {
    snat: 'dnat',
    dnat: 'snat',
    encap: 'decap',
    decap: 'encap',
  };
  return m[kind] ?? kind;
}

function byWhom(c: ExpectedChange): string {
  switch (c.kind) {
    case 'routed':
      return ` by ${c.by.join(', ')}`;
    case 'encap':
    case 'decap':
      return '';
    default:
      return ` by ${c.by}`;
  }
}

/**
 * Which hop of the path did it: the hops between the previous sighting's point and this one (in
 * either direction), whose `does` names this kind of change.
 */
function where(f: Finding, j: Journey, views: HopView[]): string {
  const kind = mirrored(f.kind, j.direction === 'reply');
  if (!kind) return '';
  const at = j.sightings.findIndex((s) => s.point === f.at);
  const prev = j.sightings[at - 1];
  const iAt = views.findIndex((v) => v.point?.id === f.at);
  const iPrev = prev ? views.findIndex((v) => v.point?.id === prev.point) : -1;
  if (iAt < 0 || iPrev < 0) return '';
  const [lo, hi] = iAt < iPrev ? [iAt, iPrev] : [iPrev, iAt];
  for (let i = lo; i <= hi; i++) {
    if (i === iPrev) continue;
    const v = views[i]!;
    const c = v.hop.does.find((d) => d.kind === kind);
    if (c) return `done in ${v.hop.id}${byWhom(c)}`;
  }
  return '';
}

const BADGE: Record<Finding['kind'], string> = {
  snat: 'nat',
  dnat: 'nat',
  encap: 'tun',
  decap: 'tun',
  routed: 'rt',
  'mac-rewrite': 'mac',
  lost: 'bad',
  duplicate: 'bad',
};

export function renderFindings(j: Journey, views: HopView[]): string {
  if (j.findings.length === 0) return '<p class="muted">Nothing changed between the hops.</p>';
  const items = j.findings.map((f) => {
    const w = where(f, j, views);
    return (
      `<li><span class="badge ${BADGE[f.kind]}">${esc(f.kind)}</span> <span class="ftext">${esc(describeFinding(f))}</span>` +
      `${w ? ` <span class="where">${esc(w)}</span>` : ''}</li>`
    );
  });
  return `<ul class="findings">${items.join('')}</ul>`;
}

function niceStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The waterfall: one row per sighting, x by time, a bar per hop delta labelled with its length. */
export function renderTiming(j: Journey, nodeOf: (point: string) => string | undefined): string {
  const ss = j.sightings;
  if (ss.length === 0) return '';
  const W = 960;
  const x0 = 330;
  const x1 = W - 150;
  const rowH = 24;
  const top = 34;
  const t0 = Math.min(...ss.map((s) => s.time_ns));
  const tEnd = Math.max(...ss.map((s) => s.time_ns));
  const span = Math.max(tEnd - t0, 1000);
  const x = (t: number) => x0 + ((t - t0) / span) * (x1 - x0);
  const H = top + ss.length * rowH + 10;
  const out: string[] = [
    `<svg class="timing" role="img" aria-label="time at each hop" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
  ];
  const step = niceStep(span);
  for (let t = 0; t <= span + 1; t += step) {
    out.push(
      `<line class="tick" x1="${r1(x(t0 + t))}" y1="${top - 8}" x2="${r1(x(t0 + t))}" y2="${H - 6}"/>`,
      svgLines(x(t0 + t), top - 14, [t === 0 ? '0' : `+${duration(t)}`], {
        cls: 'axis',
        lineHeight: 12,
        anchor: 'middle',
      }),
    );
  }
  let crossed = false;
  ss.forEach((s, i) => {
    const cy = top + i * rowH + rowH / 2;
    const node = nodeOf(s.point);
    const prevNode = i > 0 ? nodeOf(ss[i - 1]!.point) : node;
    if (i % 2 === 0)
      out.push(`<rect class="stripe" x="0" y="${cy - rowH / 2}" width="${W}" height="${rowH}"/>`);
    if (i > 0 && node !== prevNode)
      out.push(`<line class="node-sep" x1="0" y1="${cy - rowH / 2}" x2="${W}" y2="${cy - rowH / 2}"/>`);
    const label = s.point.length > 46 ? `…${s.point.slice(-45)}` : s.point;
    out.push(svgLines(8, cy + 4, [label], { cls: 'row-label', lineHeight: 12 }));
    const prev = ss[i - 1];
    if (prev) {
      const a = x(prev.time_ns);
      const b = x(s.time_ns);
      const nc = s.comparable === false;
      if (nc) crossed = true;
      const lo = Math.min(a, b);
      const w = Math.max(Math.abs(b - a), 2);
      out.push(
        `<line class="drop" x1="${r1(a)}" y1="${cy - rowH}" x2="${r1(a)}" y2="${cy}"/>`,
        `<rect class="${nc ? 'bar nc' : 'bar'}" x="${r1(lo)}" y="${cy - 5}" width="${r1(w)}" height="10" rx="2"/>`,
      );
      const d = s.delta_ns ?? s.time_ns - prev.time_ns;
      const text = `+${duration(d)}${nc ? ' ‡' : ''}`;
      const right = Math.max(a, b) + 8;
      out.push(svgLines(right, cy + 4, [text], { cls: nc ? 'delta nc' : 'delta', lineHeight: 12 }));
    }
    out.push(`<circle class="dot" cx="${r1(x(s.time_ns))}" cy="${cy}" r="4"/>`);
    if (s.duplicates) {
      out.push(svgLines(x(s.time_ns), cy - 6, [`×${s.duplicates + 1}`], { cls: 'dup', lineHeight: 12 }));
    }
  });
  out.push('</svg>');
  const note = crossed
    ? `<p class="note">‡ orange, dashed: this delta spans two nodes' clocks, so it is latency plus the offset between the clocks (see the clock notes), not latency alone.</p>`
    : '';
  return out.join('') + note;
}

function l4(s: Sighting): string {
  if (s['tcp.srcport'] !== undefined) return `tcp ${s['tcp.srcport']} → ${s['tcp.dstport']}`;
  if (s['udp.srcport'] !== undefined) return `udp ${s['udp.srcport']} → ${s['udp.dstport']}`;
  if (s['icmp.ident'] !== undefined)
    return `icmp id ${s['icmp.ident']}${s['icmp.seq'] !== undefined ? ` seq ${s['icmp.seq']}` : ''}`;
  return '';
}

function encapText(s: Sighting): string {
  const e = s.encap;
  if (!e) return '';
  const ovn = e.ovn ? ` ovn ${e.ovn.ingress}→${e.ovn.egress}` : '';
  return `${TUNNEL[e.tunnel] ?? e.tunnel} ${e.vni} ${e['outer.ip.src']}→${e['outer.ip.dst']}${ovn}`;
}

export function renderSightings(j: Journey): string {
  const t0 = j.sightings[0]?.time_ns ?? 0;
  const rows = j.sightings.map((s, i) => {
    const p = j.sightings[i - 1];
    // One cell; marked when its value differs from the previous sighting's. A value that went away
    // (the tunnel, after decapsulation) shows a dash so the mark has something to sit on.
    const cell = (now: string | number | undefined, before: string | number | undefined, cls = '') => {
      const changed = p !== undefined && now !== before;
      const text = now === undefined || now === '' ? (changed ? '—' : '') : esc(now);
      const c = [cls, changed ? 'chg' : ''].filter(Boolean).join(' ');
      return `<td${c ? ` class="${c}"` : ''}${changed ? ' title="changed since the previous hop"' : ''}>${text}</td>`;
    };
    const extra = [
      s.frame !== undefined ? `#${s.frame}` : '',
      s['ip.id'] !== undefined ? `id ${s['ip.id']}` : '',
      s['tcp.len'] !== undefined ? `len ${s['tcp.len']}` : '',
      s.segments ? `${s.segments} segments (${s.segment_bytes ?? '?'} bytes)` : '',
      s.duplicates ? `+${s.duplicates} duplicate${s.duplicates === 1 ? '' : 's'}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const delta =
      s.delta_ns === undefined
        ? ''
        : `${duration(s.delta_ns)}${s.comparable === false ? ' <span class="nc">‡</span>' : ''}`;
    return (
      `<tr><td class="num">${i + 1}</td><td><code>${esc(s.point)}</code></td>` +
      `<td class="num">${micros(s.time_ns - t0)}</td><td class="num">${delta}</td>` +
      cell(s['ip.src'], p?.['ip.src']) +
      cell(s['ip.dst'], p?.['ip.dst']) +
      cell(l4(s), p && l4(p)) +
      cell(s['ip.ttl'], p?.['ip.ttl'], 'num') +
      cell(s['eth.src'], p?.['eth.src']) +
      cell(s['eth.dst'], p?.['eth.dst']) +
      cell(encapText(s), p && encapText(p), 'wrap') +
      `<td class="muted wrap">${esc(extra)}</td></tr>`
    );
  });
  return (
    '<table class="sightings"><thead><tr><th>#</th><th>point</th><th>t (µs)</th><th>Δ</th><th>ip.src</th>' +
    '<th>ip.dst</th><th>ports / id</th><th>ttl</th><th>eth.src</th><th>eth.dst</th><th>tunnel VNI outer</th><th>frame, ip.id</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** `ICMP echo request 10.128.2.43 → 203.0.113.10 (id 24111 seq 1)`: the summary before its details. */
export function journeyWhat(j: Journey): string {
  const s = j.summary.replace(/^retransmission: /, '');
  const i = s.indexOf(': ');
  return i < 0 ? s : s.slice(0, i);
}

export function renderJourney(
  j: Journey,
  index: number,
  trace: TraceResult,
  views: HopView[],
  detailed: Set<number>,
  open: boolean,
): string {
  const nodeOf = (id: string) => trace.points.find((p) => p.id === id)?.node;
  const link = (k: number) => (detailed.has(k) ? `<a href="#${anchor('j', k)}">#${k}</a>` : `#${k}`);
  const meta: string[] = [`${esc(j.protocol)}`, `${j.sightings.length} sightings`];
  if (j.latency_ns !== undefined)
    meta.push(
      `first to last ${duration(j.latency_ns)}${j.comparable === false ? ' (across node clocks)' : ''}`,
    );
  if (j.answers !== undefined) meta.push(`answers ${link(j.answers)}`);
  if (j.retransmission)
    meta.push(
      `<span class="warn">retransmission${j.retransmits !== undefined ? ` of ${link(j.retransmits)}` : ''}</span>`,
    );
  return (
    `<details class="journey" id="${anchor('j', index)}"${open ? ' open' : ''}>` +
    `<summary><span class="jn">#${index}</span> <span class="dir ${j.direction}">${j.direction}</span> ` +
    `<span class="jsum">${esc(j.summary)}</span></summary>` +
    `<div class="jbody"><p class="meta">${meta.join(' · ')}</p>` +
    `<h4>What changed, and where</h4>${renderFindings(j, views)}` +
    `<h4>Time at each hop</h4>${renderTiming(j, nodeOf)}` +
    `<h4>Sightings</h4><div class="scroll">${renderSightings(j)}</div></div></details>`
  );
}
