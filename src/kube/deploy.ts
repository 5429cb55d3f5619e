// `nettrace lab deploy | undeploy`: the cluster lab's manifests (src/lab/manifests.ts) applied with
// server-side apply (field manager `nettrace`, so re-running converges and kubectl sees the owner),
// Routes only when the cluster serves route.openshift.io; undeploy deletes the same objects and
// leaves the namespace (which the user usually owns as an OpenShift project).
import { type KubernetesObject, PatchStrategy } from '@kubernetes/client-node';
import { NettraceError } from '../errors.ts';
import { dualContainerPod, httpServiceObjects, type ManifestOptions } from '../lab/manifests.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
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

const describe = (o: KubernetesObject) => `${o.kind?.toLowerCase()}/${o.metadata?.name}`;

export interface DeployResult {
  namespace: string;
  routes: boolean;
  applied: string[];
}

export async function deployLab(api: KubeApi, opts: ManifestOptions = {}): Promise<DeployResult> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  const applied: string[] = [];
  for (const o of labObjects({ ...opts, namespace }, routes)) {
    await api.call('patch (server-side apply)', describe(o), namespace, () =>
      api.objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
    applied.push(describe(o));
  }
  return { namespace, routes, applied };
}

export async function undeployLab(
  api: KubeApi,
  opts: ManifestOptions = {},
): Promise<{ deleted: string[]; absent: string[] }> {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const routes = await servesRoutes(api);
  const deleted: string[] = [];
  const absent: string[] = [];
  for (const o of labObjects({ ...opts, namespace }, routes).reverse()) {
    try {
      await api.call('delete', describe(o), namespace, () => api.objects.delete(o));
      deleted.push(describe(o));
    } catch (e) {
      if (e instanceof NettraceError && e.code === 'kube.not-found') absent.push(describe(o));
      else throw e;
    }
  }
  return { deleted, absent };
}
