// iproute2's JSON output: `ip -j [-d] link show`, `ip -j addr show`, `ip -j route show`.
// Field names follow ip's own JSON keys, camelCased (link_index → linkIndex). The peer of a veth is
// told two ways: `link` (the peer's name) when the peer sits in the same namespace, `link_index` +
// `link_netnsid` when it sits in another one — the JSON twin of the text form's `eth0@if4615`.
import { z } from 'zod';
import { fieldWords, parseJsonText, validate, zInt } from './errors.ts';

export interface IpTunnelInfo {
  kind: 'vxlan' | 'geneve';
  /** VNI (`id`); 0 on OVS's flow-based `vxlan_sys_4789` / `genev_sys_6081`. */
  id?: number;
  remote?: string;
  local?: string;
  /** Destination UDP port (`port` in JSON, `dstport` in text). */
  port?: number;
  /** Flow-based (collect-metadata) device, as OVS creates: the VNI and remote come per packet. */
  external?: boolean;
  /** VXLAN underlay device (`dev eth1` / info_data.link). */
  dev?: string;
}

export interface IpAddress {
  family: 'inet' | 'inet6' | string;
  local: string;
  prefixlen: number;
  scope?: string;
  /** Point-to-point peer (`peer` in text, `address` in JSON). */
  peer?: string;
  broadcast?: string;
  label?: string;
}

export interface IpInterface {
  ifindex: number;
  ifname: string;
  /** Peer/parent name in the same namespace (`veth0@vb1`, JSON `link`). */
  link?: string;
  /** Peer ifindex in another namespace (`eth0@if4615`, JSON `link_index`). */
  linkIndex?: number;
  /** Namespace id of the peer as seen from this namespace (`link-netnsid`, JSON `link_netnsid`). */
  linkNetnsid?: number;
  /** `link-netns NAME` (text only, when iproute2 knows the namespace by name). */
  linkNetns?: string;
  flags: string[];
  mtu?: number;
  master?: string;
  operstate?: string;
  /** `ether`, `loopback`, `none`, `ipip`, ... */
  linkType?: string;
  address?: string;
  broadcast?: string;
  /** linkinfo.info_kind: veth, bridge, openvswitch, vxlan, geneve, tun, dummy, bond, ... (needs -d). */
  kind?: string;
  /** linkinfo.info_slave_kind: bridge, openvswitch, bond, ... (needs -d). */
  slaveKind?: string;
  tunnel?: IpTunnelInfo;
  /** linkinfo.info_data as printed, for kinds this type does not model. */
  infoData?: Record<string, unknown>;
  /** Only from `ip addr`; undefined when the command did not show addresses. */
  addresses?: IpAddress[];
}

export interface IpRoute {
  /** `default`, a prefix (`10.0.0.0/24`) or a host address. */
  dst: string;
  /** Route type when not unicast: local, broadcast, multicast, blackhole, unreachable, ... */
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  /** As printed; ip omits it for the main table (and for the table named in `ip route show table N`). */
  table?: string;
  flags: string[];
  pref?: string;
  /** ECMP next hops (`multipath` in JSON). */
  nexthops?: { gateway?: string; dev?: string; weight?: number; flags: string[] }[];
}

const int = zInt();
const str = z.string();

const tunnelData = z.object({
  id: int.optional(),
  remote: str.optional(),
  remote6: str.optional(),
  group: str.optional(),
  group6: str.optional(),
  local: str.optional(),
  local6: str.optional(),
  port: int.optional(),
  external: z.boolean().optional(),
  link: str.optional(),
});

const linkSchema = z.object({
  ifindex: int,
  ifname: str,
  link: str.nullable().optional(),
  link_index: int.optional(),
  link_netnsid: int.optional(),
  flags: z.array(str).optional(),
  mtu: int.optional(),
  master: str.optional(),
  operstate: str.optional(),
  link_type: str.optional(),
  address: str.optional(),
  broadcast: str.optional(),
  linkinfo: z
    .object({
      info_kind: str.optional(),
      info_slave_kind: str.optional(),
      info_data: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  addr_info: z
    .array(
      z.object({
        family: str.optional(),
        local: str.optional(),
        prefixlen: int.optional(),
        scope: str.optional(),
        address: str.optional(),
        broadcast: str.optional(),
        label: str.optional(),
      }),
    )
    .optional(),
});

type RawLink = z.output<typeof linkSchema>;

function whereLink(input: unknown) {
  return (path: (string | number)[]): string => {
    const [i, ...rest] = path;
    if (typeof i !== 'number') return fieldWords(path);
    const entry = Array.isArray(input) ? (input[i] as { ifname?: unknown } | undefined) : undefined;
    const name = typeof entry?.ifname === 'string' ? ` (${entry.ifname})` : '';
    const f = fieldWords(rest);
    return `interface ${i + 1}${name}${f ? `: ${f}` : ''}`;
  };
}

function tunnelOf(kind: string, data: Record<string, unknown>): IpTunnelInfo | undefined {
  if (kind !== 'vxlan' && kind !== 'geneve') return undefined;
  const d = tunnelData.safeParse(data);
  // Shape problems inside info_data are not worth failing the whole listing for; infoData keeps it.
  if (!d.success) return { kind };
  const v = d.data;
  const t: IpTunnelInfo = { kind };
  if (v.id !== undefined) t.id = v.id;
  const remote = v.remote ?? v.remote6 ?? v.group ?? v.group6;
  if (remote !== undefined) t.remote = remote;
  const local = v.local ?? v.local6;
  if (local !== undefined) t.local = local;
  if (v.port !== undefined) t.port = v.port;
  if (v.external !== undefined) t.external = v.external;
  if (v.link !== undefined) t.dev = v.link;
  return t;
}

function toInterface(r: RawLink): IpInterface {
  const out: IpInterface = { ifindex: r.ifindex, ifname: r.ifname, flags: r.flags ?? [] };
  if (r.link) out.link = r.link;
  if (r.link_index !== undefined) out.linkIndex = r.link_index;
  if (r.link_netnsid !== undefined) out.linkNetnsid = r.link_netnsid;
  if (r.mtu !== undefined) out.mtu = r.mtu;
  if (r.master !== undefined) out.master = r.master;
  if (r.operstate !== undefined) out.operstate = r.operstate;
  if (r.link_type !== undefined) out.linkType = r.link_type;
  if (r.address !== undefined) out.address = r.address;
  if (r.broadcast !== undefined) out.broadcast = r.broadcast;
  const li = r.linkinfo;
  if (li?.info_kind !== undefined) out.kind = li.info_kind;
  if (li?.info_slave_kind !== undefined) out.slaveKind = li.info_slave_kind;
  if (li?.info_data !== undefined) {
    out.infoData = li.info_data;
    const t = li.info_kind ? tunnelOf(li.info_kind, li.info_data) : undefined;
    if (t) out.tunnel = t;
  }
  if (r.addr_info !== undefined) {
    out.addresses = [];
    for (const a of r.addr_info) {
      // Old iproute2 prints `{}` for lifetime-only lines; they carry no address.
      if (a.local === undefined || a.prefixlen === undefined) continue;
      const addr: IpAddress = {
        family: a.family ?? (a.local.includes(':') ? 'inet6' : 'inet'),
        local: a.local,
        prefixlen: a.prefixlen,
      };
      if (a.scope !== undefined) addr.scope = a.scope;
      if (a.address !== undefined) addr.peer = a.address;
      if (a.broadcast !== undefined) addr.broadcast = a.broadcast;
      if (a.label !== undefined) addr.label = a.label;
      out.addresses.push(addr);
    }
  }
  return out;
}

function parseLinks(text: string, command: string): IpInterface[] {
  const data = parseJsonText(text, command);
  return validate(z.array(linkSchema), data, command, whereLink(data)).map(toInterface);
}

/** `ip -j [-d] link show`: interfaces with peers, master, kind and tunnel parameters (with -d). */
export function parseIpLink(text: string): IpInterface[] {
  return parseLinks(text, 'ip -j link show');
}

/** `ip -j addr show`: the same interfaces, each with its `addresses`. */
export function parseIpAddr(text: string): IpInterface[] {
  return parseLinks(text, 'ip -j addr show');
}

const routeSchema = z.array(
  z.object({
    dst: str,
    type: str.optional(),
    gateway: str.optional(),
    via: z.object({ family: str.optional(), host: str }).optional(),
    dev: str.optional(),
    protocol: str.optional(),
    scope: str.optional(),
    prefsrc: str.optional(),
    metric: int.optional(),
    table: str.optional(),
    flags: z.array(str).optional(),
    pref: str.optional(),
    multipath: z
      .array(
        z.object({
          gateway: str.optional(),
          dev: str.optional(),
          weight: int.optional(),
          flags: z.array(str).optional(),
        }),
      )
      .optional(),
  }),
);

/** `ip -j route show [table all]` (IPv4 or -6). */
export function parseIpRoute(text: string): IpRoute[] {
  const command = 'ip -j route show';
  const data = parseJsonText(text, command);
  const where = (path: (string | number)[]): string => {
    const [i, ...rest] = path;
    if (typeof i !== 'number') return fieldWords(path);
    const f = fieldWords(rest);
    return `route ${i + 1}${f ? `: ${f}` : ''}`;
  };
  return validate(routeSchema, data, command, where).map((r) => {
    const out: IpRoute = { dst: r.dst, flags: r.flags ?? [] };
    if (r.type !== undefined) out.type = r.type;
    const gw = r.gateway ?? r.via?.host;
    if (gw !== undefined) out.gateway = gw;
    if (r.dev !== undefined) out.dev = r.dev;
    if (r.protocol !== undefined) out.protocol = r.protocol;
    if (r.scope !== undefined) out.scope = r.scope;
    if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
    if (r.metric !== undefined) out.metric = r.metric;
    if (r.table !== undefined) out.table = r.table;
    if (r.pref !== undefined) out.pref = r.pref;
    if (r.multipath !== undefined) {
      out.nexthops = r.multipath.map((h) => {
        const n: { gateway?: string; dev?: string; weight?: number; flags: string[] } = {
          flags: h.flags ?? [],
        };
        if (h.gateway !== undefined) n.gateway = h.gateway;
        if (h.dev !== undefined) n.dev = h.dev;
        if (h.weight !== undefined) n.weight = h.weight;
        return n;
      });
    }
    return out;
  });
}
