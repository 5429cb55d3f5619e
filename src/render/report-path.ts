// The report's picture of the path: one column per node (and one for the world outside), each drawn
// as the node is built — the pod's network namespace on top, br-int with the host veth, OVN's
// logical pipeline and the tunnel/patch ports, br-ex with the NIC at the bottom — and the hops placed
// on it in path order, joined by arrows. Capture points are filled; hops no device shows (OVN's
// flow tables, patch ports, a userspace tunnel port) are dashed and say what they do to the packet.
// With a Topology, each bridge also lists its other ports, so the path sits in the node around it.
import type { Topology } from '../topology/model.ts';
import type { HopRole, PathHop } from '../topology/path.ts';
import type { TraceResult } from '../trace/types.ts';
import { describeChange } from './inspect-text.ts';
import type { HopView } from './report-hops.ts';
import { clip, esc, plural, r1, svgLines, wrap } from './report-util.ts';

const ROW: Record<HopRole, number> = {
  'pod-eth0': 0,
  'host-veth': 1,
  'management-port': 1,
  ovn: 2,
  tunnel: 3,
  patch: 3,
  bridge: 4,
  host: 4,
  nic: 5,
  external: 5,
  loopback: 0,
};
const rowOf = (h: PathHop) => ROW[h.role] ?? 1;

const KIND_SHORT: Record<string, string> = {
  snat: 'SNAT',
  dnat: 'DNAT',
  encap: 'encap',
  decap: 'decap',
  routed: 'routed',
  'mac-rewrite': 'MAC rewrite',
  lost: 'lost after',
  duplicate: 'duplicated',
};

// Geometry, in px. Text is monospace so its width is known without a browser.
const BW = 260;
const SUBGAP = 28;
const NODEPAD = 16;
const COLGAP = 100;
const FONT = 11;
const LINE = 13;
const CHARS = Math.floor((BW - 14) / (FONT * 0.6));

interface Box {
  v: HopView;
  index: number;
  row: number;
  col: number;
  sub: number;
  x: number;
  y: number;
  h: number;
  title: string;
  lines: { text: string; cls: string }[];
}

interface Column {
  node: string;
  external: boolean;
  boxes: Box[];
  subs: number;
  x: number;
  w: number;
  brInt: boolean;
  brEx: boolean;
  intContext: string[];
  exContext: string[];
}

function title(v: HopView, podIp: (pod: string) => string | undefined): string {
  const h = v.hop;
  switch (h.role) {
    case 'pod-eth0': {
      const ip = h.pod ? podIp(h.pod) : undefined;
      return `${h.interface}${ip ? ` ${ip}` : ''}`;
    }
    case 'ovn':
      return `OVN logical pipeline`;
    case 'bridge':
      return `${h.interface} flows`;
    case 'host':
      return `${h.interface} (host stack)`;
    default:
      return h.interface;
  }
}

function boxLines(v: HopView): { text: string; cls: string }[] {
  const h = v.hop;
  const out: { text: string; cls: string }[] = [];
  const add = (text: string, cls: string, max = 99) => {
    const ls = wrap(text, CHARS);
    for (const l of ls.slice(0, max)) out.push({ text: l, cls });
    if (ls.length > max) out[out.length - 1]!.text = clip(`${out[out.length - 1]!.text} …`, CHARS);
  };
  if (v.point) {
    const drops = v.point.dropped ? `, ${v.point.dropped} dropped` : '';
    add(`● captured: ${plural(v.point.packets, 'packet')}${drops}`, v.point.packets ? 'cap' : 'warn');
  } else if (h.capture) add('◌ capture point, not captured', 'warn');
  else add(`○ ${h.why && h.why.length <= CHARS - 2 ? h.why : 'no device shows this'}`, 'muted');
  for (const c of h.does) add(describeChange(c), 'does');
  if (v.seen.size) {
    const kinds = [...v.seen].map(([k, n]) => `${KIND_SHORT[k] ?? k} ×${n}`).join(', ');
    add(`seen here: ${kinds}`, v.seen.has('lost') || v.seen.has('duplicate') ? 'bad' : 'seen');
  }
  if (h.note) add(h.note, 'muted', 3);
  return out;
}

function context(
  t: Topology | undefined,
  node: string,
  role: 'integration' | 'gateway',
  onPath: Set<string>,
) {
  const n = t?.nodes.find((x) => x.name === node);
  const b = n?.bridges.find((x) => x.role === role);
  if (!n || !b) return undefined;
  const ports = b.ports.filter((p) => !onPath.has(p.name));
  const pods = ports.filter((p) => p.role === 'pod');
  const named = ports
    .filter((p) => p.role !== 'pod')
    .map((p) => {
      const tun = n.tunnels.find((x) => x.port === p.name);
      if (tun) return `${p.name} (${tun.type} → ${tun.remoteNode ?? tun.remoteIp ?? '?'})`;
      if (p.role === 'bridge-internal')
        return `${p.name} (internal${n.nodeIp && role === 'gateway' ? ` ${n.nodeIp}` : ''})`;
      return `${p.name} (${p.role === 'management' ? 'mp0' : p.role})`;
    });
  if (pods.length) named.push(`${plural(pods.length, 'other pod port')}`);
  return { text: named.length ? `also on ${b.name}: ${named.join(', ')}` : '' };
}

export function renderPathSvg(trace: TraceResult, views: HopView[], topology?: Topology): string {
  const podIp = (pod: string): string | undefined => {
    const tp = topology?.pods.find((p) => `${p.namespace}/${p.name}` === pod);
    if (tp?.ips[0]) return tp.ips[0];
    for (const e of [trace.path.from, trace.path.to]) if (e.kind === 'pod' && e.pod === pod) return e.ip;
    return undefined;
  };
  // Columns: runs of hops on one node; a run that climbs back up (same node) uses a second lane.
  const cols: Column[] = [];
  views.forEach((v, index) => {
    const node = v.hop.node ?? (v.hop.role === 'external' ? 'external' : '?');
    let col = cols[cols.length - 1];
    if (!col || col.node !== node) {
      col = {
        node,
        external: v.hop.role === 'external' || node === 'external',
        boxes: [],
        subs: 1,
        x: 0,
        w: 0,
        brInt: false,
        brEx: false,
        intContext: [],
        exContext: [],
      };
      cols.push(col);
    }
    const lines = boxLines(v);
    col.boxes.push({
      v,
      index,
      row: rowOf(v.hop),
      col: cols.length - 1,
      sub: 0,
      x: 0,
      y: 0,
      h: 8 + 15 + lines.length * LINE + 4,
      title: title(v, podIp),
      lines,
    });
  });
  for (const col of cols) {
    let descended = false;
    let lane = 0;
    col.boxes.forEach((b, i) => {
      const prev = col.boxes[i - 1];
      if (prev && b.row > prev.row) descended = true;
      if (prev && b.row < prev.row && descended && lane === 0) {
        lane = 1;
        // The turning hop (bottom of the V) sits between the two lanes.
        prev.sub = 0.5;
      }
      b.sub = lane;
    });
    col.subs = lane + 1;
    // The bridge hops (OVN's pipeline, br-ex's flows) are no port: the bridge's own port is not on the path.
    const onPath = new Set(
      col.boxes
        .filter((b) => b.v.hop.role !== 'ovn' && b.v.hop.role !== 'bridge')
        .map((b) => b.v.hop.interface),
    );
    const rows = new Set(col.boxes.map((b) => b.row));
    const int = context(topology, col.node, 'integration', onPath);
    const ex = context(topology, col.node, 'gateway', onPath);
    col.brInt = !col.external && (rows.has(1) || rows.has(2) || rows.has(3) || int !== undefined);
    col.brEx =
      !col.external &&
      (rows.has(4) || col.boxes.some((b) => b.v.hop.role === 'patch') || (ex !== undefined && rows.has(5)));
    col.w = col.subs * BW + (col.subs - 1) * SUBGAP + 2 * NODEPAD;
    const chars = Math.floor((col.w - 2 * NODEPAD) / 6);
    if (int?.text) col.intContext = wrap(int.text, chars);
    if (ex?.text && col.brEx) col.exContext = wrap(ex.text, chars);
  }
  let x = 12;
  for (const col of cols) {
    col.x = x;
    x += col.w + COLGAP;
  }
  // Never narrower than the legend under the drawing.
  const width = Math.max(x - COLGAP + 12, 820);

  // Rows are shared by all columns so that NICs line up and the underlay is one straight line.
  const content = [0, 0, 0, 0, 0, 0];
  for (const col of cols) for (const b of col.boxes) content[b.row] = Math.max(content[b.row]!, b.h);
  const anyBrEx = cols.some((c) => c.brEx);
  const pre = [
    content[0] ? 24 : 0,
    28,
    content[2] ? 12 : 0,
    content[3] ? 12 : 0,
    anyBrEx ? 28 : 0,
    content[5] ? 16 : 0,
  ];
  const post = [0, 0, 0, 10 + Math.max(0, ...cols.map((c) => c.intContext.length)) * 12, 0, 0];
  post[5] = anyBrEx ? 10 + Math.max(0, ...cols.map((c) => c.exContext.length)) * 12 : 0;
  const top: number[] = [];
  let y = 44;
  for (let r = 0; r < 6; r++) {
    top[r] = y + pre[r]!;
    y = top[r]! + content[r]! + post[r]!;
    if (content[r] || pre[r]) y += 14;
  }
  const height = y + 48;
  for (const col of cols)
    for (const b of col.boxes) {
      b.x = col.x + NODEPAD + b.sub * (BW + SUBGAP);
      b.y = top[b.row]!;
    }

  const out: string[] = [];
  out.push(
    `<svg class="path-svg" role="img" aria-label="the path hop by hop" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  // Structure first (node frames, namespaces, bridges), then arrows, then hop boxes on top.
  const nodeIp = (n: string) => topology?.nodes.find((x) => x.name === n)?.nodeIp;
  for (const col of cols) {
    const bottom = height - 34;
    const label = col.external
      ? 'outside the cluster'
      : `node ${col.node}${nodeIp(col.node) ? ` · ${nodeIp(col.node)}` : ''}`;
    // The outside world is only drawn where it is reached: level with the NICs.
    const frameTop = col.external ? Math.min(...col.boxes.map((b) => b.y)) - 36 : 8;
    out.push(
      `<rect class="${col.external ? 'frame ext' : 'frame'}" x="${col.x}" y="${frameTop}" width="${col.w}" height="${bottom - frameTop}" rx="10"/>`,
      svgLines(col.x + 12, frameTop + 20, [label], { cls: 'frame-label', lineHeight: 14 }),
    );
    const inner = { x: col.x + 8, w: col.w - 16 };
    if (col.brInt) {
      const y0 = top[1]! - 24;
      const y1 = top[3]! + content[3]! + post[3]! - 2;
      out.push(
        `<rect class="bridge" x="${inner.x}" y="${y0}" width="${inner.w}" height="${y1 - y0}" rx="6"/>`,
        svgLines(inner.x + 8, y0 + 15, ['br-int (OVN integration bridge)'], {
          cls: 'bridge-label',
          lineHeight: 12,
        }),
        svgLines(inner.x + 8, top[3]! + content[3]! + 14, col.intContext, { cls: 'context', lineHeight: 12 }),
      );
    }
    if (col.brEx) {
      const y0 = top[4]! - 24;
      const y1 = top[5]! + content[5]! + post[5]! - 2;
      out.push(
        `<rect class="bridge ex" x="${inner.x}" y="${y0}" width="${inner.w}" height="${y1 - y0}" rx="6"/>`,
        svgLines(inner.x + 8, y0 + 15, ['br-ex (gateway bridge)'], { cls: 'bridge-label', lineHeight: 12 }),
        svgLines(inner.x + 8, top[5]! + content[5]! + 14, col.exContext, { cls: 'context', lineHeight: 12 }),
      );
    }
    for (const b of col.boxes) {
      if (b.v.hop.role !== 'pod-eth0' && b.v.hop.role !== 'loopback') continue;
      out.push(
        `<rect class="netns" x="${b.x - 6}" y="${b.y - 20}" width="${BW + 12}" height="${b.h + 26}" rx="6"/>`,
        svgLines(b.x, b.y - 7, [clip(`pod ${b.v.hop.pod ?? '?'}`, 40)], {
          cls: 'netns-label',
          lineHeight: 12,
        }),
      );
    }
  }
  const boxes = cols.flatMap((c) => c.boxes).sort((a, b) => a.index - b.index);
  const encapBefore = (i: number) =>
    views
      .slice(0, i + 1)
      .flatMap((v) => v.hop.does)
      .filter((c) => c.kind === 'encap' || c.kind === 'decap')
      .at(-1);
  for (let i = 1; i < boxes.length; i++) out.push(arrow(boxes[i - 1]!, boxes[i]!, encapBefore(i - 1)));
  for (const b of boxes) out.push(hopBox(b));
  const legendY = height - 14;
  out.push(
    `<rect class="hop cap" x="14" y="${legendY - 10}" width="14" height="12" rx="3"/>`,
    svgLines(34, legendY, ['capture point'], { cls: 'legend', lineHeight: 12 }),
    `<rect class="hop nocap" x="140" y="${legendY - 10}" width="14" height="12" rx="3"/>`,
    svgLines(160, legendY, ['no device shows it (what it does in purple)'], {
      cls: 'legend',
      lineHeight: 12,
    }),
    svgLines(470, legendY, ['arrows: the request direction (replies go back)'], {
      cls: 'legend',
      lineHeight: 12,
    }),
    '</svg>',
  );
  return out.join('\n');
}

function hopBox(b: Box): string {
  const v = b.v;
  const cls = v.point ? 'hop cap' : v.hop.capture ? 'hop missed' : 'hop nocap';
  const bad = v.seen.has('lost') || v.point?.packets === 0 ? ' bad' : '';
  const tip = [v.hop.id, v.hop.role, v.hop.why ?? '', v.point?.description ?? ''].filter(Boolean).join(' — ');
  const parts = [
    `<g class="hop-g" data-hop="${esc(v.hop.id)}"><title>${esc(tip)}</title>`,
    `<rect class="${cls}${bad}" x="${r1(b.x)}" y="${b.y}" width="${BW}" height="${b.h}" rx="5"/>`,
    svgLines(b.x + 8, b.y + 16, [clip(b.title, Math.floor((BW - 14) / 7.2))], {
      cls: v.point ? 'hop-title cap' : 'hop-title',
      lineHeight: 14,
    }),
  ];
  b.lines.forEach((l, i) => {
    parts.push(
      svgLines(b.x + 8, b.y + 16 + 15 + i * LINE, [l.text], { cls: `hl ${l.cls}`, lineHeight: LINE }),
    );
  });
  parts.push('</g>');
  return parts.join('');
}

type Change = PathHop['does'][number];

function arrow(a: Box, b: Box, tunnel: Change | undefined): string {
  const acx = a.x + BW / 2;
  const bcx = b.x + BW / 2;
  let d: string;
  let tip: [number, number, 'up' | 'down' | 'left' | 'right'];
  let label = '';
  if (a.row === b.row) {
    const y = a.y + 18;
    const right = b.x > a.x;
    const sx = right ? a.x + BW : a.x;
    const ex = right ? b.x : b.x + BW;
    d = `M${r1(sx)} ${y}H${r1(ex)}`;
    tip = [ex, y, right ? 'right' : 'left'];
    if (a.col !== b.col) {
      const enc =
        tunnel?.kind === 'encap' ? `${tunnel.protocol}${tunnel.dstPort ? ` udp/${tunnel.dstPort}` : ''}` : '';
      const lines = enc ? ['underlay', enc] : ['underlay'];
      label = svgLines((sx + ex) / 2, y - 8 - (lines.length - 1) * 12, lines, {
        cls: 'link-label',
        lineHeight: 12,
        anchor: 'middle',
      });
    }
  } else if (b.row > a.row) {
    const sy = a.y + a.h;
    const ey = b.y;
    const mid = (sy + ey) / 2;
    d = acx === bcx ? `M${r1(acx)} ${sy}V${ey}` : `M${r1(acx)} ${sy}V${r1(mid)}H${r1(bcx)}V${ey}`;
    tip = [bcx, ey, 'down'];
  } else {
    const sy = a.y;
    const ey = b.y + b.h;
    const mid = (sy + ey) / 2;
    d = acx === bcx ? `M${r1(acx)} ${sy}V${ey}` : `M${r1(acx)} ${sy}V${r1(mid)}H${r1(bcx)}V${ey}`;
    tip = [bcx, ey, 'up'];
  }
  const [tx, ty, dir] = tip;
  const s = 6;
  const head =
    dir === 'down'
      ? `${tx - s},${ty - 2 * s} ${tx + s},${ty - 2 * s} ${tx},${ty}`
      : dir === 'up'
        ? `${tx - s},${ty + 2 * s} ${tx + s},${ty + 2 * s} ${tx},${ty}`
        : dir === 'right'
          ? `${tx - 2 * s},${ty - s} ${tx - 2 * s},${ty + s} ${tx},${ty}`
          : `${tx + 2 * s},${ty - s} ${tx + 2 * s},${ty + s} ${tx},${ty}`;
  const seen = a.v.point && b.v.point ? '' : ' via';
  return `<path class="link${seen}" d="${d}"/><polygon class="link-head" points="${head}"/>${label}`;
}
