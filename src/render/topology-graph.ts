// The topology as a plain graph — groups (node, bridge), vertices (ports, pods, the underlay) and
// edges (veth, patch, tunnel, uplink) — shared by the Mermaid and DOT renderers so both draw the
// same picture. Pod ports fold into one vertex past a limit, as in the ASCII drawing.
import type { Port, Topology } from '../topology/model.ts';

export interface GraphGroup {
  id: string;
  label: string;
  parent?: string;
}

export interface GraphVertex {
  id: string;
  lines: string[];
  shape: 'port' | 'pod' | 'fold' | 'network';
  group?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  style: 'solid' | 'dashed';
}

export interface TopologyGraph {
  groups: GraphGroup[];
  vertices: GraphVertex[];
  edges: GraphEdge[];
}

/** Identifiers both Mermaid and DOT accept: letters, digits and underscores. */
export function graphId(...parts: string[]): string {
  return parts.join('__').replace(/[^A-Za-z0-9_]/g, '_');
}

function portLines(p: Port): string[] {
  const head = `${p.name}${p.ofport !== undefined && p.ofport !== 65534 ? ` [${p.ofport}]` : ''}`;
  const role = p.role === 'bridge-internal' ? 'internal' : p.role === 'tunnel' ? p.type : p.role;
  return [head, role];
}

export function topologyGraph(
  t: Topology,
  opts: { pods?: string[]; maxPodPorts?: number } = {},
): TopologyGraph {
  const g: TopologyGraph = { groups: [], vertices: [], edges: [] };
  const wanted = opts.pods ?? [];
  const max = opts.maxPodPorts ?? 8;
  const isWanted = (pod: string | undefined) =>
    pod !== undefined && (wanted.includes(pod) || wanted.includes(pod.slice(pod.indexOf('/') + 1)));
  const underlay = graphId('underlay');
  if (t.nodes.some((n) => n.nic)) g.vertices.push({ id: underlay, lines: ['underlay'], shape: 'network' });
  const tunnelSeen = new Set<string>();
  for (const n of t.nodes) {
    const nodeGroup = graphId('node', n.name);
    g.groups.push({ id: nodeGroup, label: `node ${n.name}${n.nodeIp ? ` (${n.nodeIp})` : ''}` });
    for (const b of n.bridges) {
      const bg = graphId('br', n.name, b.name);
      g.groups.push({ id: bg, label: b.name, parent: nodeGroup });
      const pods = b.ports.filter((p) => p.role === 'pod');
      const fold = pods.length > max;
      const folded: Port[] = [];
      for (const p of b.ports) {
        if (p.role === 'pod' && fold && !isWanted(p.pod)) {
          folded.push(p);
          continue;
        }
        const id = graphId('port', n.name, p.name);
        g.vertices.push({ id, lines: portLines(p), shape: 'port', group: bg });
        if (p.role === 'pod') {
          const podId = graphId('pod', n.name, p.name);
          const pt = t.pods.find((x) => `${x.namespace}/${x.name}` === p.pod);
          const lines = [p.pod ? `pod ${p.pod}` : `pod ? (${p.ifaceId ?? p.name})`];
          if (pt?.eth0) lines.push(`${pt.eth0.name} ${pt.eth0.addresses.join(' ')}`);
          g.vertices.push({ id: podId, lines, shape: 'pod', group: nodeGroup });
          g.edges.push({ from: podId, to: id, label: 'veth', style: 'solid' });
        }
        if (p.role === 'nic') g.edges.push({ from: id, to: underlay, style: 'solid' });
      }
      if (folded.length) {
        g.vertices.push({
          id: graphId('fold', n.name, b.name),
          lines: [
            `${folded.length} ${folded.length < pods.length ? 'more ' : ''}pod port${folded.length === 1 ? '' : 's'}`,
          ],
          shape: 'fold',
          group: bg,
        });
      }
    }
    for (const p of n.patches) {
      g.edges.push({
        from: graphId('port', n.name, p.a.port),
        to: graphId('port', n.name, p.b.port),
        label: 'patch',
        style: 'solid',
      });
    }
    for (const tun of n.tunnels) {
      if (!tun.remoteNode) continue;
      const peer = t.nodes.find((x) => x.name === tun.remoteNode);
      const back = peer?.tunnels.find((x) => x.remoteNode === n.name);
      const key = [n.name, tun.remoteNode].sort().join('|');
      if (!peer || !back || tunnelSeen.has(key)) continue;
      tunnelSeen.add(key);
      g.edges.push({
        from: graphId('port', n.name, tun.port),
        to: graphId('port', peer.name, back.port),
        label: `${tun.type} ${tun.localIp ?? '?'} ⇄ ${tun.remoteIp ?? '?'}`,
        style: 'dashed',
      });
    }
  }
  return g;
}
