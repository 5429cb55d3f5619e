// What the orchestrator says, and nothing more: the facts the Kubernetes API and crictl give on a
// cluster (pod → node, pod IPs, containers with their ids and host pids, the netns path, Services)
// and where commands run (a node, a pod's network namespace, a container). Everything else —
// interfaces, veth peers, bridges, ports, tunnels, namespace inodes — is discovered live through
// the Hosts this view hands out. The lab implements it in lab-view.ts; Kubernetes in kube/view.ts.
import { NettraceError } from '../errors.ts';
import type { CommandLog, Host } from '../hosts/host.ts';

export interface ClusterNode {
  name: string;
  /** The node's InternalIP as the API reports it (discovery reads the live one from br-ex). */
  internalIP?: string;
}

export interface ClusterContainer {
  name: string;
  id: string;
  /** Host pid of the container's init (crictl inspect: info.pid); undefined when not running. */
  pid?: number;
  running: boolean;
}

export interface ClusterPod {
  namespace: string;
  name: string;
  node: string;
  ips: string[];
  /** CRI sandbox id (crictl inspectp: status.id). */
  sandboxId?: string;
  /** The pod's network namespace as a path (crictl inspectp: the runtime spec's network namespace). */
  netns?: string;
  containers: ClusterContainer[];
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number;
  protocol: string;
}

export interface ClusterService {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: ServicePort[];
  /** Ready endpoints: the pod (`namespace/name`) when the API names one, and its IP. */
  endpoints: { pod?: string; ip: string }[];
}

/** Everything the view knows at one moment; recorded as cluster.json and read back offline. */
export interface ClusterSnapshot {
  nodes: ClusterNode[];
  pods: ClusterPod[];
  services: ClusterService[];
}

export interface ClusterView {
  /** `lab` or `kubernetes`: shown in messages and recorded. */
  readonly kind: string;
  /** Every command run through this view's hosts. */
  readonly log: CommandLog;
  nodes(): Promise<ClusterNode[]>;
  node(name: string): Promise<ClusterNode>;
  /**
   * The pods, possibly without the facts only their node knows (sandboxId, netns, container pids):
   * on a cluster those cost commands on each pod's node (a privileged agent there), so listing the
   * pods must not touch the nodes. `completePod` adds them for the pods a command enters.
   */
  pods(): Promise<ClusterPod[]>;
  /** The pod with its node-side facts (sandboxId, netns, container pids) as far as the node reports them. */
  completePod(pod: ClusterPod): Promise<ClusterPod>;
  /**
   * Adds the sandbox ids of `pods` (the snapshot's pods on `node`, updated in place) in one call on
   * the node, so the node's pod ports can be checked against them; a view whose pods have them
   * already does without.
   */
  completeNode?(node: string, pods: ClusterPod[]): Promise<void>;
  /** One pod, completed (see completePod). */
  pod(namespace: string, name: string): Promise<ClusterPod>;
  services(): Promise<ClusterService[]>;
  /** The node's own namespaces (host network, host /proc), with the OVS/OVN clients working. */
  nodeHost(node: string): Host;
  /** The pod's network namespace only (run from the node: tools come from the node, not the image). */
  podNetHost(pod: ClusterPod): Host;
  /** Inside one container (`oc exec`). */
  containerHost(pod: ClusterPod, container: string): Host;
  /** Ends what the view made on the cluster (node agents); returns what could not be removed. */
  close?(): Promise<string[]>;
}

export function podKey(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

function listed(names: string[], none: string): string {
  if (names.length === 0) return none;
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown}, ... (${names.length} in all)` : shown;
}

export async function snapshotOf(view: ClusterView): Promise<ClusterSnapshot> {
  const [nodes, pods, services] = await Promise.all([view.nodes(), view.pods(), view.services()]);
  return { nodes, pods, services };
}

/** The node called `name`, or `topology.no-node` listing the nodes there are. */
export function findNode(nodes: readonly ClusterNode[], name: string, where = 'the cluster'): ClusterNode {
  const n = nodes.find((x) => x.name === name);
  if (n) return n;
  throw new NettraceError(
    'topology.no-node',
    `no node ${name} in ${where} (nodes: ${listed(
      nodes.map((x) => x.name),
      'none',
    )})`,
  );
}

/** The pod, or `topology.no-pod` listing the pods of that namespace (or every namespace there is). */
export function findPod(
  pods: readonly ClusterPod[],
  namespace: string,
  name: string,
  where = 'the cluster',
): ClusterPod {
  const p = pods.find((x) => x.namespace === namespace && x.name === name);
  if (p) return p;
  const same = pods.filter((x) => x.namespace === namespace).map((x) => x.name);
  const detail = same.length
    ? `pods in ${namespace}: ${listed(same, 'none')}`
    : `namespace ${namespace} has no pods; namespaces: ${listed([...new Set(pods.map((x) => x.namespace))], 'none')}`;
  throw new NettraceError('topology.no-pod', `no pod ${namespace}/${name} in ${where} (${detail})`);
}

export function findService(
  services: readonly ClusterService[],
  namespace: string,
  name: string,
  where = 'the cluster',
): ClusterService {
  const s = services.find((x) => x.namespace === namespace && x.name === name);
  if (s) return s;
  throw new NettraceError(
    'topology.no-service',
    `no service ${namespace}/${name} in ${where} (services: ${listed(services.map(podKey), 'none')})`,
  );
}

/** A container of a pod, or `topology.no-container` naming the ones it has. */
export function findContainer(pod: ClusterPod, name: string): ClusterContainer {
  const c = pod.containers.find((x) => x.name === name);
  if (c) return c;
  throw new NettraceError(
    'topology.no-container',
    `pod ${podKey(pod)} has no container ${name} (containers: ${listed(
      pod.containers.map((x) => x.name),
      'none',
    )})`,
  );
}
