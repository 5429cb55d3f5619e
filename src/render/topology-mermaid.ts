// The topology as a Mermaid flowchart (paste into a Markdown file or mermaid.live): nodes and
// bridges as nested subgraphs, ports and pods as boxes, patch/veth/uplink as lines and Geneve
// tunnels as dashed lines between nodes.
import type { Topology } from '../topology/model.ts';
import { type GraphGroup, type GraphVertex, type TopologyGraph, topologyGraph } from './topology-graph.ts';

function text(lines: string[]): string {
  // Mermaid labels: quotes are not allowed inside "...", line breaks are <br/>.
  return lines.map((l) => l.replaceAll('"', "'")).join('<br/>');
}

function vertex(v: GraphVertex): string {
  const t = `"${text(v.lines)}"`;
  switch (v.shape) {
    case 'pod':
      return `${v.id}([${t}])`;
    case 'fold':
      return `${v.id}[/${t}/]`;
    case 'network':
      return `${v.id}((${t}))`;
    default:
      return `${v.id}[${t}]`;
  }
}

function group(g: TopologyGraph, grp: GraphGroup, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const lines = [`${pad}subgraph ${grp.id}["${text([grp.label])}"]`];
  for (const child of g.groups.filter((x) => x.parent === grp.id)) lines.push(...group(g, child, depth + 1));
  for (const v of g.vertices.filter((x) => x.group === grp.id)) lines.push(`${pad}  ${vertex(v)}`);
  lines.push(`${pad}end`);
  return lines;
}

export function renderTopologyMermaid(
  t: Topology,
  opts: { pods?: string[]; maxPodPorts?: number } = {},
): string {
  const g = topologyGraph(t, opts);
  const lines = ['flowchart LR'];
  for (const grp of g.groups.filter((x) => !x.parent)) lines.push(...group(g, grp, 1));
  for (const v of g.vertices.filter((x) => !x.group)) lines.push(`  ${vertex(v)}`);
  for (const e of g.edges) {
    const arrow = e.style === 'dashed' ? '-.-' : '---';
    lines.push(`  ${e.from} ${arrow}${e.label ? `|"${text([e.label])}"|` : ''} ${e.to}`);
  }
  return `${lines.join('\n')}\n`;
}
