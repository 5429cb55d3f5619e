// `nettrace lab deploy | undeploy`: the cluster lab's manifests (src/lab/manifests.ts) applied with
// server-side apply (field manager `nettrace`, so re-running converges and kubectl sees the owner),
// Routes only when the cluster serves route.openshift.io.
// The namespace: deploy creates it with a plain POST when it is missing, labelled managed-by
// nettrace; a 409 (someone made it between our read and our create) means it is theirs, used as it
// is. Deploy never writes to a namespace it did not create (no apply, no label), so undeploy cannot
// mistake a user's namespace (OpenShift project) for its own. Undeploy deletes the objects, then
// the namespace only when it carries that label, holds no pod other than the lab's and nettrace's
// agents, and is still the one it read (delete preconditions: uid and resourceVersion).
import {
  type KubernetesObject,
  PatchStrategy,
  type V1Deployment,
  type V1Namespace,
  type V1Pod,
} from '@kubernetes/client-node';
import { NettraceError } from '../errors.ts';
import { dualContainerPod, httpServiceObjects, type ManifestOptions } from '../lab/manifests.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { AGENT_LABELS, MANAGED_BY } from './agent.ts';
import { type KubeApi, PodSecurityError } from './client.ts';

export const FIELD_MANAGER = 'nettrace';

export async function servesRoutes(api: KubeApi): Promise<boolean> {
  const groups = await api.call('get', '/apis (discovery)', undefined, () => api.apis.getAPIVersions());
  return groups.groups.some((g) => g.name === 'route.openshift.io');
}

/** The objects of both manifests, Routes dropped when the cluster has none. */
export function labObjects(opts: ManifestOptions, routes: boolean): KubernetesObject[] {
  const all = [...httpServiceObjects(opts), dualContainerPod(opts)] as KubernetesObject[];
  return all.filter((o) => routes || o.kind !== 'Route');
}

/** The Namespace deploy creates when NS is missing. */
export function labNamespace(namespace: string): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { [MANAGED_BY]: FIELD_MANAGER } },
  };
}

const describe = (o: KubernetesObject) => `${o.kind?.toLowerCase()}/${o.metadata?.name}`;

const isCode = (e: unknown, code: string) => e instanceof NettraceError && e.code === code;

/** The namespace, or undefined when the API says 404; a 403 is thrown as it came. */
function getNamespace(api: KubeApi, namespace: string): Promise<V1Namespace | undefined> {
  return api
    .call('get', `namespaces/${namespace}`, undefined, () => api.core.readNamespace({ name: namespace }))
    .catch((e: unknown) => {
      if (isCode(e, 'kube.not-found')) return undefined;
      throw e;
    });
}

/** The namespace, or undefined when the API says 404. A 403 is not "missing": say what to do. */
async function readNamespace(api: KubeApi, namespace: string): Promise<V1Namespace | undefined> {
  try {
    return await getNamespace(api, namespace);
  } catch (e) {
    if (isCode(e, 'kube.forbidden'))
      // Kubernetes answers 403, not 404, for a namespace the user may not see: it may not exist.
      throw new NettraceError(
        'kube.forbidden',
        `you may not read namespace ${namespace} (get namespaces): if it does not exist, create it first (oc new-project ${namespace}, or kubectl create namespace ${namespace}); otherwise ask for get on namespaces`,
        { cause: e },
      );
    throw e;
  }
}

/**
 * Creates NS with a plain POST: true when this call made it, false when it already exists (409:
 * someone made it after our read; it is theirs and stays untouched).
 */
async function createNamespace(api: KubeApi, namespace: string): Promise<boolean> {
  try {
    await api.call('create', 'namespaces', undefined, () =>
      api.core.createNamespace({ body: labNamespace(namespace) }),
    );
    return true;
  } catch (e) {
    if (isCode(e, 'kube.conflict')) return false;
    if (isCode(e, 'kube.forbidden'))
      throw new NettraceError(
        'kube.forbidden',
        `namespace ${namespace} does not exist and you may not create it: create it first (oc new-project ${namespace}, or kubectl create namespace ${namespace}) or ask for create on namespaces`,
        { cause: e },
      );
    throw e;
  }
}

const terminating = (n: V1Namespace) => n.status?.phase === 'Terminating';

export interface DeployResult {
  namespace: string;
  /** True when this deploy made the namespace (it was missing and our create made it). */
  namespaceCreated: boolean;
  routes: boolean;
  applied: string[];
}

/**
 * Deploys the lab; `progress` gets each line the moment it is done (`namespace/NS created`,
 * `KIND/NAME serverside-applied`), so a failure mid-way still shows what was done.
 */
export async function deployLab(
  api: KubeApi,
  opts: ManifestOptions = {},
  progress: (line: string) => void = () => {},
): Promise<DeployResult> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  const existing = await readNamespace(api, namespace);
  if (existing && terminating(existing))
    throw new NettraceError(
      'kube.namespace-terminating',
      `namespace ${namespace} is being deleted (Terminating): wait until it is gone (kubectl get namespace ${namespace}) and deploy again`,
    );
  // An existing namespace is left exactly as it is: labelling it would make undeploy delete it.
  const created = existing ? false : await createNamespace(api, namespace);
  if (created) progress(`namespace/${namespace} created`);
  const applied: string[] = [];
  for (const o of labObjects({ ...opts, namespace }, routes)) {
    try {
      await api.call('patch (server-side apply)', describe(o), namespace, () =>
        api.objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
      );
    } catch (e) {
      if (e instanceof PodSecurityError)
        throw e.withAdvice(
          `${describe(o)} is privileged (tcpdump, nsenter), so namespace ${namespace} must admit privileged pods: label it pod-security.kubernetes.io/enforce=privileged (kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=privileged), or deploy into another namespace with -n${created ? `; namespace ${namespace} was created by this deploy; undeploy removes it` : ''}`,
        );
      throw e;
    }
    applied.push(describe(o));
    progress(`${describe(o)} serverside-applied`);
  }
  return { namespace, namespaceCreated: created, routes, applied };
}

export interface UndeployResult {
  deleted: string[];
  absent: string[];
  /**
   * deleted: deploy had made it (the label) and it held nothing else; kept: see `keptBecause`;
   * absent: no such namespace; terminating: already being deleted.
   */
  namespace: 'deleted' | 'kept' | 'absent' | 'terminating';
  /** Why a namespace was kept, as printed: `namespace/NS kept (WHY)`. */
  keptBecause?: string;
  /** The pods that kept it, when other pods did. */
  otherPods?: string[];
}

/**
 * A pod undeploy may take down with the namespace: a lab pod, a pod of a lab Deployment (its
 * ReplicaSet NAME-HASH with its selector's labels: garbage collection may not have removed it
 * yet), or a nettrace node agent. Anything else is someone's, and keeps the namespace.
 */
function ours(pod: V1Pod, objects: KubernetesObject[]): boolean {
  const name = pod.metadata?.name ?? '';
  const labels = pod.metadata?.labels ?? {};
  if (Object.entries(AGENT_LABELS).every(([k, v]) => labels[k] === v)) return true;
  if (objects.some((o) => o.kind === 'Pod' && o.metadata?.name === name)) return true;
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (owner?.kind !== 'ReplicaSet') return false;
  return objects.some(
    (o) =>
      o.kind === 'Deployment' &&
      owner.name.startsWith(`${o.metadata?.name}-`) &&
      Object.entries((o as V1Deployment).spec?.selector?.matchLabels ?? {}).every(
        ([k, v]) => labels[k] === v,
      ),
  );
}

export async function undeployLab(api: KubeApi, opts: ManifestOptions = {}): Promise<UndeployResult> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  // Deleting the objects needs only delete on them: a namespace we may not read does not stop
  // that, it only means the namespace is not ours to delete.
  let ns: V1Namespace | undefined;
  let unreadable = false;
  try {
    ns = await getNamespace(api, namespace);
  } catch (e) {
    if (!isCode(e, 'kube.forbidden')) throw e;
    unreadable = true;
  }
  const objects = labObjects({ ...opts, namespace }, routes);
  const deleted: string[] = [];
  const absent: string[] = [];
  for (const o of [...objects].reverse()) {
    try {
      await api.call('delete', describe(o), namespace, () => api.objects.delete(o));
      deleted.push(describe(o));
    } catch (e) {
      if (isCode(e, 'kube.not-found')) absent.push(describe(o));
      else throw e;
    }
  }
  const kept = (keptBecause: string, otherPods?: string[]): UndeployResult => ({
    deleted,
    absent,
    namespace: 'kept',
    keptBecause,
    ...(otherPods ? { otherPods } : {}),
  });
  if (unreadable) return kept('you may not read it');
  if (!ns) return { deleted, absent, namespace: 'absent' };
  if (ns.metadata?.labels?.[MANAGED_BY] !== FIELD_MANAGER) return kept('not made by nettrace');
  if (terminating(ns)) return { deleted, absent, namespace: 'terminating' };
  // Deleting a namespace deletes everything in it: only when nothing but ours is left there.
  let pods: V1Pod[];
  try {
    pods = (await api.call('list', 'pods', namespace, () => api.core.listNamespacedPod({ namespace }))).items;
  } catch (e) {
    if (isCode(e, 'kube.forbidden')) return kept('you may not list its pods');
    throw e;
  }
  const others = pods.filter((p) => !ours(p, objects)).map((p) => p.metadata?.name ?? '?');
  if (others.length > 0) return kept(`it holds other pods: ${others.join(', ')}`, others);
  // Only the namespace read above: one deleted and made again since (another uid) or changed
  // (another resourceVersion) is not the one whose label was checked.
  const preconditions = { uid: ns.metadata?.uid, resourceVersion: ns.metadata?.resourceVersion };
  try {
    await api.call('delete', `namespaces/${namespace}`, undefined, () =>
      api.core.deleteNamespace({ name: namespace, body: { preconditions } }),
    );
  } catch (e) {
    if (isCode(e, 'kube.not-found')) return { deleted, absent, namespace: 'absent' };
    if (isCode(e, 'kube.conflict')) return kept('it changed after undeploy read it: not deleted');
    throw e;
  }
  return { deleted, absent, namespace: 'deleted' };
}
