// The test API server's objects, made from the lab's ClusterView answers: the Pod, Node, Service
// and EndpointSlice JSON a cluster serves, and what CRI-O's `crictl ... -o json` prints on a node.
import { stableUuid } from '../../src/lab/spec.ts';
import type { ClusterNode, ClusterPod, ClusterService } from '../../src/topology/cluster-view.ts';

export type Obj = Record<string, unknown>;

export function podObject(p: ClusterPod): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: stableUuid(`${p.namespace}/${p.name}`),
      labels: {},
    },
    spec: { nodeName: p.node, containers: p.containers.map((c) => ({ name: c.name, image: 'nettools' })) },
    status: {
      phase: 'Running',
      podIP: p.ips[0],
      podIPs: p.ips.map((ip) => ({ ip })),
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        containerID: `cri-o://${c.id}`,
        ready: c.running,
        state: c.running
          ? { running: { startedAt: new Date().toISOString() } }
          : { terminated: { exitCode: 137 } },
      })),
    },
  };
}

export function nodeObject(n: ClusterNode): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.internalIP },
        { type: 'Hostname', address: n.name },
      ],
    },
  };
}

export function serviceObject(s: ClusterService): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: 'ClusterIP',
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      // A named targetPort, as the lab manifests' Service has: resolved through the slice's port.
      ports: s.ports.map((p) => ({ name: 'http', port: p.port, targetPort: 'http', protocol: p.protocol })),
    },
  };
}

export function endpointSliceObject(s: ClusterService): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${s.name}-abcde`,
      namespace: s.namespace,
      labels: { 'kubernetes.io/service-name': s.name },
    },
    addressType: 'IPv4',
    endpoints: s.endpoints.map((e) => {
      const [pns, pname] = (e.pod ?? '/').split('/');
      return {
        addresses: [e.ip],
        conditions: { ready: true },
        ...(e.pod ? { targetRef: { kind: 'Pod', namespace: pns, name: pname } } : {}),
      };
    }),
    ports: s.ports.map((p) => ({ name: 'http', port: p.targetPort, protocol: p.protocol })),
  };
}

/** `crictl pods|inspectp|inspect ... -o json` as CRI-O prints it; undefined for an unknown id. */
export function crictlJson(pods: ClusterPod[], args: string[]): string | undefined {
  const opt = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const meta = (p: ClusterPod) => ({
    name: p.name,
    namespace: p.namespace,
    uid: stableUuid(`${p.namespace}/${p.name}`),
    attempt: 0,
  });
  const ns = (path: string) => ({ linux: { namespaces: [{ type: 'pid' }, { type: 'network', path }] } });
  const id = args.at(-1)!;
  if (args[0] === 'pods') {
    const items = pods
      .filter(
        (p) =>
          (opt('--namespace') ?? p.namespace) === p.namespace && new RegExp(opt('--name') ?? '').test(p.name),
      )
      .map((p) => ({
        id: p.sandboxId,
        metadata: meta(p),
        state: 'SANDBOX_READY',
        createdAt: '1764115200000000000',
      }));
    return JSON.stringify({ items });
  }
  if (args[0] === 'inspectp') {
    const p = pods.find((x) => x.sandboxId === id);
    if (!p) return undefined;
    return JSON.stringify({
      status: { id, metadata: meta(p), state: 'SANDBOX_READY', network: { ip: p.ips[0] } },
      info: {
        image: 'registry.k8s.io/pause:3.10',
        pid: p.containers[0]?.pid,
        runtimeSpec: ns(p.netns ?? ''),
      },
    });
  }
  if (args[0] === 'inspect') {
    for (const p of pods)
      for (const c of p.containers)
        if (c.id === id)
          return JSON.stringify({
            status: {
              id,
              metadata: { name: c.name, attempt: 0 },
              state: c.running ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
            },
            info: {
              sandboxID: p.sandboxId,
              pid: c.running ? c.pid : 0,
              runtimeSpec: ns(`/proc/${c.pid}/ns/net`),
              privileged: false,
            },
          });
    return undefined;
  }
  return undefined;
}

/** A Status as the API server answers an error. */
export function statusObject(code: number, message: string): Obj {
  const reasons: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
  };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reasons[code] ?? 'InternalError',
    code,
  };
}

/**
 * A Namespace as the API server keeps it: the name label every namespace gets, a phase, and the
 * uid and resourceVersion a delete's preconditions compare (a namespace made again gets a new uid).
 */
export function namespaceObject(
  name: string,
  labels: Record<string, string> = {},
  uid: string = stableUuid(`namespace/${name}`),
  resourceVersion = '1',
): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid,
      resourceVersion,
      labels: { ...labels, 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
