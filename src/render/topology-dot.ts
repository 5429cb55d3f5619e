// The topology as Graphviz DOT (`nettrace topo -o dot | dot -Tsvg > topo.svg`): nodes and bridges
// as nested clusters, the same graph the Mermaid renderer draws.
import type { Topology } from '../topology/model.ts';
import { type GraphGroup, type GraphVertex, type TopologyGraph, topologyGraph } from './topology-graph.ts';

function quote(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

const SHAPES: Record<GraphVertex['shape'], string> = {
  port: 'shape=box',
  pod: 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',
  fold: 'shape=note',
  network: 'shape=ellipse',
};

function vertex(v: GraphVertex, pad: string): string {
  return `${pad}${v.id} [label=${quote(v.lines.join('\n'))}, ${SHAPES[v.shape]}];`;
}

function cluster(g: TopologyGraph, grp: GraphGroup, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const lines = [`${pad}subgraph cluster_${grp.id} {`, `${pad}  label=${quote(grp.label)};`];
  for (const child of g.groups.filter((x) => x.parent === grp.id))
    lines.push(...cluster(g, child, depth + 1));
  for (const v of g.vertices.filter((x) => x.group === grp.id)) lines.push(vertex(v, `${pad}  `));
  lines.push(`${pad}}`);
  return lines;
}

export function renderTopologyDot(t: Topology, opts: { pods?: string[]; maxPodPorts?: number } = {}): string {
  const g = topologyGraph(t, opts);
  const lines = ['graph nettrace {', '  rankdir=LR;', '  node [fontname="monospace", fontsize=10];'];
  for (const grp of g.groups.filter((x) => !x.parent)) lines.push(...cluster(g, grp, 1));
  for (const v of g.vertices.filter((x) => !x.group)) lines.push(vertex(v, '  '));
  for (const e of g.edges) {
    const attrs = [e.label ? `label=${quote(e.label)}` : '', e.style === 'dashed' ? 'style=dashed' : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${e.from} -- ${e.to}${attrs ? ` [${attrs}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
