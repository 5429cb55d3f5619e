// One pod's network from its own namespace and its node's: eth0's peer ifindex (`eth0@if3`) names
// the host veth in the node namespace, and that veth must name eth0 back — both ends are checked,
// because an ifindex alone is only unique within one namespace. The veth's OVS port gives bridge,
// ofport and OVN binding. Pure: outputs in, model out.
import type { ClusterPod } from './cluster-view.ts';
import { NAMESPACES_FILE, type Outputs, POD_NET_COMMAND, parseOutput } from './collect.ts';
import type { HostVeth, Interface, NodeTopology, PodInterface, PodTopology } from './model.ts';
import { parseNamespaceStat, podNamespaces } from './namespaces.ts';
import { toInterface } from './node-model.ts';
import { parseIpAddr } from './parsers/index.ts';

function podInterface(i: Interface): PodInterface {
  const out: PodInterface = { name: i.name, ifindex: i.ifindex, addresses: i.addresses };
  if (i.peerIfindex !== undefined) out.peerIfindex = i.peerIfindex;
  if (i.peerNetnsId !== undefined) out.peerNetnsId = i.peerNetnsId;
  if (i.mac !== undefined) out.mac = i.mac;
  if (i.mtu !== undefined) out.mtu = i.mtu;
  if (i.operstate !== undefined) out.operstate = i.operstate;
  return out;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The host end of eth0 in the node namespace, checked from both sides. */
export function matchHostVeth(
  eth0: PodInterface,
  node: NodeTopology,
  netnsPath: string | undefined,
  warnings: string[],
): HostVeth | undefined {
  if (eth0.peerIfindex === undefined) {
    warnings.push(`${eth0.name} reports no peer ifindex: not a veth into the node?`);
    return undefined;
  }
  const host = node.interfaces.find((i) => i.ifindex === eth0.peerIfindex);
  if (!host) {
    warnings.push(
      `${eth0.name}@if${eth0.peerIfindex}: node ${node.name} has no interface with ifindex ${eth0.peerIfindex}`,
    );
    return undefined;
  }
  if (host.kind !== undefined && host.kind !== 'veth') {
    warnings.push(`ifindex ${host.ifindex} on ${node.name} is ${host.name} (${host.kind}), not a veth`);
    return undefined;
  }
  if (host.peerIfindex !== eth0.ifindex) {
    warnings.push(
      `${host.name} (ifindex ${host.ifindex} on ${node.name}) peers with ifindex ${host.peerIfindex ?? '?'}, ` +
        `not ${eth0.name}'s ${eth0.ifindex}: the pod's peer is in another namespace`,
    );
    return undefined;
  }
  if (netnsPath && host.peerNetns && host.peerNetns !== basename(netnsPath)) {
    warnings.push(`${host.name}'s peer namespace is ${host.peerNetns}, not the pod's ${netnsPath}`);
    return undefined;
  }
  const v: HostVeth = { name: host.name, ifindex: host.ifindex, master: host.master ?? null };
  if (host.peerIfindex !== undefined) v.peerIfindex = host.peerIfindex;
  if (host.mac !== undefined) v.mac = host.mac;
  if (host.mtu !== undefined) v.mtu = host.mtu;
  if (host.operstate !== undefined) v.operstate = host.operstate;
  if (host.peerNetns !== undefined) v.peerNetns = host.peerNetns;
  const port = node.bridges.flatMap((b) => b.ports).find((p) => p.name === host.name);
  if (port) {
    v.bridge = port.bridge;
    const dp = node.bridges.find((b) => b.name === port.bridge)?.datapathType;
    if (dp) v.datapathType = dp;
    v.port = port.name;
    if (port.ofport !== undefined) v.ofport = port.ofport;
    if (port.ifaceId !== undefined) v.ifaceId = port.ifaceId;
  } else warnings.push(`host veth ${host.name} is not a port of any OVS bridge on ${node.name}`);
  return v;
}

export function buildPod(pod: ClusterPod, outs: Outputs, node: NodeTopology | undefined): PodTopology {
  const key = `${pod.namespace}/${pod.name}`;
  const warnings: string[] = [];
  const net = outs.get(POD_NET_COMMAND.file);
  const nsOut = outs.get(NAMESPACES_FILE);
  if (!net || !nsOut) throw new Error(`internal: outputs of pod ${key} were not collected`);
  const interfaces = parseOutput(net, parseIpAddr).map((i) => toInterface(i));
  const stat = parseOutput(nsOut, parseNamespaceStat);
  const ns = podNamespaces(pod, stat);
  warnings.push(...ns.warnings);

  const e = interfaces.find((i) => i.name === 'eth0') ?? interfaces.find((i) => i.kind === 'veth');
  const eth0 = e ? podInterface(e) : undefined;
  if (!eth0) warnings.push(`no eth0 (or any veth) in the pod's network namespace`);
  for (const ip of pod.ips) {
    if (eth0 && !eth0.addresses.some((a) => a.split('/')[0] === ip))
      warnings.push(
        `the pod IP ${ip} is not on ${eth0.name} (${eth0.addresses.join(', ') || 'no addresses'})`,
      );
  }
  let hostVeth: HostVeth | undefined;
  if (eth0 && node) hostVeth = matchHostVeth(eth0, node, pod.netns, warnings);
  if (hostVeth?.ifaceId && hostVeth.ifaceId !== `${pod.namespace}_${pod.name}`)
    warnings.push(
      `${hostVeth.name} is bound to OVN port ${hostVeth.ifaceId}, not ${pod.namespace}_${pod.name}`,
    );

  const out: PodTopology = {
    namespace: pod.namespace,
    name: pod.name,
    node: pod.node,
    ips: pod.ips,
    netns: {
      ...(pod.netns !== undefined ? { path: pod.netns } : {}),
      ...(ns.netnsInode !== undefined ? { inode: ns.netnsInode } : {}),
    },
    containers: ns.containers,
    sharedNamespaces: ns.shared,
    isolatedNamespaces: ns.isolated,
    partlySharedNamespaces: ns.partlyShared,
    hostNamespaces: ns.host,
    interfaces,
    warnings,
  };
  if (pod.sandboxId !== undefined) out.sandboxId = pod.sandboxId;
  if (eth0) out.eth0 = eth0;
  if (hostVeth) out.hostVeth = hostVeth;
  return out;
}
