// `nettrace inspect`: one pod's network facts (design.md's "Inspect" contract) and, with a
// destination, the path to it. Everything is discovered through a TopologySource; the JSON form is
// this InspectResult as it is.
import { findPod } from './cluster-view.ts';
import type { TopologySource } from './collect.ts';
import { discover } from './discover.ts';
import { type Endpoint, resolveEndpoint } from './endpoints.ts';
import type {
  Container,
  HostVeth,
  NamespaceKind,
  Nic,
  PodInterface,
  Topology,
  TopologySourceInfo,
  Tunnel,
} from './model.ts';
import { computePath, type PathResult } from './path.ts';

export interface InspectResult {
  pod: string;
  namespace: string;
  name: string;
  node: string;
  ips: string[];
  sandboxId?: string;
  netns: { path?: string; inode?: number };
  containers: Container[];
  sharedNamespaces: NamespaceKind[];
  isolatedNamespaces: NamespaceKind[];
  partlySharedNamespaces: NamespaceKind[];
  hostNamespaces: NamespaceKind[];
  eth0: PodInterface | null;
  hostVeth: HostVeth | null;
  nodeIp: string | null;
  nic: Nic | null;
  tunnels: Tunnel[];
  path?: PathResult;
  warnings: string[];
  source: TopologySourceInfo;
}

export interface InspectOptions {
  /** `--to`: pod/NAME, svc/NAME[:PORT], node/NAME or an IP. */
  to?: string;
}

/** The nodes and pods a path to `to` crosses (so they are discovered too). */
export function endpointsToDiscover(
  to: Endpoint | undefined,
  topo: { services: Topology['cluster']['services'] },
) {
  const pods: { namespace: string; name: string }[] = [];
  const nodes: string[] = [];
  const addPod = (key: string) => {
    const i = key.indexOf('/');
    pods.push({ namespace: key.slice(0, i), name: key.slice(i + 1) });
  };
  if (to?.kind === 'pod') addPod(to.pod);
  if (to?.kind === 'node') nodes.push(to.node);
  if (to?.kind === 'service') {
    const svc = topo.services.find((s) => `${s.namespace}/${s.name}` === to.service);
    for (const e of svc?.endpoints ?? []) if (e.pod) addPod(e.pod);
  }
  return { pods, nodes };
}

export async function inspectPod(
  source: TopologySource,
  namespace: string,
  name: string,
  opts: InspectOptions = {},
): Promise<{ result: InspectResult; topology: Topology }> {
  const cluster = await source.cluster();
  const where = source.kind === 'recorded' ? `the recording ${source.dir}` : `the ${source.view}`;
  const target = findPod(cluster.pods, namespace, name, where);
  const to = opts.to !== undefined ? resolveEndpoint(opts.to, cluster, namespace) : undefined;
  const extra = endpointsToDiscover(to, cluster);
  const topology = await discover(source, {
    pods: [{ namespace, name }, ...extra.pods],
    nodes: extra.nodes,
  });
  const pod = topology.pods.find((p) => p.namespace === namespace && p.name === name)!;
  const node = topology.nodes.find((n) => n.name === target.node)!;
  const warnings = [...pod.warnings, ...node.warnings.map((w) => `node ${node.name}: ${w}`)];
  const result: InspectResult = {
    pod: `${namespace}/${name}`,
    namespace,
    name,
    node: pod.node,
    ips: pod.ips,
    ...(pod.sandboxId ? { sandboxId: pod.sandboxId } : {}),
    netns: pod.netns,
    containers: pod.containers,
    sharedNamespaces: pod.sharedNamespaces,
    isolatedNamespaces: pod.isolatedNamespaces,
    partlySharedNamespaces: pod.partlySharedNamespaces,
    hostNamespaces: pod.hostNamespaces,
    eth0: pod.eth0 ?? null,
    hostVeth: pod.hostVeth ?? null,
    nodeIp: node.nodeIp ?? null,
    nic: node.nic ?? null,
    tunnels: node.tunnels,
    warnings,
    source: topology.source,
  };
  if (to)
    result.path = computePath(
      topology,
      { kind: 'pod', pod: result.pod, ...(pod.ips[0] ? { ip: pod.ips[0] } : {}) },
      to,
    );
  return { result, topology };
}
