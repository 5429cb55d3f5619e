// What kind of value each field holds, as tshark 4.0 types it (`tshark -G fields`, checked by
// field-kinds.test.ts): it decides how a filter's literal is read and compared, and which filters
// tshark would refuse (a string for a port, `contains` on a number).

export type FieldKind = 'uint' | 'bool' | 'time' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string';

const BY_KIND: Record<FieldKind, string> = {
  uint: `arp.hw.size arp.hw.type arp.opcode arp.proto.size arp.proto.type dns.count.add_rr
dns.count.answers dns.count.auth_rr dns.count.prerequisites dns.count.queries
dns.count.updates dns.count.zones dns.flags dns.flags.opcode dns.flags.rcode dns.id
dns.length dns.qry.class dns.qry.type dns.resp.class dns.resp.ttl dns.resp.type dns.srv.port
dns.srv.priority dns.srv.weight eth.invalid_lentype eth.len eth.type frame.cap_len
frame.interface_id frame.len frame.number geneve.flags geneve.option.class
geneve.option.flags geneve.option.length geneve.option.type geneve.proto_type geneve.version
geneve.vni http.response.code icmp.checksum icmp.code icmp.ident icmp.ident_le icmp.seq
icmp.seq_le icmp.type icmpv6.checksum icmpv6.code icmpv6.echo.identifier
icmpv6.echo.sequence_number icmpv6.mtu icmpv6.nd.na.flag icmpv6.nd.ra.cur_hop_limit
icmpv6.nd.ra.flag icmpv6.nd.ra.reachable_time icmpv6.nd.ra.retrans_timer
icmpv6.nd.ra.router_lifetime icmpv6.opt.length icmpv6.opt.type icmpv6.pointer icmpv6.type
ip.checksum ip.dsfield ip.dsfield.dscp ip.dsfield.ecn ip.flags ip.frag_offset ip.hdr_len
ip.id ip.len ip.proto ip.ttl ip.version ipv6.flow ipv6.hlim ipv6.nxt ipv6.plen ipv6.tclass
ipv6.tclass.dscp ipv6.tclass.ecn ipv6.version mpls.bottom mpls.exp mpls.label mpls.ttl
null.family null.type sll.etype sll.gretype sll.halen sll.hatype sll.ifindex sll.ltype
sll.pkttype tcp.ack_raw tcp.checksum tcp.dstport tcp.flags tcp.hdr_len tcp.len
tcp.options.mss_val tcp.options.timestamp.tsecr tcp.options.timestamp.tsval
tcp.options.wscale.shift tcp.port tcp.seq_raw tcp.srcport tcp.urgent_pointer
tcp.window_size_value udp.checksum udp.dstport udp.length udp.port udp.srcport vlan.etype
vlan.id vlan.len vlan.priority vxlan.flags vxlan.vni`,
  bool: `dns.flags.response eth.dst.ig eth.dst.lg eth.src.ig eth.src.lg geneve.flags.critical
geneve.flags.oam geneve.option.type.critical ip.flags.df ip.flags.mf ip.flags.rb
tcp.flags.ack tcp.flags.ae tcp.flags.cwr tcp.flags.ece tcp.flags.fin tcp.flags.push
tcp.flags.reset tcp.flags.syn tcp.flags.urg vlan.dei`,
  time: `frame.time_delta frame.time_epoch frame.time_relative`,
  ipv4: `arp.dst.proto_ipv4 arp.src.proto_ipv4 dns.a ip.addr ip.dst ip.src sll.src.ipv4`,
  ipv6: `dns.aaaa icmpv6.nd.na.target_address icmpv6.nd.ns.target_address icmpv6.nd.rd.target_address
icmpv6.rd.na.destination_address ipv6.addr ipv6.dst ipv6.src`,
  ether: `arp.dst.hw_mac arp.src.hw_mac eth.addr eth.dst eth.src sll.src.eth`,
  bytes: `arp.dst.hw arp.dst.proto arp.src.hw arp.src.proto sll.src.other sll.unused`,
  string: `dns.cname dns.ns dns.ptr.domain_name dns.qry.name dns.resp.name dns.srv.name dns.srv.proto
dns.srv.service dns.srv.target dns.txt frame.interface_name http.accept http.accept_encoding
http.accept_language http.cache_control http.connection http.content_encoding
http.content_length_header http.content_type http.date http.host http.last_modified
http.location http.referer http.request.method http.request.uri http.request.version
http.response.phrase http.response.version http.server http.transfer_encoding http.upgrade
http.user_agent http.x_forwarded_for ip.dst_host ip.src_host ipv6.dst_host ipv6.src_host
tcp.flags.str`,
};

const KINDS = new Map<string, FieldKind>();
for (const [kind, names] of Object.entries(BY_KIND) as [FieldKind, string][]) {
  for (const name of names.split(/\s+/)) if (name !== '') KINDS.set(name, kind);
}

/** The kind of field `name` (a name fields.ts knows); undefined for any other. */
export function fieldKind(name: string): FieldKind | undefined {
  return KINDS.get(name);
}

/** The unsigned integer fields narrower than 32 bits, by width (tshark refuses a value that does not fit). */
const NARROW: Record<number, string> = {
  8: `arp.hw.size arp.proto.size geneve.flags geneve.option.flags geneve.option.length
geneve.option.type geneve.version icmp.code icmp.type icmpv6.code icmpv6.nd.ra.cur_hop_limit
icmpv6.nd.ra.flag icmpv6.opt.length icmpv6.opt.type icmpv6.type ip.dsfield ip.dsfield.dscp
ip.dsfield.ecn ip.flags ip.hdr_len ip.proto ip.ttl ip.version ipv6.hlim ipv6.nxt
ipv6.version tcp.hdr_len tcp.options.wscale.shift`,
  16: `arp.hw.type arp.opcode arp.proto.type dns.count.add_rr dns.count.answers dns.count.auth_rr
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
  24: `geneve.vni ipv6.flow vxlan.vni`,
};

const MAX = new Map<string, number>();
for (const [bits, names] of Object.entries(NARROW)) {
  for (const name of names.split(/\s+/)) if (name !== '') MAX.set(name, 2 ** Number(bits) - 1);
}

/** The largest value an unsigned integer field holds (2^32 - 1 unless narrower). */
export function fieldMax(name: string): number {
  return MAX.get(name) ?? 2 ** 32 - 1;
}
