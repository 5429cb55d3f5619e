// The shape of every layer a decoder produces: the contract between decode/, flow/, journey/ and
// the field table. Each protocol's decoder lives in its own file (eth.ts, ipv4.ts, ...); this file
// only says what they yield. Offsets are into Packet.data; addresses that a hop may rewrite are kept
// as values (IPv4 as uint32) so flows and journeys compare numbers, not strings.

export interface LayerBase {
  /** Wireshark's protocol filter name: the prefix of its fields (`ip` for `ip.src`). */
  proto: string;
  /** Where the header starts in Packet.data. */
  offset: number;
  /** Header length in bytes (what this layer consumed before its payload). */
  hlen: number;
}

/** Linux cooked capture v1 (DLT 113) or v2 (DLT 276); Wireshark names both `sll`. */
export interface SllLayer extends LayerBase {
  proto: 'sll';
  version: 1 | 2;
  pkttype: number;
  hatype: number;
  /** SLL2 only. */
  ifindex?: number;
  /** Link-layer address length and its offset in data. */
  addrLen: number;
  addrOffset: number;
  /** Ethertype (or Linux protocol number for non-Ethernet frames) of the payload. */
  protocol: number;
}

/** BSD loopback / NULL (DLT 0) and OpenBSD LOOP (DLT 108): a 4-byte address family. */
export interface NullLayer extends LayerBase {
  proto: 'null';
  family: number;
}

export interface EthLayer extends LayerBase {
  proto: 'eth';
  /** Ethertype (or 802.3 length when <= 1500). dst at offset, src at offset+6. */
  type: number;
}

/** 802.1Q (tpid 0x8100) and 802.1ad (0x88a8) tags, one layer each, outer first. */
export interface VlanLayer extends LayerBase {
  proto: 'vlan';
  tpid: number;
  pcp: number;
  dei: number;
  id: number;
  type: number;
}

/** One MPLS label stack entry. */
export interface MplsLayer extends LayerBase {
  proto: 'mpls';
  label: number;
  /** Traffic class (formerly EXP). */
  tc: number;
  /** Bottom of stack (1 on the last entry). */
  bottom: number;
  ttl: number;
}

export interface ArpLayer extends LayerBase {
  proto: 'arp';
  htype: number;
  ptype: number;
  hsize: number;
  psize: number;
  opcode: number;
  /** IPv4 sender/target protocol addresses when ptype is 0x0800 and psize 4, else undefined. */
  senderIp?: number;
  targetIp?: number;
  /** Offsets of the four addresses in data. */
  shaOffset: number;
  spaOffset: number;
  thaOffset: number;
  tpaOffset: number;
}

export interface Ipv4Layer extends LayerBase {
  proto: 'ip';
  tos: number;
  /** The total-length field as written (0 for GSO/TSO super-packets). */
  totalLen: number;
  id: number;
  /** 3 flag bits (reserved, DF, MF). */
  flags: number;
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: number;
  dst: number;
  /** Bytes of payload after the header as used for decoding (from totalLen, or from the capture when GSO). */
  payloadLen: number;
  /** MF set or fragment offset > 0: the payload is not decoded past the first fragment's header. */
  isFragment: boolean;
  /** totalLen was 0 and the length was taken from the capture, as tcpdump does for TSO/GSO. */
  gso: boolean;
}

export interface Ipv6Extension {
  /** Next-header value that introduced this extension (0 hop-by-hop, 43 routing, 44 fragment, 60 dst opts). */
  type: number;
  offset: number;
  length: number;
}

export interface Ipv6Layer extends LayerBase {
  proto: 'ipv6';
  tclass: number;
  flowLabel: number;
  /** Payload-length field as written (0 for jumbograms / GSO). */
  payloadLen: number;
  /** ipv6.nxt: the fixed header's next-header value. */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Extension headers walked (hlen includes them). */
  extensions: Ipv6Extension[];
  /** The protocol after the extensions (59 = no next header). */
  upperProto: number;
  fragment?: { offset: number; more: boolean; id: number };
  gso: boolean;
}

export interface IcmpLayer extends LayerBase {
  proto: 'icmp';
  type: number;
  code: number;
  checksum: number;
  /** Echo / echo reply / timestamp: identifier and sequence number. */
  ident?: number;
  seq?: number;
  /** Error messages (3, 4, 5, 11, 12): the embedded packet's layers follow this one in Packet.layers. */
  embedded: boolean;
}

export interface Icmpv6Layer extends LayerBase {
  proto: 'icmpv6';
  type: number;
  code: number;
  checksum: number;
  ident?: number;
  seq?: number;
  /** Neighbour solicitation/advertisement and redirect target. */
  target?: string;
  /** Router advertisement: current hop limit, flags byte, router lifetime. */
  ra?: { curHopLimit: number; flags: number; lifetime: number; reachable: number; retrans: number };
  /** ND options: type, length in bytes, offset. */
  options?: { type: number; length: number; offset: number }[];
  /** Error messages (1-4): the embedded packet's layers follow this one. */
  embedded: boolean;
}

export interface TcpLayer extends LayerBase {
  proto: 'tcp';
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** 12 bits: AE(0x100) CWR(0x80) ECE(0x40) URG ACK PSH RST SYN FIN(0x01); tcp.flags. */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  sack?: [number, number][];
  tsval?: number;
  tsecr?: number;
  /** Kinds of options not understood above (in order). */
  unknownOptions?: number[];
  payloadOffset: number;
  /** Payload bytes per the IP length (may exceed what was captured: see payloadCaptured). */
  payloadLen: number;
  payloadCaptured: number;
}

export interface UdpLayer extends LayerBase {
  proto: 'udp';
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
  payloadOffset: number;
  payloadLen: number;
}

export interface VxlanLayer extends LayerBase {
  proto: 'vxlan';
  flags: number;
  vni: number;
}

export interface GeneveOption {
  class: number;
  type: number;
  /** Option data length in bytes (not counting the 4-byte option header). */
  length: number;
  dataOffset: number;
}

export interface GeneveLayer extends LayerBase {
  proto: 'geneve';
  version: number;
  /** Options length in bytes. */
  optLen: number;
  oam: boolean;
  critical: boolean;
  protocolType: number;
  vni: number;
  options: GeneveOption[];
  /** OVN's option (class 0x0102, type 0x80): 15-bit logical ingress port key, 16-bit egress key. */
  ovn?: { ingressPort: number; egressPort: number };
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Text form: A/AAAA address, CNAME/PTR/NS target, SRV `prio weight port target`, TXT strings joined. */
  data: string;
}

export interface DnsLayer extends LayerBase {
  proto: 'dns';
  id: number;
  flags: number;
  response: boolean;
  opcode: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Carried over TCP (with the 2-byte length prefix, which hlen includes). */
  overTcp: boolean;
}

export interface HttpLayer extends LayerBase {
  proto: 'http';
  kind: 'request' | 'response';
  method?: string;
  uri?: string;
  version: string;
  status?: number;
  reason?: string;
  headers: [string, string][];
  host?: string;
  contentLength?: number;
  /** The header block ended (blank line seen) within this segment. */
  complete: boolean;
}

export type Layer =
  | SllLayer
  | NullLayer
  | EthLayer
  | VlanLayer
  | MplsLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | IcmpLayer
  | Icmpv6Layer
  | TcpLayer
  | UdpLayer
  | VxlanLayer
  | GeneveLayer
  | DnsLayer
  | HttpLayer;
