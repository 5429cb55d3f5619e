// The node agent: what `oc debug node/NAME` makes — one privileged pod on the node with the host's
// network and pid namespaces and the host's root at /host. nettrace creates one per involved node,
// once per run, reuses it for every command there, and deletes it when the run ends (success, error,
// Ctrl-C: through the run's Cleanup). `activeDeadlineSeconds` makes an abandoned agent (nettrace
// killed with SIGKILL) end itself; its label lets `nettrace cleanup` find any leftover.
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Cleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { DEFAULT_NETTOOLS_IMAGE } from '../lab/manifests.ts';
import { type KubeApi, PodSecurityError, statusOf } from './client.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const AGENT_LABELS = { [MANAGED_BY]: 'nettrace', 'app.kubernetes.io/component': 'node-agent' };
export const AGENT_SELECTOR = `${MANAGED_BY}=nettrace,app.kubernetes.io/component=node-agent`;
export const AGENT_CONTAINER = 'agent';
/** An hour: longer than any trace; short enough that a forgotten agent does not stay. */
export const AGENT_DEADLINE_S = 3600;

export interface AgentOptions {
  namespace: string;
  image?: string;
  /** Registers each agent's deletion the moment it is created. */
  cleanup?: Cleanup;
  /** How long to wait for Running. */
  startTimeoutMs?: number;
  /** Between reads while waiting. */
  pollMs?: number;
  /**
   * How long delete waits for a create still in flight to be answered (default 30 s): past that
   * it deletes anyway and reports that the agent may still appear (a hung API must not hang cleanup).
   */
  settleTimeoutMs?: number;
}

export function agentPod(node: string, namespace: string, image: string, suffix: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `nettrace-agent-${node.replace(/[^a-z0-9-]/g, '-').slice(0, 30)}-${suffix}`,
      namespace,
      labels: { ...AGENT_LABELS, 'nettrace.io/node': node.slice(0, 63) },
      annotations: { 'debug.openshift.io/source-resource': `/v1, Resource=nodes/${node}` },
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: AGENT_DEADLINE_S,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: AGENT_CONTAINER,
          image,
          command: ['sleep', String(AGENT_DEADLINE_S)],
          securityContext: { privileged: true, runAsUser: 0 },
          stdin: false,
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
    },
  };
}

export class AgentPool {
  private readonly agents = new Map<string, Promise<string>>();
  private readonly created = new Set<string>();
  /** Creates whose POST has not been answered yet, by pod name: delete waits for them. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly suffix = randomBytes(3).toString('hex');

  constructor(
    private readonly api: KubeApi,
    private readonly o: AgentOptions,
  ) {}

  get namespace(): string {
    return this.o.namespace;
  }

  /** The names of the agents this pool created and has not deleted yet. */
  get live(): string[] {
    return [...this.created];
  }

  /** The agent pod on `node`, created on first use, Running when this resolves. */
  forNode(node: string): Promise<string> {
    let p = this.agents.get(node);
    if (!p) {
      p = this.create(node);
      this.agents.set(node, p);
      p.catch(() => this.agents.delete(node));
    }
    return p;
  }

  private async create(node: string): Promise<string> {
    const ns = this.o.namespace;
    const body = agentPod(node, ns, this.o.image ?? DEFAULT_NETTOOLS_IMAGE, this.suffix);
    const name = body.metadata!.name!;
    // Registered before the POST, and the POST remembered until it is answered: a Ctrl-C while it
    // is in flight waits for the answer and then deletes the pod, so a create that lands after the
    // cleanup started does not leave a privileged pod running for an hour.
    this.created.add(name);
    this.o.cleanup?.add(`delete node agent ${ns}/${name}`, () => this.delete(name));
    const post = this.api.call('create', 'pods', ns, () =>
      this.api.core.createNamespacedPod({ namespace: ns, body }),
    );
    this.pending.set(name, post);
    try {
      await post;
    } catch (e) {
      // The server answered (403, 422, ...): nothing was created, nothing to delete.
      if (statusOf((e as Error).cause) !== undefined) this.created.delete(name);
      if (e instanceof PodSecurityError)
        throw e.withAdvice(
          `the node agent is privileged (hostNetwork, hostPID, the host's root): create the agents in a namespace that admits it with --agent-namespace NS (labelled pod-security.kubernetes.io/enforce=privileged, as oc debug node does)`,
        );
      throw e;
    } finally {
      this.pending.delete(name);
    }
    const deadline = Date.now() + (this.o.startTimeoutMs ?? 120_000);
    for (;;) {
      const pod = await this.api.call('get', 'pods', ns, () =>
        this.api.core.readNamespacedPod({ name, namespace: ns }),
      );
      const phase = pod.status?.phase;
      if (phase === 'Running') return name;
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (
        phase === 'Failed' ||
        phase === 'Succeeded' ||
        /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerError/.test(waiting?.reason ?? '')
      )
        throw new NettraceError(
          'kube.agent-failed',
          `node agent ${ns}/${name} on ${node} did not start: ${waiting?.reason ?? phase}${waiting?.message ? `: ${waiting.message}` : ''} (image ${body.spec!.containers[0]!.image}; --image chooses another)`,
        );
      if (Date.now() > deadline)
        throw new NettraceError(
          'kube.agent-timeout',
          `node agent ${ns}/${name} on ${node} is not Running after ${Math.round((this.o.startTimeoutMs ?? 120_000) / 1000)} s (phase ${phase ?? '?'}${waiting?.reason ? `, ${waiting.reason}` : ''})`,
        );
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 500));
    }
  }

  /** Deletes the agent NAME; a create of it still in flight is waited for first. */
  async delete(name: string): Promise<void> {
    const inFlight = this.pending.get(name);
    let unsettled = false;
    if (inFlight) unsettled = !(await this.settled(inFlight));
    if (!this.created.has(name)) return;
    const ns = this.o.namespace;
    try {
      await this.api.call('delete', 'pods', ns, () =>
        this.api.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 }),
      );
    } catch (e) {
      if (!(e instanceof NettraceError && e.code === 'kube.not-found')) throw e;
      if (unsettled)
        throw new NettraceError(
          'kube.agent-in-flight',
          `node agent ${ns}/${name}: its create was not answered after ${this.settleMs < 1000 ? `${this.settleMs} ms` : `${Math.round(this.settleMs / 1000)} s`}, so it may still appear (it ends itself after ${AGENT_DEADLINE_S / 60} min; nettrace cleanup -n ${ns} removes it now)`,
        );
    }
    this.created.delete(name);
  }

  private get settleMs(): number {
    return this.o.settleTimeoutMs ?? 30_000;
  }

  /** True once `p` settled (either way), false when it did not within settleMs. */
  private async settled(p: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), this.settleMs);
    });
    try {
      return await Promise.race([
        p.then(
          () => true,
          () => true,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Deletes every agent this pool created (what the Cleanup also does), creates still in flight
   * included once answered; failures are collected.
   */
  async deleteAll(): Promise<string[]> {
    const failures: string[] = [];
    const results = await Promise.all(
      this.live.map((name) =>
        this.delete(name).then(
          () => undefined,
          (e: unknown) => `${name}: ${(e as Error).message}`,
        ),
      ),
    );
    for (const r of results) if (r) failures.push(r);
    this.agents.clear();
    return failures;
  }
}

/** `nettrace cleanup`: every pod labelled as a nettrace agent, in every namespace (or one). */
export async function deleteLeftoverAgents(api: KubeApi, namespace?: string): Promise<string[]> {
  const list = await api.call('list', 'pods', namespace, () =>
    namespace
      ? api.core.listNamespacedPod({ namespace, labelSelector: AGENT_SELECTOR })
      : api.core.listPodForAllNamespaces({ labelSelector: AGENT_SELECTOR }),
  );
  const deleted: string[] = [];
  for (const p of list.items) {
    const ns = p.metadata?.namespace ?? namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    await api.call('delete', 'pods', ns, () =>
      api.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 }),
    );
    deleted.push(`${ns}/${name}`);
  }
  return deleted;
}
