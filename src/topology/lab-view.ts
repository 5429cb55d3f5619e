// The local lab as a ClusterView: it answers only what the Kubernetes API and crictl would answer on
// a cluster (pods with node, IP, sandbox, netns path and container pids; nodes; Services), taken
// from the lab's state file, and hands out the lab's hosts. Interfaces, ports and inodes are never
// read from the lab's plan: discovery finds them live.
import type { CommandLog, Host } from '../hosts/host.ts';
import { NetnsHost } from '../hosts/netns.ts';
import { Lab } from '../lab/lab.ts';
import { labPathEnv } from '../lab/preflight.ts';
import {
  type ClusterNode,
  type ClusterPod,
  type ClusterService,
  type ClusterView,
  findNode,
  findPod,
  podKey,
} from './cluster-view.ts';

const netnsPath = (name: string) => `/run/netns/${name}`;

export class LabClusterView implements ClusterView {
  readonly kind = 'lab';

  constructor(readonly lab: Lab) {}

  /** Opens the lab recorded in `stateDir` (default: the one `nettrace lab up` uses). */
  static open(opts: { stateDir?: string; log?: CommandLog } = {}): LabClusterView {
    return new LabClusterView(Lab.open(opts));
  }

  get log(): CommandLog {
    return this.lab.log;
  }

  async nodes(): Promise<ClusterNode[]> {
    return this.lab.plan.nodes.map((n) => ({ name: n.name, internalIP: n.ip }));
  }

  async node(name: string): Promise<ClusterNode> {
    return findNode(await this.nodes(), name, 'the lab');
  }

  /**
   * The lab's pods, plus pods added after `up` (bench pods), which exist only in the state file's
   * pod records, as objects created through the API would.
   */
  async pods(): Promise<ClusterPod[]> {
    const planned = this.lab.pods().map(
      (p): ClusterPod => ({
        namespace: p.namespace,
        name: p.name,
        node: p.node,
        ips: [p.ip],
        sandboxId: p.sandboxId,
        netns: netnsPath(p.netns),
        containers: p.containers.map((c) => ({
          name: c.name,
          id: c.id,
          ...(c.pid !== undefined ? { pid: c.pid } : {}),
          running: c.alive,
        })),
      }),
    );
    const known = new Set(planned.map(podKey));
    const added = Object.entries(this.lab.state.pods ?? {})
      .filter(([key]) => !known.has(key))
      .map(([key, r]): ClusterPod => {
        const slash = key.indexOf('/');
        return {
          namespace: key.slice(0, slash),
          name: key.slice(slash + 1),
          node: r.node,
          ips: [r.ip],
          sandboxId: r.sandboxId,
          netns: netnsPath(r.netns),
          containers: r.containers.map((c) => ({
            name: c.name,
            id: c.id,
            ...(c.pid !== undefined ? { pid: c.pid } : {}),
            running: false,
          })),
        };
      });
    return [...planned, ...added];
  }

  /** The state file already holds what crictl would tell: nothing to add. */
  async completePod(pod: ClusterPod): Promise<ClusterPod> {
    return pod;
  }

  async pod(namespace: string, name: string): Promise<ClusterPod> {
    return findPod(await this.pods(), namespace, name, 'the lab');
  }

  async services(): Promise<ClusterService[]> {
    return this.lab.plan.services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      clusterIP: s.clusterIP,
      ports: [{ port: s.port, targetPort: s.targetPort, protocol: s.protocol }],
      endpoints: s.endpoints.map((e) => ({ pod: e.pod, ip: e.ip })),
    }));
  }

  nodeHost(node: string): Host {
    return this.lab.nodeHost(node);
  }

  /** By path, as on a node (`nsenter --net=/var/run/netns/UUID`), not by the lab's netns name. */
  podNetHost(pod: ClusterPod): Host {
    const path = pod.netns ?? netnsPath(this.lab.pod(pod.namespace, pod.name).netns);
    return new NetnsHost(
      { path },
      { log: this.lab.log, env: { PATH: labPathEnv() }, name: `pod/${podKey(pod)}/netns` },
    );
  }

  containerHost(pod: ClusterPod, container: string): Host {
    return this.lab.containerHost(pod.namespace, pod.name, container);
  }
}
