// `nettrace lab deploy | undeploy`: the cluster lab's manifests (src/lab/manifests.ts) applied with
// server-side apply (field manager `nettrace`, so re-running converges and kubectl sees the owner),
// Routes only when the cluster serves route.openshift.io. Deploy creates the namespace when it is
// missing, labelled managed-by nettrace; undeploy deletes the objects and then the namespace only
// when it carries that label, so a namespace (OpenShift project) the user made is never touched.
import { type KubernetesObject, PatchStrategy, type V1Namespace } from '@kubernetes/client-node';
import { NettraceError } from '../errors.ts';
import { dualContainerPod, httpServiceObjects, type ManifestOptions } from '../lab/manifests.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { MANAGED_BY } from './agent.ts';
import type { KubeApi } from './client.ts';

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

/** The Namespace deploy applies when NS is missing. */
export function labNamespace(namespace: string): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { [MANAGED_BY]: FIELD_MANAGER } },
  };
}

const describe = (o: KubernetesObject) => `${o.kind?.toLowerCase()}/${o.metadata?.name}`;

const isCode = (e: unknown, code: string) => e instanceof NettraceError && e.code === code;

/** The namespace, or undefined when the API says 404. A 403 is not "missing": say what to do. */
async function readNamespace(api: KubeApi, namespace: string): Promise<V1Namespace | undefined> {
  try {
    return await api.call('get', `namespaces/${namespace}`, undefined, () =>
      api.core.readNamespace({ name: namespace }),
    );
  } catch (e) {
    if (isCode(e, 'kube.not-found')) return undefined;
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

const terminating = (n: V1Namespace) => n.status?.phase === 'Terminating';

export interface DeployResult {
  namespace: string;
  /** True when deploy made the namespace (it was missing). */
  namespaceCreated: boolean;
  routes: boolean;
  applied: string[];
}

export async function deployLab(api: KubeApi, opts: ManifestOptions = {}): Promise<DeployResult> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  const existing = await readNamespace(api, namespace);
  if (existing && terminating(existing))
    throw new NettraceError(
      'kube.namespace-terminating',
      `namespace ${namespace} is being deleted (Terminating): wait until it is gone (kubectl get namespace ${namespace}) and deploy again`,
    );
  // An existing namespace is left exactly as it is: labelling it would make undeploy delete it.
  if (!existing) {
    try {
      await api.call('create (server-side apply)', `namespaces/${namespace}`, undefined, () =>
        api.objects.patch(
          labNamespace(namespace),
          undefined,
          undefined,
          FIELD_MANAGER,
          false,
          PatchStrategy.ServerSideApply,
        ),
      );
    } catch (e) {
      if (isCode(e, 'kube.forbidden'))
        throw new NettraceError(
          'kube.forbidden',
          `namespace ${namespace} does not exist and you may not create it: create it first (oc new-project ${namespace}, or kubectl create namespace ${namespace}) or ask for create on namespaces`,
          { cause: e },
        );
      throw e;
    }
  }
  const applied: string[] = [];
  for (const o of labObjects({ ...opts, namespace }, routes)) {
    await api.call('patch (server-side apply)', describe(o), namespace, () =>
      api.objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
    applied.push(describe(o));
  }
  return { namespace, namespaceCreated: !existing, routes, applied };
}

export interface UndeployResult {
  deleted: string[];
  absent: string[];
  /**
   * deleted: deploy had made it (the label); kept: the user's; absent: no such namespace;
   * terminating: already being deleted.
   */
  namespace: 'deleted' | 'kept' | 'absent' | 'terminating';
}

export async function undeployLab(api: KubeApi, opts: ManifestOptions = {}): Promise<UndeployResult> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  // Read before deleting anything, so a missing permission stops undeploy before it changes a thing.
  const ns = await readNamespace(api, namespace);
  const deleted: string[] = [];
  const absent: string[] = [];
  for (const o of labObjects({ ...opts, namespace }, routes).reverse()) {
    try {
      await api.call('delete', describe(o), namespace, () => api.objects.delete(o));
      deleted.push(describe(o));
    } catch (e) {
      if (isCode(e, 'kube.not-found')) absent.push(describe(o));
      else throw e;
    }
  }
  if (!ns) return { deleted, absent, namespace: 'absent' };
  if (ns.metadata?.labels?.[MANAGED_BY] !== FIELD_MANAGER) return { deleted, absent, namespace: 'kept' };
  if (terminating(ns)) return { deleted, absent, namespace: 'terminating' };
  try {
    await api.call('delete', `namespaces/${namespace}`, undefined, () =>
      api.core.deleteNamespace({ name: namespace }),
    );
  } catch (e) {
    if (isCode(e, 'kube.not-found')) return { deleted, absent, namespace: 'absent' };
    throw e;
  }
  return { deleted, absent, namespace: 'deleted' };
}
