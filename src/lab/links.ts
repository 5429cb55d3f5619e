// Namespaces, veths, addresses, routes, sysctls, nftables and ethtool: the kernel side of the lab.
// Every veth pair is created from inside a lab namespace with its peer moved into another lab
// namespace (`ip -n A link add X ... peer name Y netns B`); nothing here touches the root namespace.
import type { LabContext } from './context.ts';
import { checkAborted } from './context.ts';
import type { NodePlan, PodPlan } from './plan.ts';
import { planNamespaces } from './plan.ts';
import { prefixLength } from './spec.ts';

/** `ip -n NS -batch -`: many ip commands in one process; stops at the first failing line. */
async function ipBatch(ctx: LabContext, netns: string, lines: string[]): Promise<void> {
  checkAborted(ctx);
  await ctx.local.run(['ip', '-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n`, check: true });
}

/** Quiet captures (no IPv6 router solicitations/MLD) plus any extra settings, all inside `netns`. */
async function sysctls(ctx: LabContext, netns: string, extra: string[] = []): Promise<void> {
  checkAborted(ctx);
  await ctx
    .ns(netns)
    .run(
      [
        'sysctl',
        '-q',
        '-w',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
        ...extra,
      ],
      { check: true },
    );
}

/**
 * The userspace datapath writes to veths through packet sockets and never completes a checksum a
 * kernel left to "hardware": every kernel endpoint whose TCP/UDP reaches OVS computes it itself.
 */
async function txChecksumOff(ctx: LabContext, netns: string, devs: string[]): Promise<void> {
  for (const d of devs) {
    checkAborted(ctx);
    await ctx.ns(netns).run(['ethtool', '-K', d, 'tx', 'off'], { check: true });
  }
}

export async function createNamespaces(ctx: LabContext): Promise<void> {
  const names = planNamespaces(ctx.plan);
  ctx.store.add(...names.map((name) => ({ kind: 'netns' as const, name })));
  checkAborted(ctx);
  await ctx.local.run(['ip', '-batch', '-'], {
    input: `${names.map((n) => `netns add ${n}`).join('\n')}\n`,
    check: true,
  });
}

/** The underlay router (a bridge holding the node segment's gateway) and the external segment. */
export async function setupUnderlay(ctx: LabContext): Promise<void> {
  const { plan } = ctx;
  const ul = plan.underlayNetns;
  const x = plan.external;
  const ulLen = prefixLength(plan.spec.underlayNetwork);
  ctx.store.add(
    { kind: 'link', netns: ul, name: plan.underlayBridge },
    { kind: 'link', netns: ul, name: x.underlayPort, peer: { netns: x.netns, name: x.iface } },
    ...plan.nodes.map((n) => ({
      kind: 'link' as const,
      netns: ul,
      name: n.underlayPort,
      peer: { netns: n.netns, name: n.nic },
    })),
  );
  await ipBatch(ctx, ul, [
    'link set lo up',
    `link add ${plan.underlayBridge} address ${plan.underlayGatewayMac} type bridge`,
    `addr add ${plan.spec.underlayGatewayIp}/${ulLen} dev ${plan.underlayBridge}`,
    `link set ${plan.underlayBridge} up`,
    `link add ${x.underlayPort} address ${x.gatewayMac} type veth peer name ${x.iface} address ${x.mac} netns ${x.netns}`,
    `addr add ${x.gatewayIp}/${x.prefixLength} dev ${x.underlayPort}`,
    `link set ${x.underlayPort} up`,
    // Each node's NIC is one end of a veth whose other end is a port of the underlay bridge.
    ...plan.nodes.flatMap((n) => [
      `link add ${n.underlayPort} type veth peer name ${n.nic} address ${n.mac} netns ${n.netns}`,
      `link set ${n.underlayPort} master ${plan.underlayBridge} up`,
    ]),
  ]);
  await sysctls(ctx, ul, ['net.ipv4.ip_forward=1']);
  await txChecksumOff(ctx, ul, [
    plan.underlayBridge,
    x.underlayPort,
    ...plan.nodes.map((n) => n.underlayPort),
  ]);
}

/** The external host: reachable from the node segment, with no route back to pod addresses (SNAT only). */
export async function setupExternal(ctx: LabContext): Promise<void> {
  const x = ctx.plan.external;
  await ipBatch(ctx, x.netns, [
    'link set lo up',
    `addr add ${x.ip}/${x.prefixLength} dev ${x.iface}`,
    `link set ${x.iface} up`,
    `route add ${ctx.plan.spec.underlayNetwork} via ${x.gatewayIp} dev ${x.iface}`,
  ]);
  await sysctls(ctx, x.netns);
  await txChecksumOff(ctx, x.netns, [x.iface]);
}

export async function setupCentralNetns(ctx: LabContext): Promise<void> {
  await ipBatch(ctx, ctx.plan.centralNetns, ['link set lo up']);
  await sysctls(ctx, ctx.plan.centralNetns);
}

/** A pod's eth0, created in the pod namespace with its host-side end moved to the node, as a CNI does. */
export async function setupPodNetwork(ctx: LabContext, pod: PodPlan, node: NodePlan): Promise<void> {
  const mtu = ctx.plan.spec.podMtu;
  ctx.store.add({
    kind: 'link',
    netns: pod.netns,
    name: 'eth0',
    peer: { netns: node.netns, name: pod.veth },
  });
  await ipBatch(ctx, pod.netns, [
    'link set lo up',
    `link add eth0 address ${pod.mac} mtu ${mtu} type veth peer name ${pod.veth} mtu ${mtu} netns ${node.netns}`,
    `addr add ${pod.ip}/${pod.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${pod.gatewayIp} dev eth0`,
  ]);
  await sysctls(ctx, pod.netns);
  await txChecksumOff(ctx, pod.netns, ['eth0']);
  await trackConnections(ctx, pod.netns);
}

/**
 * A fresh namespace has no netfilter rule that needs connection tracking, so `conntrack -E` in it
 * would print nothing; on a real node iptables/OVN rules make the pod's traffic tracked. One rule
 * that counts new connections is enough to turn tracking on, and changes no packet's fate.
 */
async function trackConnections(ctx: LabContext, netns: string): Promise<void> {
  checkAborted(ctx);
  await ctx.ns(netns).run(['nft', '-f', '-'], {
    input:
      'table inet nettrace_conntrack {\n' +
      '  chain out { type filter hook output priority 0; policy accept; ct state new counter; }\n' +
      '  chain in { type filter hook input priority 0; policy accept; ct state new counter; }\n' +
      '}\n',
    check: true,
  });
}

/** Links of the node namespace that exist before OVS starts: the NIC and the pods' host-side veths. */
export async function setupNodeLinks(ctx: LabContext, node: NodePlan, pods: PodPlan[]): Promise<void> {
  await ipBatch(ctx, node.netns, [
    'link set lo up',
    `link set ${node.nic} up`,
    ...pods.map((p) => `link set ${p.veth} up`),
  ]);
  await sysctls(ctx, node.netns);
  await dropKernelIngress(ctx, node, [node.nic, ...pods.map((p) => p.veth)]);
}

/**
 * The userspace datapath reads its ports with packet sockets, which do not steal packets from the
 * node's kernel: without this the node stack also answers (RSTs for SNATed flows) and forwards.
 * A netdev ingress hook runs after packet taps, so OVS and tcpdump still see every packet.
 */
async function dropKernelIngress(ctx: LabContext, node: NodePlan, devs: string[]): Promise<void> {
  const chains = devs.map(
    (d) =>
      `  chain in_${d.replace(/[^A-Za-z0-9]/g, '_')} { type filter hook ingress device "${d}" priority 0; policy drop; }`,
  );
  checkAborted(ctx);
  await ctx.ns(node.netns).run(['nft', '-f', '-'], {
    input: `table netdev nettrace_ovs_ports {\n${chains.join('\n')}\n}\n`,
    check: true,
  });
}

/** Node IP on br-ex with the default route, ovn-k8s-mp0's address and the cluster route (after OVS made the taps). */
export async function setupNodeAddresses(ctx: LabContext, node: NodePlan): Promise<void> {
  const { spec } = ctx.plan;
  await ipBatch(ctx, node.netns, [
    `addr add ${node.ip}/${prefixLength(spec.underlayNetwork)} dev br-ex`,
    'link set br-ex up',
    `route add default via ${spec.underlayGatewayIp} dev br-ex`,
    `link set ovn-k8s-mp0 mtu ${spec.podMtu}`,
    `addr add ${node.mp0Ip}/${prefixLength(node.podSubnet)} dev ovn-k8s-mp0`,
    'link set ovn-k8s-mp0 up',
    `route add ${spec.clusterNetwork} via ${node.gatewayIp} dev ovn-k8s-mp0`,
  ]);
}
