// The hops path.ts strings together: one builder per kind of place (a pod's eth0 and host veth,
// br-int's OVN pipeline, a tunnel port, the patch and br-ex, the NIC), each saying whether a capture
// there sees the packets and, if not, why. They read only the discovered topology.
import { NettraceError } from '../errors.ts';
import type { NodeTopology, PodTopology, Topology, Tunnel } from './model.ts';
import type { ExpectedChange, PathHop } from './path.ts';

export const CLUSTER_ROUTER = 'ovn_cluster_router';
export const gatewayRouter = (node: string) => `GR_${node}`;
const OVN_WHY = "OVN's logical pipeline runs in br-int's flow tables; no device shows it";

export function hop(h: Omit<PathHop, 'does' | 'expect'> & { does?: ExpectedChange[] }): PathHop {
  return { ...h, does: h.does ?? [], expect: [] };
}

export function nodeOf(t: Topology, name: string): NodeTopology {
  const n = t.nodes.find((x) => x.name === name);
  if (!n)
    throw new NettraceError(
      'topology.not-discovered',
      `node ${name} was not discovered (discovered: ${t.nodes.map((x) => x.name).join(', ') || 'none'})`,
    );
  return n;
}

export function podOf(t: Topology, key: string): PodTopology {
  const p = t.pods.find((x) => `${x.namespace}/${x.name}` === key);
  if (!p)
    throw new NettraceError(
      'topology.not-discovered',
      `pod ${key} was not discovered (discovered: ${t.pods.map((x) => `${x.namespace}/${x.name}`).join(', ') || 'none'})`,
    );
  return p;
}

/** The host veth of a pod: matched through eth0 when the pod was entered, else by its OVN binding. */
export function vethOf(pod: PodTopology, node: NodeTopology): string {
  if (pod.hostVeth) return pod.hostVeth.name;
  const key = `${pod.namespace}/${pod.name}`;
  const port = node.bridges.flatMap((b) => b.ports).find((p) => p.pod === key);
  if (port) return port.name;
  throw new NettraceError(
    'topology.no-veth',
    `no host veth found for pod ${key} on ${node.name}${pod.warnings.length ? `: ${pod.warnings.join('; ')}` : ''}`,
  );
}

export function podHops(pod: PodTopology, node: NodeTopology): { eth0: PathHop; veth: PathHop } {
  const key = `${pod.namespace}/${pod.name}`;
  const veth = vethOf(pod, node);
  return {
    eth0: hop({
      id: `${node.name}/${pod.name}/${pod.eth0?.name ?? 'eth0'}`,
      node: node.name,
      netns: pod.netns.path ?? `pod ${key}`,
      interface: pod.eth0?.name ?? 'eth0',
      role: 'pod-eth0',
      pod: key,
      capture: true,
    }),
    veth: hop({
      id: `${node.name}/${veth}`,
      node: node.name,
      netns: 'node',
      interface: veth,
      role: 'host-veth',
      pod: key,
      capture: true,
    }),
  };
}

export function ovnHop(node: NodeTopology, note: string, does: ExpectedChange[] = []): PathHop {
  return hop({
    id: `${node.name}/${node.integrationBridge}`,
    node: node.name,
    netns: 'node',
    interface: node.integrationBridge,
    role: 'ovn',
    capture: false,
    why: OVN_WHY,
    does,
    note,
  });
}

export function nicHop(node: NodeTopology, note?: string): PathHop {
  if (!node.nic) {
    throw new NettraceError(
      'topology.no-nic',
      `node ${node.name} has no uplink NIC: ${node.warnings.join('; ')}`,
    );
  }
  return hop({
    id: `${node.name}/${node.nic.name}`,
    node: node.name,
    netns: 'node',
    interface: node.nic.name,
    role: 'nic',
    capture: true,
    ...(note ? { note } : {}),
  });
}

export function tunnelTo(from: NodeTopology, to: NodeTopology): Tunnel | undefined {
  return from.tunnels.find(
    (t) =>
      t.remoteNode === to.name ||
      (t.remoteIp !== undefined && (t.remoteIp === to.encapIp || t.remoteIp === to.nodeIp)),
  );
}

export function tunnelChange(t: Tunnel, side: 'out' | 'in'): ExpectedChange {
  return side === 'out'
    ? {
        kind: 'encap',
        protocol: t.type,
        tunnel: t.port,
        ...(t.localIp ? { outerSrc: t.localIp } : {}),
        ...(t.remoteIp ? { outerDst: t.remoteIp } : {}),
        ...(t.dstPort ? { dstPort: t.dstPort } : {}),
      }
    : { kind: 'decap', protocol: t.type, tunnel: t.port };
}

/**
 * The Geneve hop on one side. A kernel device (genev_sys_6081) shows inner packets; a userspace
 * port shows nothing. Sending through a device, the packet is encapsulated after the device, so the
 * encap belongs to the next hop (the NIC): `does` is left empty here and the caller places it.
 */
export function tunnelHop(
  node: NodeTopology,
  t: Tunnel | undefined,
  peer: NodeTopology,
  side: 'out' | 'in',
): PathHop {
  if (!t) {
    return hop({
      id: `${node.name}/tunnel-to-${peer.name}`,
      node: node.name,
      netns: 'node',
      interface: '(none)',
      role: 'tunnel',
      capture: false,
      why: `${node.name} has no tunnel port to ${peer.name} (${peer.encapIp ?? peer.nodeIp ?? 'IP unknown'})`,
    });
  }
  const dir = side === 'out' ? `to ${peer.name} (${t.remoteIp ?? '?'})` : `from ${peer.name}`;
  const key = t.key === 'flow' ? ', VNI per packet (the logical datapath)' : t.key ? `, key ${t.key}` : '';
  const onDevice = t.device !== undefined;
  return hop({
    id: `${node.name}/${t.device ?? t.port}`,
    node: node.name,
    netns: 'node',
    interface: t.device ?? t.port,
    role: 'tunnel',
    capture: onDevice,
    ...(onDevice
      ? {}
      : {
          why: `OVS port ${t.port} has no kernel device (userspace datapath: no genev_sys_${t.dstPort ?? 6081})`,
        }),
    does: onDevice && side === 'out' ? [] : [tunnelChange(t, side)],
    note: `${t.type} ${dir}${key}`,
  });
}

/** Egress through the gateway router: the patch to br-ex, br-ex's flows, the NIC. */
export function gatewayHops(node: NodeTopology): PathHop[] {
  const patch = node.patches.find(
    (p) => p.a.bridge === node.integrationBridge || p.b.bridge === node.integrationBridge,
  );
  const intEnd = patch && (patch.a.bridge === node.integrationBridge ? patch.a : patch.b);
  const exEnd = patch && (patch.a.bridge === node.integrationBridge ? patch.b : patch.a);
  const hops: PathHop[] = [];
  if (intEnd && exEnd) {
    hops.push(
      hop({
        id: `${node.name}/${intEnd.port}`,
        node: node.name,
        netns: 'node',
        interface: intEnd.port,
        role: 'patch',
        capture: false,
        why: 'patch ports have no device',
        note: `patch ${intEnd.bridge}:${intEnd.port} ⇄ ${exEnd.bridge}:${exEnd.port}`,
      }),
      hop({
        id: `${node.name}/${exEnd.bridge}`,
        node: node.name,
        netns: 'node',
        interface: exEnd.bridge,
        role: 'bridge',
        capture: false,
        why: `${exEnd.bridge}'s flows send the patch port's packets straight to the NIC; its own port sees host traffic only`,
      }),
    );
  } else {
    hops.push(
      hop({
        id: `${node.name}/patch`,
        node: node.name,
        netns: 'node',
        interface: '(none)',
        role: 'patch',
        capture: false,
        why: `no patch port between ${node.integrationBridge} and a gateway bridge on ${node.name}`,
      }),
    );
  }
  hops.push(nicHop(node));
  return hops;
}
