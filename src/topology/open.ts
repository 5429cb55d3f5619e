// Which TopologySource a command reads: a recorded folder (--from), the Kubernetes API
// (--kubeconfig: a later issue) or the local lab (the default), optionally recording (--record).
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
  log?: CommandLog;
  /** For messages: the command asking (`nettrace inspect`). */
  command?: string;
}

export function openTopologySource(o: SourceOptions): TopologySource {
  if (o.from !== undefined) {
    if (o.record !== undefined)
      throw new NettraceError(
        'topology.bad-options',
        '--from reads a recording; --record makes one: use one of them',
      );
    return new RecordedSource(o.from);
  }
  if (o.kubeconfig !== undefined) {
    throw new NettraceError(
      'topology.not-implemented',
      'not implemented yet: the Kubernetes backend is issue 6 (use the local lab: --lab, or a recording: --from DIR)',
    );
  }
  requireRoot(`${o.command ?? 'nettrace'} on the lab`);
  const view = LabClusterView.open({
    ...(o.stateDir !== undefined ? { stateDir: o.stateDir } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  return new LiveSource(view, o.record);
}
