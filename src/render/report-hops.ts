// The hops of a trace's path joined with its capture points (which point saw which hop, and what
// was seen changed there), and the hop table: the drawing's facts as searchable, copyable text.
import type { HopRole, PathHop } from '../topology/path.ts';
import type { TracePoint, TraceResult } from '../trace/types.ts';
import { describeChange } from './inspect-text.ts';
import { esc } from './report-util.ts';

/** A hop with what the trace knows about it. Points off the computed path become hops of their own. */
export interface HopView {
  hop: PathHop;
  point?: TracePoint;
  /** Finding kinds seen at this point: how many journeys showed each. */
  seen: Map<string, number>;
  offPath?: boolean;
}

const POINT_HOP_ROLE: Record<string, HopRole> = {
  pod: 'pod-eth0',
  'host-veth': 'host-veth',
  mp0: 'management-port',
  nic: 'nic',
  'br-ex': 'host',
  external: 'external',
  lo: 'loopback',
};

/** Hops in path order, each with its capture point; points no hop names slot in by their order. */
export function hopViews(trace: TraceResult): HopView[] {
  const used = new Set<string>();
  const pointFor = (h: PathHop): TracePoint | undefined => {
    const free = trace.points.filter((p) => !used.has(p.id));
    return (
      free.find((p) => p.id === h.id) ??
      (h.role === 'ovn' || h.role === 'bridge'
        ? undefined
        : free.find((p) => p.node === h.node && p.interface === h.interface)) ??
      (h.role === 'external' ? free.find((p) => p.role === 'external' || p.node === 'external') : undefined)
    );
  };
  const views: HopView[] = trace.path.hops.map((hop) => {
    const point = pointFor(hop);
    if (point) used.add(point.id);
    return { hop, ...(point ? { point } : {}), seen: new Map() };
  });
  for (const p of trace.points) {
    if (used.has(p.id)) continue;
    const hop: PathHop = {
      id: p.id,
      node: p.node,
      netns: p.netns ?? '',
      interface: p.interface,
      role: POINT_HOP_ROLE[p.role] ?? 'host-veth',
      ...(p.pod ? { pod: p.pod } : {}),
      capture: true,
      does: [],
      expect: [],
      note: 'a capture point off the computed path',
    };
    let at = 0;
    views.forEach((v, i) => {
      if (v.point && v.point.order < p.order) at = i + 1;
    });
    views.splice(at, 0, { hop, point: p, seen: new Map(), offPath: true });
  }
  // Counted in journeys: a NAT of address and port is one rewrite, not two.
  const byPoint = new Map(views.filter((v) => v.point).map((v) => [v.point!.id, v]));
  for (const j of trace.journeys) {
    const once = new Set<string>();
    for (const f of j.findings) {
      const v = byPoint.get(f.at);
      const key = `${f.at}\u0000${f.kind}`;
      if (!v || once.has(key)) continue;
      once.add(key);
      v.seen.set(f.kind, (v.seen.get(f.kind) ?? 0) + 1);
    }
  }
  return views;
}

/** The hops as a table: the same facts as the drawing, searchable and copyable. */
export function renderHopTable(views: HopView[]): string {
  const rows = views.map((v, i) => {
    const h = v.hop;
    const mark = v.point ? '●' : h.capture ? '◌' : '○';
    const cap = v.point
      ? `${v.point.packets}${v.point.dropped ? ` <span class="bad">(${v.point.dropped} dropped)</span>` : ''}`
      : h.capture
        ? '<span class="warn">not captured</span>'
        : '';
    const does = h.does.map((c) => `<div class="does">${esc(describeChange(c))}</div>`).join('');
    const expect = h.expect.map((c) => `<div>${esc(describeChange(c))}</div>`).join('');
    const note = [h.note, h.why ? `not captured: ${h.why}` : '', v.offPath ? 'off the computed path' : '']
      .filter(Boolean)
      .map((s) => `<div>${esc(s)}</div>`)
      .join('');
    return (
      `<tr class="${v.point ? 'cap' : 'nocap'}" data-hop="${esc(h.id)}"><td class="num">${i + 1}</td>` +
      `<td class="mark">${mark}</td><td><code>${esc(h.id)}</code>${h.pod ? `<div class="muted">pod ${esc(h.pod)}</div>` : ''}</td>` +
      `<td>${esc(h.role)}</td><td class="num">${cap}</td><td>${does}</td><td>${expect}</td><td class="muted">${note}</td></tr>`
    );
  });
  return (
    '<table class="hops"><thead><tr><th>#</th><th></th><th>hop</th><th>role</th><th>packets</th>' +
    '<th>does to the packet</th><th>expected at this capture point</th><th>notes</th></tr></thead>' +
    `<tbody>${rows.join('\n')}</tbody></table>`
  );
}
