// One node's topology from its tool outputs (pure): kernel interfaces from `ip -j -d addr`, bridges,
// ports and interfaces from ovs-vsctl's JSON tables joined by uuid, OVN's settings from the
// Open_vSwitch row. Roles follow from what OVS says about each port (type, options, iface-id), not
// from names, except OVN-Kubernetes' own conventions (iface-id `k8s-<node>` is the management port).
import type { ClusterSnapshot } from './cluster-view.ts';
import { type Outputs, parseOutput, type RawOutput } from './collect.ts';
import type {
  Bridge,
  Interface,
  ManagementPort,
  Nic,
  NodeTopology,
  PatchPair,
  Port,
  PortRole,
  Tunnel,
  VethPair,
} from './model.ts';
import {
  type IpInterface,
  type OvsInterface,
  type OvsPort,
  parseIpAddr,
  parseIpNetnsListId,
  parseOvsBridges,
  parseOvsdbJsonTable,
  parseOvsInterfaces,
  parseOvsPorts,
} from './parsers/index.ts';
import { ovsStringMap } from './parsers/ovsdb.ts';

const TUNNEL_TYPES = new Set([
  'geneve',
  'vxlan',
  'gre',
  'stt',
  'erspan',
  'ip6gre',
  'ip6erspan',
  'gtpu',
  'bareudp',
]);
const NIC_TYPES = new Set(['system', 'dpdk', 'afxdp', 'afxdp-nonpmd']);

function need(outs: Outputs, file: string, node: string): RawOutput {
  const o = outs.get(file);
  if (!o) throw new Error(`internal: ${file} of node ${node} was not collected`);
  return o;
}

export function toInterface(i: IpInterface, nsNames?: Map<number, string>): Interface {
  const out: Interface = {
    name: i.ifname,
    ifindex: i.ifindex,
    flags: i.flags,
    addresses: (i.addresses ?? []).map((a) => `${a.local}/${a.prefixlen}`),
  };
  if (i.kind !== undefined) out.kind = i.kind;
  if (i.address !== undefined) out.mac = i.address;
  if (i.mtu !== undefined) out.mtu = i.mtu;
  if (i.operstate !== undefined) out.operstate = i.operstate;
  if (i.master !== undefined) out.master = i.master;
  if (i.linkIndex !== undefined) out.peerIfindex = i.linkIndex;
  if (i.linkNetnsid !== undefined) {
    out.peerNetnsId = i.linkNetnsid;
    const name = nsNames?.get(i.linkNetnsid);
    if (name !== undefined) out.peerNetns = name;
  }
  if (i.link !== undefined) out.peerName = i.link;
  return out;
}

/** `physnet:br-ex,other:br-x` → { physnet: 'br-ex', other: 'br-x' }. */
export function parseBridgeMappings(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (s ?? '').split(',')) {
    const [net, br] = pair.split(':').map((x) => x.trim());
    if (net && br) out[net] = br;
  }
  return out;
}

function openVswitchIds(out: RawOutput): Record<string, string> {
  const table = parseOutput(out, (t) => parseOvsdbJsonTable(t, 'ovs-vsctl list Open_vSwitch'));
  const cell = table.rows[0]?.external_ids;
  const ids = ovsStringMap.safeParse(cell ?? ['map', []]);
  return ids.success ? (ids.data ?? {}) : {};
}

function isIpv4Global(cidr: string): boolean {
  return !cidr.includes(':') && !cidr.startsWith('127.') && !cidr.startsWith('169.254.');
}

function portRole(name: string, bridge: string, gateway: boolean, iface: OvsInterface | undefined): PortRole {
  const type = iface?.type || 'system';
  const ifaceId = iface?.externalIds?.['iface-id'];
  if (type === 'patch') return 'patch';
  if (TUNNEL_TYPES.has(type)) return 'tunnel';
  if (type === 'internal' && name === bridge) return 'bridge-internal';
  if (ifaceId?.startsWith('k8s-') || name === 'ovn-k8s-mp0') return 'management';
  if (type === 'system' && ifaceId) return 'pod';
  if (gateway && NIC_TYPES.has(type)) return 'nic';
  return 'other';
}

/** OVN-Kubernetes binds a pod's port to the logical port `namespace_name` (neither may contain `_`). */
function podOfIfaceId(ifaceId: string | undefined): { namespace: string; name: string } | undefined {
  if (!ifaceId) return undefined;
  const i = ifaceId.indexOf('_');
  return i > 0 ? { namespace: ifaceId.slice(0, i), name: ifaceId.slice(i + 1) } : undefined;
}

export function buildNode(name: string, outs: Outputs, cluster: ClusterSnapshot): NodeTopology {
  const warnings: string[] = [];
  const listId = outs.get('ip-netns-list-id.txt');
  const nsNames = new Map<number, string>();
  if (listId) {
    const r = parseIpNetnsListId(listId.text);
    for (const id of r.ids) if (id.name !== undefined) nsNames.set(id.nsid, id.name);
    for (const i of r.issues) warnings.push(`${listId.origin}: ip netns list-id: ${i.at}: ${i.message}`);
  }
  const interfaces = parseOutput(need(outs, 'ip-addr.json', name), parseIpAddr).map((i) =>
    toInterface(i, nsNames),
  );
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  const ovsBridges = parseOutput(need(outs, 'ovs-bridges.json', name), parseOvsBridges);
  const ovsPorts = parseOutput(need(outs, 'ovs-ports.json', name), parseOvsPorts);
  const ovsIfaces = parseOutput(need(outs, 'ovs-interfaces.json', name), parseOvsInterfaces);
  const ids = openVswitchIds(need(outs, 'ovs-open-vswitch.json', name));

  const bridgeMappings = parseBridgeMappings(ids['ovn-bridge-mappings']);
  const integrationBridge = ids['ovn-bridge'] ?? 'br-int';
  const mapped = new Set(Object.values(bridgeMappings));
  const portByUuid = new Map(ovsPorts.filter((p) => p.uuid).map((p) => [p.uuid!, p]));
  const ifaceByUuid = new Map(ovsIfaces.filter((i) => i.uuid).map((i) => [i.uuid!, i]));
  const podByKey = new Map(cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));

  const bridges: Bridge[] = ovsBridges.map((b) => {
    const bname = b.name ?? b.uuid ?? '?';
    const role: Bridge['role'] =
      bname === integrationBridge ? 'integration' : mapped.has(bname) ? 'gateway' : 'other';
    const ports: Port[] = [];
    for (const uuid of b.ports ?? []) {
      const p: OvsPort | undefined = portByUuid.get(uuid);
      if (!p) {
        warnings.push(
          `bridge ${bname} lists port ${uuid}, which ovs-vsctl list Port did not show (added meanwhile?)`,
        );
        continue;
      }
      const ifs = (p.interfaces ?? []).map((u) => ifaceByUuid.get(u)).filter((i) => i !== undefined);
      const first = ifs[0];
      const pname = p.name ?? first?.name ?? uuid;
      const port: Port = {
        name: pname,
        bridge: bname,
        role: portRole(pname, bname, role === 'gateway', first),
        type: first?.type || 'system',
        interfaces: ifs.map((i) => i.name ?? '?'),
        options: first?.options ?? {},
        externalIds: first?.externalIds ?? {},
      };
      if (first?.ofport !== undefined) port.ofport = first.ofport;
      if (first?.ifindex) port.ifindex = first.ifindex;
      if (first?.macInUse ?? first?.mac) port.mac = (first.macInUse ?? first.mac)!;
      if (first?.mtu !== undefined) port.mtu = first.mtu;
      if (first?.error) port.error = first.error;
      const ifaceId = first?.externalIds?.['iface-id'];
      if (ifaceId) port.ifaceId = ifaceId;
      if (port.role === 'pod') {
        const ref = podOfIfaceId(ifaceId);
        const pod = ref && podByKey.get(`${ref.namespace}/${ref.name}`);
        if (pod) {
          port.pod = `${pod.namespace}/${pod.name}`;
          if (pod.node !== name)
            warnings.push(
              `port ${pname} is bound to pod ${port.pod}, which the orchestrator places on ${pod.node}`,
            );
          const sandbox = first?.externalIds?.sandbox;
          if (sandbox && pod.sandboxId && sandbox !== pod.sandboxId)
            warnings.push(
              `port ${pname}: sandbox ${sandbox.slice(0, 12)} is not pod ${port.pod}'s ${pod.sandboxId.slice(0, 12)}`,
            );
        }
      }
      if (port.error) warnings.push(`port ${pname} on ${bname}: ${port.error}`);
      else if (port.ofport === -1)
        warnings.push(`port ${pname} on ${bname} has ofport -1 (OVS could not add it)`);
      if (port.type === 'system' && !byName.has(pname))
        warnings.push(`port ${pname} on ${bname} has no device in the node namespace`);
      ports.push(port);
    }
    ports.sort((x, y) => (x.ofport ?? 1e9) - (y.ofport ?? 1e9) || x.name.localeCompare(y.name));
    const br: Bridge = { name: bname, role, ports };
    if (b.datapathType !== undefined) br.datapathType = b.datapathType || 'system';
    if (b.failMode !== undefined) br.failMode = b.failMode;
    return br;
  });
  const allPorts = bridges.flatMap((b) => b.ports);
  const portByName = new Map(allPorts.map((p) => [p.name, p]));

  const patches: PatchPair[] = [];
  const paired = new Set<string>();
  for (const p of allPorts.filter((x) => x.role === 'patch')) {
    if (paired.has(p.name)) continue;
    const peer = p.options.peer ? portByName.get(p.options.peer) : undefined;
    if (!peer) {
      warnings.push(
        `patch port ${p.name} on ${p.bridge} has no peer port ${p.options.peer ?? '(options:peer unset)'}`,
      );
      continue;
    }
    paired.add(p.name).add(peer.name);
    const end = (x: Port) => ({
      bridge: x.bridge,
      port: x.name,
      ...(x.ofport !== undefined ? { ofport: x.ofport } : {}),
    });
    patches.push({ a: end(p), b: end(peer) });
  }

  const nodeIpOf = new Map(cluster.nodes.filter((n) => n.internalIP).map((n) => [n.internalIP!, n.name]));
  const tunnelDevices = interfaces.filter((i) => i.kind === 'geneve' || i.kind === 'vxlan');
  const tunnels: Tunnel[] = allPorts
    .filter((p) => p.role === 'tunnel')
    .map((p) => {
      const t: Tunnel = { port: p.name, bridge: p.bridge, type: p.type };
      if (p.ofport !== undefined) t.ofport = p.ofport;
      if (p.options.local_ip) {
        t.localIp = p.options.local_ip;
        t.localIpFrom = 'options:local_ip';
      } else if (ids['ovn-encap-ip']) {
        t.localIp = ids['ovn-encap-ip'];
        t.localIpFrom = 'external_ids:ovn-encap-ip';
      }
      if (p.options.remote_ip) t.remoteIp = p.options.remote_ip;
      const remoteNode = t.remoteIp ? nodeIpOf.get(t.remoteIp) : undefined;
      if (remoteNode) t.remoteNode = remoteNode;
      if (p.options.key) t.key = p.options.key;
      if (p.options.dst_port) t.dstPort = Number(p.options.dst_port);
      else if (p.type === 'geneve') t.dstPort = 6081;
      else if (p.type === 'vxlan') t.dstPort = 4789;
      if (p.options.csum) t.csum = p.options.csum === 'true';
      const dev = tunnelDevices.find((d) => d.kind === p.type);
      if (dev) t.device = dev.name;
      return t;
    });

  const gateway = bridges.find((b) => b.role === 'gateway') ?? bridges.find((b) => b.name === 'br-ex');
  let nic: Nic | undefined;
  let nodeIp: string | undefined;
  if (gateway) {
    const own = byName.get(gateway.name);
    const addr = own?.addresses.find(isIpv4Global);
    if (addr) nodeIp = addr.split('/')[0]!;
    const p = gateway.ports.find((x) => x.role === 'nic') ?? gateway.ports.find((x) => NIC_TYPES.has(x.type));
    if (p) {
      const k = byName.get(p.name);
      nic = { name: p.name, bridge: gateway.name };
      if (p.ofport !== undefined) nic.ofport = p.ofport;
      const ifindex = k?.ifindex ?? p.ifindex;
      if (ifindex !== undefined) nic.ifindex = ifindex;
      if (k?.kind) nic.kind = k.kind;
      const mac = k?.mac ?? p.mac;
      if (mac) nic.mac = mac;
      const mtu = k?.mtu ?? p.mtu;
      if (mtu !== undefined) nic.mtu = mtu;
      if (k?.operstate) nic.operstate = k.operstate;
      if (k?.master) nic.master = k.master;
      if (nodeIp) {
        nic.nodeIp = nodeIp;
        nic.nodeIpOn = gateway.name;
      }
      if (gateway.ports.filter((x) => x.role === 'nic').length > 1)
        warnings.push(`${gateway.name} has more than one uplink port; showing ${p.name}`);
    } else warnings.push(`gateway bridge ${gateway.name} has no uplink (system) port`);
  } else warnings.push('no gateway bridge (no ovn-bridge-mappings and no br-ex)');
  nodeIp ??= ids['ovn-encap-ip'];

  let managementPort: ManagementPort | undefined;
  const mp = allPorts.find((p) => p.role === 'management');
  if (mp) {
    const k = byName.get(mp.name);
    managementPort = { name: mp.name, bridge: mp.bridge, addresses: k?.addresses ?? [] };
    if (mp.ofport !== undefined) managementPort.ofport = mp.ofport;
    if (k) managementPort.ifindex = k.ifindex;
    const mac = k?.mac ?? mp.mac;
    if (mac) managementPort.mac = mac;
  }

  const vethPairs: VethPair[] = interfaces
    .filter((i) => i.kind === 'veth')
    .map((i) => {
      const v: VethPair = { host: { name: i.name, ifindex: i.ifindex }, peer: {} };
      if (i.peerIfindex !== undefined) v.peer.ifindex = i.peerIfindex;
      if (i.peerNetnsId !== undefined) v.peer.netnsId = i.peerNetnsId;
      if (i.peerNetns !== undefined) v.peer.netns = i.peerNetns;
      const port = portByName.get(i.name);
      if (port) v.bridge = port.bridge;
      if (port?.pod) v.pod = port.pod;
      return v;
    });

  const topo: NodeTopology = {
    name,
    bridgeMappings,
    integrationBridge,
    bridges,
    patches,
    tunnels,
    vethPairs,
    interfaces,
    warnings,
  };
  if (ids['system-id']) topo.chassis = ids['system-id'];
  if (ids.hostname) topo.hostname = ids.hostname;
  if (ids['ovn-encap-type']) topo.encapType = ids['ovn-encap-type'];
  if (ids['ovn-encap-ip']) topo.encapIp = ids['ovn-encap-ip'];
  if (nodeIp) topo.nodeIp = nodeIp;
  if (nic) topo.nic = nic;
  if (managementPort) topo.managementPort = managementPort;
  return topo;
}

/** After every node is built: a tunnel's remote node from the other nodes' discovered IPs too. */
export function linkTunnels(nodes: NodeTopology[]): void {
  const byIp = new Map<string, string>();
  for (const n of nodes) {
    if (n.encapIp) byIp.set(n.encapIp, n.name);
    if (n.nodeIp) byIp.set(n.nodeIp, n.name);
  }
  for (const n of nodes)
    for (const t of n.tunnels) {
      const r = t.remoteIp ? byIp.get(t.remoteIp) : undefined;
      if (r && !t.remoteNode) t.remoteNode = r;
    }
}
