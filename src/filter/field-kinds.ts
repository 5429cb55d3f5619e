// What kind of value each field holds, as tshark 4.0 types it (`tshark -G fields`, checked by
// field-kinds.test.ts): it decides how a filter's literal is read and compared, and which filters
// tshark would refuse (a string for a port, `contains` on a number, 300 for an 8-bit field).

export type FieldKind = 'uint' | 'bool' | 'time' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string';

/** tshark's type of each field nettrace knows. */
const BY_TYPE = {
  FT_UINT8: `arp.hw.size arp.proto.size geneve.flags geneve.option.flags geneve.option.length
geneve.option.type geneve.version icmp.code icmp.type icmpv6.code icmpv6.nd.ra.cur_hop_limit
icmpv6.nd.ra.flag icmpv6.opt.length icmpv6.opt.type icmpv6.type ip.dsfield ip.dsfield.dscp
ip.dsfield.ecn ip.flags ip.hdr_len ip.proto ip.ttl ip.version ipv6.hlim ipv6.nxt
ipv6.version tcp.hdr_len tcp.options.wscale.shift`,
  FT_UINT16: `arp.hw.type arp.opcode arp.proto.type dns.count.add_rr dns.count.answers dns.count.auth_rr
dns.count.prerequisites dns.count.queries dns.count.updates dns.count.zones dns.flags
dns.flags.opcode dns.flags.rcode dns.id dns.length dns.qry.class dns.qry.type dns.resp.class
dns.resp.type dns.srv.port dns.srv.priority dns.srv.weight eth.invalid_lentype eth.len
eth.type geneve.option.class geneve.proto_type http.response.code icmp.checksum icmp.ident
icmp.ident_le icmp.seq icmp.seq_le icmpv6.checksum icmpv6.echo.identifier
icmpv6.echo.sequence_number icmpv6.nd.ra.router_lifetime ip.checksum ip.frag_offset ip.id
ip.len ipv6.plen null.type sll.etype sll.gretype sll.halen sll.hatype sll.ltype sll.pkttype
tcp.checksum tcp.dstport tcp.flags tcp.options.mss_val tcp.port tcp.srcport
tcp.urgent_pointer tcp.window_size_value udp.checksum udp.dstport udp.length udp.port
udp.srcport vlan.etype vlan.id vlan.len vlan.priority vxlan.flags`,
  FT_UINT24: `geneve.vni ipv6.flow vxlan.vni`,
  FT_UINT32: `dns.resp.ttl frame.cap_len frame.interface_id frame.len frame.number icmpv6.mtu
icmpv6.nd.na.flag icmpv6.nd.ra.reachable_time icmpv6.nd.ra.retrans_timer icmpv6.pointer
ipv6.tclass ipv6.tclass.dscp ipv6.tclass.ecn mpls.bottom mpls.exp mpls.label mpls.ttl
null.family sll.ifindex tcp.ack_raw tcp.len tcp.options.timestamp.tsecr
tcp.options.timestamp.tsval tcp.seq_raw`,
  FT_BOOLEAN: `dns.flags.response eth.dst.ig eth.dst.lg eth.src.ig eth.src.lg geneve.flags.critical
geneve.flags.oam geneve.option.type.critical ip.flags.df ip.flags.mf ip.flags.rb
tcp.flags.ack tcp.flags.ae tcp.flags.cwr tcp.flags.ece tcp.flags.fin tcp.flags.push
tcp.flags.reset tcp.flags.syn tcp.flags.urg vlan.dei`,
  FT_RELATIVE_TIME: `frame.time_delta frame.time_epoch frame.time_relative`,
  FT_IPv4: `arp.dst.proto_ipv4 arp.src.proto_ipv4 dns.a ip.addr ip.dst ip.src sll.src.ipv4`,
  FT_IPv6: `dns.aaaa icmpv6.nd.na.target_address icmpv6.nd.ns.target_address icmpv6.nd.rd.target_address
icmpv6.rd.na.destination_address ipv6.addr ipv6.dst ipv6.src`,
  FT_ETHER: `arp.dst.hw_mac arp.src.hw_mac eth.addr eth.dst eth.src sll.src.eth`,
  FT_BYTES: `arp.dst.hw arp.dst.proto arp.src.hw arp.src.proto sll.src.other sll.unused`,
  FT_STRING: `dns.cname dns.ns dns.ptr.domain_name dns.qry.name dns.resp.name dns.srv.name dns.srv.proto
dns.srv.service dns.srv.target dns.txt frame.interface_name http.accept http.accept_encoding
http.accept_language http.cache_control http.connection http.content_encoding
http.content_length_header http.content_type http.date http.host http.last_modified
http.location http.referer http.request.method http.request.uri http.request.version
http.response.phrase http.response.version http.server http.transfer_encoding http.upgrade
http.user_agent http.x_forwarded_for ip.dst_host ip.src_host ipv6.dst_host ipv6.src_host
tcp.flags.str`,
};

export type FieldType = keyof typeof BY_TYPE;

const KIND_OF: Record<FieldType, FieldKind> = {
  FT_UINT8: 'uint',
  FT_UINT16: 'uint',
  FT_UINT24: 'uint',
  FT_UINT32: 'uint',
  FT_BOOLEAN: 'bool',
  FT_RELATIVE_TIME: 'time',
  FT_IPv4: 'ipv4',
  FT_IPv6: 'ipv6',
  FT_ETHER: 'ether',
  FT_BYTES: 'bytes',
  FT_STRING: 'string',
};

const TYPES = new Map<string, FieldType>();
for (const [type, names] of Object.entries(BY_TYPE) as [FieldType, string][]) {
  for (const name of names.split(/\s+/)) if (name !== '') TYPES.set(name, type);
}

/** tshark's type of field `name` (a name fields.ts knows); undefined for any other. */
export function fieldType(name: string): FieldType | undefined {
  return TYPES.get(name);
}

/** The kind of field `name`; undefined for a name fields.ts does not know. */
export function fieldKind(name: string): FieldKind | undefined {
  const t = TYPES.get(name);
  return t === undefined ? undefined : KIND_OF[t];
}

/** The largest value an unsigned integer field holds (2^32 - 1 unless narrower). */
export function fieldMax(name: string): number {
  const bits = /^FT_UINT(\d+)$/.exec(TYPES.get(name) ?? '')?.[1];
  return 2 ** Number(bits ?? 32) - 1;
}
