// A cluster as a ClusterView, through the Kubernetes API: pods (node, IPs, containers and their
// ids) and Services (ClusterIP, ports, EndpointSlices) of one namespace, and nodes, from the API;
// what only the node knows — the pod's sandbox id, its netns path, the containers' host pids — from
// `crictl` run on the node through the node agent, only for the pods a command enters
// (completePod), so only their nodes get an agent. Reading only one namespace keeps the RBAC
// namespaced (except nodes) and the crictl calls bounded.
import type { V1Pod } from '@kubernetes/client-node';
import type { Cleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { CommandLog, type Host } from '../hosts/host.ts';
import { KubeExecHost } from '../hosts/kube-exec.ts';
import { nodeAgentHost, podNetAgentHost } from '../hosts/kube-node.ts';
import {
  type ClusterContainer,
  type ClusterNode,
  type ClusterPod,
  type ClusterService,
  type ClusterView,
  findNode,
  findPod,
  podKey,
} from '../topology/cluster-view.ts';
import {
  type CriPodSandbox,
  parseCrictlInspect,
  parseCrictlInspectp,
  parseCrictlPods,
} from '../topology/parsers/crictl.ts';
import { AGENT_CONTAINER, AgentPool, MANAGED_BY } from './agent.ts';
import { KubeApi, type KubeOptions, loadKubeConfig } from './client.ts';

export interface KubeViewOptions extends KubeOptions {
  /** The namespace whose pods and services are read (-n). */
  namespace: string;
  /** Where node agents are created (default: the same namespace). */
  agentNamespace?: string;
  /** The node agent image (--image). */
  image?: string;
  cleanup?: Cleanup;
  log?: CommandLog;
  /** Tests: how fast to poll for the agent. */
  agentPollMs?: number;
}

const stripScheme = (id: string) => id.replace(/^[a-z0-9-]+:\/\//, '');

/** The pod's ready sandbox among crictl's: the one with its uid, else the first of its name. */
function sandboxOf(
  sandboxes: readonly CriPodSandbox[],
  pod: { namespace: string; name: string },
  uid: string | undefined,
): CriPodSandbox | undefined {
  const mine = sandboxes.filter(
    (s) =>
      s.name === pod.name &&
      s.namespace === pod.namespace &&
      (s.state ?? 'SANDBOX_READY') === 'SANDBOX_READY',
  );
  return mine.find((s) => s.uid === uid) ?? mine[0];
}

export class KubeClusterView implements ClusterView {
  readonly kind = 'kubernetes';
  readonly log: CommandLog;
  readonly api: KubeApi;
  readonly agents: AgentPool;
  private readonly namespace: string;
  private readonly enriched = new Map<string, Promise<ClusterPod>>();
  /** The last V1Pod listed or read per namespace/name: uid, phase and hostNetwork for completePod. */
  private readonly objects = new Map<string, V1Pod>();

  constructor(o: KubeViewOptions) {
    this.api = new KubeApi(loadKubeConfig(o));
    this.log = o.log ?? new CommandLog();
    this.namespace = o.namespace;
    this.agents = new AgentPool(this.api, {
      namespace: o.agentNamespace ?? o.namespace,
      ...(o.image !== undefined ? { image: o.image } : {}),
      ...(o.cleanup ? { cleanup: o.cleanup } : {}),
      ...(o.agentPollMs !== undefined ? { pollMs: o.agentPollMs } : {}),
    });
  }

  /** Deletes the node agents this view created. */
  close(): Promise<string[]> {
    return this.agents.deleteAll();
  }

  async nodes(): Promise<ClusterNode[]> {
    const list = await this.api.call('list', 'nodes', undefined, () => this.api.core.listNode());
    return list.items.map((n) => {
      const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      return { name: n.metadata?.name ?? '?', ...(ip ? { internalIP: ip } : {}) };
    });
  }

  async node(name: string): Promise<ClusterNode> {
    return findNode(await this.nodes(), name, this.api.server);
  }

  /** API facts only: listing the pods runs nothing on the nodes (no agent is made for it). */
  async pods(): Promise<ClusterPod[]> {
    const ns = this.namespace;
    const list = await this.api.call('list', 'pods', ns, () =>
      this.api.core.listNamespacedPod({ namespace: ns }),
    );
    return list.items
      .filter((p) => p.metadata?.labels?.[MANAGED_BY] !== 'nettrace' && p.spec?.nodeName)
      .map((p) => this.apiFacts(p));
  }

  /** crictl on the pod's node, through its agent (made now if it is the node's first command). */
  async completePod(pod: ClusterPod): Promise<ClusterPod> {
    const obj = this.objects.get(podKey(pod)) ?? (await this.read(pod.namespace, pod.name));
    return this.enrich(obj);
  }

  async pod(namespace: string, name: string): Promise<ClusterPod> {
    if (namespace !== this.namespace) return this.enrich(await this.read(namespace, name));
    const listed = findPod(await this.pods(), namespace, name, `${this.api.server} (namespace ${namespace})`);
    return this.completePod(listed);
  }

  async services(): Promise<ClusterService[]> {
    const ns = this.namespace;
    const [svcs, slices] = await Promise.all([
      this.api.call('list', 'services', ns, () => this.api.core.listNamespacedService({ namespace: ns })),
      this.api.call('list', 'endpointslices.discovery.k8s.io', ns, () =>
        this.api.discovery.listNamespacedEndpointSlice({ namespace: ns }),
      ),
    ]);
    return svcs.items
      .filter((s) => s.spec?.clusterIP && s.spec.clusterIP !== 'None')
      .map((s) => {
        const name = s.metadata?.name ?? '?';
        const mine = slices.items.filter((x) => x.metadata?.labels?.['kubernetes.io/service-name'] === name);
        const endpoints = mine.flatMap((sl) =>
          (sl.endpoints ?? [])
            .filter((e) => e.conditions?.ready !== false)
            .flatMap((e) =>
              e.addresses.map((ip) => ({
                ...(e.targetRef?.kind === 'Pod' && e.targetRef.name
                  ? { pod: `${e.targetRef.namespace ?? ns}/${e.targetRef.name}` }
                  : {}),
                ip,
              })),
            ),
        );
        const ports = (s.spec?.ports ?? []).map((p) => {
          const slicePort = mine
            .flatMap((sl) => sl.ports ?? [])
            .find((x) => (x.name ?? '') === (p.name ?? ''));
          const target =
            typeof p.targetPort === 'number'
              ? p.targetPort
              : /^\d+$/.test(String(p.targetPort ?? ''))
                ? Number(p.targetPort)
                : (slicePort?.port ?? p.port);
          return {
            ...(p.name ? { name: p.name } : {}),
            port: p.port,
            targetPort: target,
            protocol: p.protocol ?? 'TCP',
          };
        });
        return { namespace: ns, name, clusterIP: s.spec!.clusterIP!, ports, endpoints };
      });
  }

  private async read(namespace: string, name: string): Promise<V1Pod> {
    const p = await this.api.call('get', 'pods', namespace, () =>
      this.api.core.readNamespacedPod({ namespace, name }),
    );
    this.objects.set(`${namespace}/${name}`, p);
    return p;
  }

  /** What the API says of a pod (a new object each time); remembers the V1Pod for completePod. */
  private apiFacts(p: V1Pod): ClusterPod {
    const namespace = p.metadata?.namespace ?? this.namespace;
    const name = p.metadata?.name ?? '?';
    this.objects.set(`${namespace}/${name}`, p);
    const statuses = p.status?.containerStatuses ?? [];
    const containers: ClusterContainer[] = (p.spec?.containers ?? []).map((c) => {
      const s = statuses.find((x) => x.name === c.name);
      return {
        name: c.name,
        id: stripScheme(s?.containerID ?? ''),
        running: s?.state?.running !== undefined,
      };
    });
    const ips = (p.status?.podIPs ?? []).map((x) => x.ip).filter((x): x is string => !!x);
    if (ips.length === 0 && p.status?.podIP) ips.push(p.status.podIP);
    return { namespace, name, node: p.spec?.nodeName ?? '', ips, containers };
  }

  /** API facts plus crictl's: sandbox id, netns path, container pids (once per pod uid). */
  private enrich(p: V1Pod): Promise<ClusterPod> {
    const key = `${p.metadata?.namespace}/${p.metadata?.name}/${p.metadata?.uid}`;
    let e = this.enriched.get(key);
    if (!e) {
      e = this.crictl(p);
      this.enriched.set(key, e);
      e.catch(() => this.enriched.delete(key));
    }
    return e;
  }

  private async crictl(p: V1Pod): Promise<ClusterPod> {
    const pod = this.apiFacts(p);
    const { namespace, name, node, containers } = pod;
    if (p.status?.phase !== 'Running') return pod;
    const host = this.nodeHost(node);
    const sandboxes = parseCrictlPods(
      (
        await host.run(['crictl', 'pods', '--namespace', namespace, '--name', name, '-o', 'json'], {
          check: true,
          timeoutMs: 30_000,
        })
      ).stdout,
    );
    const sandbox = sandboxOf(sandboxes, pod, p.metadata?.uid);
    if (sandbox) {
      pod.sandboxId = sandbox.id;
      if (!p.spec?.hostNetwork) {
        const sb = parseCrictlInspectp(
          (
            await host.run(['crictl', 'inspectp', '-o', 'json', sandbox.id], {
              check: true,
              timeoutMs: 30_000,
            })
          ).stdout,
        );
        if (sb.netnsPath) pod.netns = sb.netnsPath;
      }
    }
    await Promise.all(
      containers
        .filter((c) => c.running && c.id)
        .map(async (c) => {
          const r = await host.run(['crictl', 'inspect', '-o', 'json', c.id], { timeoutMs: 30_000 });
          if (r.code !== 0) return;
          const info = parseCrictlInspect(r.stdout);
          if (info.pid !== undefined && info.pid > 0) c.pid = info.pid;
        }),
    );
    return pod;
  }

  /**
   * The sandbox ids of `pods` (all on `node`), from one `crictl pods` there: discovery draws the
   * node's pod ports and checks each port's sandbox against its pod's, without entering every pod.
   * A node whose crictl fails just gets no check.
   */
  async completeNode(node: string, pods: ClusterPod[]): Promise<void> {
    const want = pods.filter((p) => p.sandboxId === undefined);
    if (want.length === 0) return;
    const r = await this.nodeHost(node).run(['crictl', 'pods', '--namespace', this.namespace, '-o', 'json'], {
      timeoutMs: 30_000,
    });
    if (r.code !== 0) return;
    const sandboxes = parseCrictlPods(r.stdout);
    for (const p of want) {
      const s = sandboxOf(sandboxes, p, this.objects.get(podKey(p))?.metadata?.uid);
      if (s) p.sandboxId = s.id;
    }
  }

  private agentTarget(node: string) {
    return async () => ({
      namespace: this.agents.namespace,
      pod: await this.agents.forNode(node),
      container: AGENT_CONTAINER,
    });
  }

  nodeHost(node: string): Host {
    return nodeAgentHost(node, {
      exec: this.api.exec,
      agent: this.agentTarget(node),
      log: this.log,
      server: this.api.server,
    });
  }

  podNetHost(pod: ClusterPod): Host {
    if (!pod.netns)
      throw new NettraceError(
        'kube.no-netns',
        `pod ${podKey(pod)} has no network namespace path (host network, not running, or crictl on ${pod.node} did not report it)`,
      );
    return podNetAgentHost(`pod/${podKey(pod)}/netns`, pod.netns, {
      exec: this.api.exec,
      agent: this.agentTarget(pod.node),
      log: this.log,
      server: this.api.server,
    });
  }

  containerHost(pod: ClusterPod, container: string): Host {
    return new KubeExecHost({
      name: `pod/${podKey(pod)}/${container}`,
      exec: this.api.exec,
      target: { namespace: pod.namespace, pod: pod.name, container },
      log: this.log,
      server: this.api.server,
    });
  }
}
