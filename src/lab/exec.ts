// `lab exec TARGET -- CMD`: where a command runs in the lab, in oc's words. `node/NAME` is a node's
// namespace with its OVS/OVN sockets found by the usual client tools (`oc debug node/NAME` then
// `chroot /host`); `pod/NAME` (or a bare NAME) is a container, entered through its host pid
// (`oc exec`); `host/external` and `host/central` are the external host and the OVN central namespace.
import { NettraceError } from '../errors.ts';
import type { NetnsHost } from '../hosts/netns.ts';
import type { Lab } from './lab.ts';
import { LAB_NAMESPACE } from './spec.ts';

export type ExecTarget =
  | { kind: 'node'; name: string }
  | { kind: 'pod'; namespace: string; name: string; container?: string }
  | { kind: 'external' }
  | { kind: 'central' };

export function parseExecTarget(
  target: string,
  opts: { namespace?: string; container?: string } = {},
): ExecTarget {
  const slash = target.indexOf('/');
  const [kind, name] = slash < 0 ? ['pod', target] : [target.slice(0, slash), target.slice(slash + 1)];
  if (!name) throw new NettraceError('lab.bad-target', `"${target}" names no ${kind}`);
  if (opts.container !== undefined && kind !== 'pod' && kind !== 'po' && kind !== 'pods') {
    throw new NettraceError('lab.bad-target', `-c/--container applies to pods, not to ${target}`);
  }
  switch (kind) {
    case 'node':
    case 'nodes':
      return { kind: 'node', name };
    case 'pod':
    case 'po':
    case 'pods':
      return {
        kind: 'pod',
        namespace: opts.namespace ?? LAB_NAMESPACE,
        name,
        ...(opts.container !== undefined ? { container: opts.container } : {}),
      };
    case 'host':
      if (name === 'external') return { kind: 'external' };
      if (name === 'central') return { kind: 'central' };
      throw new NettraceError('lab.bad-target', `unknown host "${name}" (host/external, host/central)`);
    default:
      throw new NettraceError(
        'lab.bad-target',
        `unknown target "${target}": use node/NAME, pod/NAME (or NAME), host/external or host/central`,
      );
  }
}

/** The Host a target names. */
export function execHost(lab: Lab, target: ExecTarget): NetnsHost {
  switch (target.kind) {
    case 'node':
      return lab.nodeHost(target.name);
    case 'pod':
      return lab.containerHost(target.namespace, target.name, target.container);
    case 'external':
      return lab.externalHost();
    case 'central':
      return lab.centralHost();
  }
}
