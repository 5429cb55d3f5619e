// Hosts on a cluster node, reached through the node agent (hostNetwork, hostPID, host root at /host):
// the node itself is `chroot /host CMD` (the node's own crictl, ovs-vsctl, ip, tcpdump — as after
// `oc debug node/NAME`), and a pod's network namespace is `nsenter --net=/host<netns path> CMD` with
// the agent image's tools (the path is the one `crictl inspectp` reports, seen under /host; see
// underHost for /var/run).
import type { Exec } from '@kubernetes/client-node';
import type { CommandLog } from './host.ts';
import { type ExecTarget, KubeExecHost } from './kube-exec.ts';

export interface AgentHostOptions {
  exec: Exec;
  /** Resolves to the agent's container once it runs (created on first use). */
  agent: () => Promise<ExecTarget>;
  log?: CommandLog;
  server?: string;
}

export function nodeAgentHost(node: string, o: AgentHostOptions): KubeExecHost {
  return new KubeExecHost({
    name: `node/${node}`,
    exec: o.exec,
    target: o.agent,
    ...(o.log ? { log: o.log } : {}),
    ...(o.server ? { server: o.server } : {}),
    wrap: (argv) => ['chroot', '/host', ...argv],
  });
}

/**
 * A node path as the agent sees it, under /host. CRI runtimes report netns paths under /var/run,
 * a symlink to /run on every systemd node, but an absolute one on Debian and Ubuntu
 * (`/var/run -> /run`): inside the agent that would resolve to the agent's own /run. So the real
 * directory is named.
 */
export function underHost(path: string): string {
  return `/host${path.replace(/^\/var\/run\//, '/run/')}`;
}

export function podNetAgentHost(name: string, netnsPath: string, o: AgentHostOptions): KubeExecHost {
  return new KubeExecHost({
    name,
    exec: o.exec,
    target: o.agent,
    ...(o.log ? { log: o.log } : {}),
    ...(o.server ? { server: o.server } : {}),
    wrap: (argv) => ['nsenter', `--net=${underHost(netnsPath)}`, '--', ...argv],
  });
}
