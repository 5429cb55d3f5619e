// Which TopologySource a command reads: a recorded folder (--from), the Kubernetes API
// (--kubeconfig/--context) or the local lab (the default), optionally recording (--record).
import { NettraceError } from '../errors.ts';
import type { CommandLog } from '../hosts/host.ts';
import { requireRoot } from '../lab/preflight.ts';
import { LiveSource, RecordedSource, type TopologySource } from './collect.ts';
import { LabClusterView } from './lab-view.ts';

export interface SourceOptions {
  /** Read a recording instead of the live system. */
  from?: string;
  /** Save every output read from the live system into this folder. */
  record?: string;
  /** The lab's state dir (default: $NETTRACE_LAB_DIR or /run/nettrace-lab). */
  stateDir?: string;
  kubeconfig?: string;
  /** kubeconfig context (default: the current one). */
  context?: string;
  /** The namespace a cluster view reads (-n). */
  namespace?: string;
  /** The node agent image on a cluster (--image). */
  image?: string;
  /** Where the node agents are created (--agent-namespace; default: namespace). */
  agentNamespace?: string;
  log?: CommandLog;
  /** For messages: the command asking (`nettrace inspect`). */
  command?: string;
}

/**
 * The source the options name. The Kubernetes client is loaded only for a cluster: it costs a third
 * of a second and 80 MiB at start, which `--help` and a lab run should not pay.
 */
export async function openTopologySource(o: SourceOptions): Promise<TopologySource> {
  if (o.from !== undefined) {
    if (o.record !== undefined)
      throw new NettraceError(
        'topology.bad-options',
        '--from reads a recording; --record makes one: use one of them',
      );
    return new RecordedSource(o.from);
  }
  if (o.kubeconfig !== undefined || o.context !== undefined) {
    const { KubeClusterView } = await import('../kube/view.ts');
    const view = new KubeClusterView({
      namespace: o.namespace ?? 'default',
      ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
      ...(o.context !== undefined ? { context: o.context } : {}),
      ...(o.image !== undefined ? { image: o.image } : {}),
      ...(o.agentNamespace !== undefined ? { agentNamespace: o.agentNamespace } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    return new LiveSource(view, o.record);
  }
  requireRoot(`${o.command ?? 'nettrace'} on the lab`);
  const view = LabClusterView.open({
    ...(o.stateDir !== undefined ? { stateDir: o.stateDir } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  return new LiveSource(view, o.record);
}

/** Ends what a source holds on the cluster (the node agents); nothing for the lab or a recording. */
export async function closeTopologySource(source: TopologySource): Promise<void> {
  if (source instanceof LiveSource && source.clusterView.close) {
    const failures = await source.clusterView.close();
    if (failures.length)
      throw new NettraceError(
        'kube.cleanup-failed',
        `could not delete node agents: ${failures.join('; ')} (run nettrace cleanup)`,
      );
  }
}
