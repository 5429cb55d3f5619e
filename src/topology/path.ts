// The path a packet takes between two endpoints, hop by hop, over a discovered topology: each hop is
// a place (node, namespace, interface) with a role, whether a capture there sees this path's
// packets, and what the packet is expected to show changed there (DNAT by a load balancer, SNAT by
// the gateway router, routing, Geneve encapsulation). OVN-Kubernetes shapes it:
//
//   same node    eth0 → host veth → br-int (node switch) → host veth → eth0
//   other node   eth0 → host veth → br-int (cluster router) → Geneve port → NIC ⇢ NIC → Geneve port
//                → br-int → host veth → eth0
//   outside      eth0 → host veth → br-int (cluster router, GR_<node> SNAT to the node IP) → patch
//                → br-ex → NIC
//   a Service    the load balancer DNATs in the source node's br-int, then one of the above
//
// Pure: `nettrace trace` turns the capture hops into capture points and the expectations into
// findings to check.
import { NettraceError } from '../errors.ts';
import { type Endpoint, endpointOfIp } from './endpoints.ts';
import type { NodeTopology, PodTopology, Topology } from './model.ts';
import {
  CLUSTER_ROUTER,
  gatewayHops,
  gatewayRouter,
  hop,
  nicHop,
  nodeOf,
  ovnHop,
  podHops,
  podOf,
  tunnelChange,
  tunnelHop,
  tunnelTo,
} from './path-hops.ts';

export type HopRole =
  | 'pod-eth0' // the pod's interface, in the pod's network namespace
  | 'host-veth' // the host end of the pod's veth, a port of br-int
  | 'ovn' // br-int's flow tables: OVN's logical switches and routers (no device sees this)
  | 'tunnel' // a Geneve/VXLAN port towards another node
  | 'nic' // the node's uplink
  | 'patch' // a patch port between br-int and br-ex
  | 'bridge' // br-ex's flow tables
  | 'management-port' // ovn-k8s-mp0: the node's host stack into the pod network
  | 'host' // the node's own stack (br-ex's internal port holds the node IP)
  | 'external' // the far end, outside the cluster
  | 'loopback'; // `lo` inside a pod: containers of one pod talking over 127.0.0.1

export type ExpectedChange =
  | { kind: 'dnat'; from: string; to: string; by: string; candidates: string[] }
  | { kind: 'snat'; from: string; to: string; by: string }
  | { kind: 'routed'; ttlDecrement: number; by: string[] }
  | { kind: 'mac-rewrite'; by: string; src?: string; dst?: string }
  | {
      kind: 'encap';
      protocol: string;
      tunnel: string;
      outerSrc?: string;
      outerDst?: string;
      dstPort?: number;
    }
  | { kind: 'decap'; protocol: string; tunnel: string };

export interface PathHop {
  /** Unique within a path: `node/interface`, `node/pod/eth0` for a pod, `external/IP`. */
  id: string;
  node?: string;
  /** `node` for the node's own network namespace, the netns path for a pod, `external` outside. */
  netns: string;
  interface: string;
  role: HopRole;
  /** `namespace/name` for pod hops. */
  pod?: string;
  /** Whether a capture on this interface sees this path's packets. */
  capture: boolean;
  /** Why not, when capture is false. */
  why?: string;
  /** What happens to the packet here. */
  does: ExpectedChange[];
  /** Capture hops only: what a packet seen here shows changed since the previous capture hop. */
  expect: ExpectedChange[];
  note?: string;
}

export type PathKind = 'same-node' | 'cross-node' | 'egress' | 'to-node' | 'to-own-node' | 'loopback';

export interface PathResult {
  from: Endpoint;
  to: Endpoint;
  kind: PathKind;
  /** For a Service: the load balancer's choice this path follows, and the others it could make. */
  service?: { name: string; vip: string; endpoint: string; endpoints: string[] };
  hops: PathHop[];
  notes: string[];
}

/** A capture hop as `nettrace trace` records it (design.md's "points"). */
export interface CapturePoint {
  id: string;
  node?: string;
  netns: string;
  interface: string;
  role: HopRole;
  pod?: string;
}

export function capturePoints(path: PathResult): CapturePoint[] {
  return path.hops
    .filter((h) => h.capture)
    .map((h) => ({
      id: h.id,
      ...(h.node !== undefined ? { node: h.node } : {}),
      netns: h.netns,
      interface: h.interface,
      role: h.role,
      ...(h.pod !== undefined ? { pod: h.pod } : {}),
    }));
}

function finish(hops: PathHop[]): PathHop[] {
  let pending: ExpectedChange[] = [];
  for (const h of hops) {
    pending.push(...h.does);
    if (h.capture) {
      h.expect = pending;
      pending = [];
    }
  }
  return hops;
}

/** The hops from `src` (already at br-int's door) to a pod, for both same-node and cross-node. */
function toPod(
  t: Topology,
  srcNode: NodeTopology,
  firstOvnDoes: ExpectedChange[],
  dst: PodTopology,
  notes: string[],
): { hops: PathHop[]; kind: PathKind } {
  const dstNode = nodeOf(t, dst.node);
  const d = podHops(dst, dstNode);
  const dstKey = `${dst.namespace}/${dst.name}`;
  const dnat = firstOvnDoes.find((c) => c.kind === 'dnat');
  const lb = dnat ? `load balancer ${dnat.from} → ${dnat.to}, ` : '';
  if (dstNode.name === srcNode.name) {
    // One logical switch per node: pods of a node are switched, not routed.
    return {
      kind: 'same-node',
      hops: [
        ovnHop(srcNode, `${lb}logical switch ${srcNode.name} to ${dstKey}`, firstOvnDoes),
        d.veth,
        d.eth0,
      ],
    };
  }
  // OVN runs the whole logical pipeline on the sending chassis: routing happens before the tunnel.
  const routed: ExpectedChange[] = [
    { kind: 'routed', ttlDecrement: 1, by: [CLUSTER_ROUTER] },
    { kind: 'mac-rewrite', by: CLUSTER_ROUTER, ...(dst.eth0?.mac ? { dst: dst.eth0.mac } : {}) },
  ];
  const out = tunnelTo(srcNode, dstNode);
  const back = tunnelTo(dstNode, srcNode);
  if (!out) notes.push(`${srcNode.name} has no tunnel to ${dstNode.name}: OVN cannot reach ${dstKey}`);
  const srcNic = nicHop(srcNode, 'encapsulated');
  if (out?.device) srcNic.does.push(tunnelChange(out, 'out'));
  return {
    kind: 'cross-node',
    hops: [
      ovnHop(
        srcNode,
        `${lb}logical switch ${srcNode.name} → ${CLUSTER_ROUTER} → logical switch ${dstNode.name}`,
        [...firstOvnDoes, ...routed],
      ),
      tunnelHop(srcNode, out, dstNode, 'out'),
      srcNic,
      nicHop(dstNode, 'encapsulated'),
      tunnelHop(dstNode, back, srcNode, 'in'),
      ovnHop(dstNode, `logical switch ${dstNode.name} egress to ${dstKey}`),
      d.veth,
      d.eth0,
    ],
  };
}

/** A loopback address: traffic to it never leaves the namespace it starts in. */
export function isLoopback(e: Endpoint): boolean {
  return e.kind === 'external' && /^127\./.test(e.ip);
}

/**
 * Containers of one pod share its network namespace: 127.0.0.1 from one reaches a server in
 * another over the pod's `lo`, and nothing leaves the pod (the seed's container-to-container case).
 */
export function loopbackPath(t: Topology, from: Endpoint, to: Endpoint): PathResult {
  if (from.kind !== 'pod') throw new NettraceError('topology.bad-source', 'a loopback path starts in a pod');
  const pod = podOf(t, from.pod);
  const node = nodeOf(t, pod.node);
  return {
    from,
    to,
    kind: 'loopback',
    hops: [
      hop({
        id: `${node.name}/${pod.name}/lo`,
        node: node.name,
        netns: pod.netns.path ?? `pod ${from.pod}`,
        interface: 'lo',
        role: 'loopback',
        pod: from.pod,
        capture: true,
        note: "the pod's containers share this network namespace: loopback traffic stays on lo",
      }),
    ],
    notes: [`${from.pod}'s containers share one network namespace, so 127.0.0.1 is the same for all of them`],
  };
}

/** The path from `from` (a pod or a node) to `to`. Both ends' nodes (and pods) must be in `t`. */
export function computePath(t: Topology, from: Endpoint, to: Endpoint): PathResult {
  const notes: string[] = [];
  let hops: PathHop[];
  let srcNode: NodeTopology;
  let srcIp: string | undefined;
  if (from.kind === 'pod') {
    const src = podOf(t, from.pod);
    srcNode = nodeOf(t, src.node);
    const s = podHops(src, srcNode);
    hops = [s.eth0, s.veth];
    srcIp = src.ips[0];
  } else if (from.kind === 'node') {
    srcNode = nodeOf(t, from.node);
    const mp = srcNode.managementPort;
    if (!mp) throw new NettraceError('topology.no-mp0', `node ${srcNode.name} has no OVN management port`);
    hops = [
      hop({
        id: `${srcNode.name}/${mp.name}`,
        node: srcNode.name,
        netns: 'node',
        interface: mp.name,
        role: 'management-port',
        capture: true,
        note: "the node's route to the cluster network goes through the management port",
      }),
    ];
    srcIp = mp.addresses[0]?.split('/')[0];
  } else {
    throw new NettraceError('topology.bad-source', 'a path starts at a pod or a node');
  }

  let dst = to;
  let service: PathResult['service'];
  const firstDoes: ExpectedChange[] = [];
  if (dst.kind === 'service') {
    const key = dst.service;
    const svc = t.cluster.services.find((s) => `${s.namespace}/${s.name}` === key);
    const port = svc?.ports.find((p) => p.port === (dst as { port: number }).port);
    if (!svc || !port)
      throw new NettraceError('topology.no-service', `service ${key} is not in the topology's cluster data`);
    if (svc.endpoints.length === 0) {
      notes.push(`service ${key} has no endpoints: OVN's load balancer rejects the connection`);
      return {
        from,
        to,
        kind: 'same-node',
        hops: finish([
          ...hops,
          ovnHop(srcNode, `load balancer for ${svc.clusterIP}:${port.port}: no backends`),
        ]),
        notes,
      };
    }
    const discovered = new Set(t.pods.map((p) => `${p.namespace}/${p.name}`));
    const chosen = svc.endpoints.find((e) => e.pod && discovered.has(e.pod)) ?? svc.endpoints[0]!;
    const all = svc.endpoints.map((e) => `${e.ip}:${port.targetPort}`);
    service = {
      name: key,
      vip: `${svc.clusterIP}:${port.port}`,
      endpoint: `${chosen.ip}:${port.targetPort}`,
      endpoints: all,
    };
    firstDoes.push({
      kind: 'dnat',
      from: `${svc.clusterIP}:${port.port}`,
      to: `${chosen.ip}:${port.targetPort}`,
      by: `load balancer of ${key} on logical switch ${srcNode.name}`,
      candidates: all,
    });
    if (all.length > 1)
      notes.push(
        `the load balancer picks one of ${all.join(', ')} per connection; this path follows ${chosen.ip}`,
      );
    dst = chosen.pod ? { kind: 'pod', pod: chosen.pod, ip: chosen.ip } : endpointOfIp(chosen.ip, t.cluster);
  }

  let kind: PathKind;
  if (dst.kind === 'pod') {
    if (from.kind === 'pod' && dst.pod === from.pod && !service)
      throw new NettraceError('topology.same-endpoint', `${from.pod} to itself never leaves the pod`);
    const r = toPod(t, srcNode, firstDoes, podOf(t, dst.pod), notes);
    hops.push(...r.hops);
    kind = r.kind;
  } else if (dst.kind === 'node' && dst.node === srcNode.name) {
    kind = 'to-own-node';
    hops.push(
      ovnHop(srcNode, `${CLUSTER_ROUTER} → join → ${gatewayRouter(srcNode.name)}`, [
        ...firstDoes,
        { kind: 'routed', ttlDecrement: 1, by: [CLUSTER_ROUTER] },
      ]),
    );
    notes.push(
      `${srcNode.nodeIp ?? 'the node IP'} is also ${gatewayRouter(srcNode.name)}'s address: without OVN-Kubernetes' ` +
        `node-IP reroute policy the gateway router answers itself and the host never sees the packet; with it, ` +
        `the packet reaches the host over ${srcNode.managementPort?.name ?? 'ovn-k8s-mp0'}`,
    );
  } else {
    // Outside the pod network: through this node's gateway router, SNAT to the node IP.
    const nodeIp = srcNode.nodeIp;
    const gr = gatewayRouter(srcNode.name);
    const does: ExpectedChange[] = [
      ...firstDoes,
      { kind: 'routed', ttlDecrement: 2, by: [CLUSTER_ROUTER, gr] },
    ];
    if (from.kind === 'pod' && srcIp && nodeIp) does.push({ kind: 'snat', from: srcIp, to: nodeIp, by: gr });
    does.push({ kind: 'mac-rewrite', by: gr, ...(srcNode.nic?.mac ? { src: srcNode.nic.mac } : {}) });
    hops.push(ovnHop(srcNode, `${CLUSTER_ROUTER} → join → ${gr} (SNAT to ${nodeIp ?? 'the node IP'})`, does));
    hops.push(...gatewayHops(srcNode));
    if (dst.kind === 'node') {
      kind = 'to-node';
      const dn = nodeOf(t, dst.node);
      hops.push(nicHop(dn));
      const gw = dn.nic?.bridge ?? 'br-ex';
      hops.push(
        hop({
          id: `${dn.name}/${gw}`,
          node: dn.name,
          netns: 'node',
          interface: gw,
          role: 'host',
          capture: true,
          note: `${gw}'s own port holds ${dn.nodeIp ?? 'the node IP'}: the host stack receives here`,
        }),
      );
    } else {
      kind = 'egress';
      const ip = dst.kind === 'external' ? dst.ip : ((dst as { ip?: string }).ip ?? '?');
      hops.push(
        hop({
          id: `external/${ip}`,
          netns: 'external',
          interface: ip,
          role: 'external',
          capture: false,
          why: 'outside the cluster',
        }),
      );
    }
  }
  return { from, to, kind, ...(service ? { service } : {}), hops: finish(hops), notes };
}
