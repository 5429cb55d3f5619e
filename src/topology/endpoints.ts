// What `--to` names: pod/NAME, svc/NAME[:PORT], node/NAME or an IPv4 address, resolved against what
// the orchestrator says. An address that is a pod's, a Service's ClusterIP or a node's InternalIP
// becomes that endpoint; any other address is outside the cluster.
import { NettraceError } from '../errors.ts';
import { type ClusterSnapshot, findNode, findPod, findService, podKey } from './cluster-view.ts';

export type Endpoint =
  | { kind: 'pod'; pod: string; ip?: string }
  | { kind: 'service'; service: string; ip: string; port: number; protocol: string }
  | { kind: 'node'; node: string; ip?: string }
  | { kind: 'external'; ip: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** `NAME` or `NAMESPACE/NAME` after the kind prefix. */
function nsName(rest: string, defaultNamespace: string): { namespace: string; name: string } {
  const i = rest.indexOf('/');
  return i < 0
    ? { namespace: defaultNamespace, name: rest }
    : { namespace: rest.slice(0, i), name: rest.slice(i + 1) };
}

/** Resolves a destination as `--to` spells it. Unknown names are errors listing what exists. */
export function resolveEndpoint(text: string, cluster: ClusterSnapshot, defaultNamespace: string): Endpoint {
  const t = text.trim();
  const slash = t.indexOf('/');
  const kind = slash < 0 ? '' : t.slice(0, slash);
  const rest = slash < 0 ? t : t.slice(slash + 1);
  if (!rest) throw new NettraceError('topology.bad-target', `"${text}" names nothing after "${kind}/"`);
  switch (kind) {
    case 'pod':
    case 'po':
    case 'pods': {
      const { namespace, name } = nsName(rest, defaultNamespace);
      const p = findPod(cluster.pods, namespace, name);
      return { kind: 'pod', pod: podKey(p), ...(p.ips[0] ? { ip: p.ips[0] } : {}) };
    }
    case 'svc':
    case 'service':
    case 'services': {
      const m = /^(.*?)(?::(\d+))?$/.exec(rest)!;
      const { namespace, name } = nsName(m[1]!, defaultNamespace);
      const s = findService(cluster.services, namespace, name);
      const wanted = m[2] !== undefined ? Number(m[2]) : undefined;
      const port = wanted === undefined ? s.ports[0] : s.ports.find((p) => p.port === wanted);
      if (!port) {
        throw new NettraceError(
          'topology.no-service-port',
          `service ${podKey(s)} has no port ${wanted ?? ''} (ports: ${s.ports.map((p) => p.port).join(', ') || 'none'})`,
        );
      }
      return {
        kind: 'service',
        service: podKey(s),
        ip: s.clusterIP,
        port: port.port,
        protocol: port.protocol,
      };
    }
    case 'node':
    case 'nodes': {
      const n = findNode(cluster.nodes, rest);
      return { kind: 'node', node: n.name, ...(n.internalIP ? { ip: n.internalIP } : {}) };
    }
    case '':
      if (isIpv4(t)) return endpointOfIp(t, cluster);
      break;
  }
  throw new NettraceError(
    'topology.bad-target',
    `cannot tell what "${text}" is: use pod/NAME, svc/NAME[:PORT], node/NAME or an IPv4 address`,
  );
}

export function endpointOfIp(ip: string, cluster: ClusterSnapshot): Endpoint {
  const pod = cluster.pods.find((p) => p.ips.includes(ip));
  if (pod) return { kind: 'pod', pod: podKey(pod), ip };
  const svc = cluster.services.find((s) => s.clusterIP === ip);
  const p = svc?.ports[0];
  if (svc && p) {
    return { kind: 'service', service: podKey(svc), ip, port: p.port, protocol: p.protocol };
  }
  const node = cluster.nodes.find((n) => n.internalIP === ip);
  if (node) return { kind: 'node', node: node.name, ip };
  return { kind: 'external', ip };
}

/** How an endpoint reads in one line: `pod network-trace/static-server (10.129.0.12)`. */
export function describeEndpoint(e: Endpoint): string {
  switch (e.kind) {
    case 'pod':
      return `pod ${e.pod}${e.ip ? ` (${e.ip})` : ''}`;
    case 'service':
      return `service ${e.service} (${e.ip}:${e.port}/${e.protocol})`;
    case 'node':
      return `node ${e.node}${e.ip ? ` (${e.ip})` : ''}`;
    case 'external':
      return `${e.ip} (outside the cluster)`;
  }
}
