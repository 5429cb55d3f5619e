// Discovery: which nodes and pods to look at, their outputs fetched all at once (every node's and
// every pod's commands run concurrently), then the pure builders. The same code reads a live
// system or a recorded folder, through a TopologySource.
import type { ClusterPod, ClusterSnapshot } from './cluster-view.ts';
import { findNode, findPod, podKey } from './cluster-view.ts';
import { RecordedSource, type TopologySource } from './collect.ts';
import type { NodeTopology, Topology } from './model.ts';
import { buildNode, linkTunnels } from './node-model.ts';
import { buildPod } from './pod-model.ts';

export interface DiscoverRequest {
  /** Nodes to discover (the pods' nodes are added). */
  nodes?: string[];
  /** Pods to enter: their network namespace and their containers' namespaces. */
  pods?: { namespace: string; name: string }[];
}

export async function discover(source: TopologySource, req: DiscoverRequest): Promise<Topology> {
  const cluster = await source.cluster();
  const where = source.kind === 'recorded' ? `the recording ${source.dir}` : `the ${source.view}`;
  const pods: ClusterPod[] = [];
  for (const r of req.pods ?? []) {
    const p = findPod(cluster.pods, r.namespace, r.name, where);
    if (!pods.some((x) => podKey(x) === podKey(p))) pods.push(p);
  }
  const nodeNames = [...new Set([...(req.nodes ?? []), ...pods.map((p) => p.node)])];
  for (const n of nodeNames) findNode(cluster.nodes, n, where);

  // Only the pods entered get their node-side facts (netns, pids): on a cluster that takes an agent
  // on their node, which must not happen for the other nodes hosting pods of the namespace.
  const [nodeOuts, podOuts] = await Promise.all([
    Promise.all(nodeNames.map((n) => source.nodeOutputs(n))),
    Promise.all(
      pods.map(async (p) => {
        await source.completePod(p);
        return source.podOutputs(p);
      }),
    ),
  ]);
  const nodes: NodeTopology[] = nodeNames.map((n, i) => buildNode(n, nodeOuts[i]!, cluster));
  linkTunnels(nodes);
  const podTopos = pods.map((p, i) =>
    buildPod(
      p,
      podOuts[i]!,
      nodes.find((n) => n.name === p.node),
    ),
  );
  await source.finish?.();
  const collectedAt = source instanceof RecordedSource ? await source.recordedAt() : new Date().toISOString();
  const view = source instanceof RecordedSource ? await source.recordedView() : source.view;
  return {
    source: { kind: source.kind, view, ...(source.dir ? { dir: source.dir } : {}), collectedAt },
    nodes,
    pods: podTopos,
    cluster,
  };
}

/** Pods the orchestrator places on `node`, by name, for naming ports without entering 200 namespaces. */
export function podsOnNode(cluster: ClusterSnapshot, node: string): ClusterPod[] {
  return cluster.pods.filter((p) => p.node === node);
}
