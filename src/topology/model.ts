// The topology model: what discovery found on the live system (or in a recorded folder), in the
// field's own words. Every fact here comes from a tool's output (ip, ovs-vsctl, stat of
// /proc/PID/ns/*); only `cluster` holds what the orchestrator said. `topo -o json` prints a
// Topology, `inspect -o json` an InspectResult built from one.
import type { ClusterSnapshot } from './cluster-view.ts';

export type NamespaceKind = 'net' | 'pid' | 'mnt' | 'uts' | 'ipc' | 'cgroup';
export const NAMESPACE_KINDS: readonly NamespaceKind[] = ['net', 'pid', 'mnt', 'uts', 'ipc', 'cgroup'];

/** A kernel network interface as `ip -j -d addr` shows it in one namespace. */
export interface Interface {
  name: string;
  ifindex: number;
  /** linkinfo kind: veth, tun, geneve, vxlan, bridge, openvswitch, ... */
  kind?: string;
  mac?: string;
  mtu?: number;
  operstate?: string;
  flags: string[];
  /** `master` as ip reports it: ovs-system on a kernel datapath; none for userspace OVS ports. */
  master?: string;
  /** veth peer: its ifindex in the namespace `peerNetnsId` names (the `@ifN` of `ip link`). */
  peerIfindex?: number;
  peerNetnsId?: number;
  /** The peer namespace's name, when `ip netns list-id` knows it. */
  peerNetns?: string;
  /** Peer in the same namespace (the `@name` of `ip link`). */
  peerName?: string;
  /** Addresses in CIDR form (`10.128.2.43/23`). */
  addresses: string[];
}

export type PortRole =
  | 'pod' // a pod's host-side veth (OVN iface-id names a logical switch port)
  | 'management' // ovn-k8s-mp0: the node's own way into the pod network
  | 'patch' // one end of a patch pair between two bridges
  | 'tunnel' // geneve/vxlan/... to another node
  | 'nic' // the physical uplink
  | 'bridge-internal' // the bridge's own port (LOCAL)
  | 'other';

/** An OVS port with its (single) interface's facts. */
export interface Port {
  name: string;
  bridge: string;
  role: PortRole;
  /** OVS Interface type; "system" for an ordinary device (OVS's own "" type). */
  type: string;
  /** The port's interfaces (more than one only for bonds). */
  interfaces: string[];
  ofport?: number;
  /** Kernel ifindex OVS reports (0/undefined for patch and tunnel ports). */
  ifindex?: number;
  mac?: string;
  mtu?: number;
  /** external_ids:iface-id: the OVN logical port bound here. */
  ifaceId?: string;
  /** `namespace/name` of the pod this port belongs to, when the orchestrator knows that pod. */
  pod?: string;
  options: Record<string, string>;
  externalIds: Record<string, string>;
  /** Why OVS could not use the interface. */
  error?: string;
}

export interface Bridge {
  name: string;
  /** `integration` (br-int), `gateway` (the bridge of OVN's bridge mappings: br-ex) or `other`. */
  role: 'integration' | 'gateway' | 'other';
  datapathType?: string;
  failMode?: string;
  ports: Port[];
}

export interface PatchPair {
  a: { bridge: string; port: string; ofport?: number };
  b: { bridge: string; port: string; ofport?: number };
}

export interface Tunnel {
  port: string;
  bridge: string;
  type: string;
  ofport?: number;
  /** options:local_ip, or (OVN leaves it unset) the chassis' ovn-encap-ip. */
  localIp?: string;
  localIpFrom?: 'options:local_ip' | 'external_ids:ovn-encap-ip';
  remoteIp?: string;
  /** The node whose IP is `remoteIp`, when known. */
  remoteNode?: string;
  /** options:key: `flow` for OVN (the VNI is chosen per packet). */
  key?: string;
  dstPort?: number;
  csum?: boolean;
  /** A kernel device carrying this kind of tunnel (genev_sys_6081) — absent on a userspace datapath. */
  device?: string;
}

export interface Nic {
  name: string;
  bridge: string;
  ofport?: number;
  ifindex?: number;
  kind?: string;
  mac?: string;
  mtu?: number;
  operstate?: string;
  master?: string;
  /** The node IP: the address on the gateway bridge's own port, which holds it in shared gateway mode. */
  nodeIp?: string;
  nodeIpOn?: string;
}

/** A veth whose host end is in the node namespace. */
export interface VethPair {
  host: { name: string; ifindex: number };
  peer: { ifindex?: number; netnsId?: number; netns?: string };
  /** The OVS port it is, if any. */
  bridge?: string;
  /** `namespace/name` when the port's iface-id names a pod the orchestrator knows. */
  pod?: string;
}

export interface ManagementPort {
  name: string;
  bridge: string;
  ofport?: number;
  ifindex?: number;
  mac?: string;
  addresses: string[];
}

export interface NodeTopology {
  name: string;
  /** OVN chassis (Open_vSwitch external_ids:system-id). */
  chassis?: string;
  hostname?: string;
  encapType?: string;
  encapIp?: string;
  /** ovn-bridge-mappings: physical network → bridge. */
  bridgeMappings: Record<string, string>;
  integrationBridge: string;
  nodeIp?: string;
  nic?: Nic;
  managementPort?: ManagementPort;
  bridges: Bridge[];
  patches: PatchPair[];
  tunnels: Tunnel[];
  vethPairs: VethPair[];
  /** Every interface of the node namespace. */
  interfaces: Interface[];
  /** Things that did not add up (an OVS port without a device, a veth whose pod is unknown). */
  warnings: string[];
}

export interface Container {
  name: string;
  id: string;
  pid?: number;
  running: boolean;
  /** Inode of each /proc/PID/ns/KIND (what `readlink` shows as `net:[4026532...]`). */
  namespaces: Partial<Record<NamespaceKind, number>>;
}

/** The pod end of the veth: eth0 in the pod's network namespace. */
export interface PodInterface {
  name: string;
  ifindex: number;
  /** The host veth's ifindex (`eth0@if3`): the peer's index in the node namespace. */
  peerIfindex?: number;
  peerNetnsId?: number;
  mac?: string;
  mtu?: number;
  operstate?: string;
  addresses: string[];
}

/** The host end of the pod's veth and where it plugs into OVS. */
export interface HostVeth {
  name: string;
  ifindex: number;
  /** eth0's ifindex, as the host end reports its peer. */
  peerIfindex?: number;
  /** The kernel master (null: none, as with a userspace datapath). */
  master: string | null;
  mac?: string;
  mtu?: number;
  operstate?: string;
  /** The peer namespace's name per `ip netns list-id`, when it has one. */
  peerNetns?: string;
  bridge?: string;
  /** The bridge's datapath: `netdev` (userspace: no kernel master) or `system` (kernel: ovs-system). */
  datapathType?: string;
  port?: string;
  ofport?: number;
  ifaceId?: string;
}

export interface PodTopology {
  namespace: string;
  name: string;
  node: string;
  ips: string[];
  sandboxId?: string;
  netns: { path?: string; inode?: number };
  containers: Container[];
  /** Kinds every running container has the same namespace of (needs two running containers). */
  sharedNamespaces: NamespaceKind[];
  /** Kinds where each running container has its own. */
  isolatedNamespaces: NamespaceKind[];
  /** Kinds where some containers share and others do not (three or more containers). */
  partlySharedNamespaces: NamespaceKind[];
  /** Kinds a container shares with the node itself (hostNetwork, hostPID, ...; the lab shares uts/ipc/cgroup). */
  hostNamespaces: NamespaceKind[];
  eth0?: PodInterface;
  hostVeth?: HostVeth;
  interfaces: Interface[];
  warnings: string[];
}

export interface TopologySourceInfo {
  kind: 'live' | 'recorded';
  /** The ClusterView kind (`lab`, `kubernetes`). */
  view: string;
  /** The recorded folder read (recorded) or written (live with --record). */
  dir?: string;
  collectedAt: string;
}

export interface Topology {
  source: TopologySourceInfo;
  nodes: NodeTopology[];
  pods: PodTopology[];
  cluster: ClusterSnapshot;
}
