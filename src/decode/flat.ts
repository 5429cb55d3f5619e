// The flat decoder: the fast path of `analyze` and of the journey correlator. It reads the packet
// shapes that make up nearly all of a pod's traffic (Ethernet and Linux cooked v1/v2 links, 802.1Q
// and 802.1ad VLAN tags, IPv4, IPv6 without extension headers, TCP/UDP/ICMP, Geneve and VXLAN with
// their inner frames, plain DNS
// queries, HTTP/1.x on its ports (checked for what the HTTP decoder would report), ARP) straight
// from the bytes into a FlatPacket, with no layer objects (the only strings made are IPv6 addresses,
// a DNS name's the first time it is seen and an HTTP head's framing headers).
// It is not a second decoder of record: it says "not mine" (false) for anything it does not read
// exactly as the layer decoders do, and the caller then decodes that packet with the Dissector. So
// it returns true only when the Dissector would find these same layers (same PROTO_BITS), report no
// issue, and hand the analysis the same FlatPacket (flow/flow-key.ts reads it from the layers);
// flat.test.ts checks that on every capture and on generated and random frames. It reads the
// Dissector's own tables, so `--decode-as` applies to it: a table entry it does not know sends the
// packet to the Dissector.
//
// Not taken (the Dissector decodes them): IPv6 extension headers and ICMPv6, MPLS/raw/NULL links, non-IP frames other than ARP, IP fragments, GSO super-packets (IP length 0), ICMP errors
// (their quoted packet), tunnels in tunnels or carried over IPv6, DNS messages other than a plain
// query (their layers are what the analysis reads), and any packet with a decode issue.
import { decodeArp } from './arp.ts';
import { ipv6At } from './bytes.ts';
import type { DecoderTable, Dissector } from './dissector.ts';
import { decodeDns } from './dns.ts';
import { decodeEth } from './eth.ts';
import { arp, dnsQuery, icmp, tcpOptionsOk } from './flat-headers.ts';
import {
  DNS_NONE,
  type FlatPacket,
  L4_NONE,
  L4_TCP,
  L4_UDP,
  TUNNEL_GENEVE,
  TUNNEL_NONE,
  TUNNEL_VXLAN,
} from './flat-packet.ts';
import { decodeGeneve } from './geneve.ts';
import { checkHttp, decodeHttp } from './http.ts';
import { decodeIcmp } from './icmp.ts';
import { badIpv4Option, decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { PROTO_BITS } from './packet.ts';
import { decodeSll, decodeSll2 } from './sll.ts';
import { decodeTcp } from './tcp.ts';
import { decodeUdp } from './udp.ts';
import { decodeVlan } from './vlan.ts';
import { decodeVxlan } from './vxlan.ts';

const ARPHRD_NETLINK = 824;
const ETHERTYPE_MIN = 1536;
const ETHERTYPE_TEB = 0x6558;
const B_ETH = PROTO_BITS.eth;
const B_SLL = PROTO_BITS.sll;
const B_IP = PROTO_BITS.ip;
const B_IPV6 = PROTO_BITS.ipv6;
const NO_NEXT_HEADER = 59;
const B_TCP = PROTO_BITS.tcp;
const B_UDP = PROTO_BITS.udp;
const B_GENEVE = PROTO_BITS.geneve;
const B_VXLAN = PROTO_BITS.vxlan;
const B_HTTP = PROTO_BITS.http;
const B_VLAN = PROTO_BITS.vlan;
/**
 * Nested layers the deepest packet taken here has (eth ip udp geneve eth ip tcp + the port's
 * decoder), VLAN tags aside: each is one more, counted as they come.
 */
const MAX_FLAT_DEPTH = 8;

export class FlatDecoder {
  private readonly linktypes: DecoderTable;
  private readonly ethertypes: DecoderTable;
  private readonly ipProtos: DecoderTable;
  private readonly udpPorts: DecoderTable;
  private readonly tcpPorts: DecoderTable;
  /** False when the Dissector nests so few layers that a packet taken here could hit its limit. */
  private readonly usable: boolean;
  // The packet being read (fields rather than module variables: those cost a check per use).
  /** The buffer holding it, and where its captured bytes end in it. */
  private b: Uint8Array = new Uint8Array(0);
  private frameCapEnd = 0;
  /** Where the frame ends on the wire, never before its captured end (segmentWireEnd's frameEnd). */
  private frameEnd = 0;
  /** Bytes the snap length cut from the end of the frame (0 when none). */
  private cut = 0;
  /** A tunnel header read and not yet followed by an IP header; tunnels read in this packet. */
  private pendingTunnel = TUNNEL_NONE;
  private tunnels = 0;
  /** VLAN tags read in this frame. */
  private tags = 0;
  private readonly maxDepth: number;
  /** The Ethernet header read and not yet followed by an IP header, or -1. */
  private lastEth = -1;

  /**
   * `v6Text: false`: IPv6 addresses are left as bytes (src6Off, dst6Off): src6/dst6 are then not
   * this packet's (the flow table interns the bytes; two strings a packet were a third of an IPv6
   * capture's cost). The journey correlator wants the text.
   */
  constructor(
    d: Dissector,
    private readonly v6Text = true,
  ) {
    this.linktypes = d.tables.linktype;
    this.ethertypes = d.tables.ethertype;
    this.ipProtos = d.tables['ip.proto'];
    this.udpPorts = d.tables['udp.port'];
    this.tcpPorts = d.tables['tcp.port'];
    this.maxDepth = d.maxDepth;
    this.usable = d.maxDepth > MAX_FLAT_DEPTH;
  }

  /**
   * Reads one frame into `out` and returns true, or returns false when the Dissector must decode
   * it (`out` is then meaningless).
   */
  decode(data: Uint8Array, origLen: number, linktype: number, out: FlatPacket): boolean {
    return this.decodeAt(data, 0, data.length, origLen, linktype, out);
  }

  /** `decode` of the frame buf[off, off + capLen): offsets in `out` are then offsets in `buf`. */
  decodeAt(
    buf: Uint8Array,
    off: number,
    capLen: number,
    origLen: number,
    linktype: number,
    out: FlatPacket,
  ): boolean {
    if (!this.usable) return false;
    const link = this.linktypes.find(linktype);
    if (link !== decodeEth && link !== decodeSll && link !== decodeSll2) return false;
    this.b = buf;
    this.frameCapEnd = off + capLen;
    this.frameEnd = off + (origLen > capLen ? origLen : capLen);
    this.cut = origLen - capLen;
    out.protos = 0;
    out.ipVersion = 0;
    out.tunnel = TUNNEL_NONE;
    out.dns = DNS_NONE;
    this.pendingTunnel = TUNNEL_NONE;
    this.tunnels = 0;
    this.tags = 0;
    this.lastEth = -1;
    out.layers = undefined;
    const end = off + capLen;
    out.capEnd = end;
    out.tunnelSeen = TUNNEL_NONE;
    if (link === decodeEth) return this.eth(off, end, out);
    // Linux cooked captures (`tcpdump -i any`): v1 is 16 bytes with the protocol last, v2 is 20
    // with it first; a netlink capture has no sll layer, and a protocol up to 1536 is not an
    // ethertype (sll.ts).
    const v1 = link === decodeSll;
    const hlen = v1 ? 16 : 20;
    if (end - off < hlen) return false;
    const at = v1 ? off + 14 : off;
    const hatype = v1 ? (buf[off + 2]! << 8) | buf[off + 3]! : (buf[off + 8]! << 8) | buf[off + 9]!;
    const protocol = (buf[at]! << 8) | buf[at + 1]!;
    if (hatype === ARPHRD_NETLINK || protocol <= 1536) return false;
    out.protos |= B_SLL;
    return this.ethertype(protocol, off + hlen, end, out);
  }

  private eth(off: number, end: number, out: FlatPacket): boolean {
    const b = this.b;
    if (end - off < 14) return false;
    const type = (b[off + 12]! << 8) | b[off + 13]!;
    out.protos |= B_ETH;
    if (type < ETHERTYPE_MIN) return false;
    this.lastEth = off;
    return this.ethertype(type, off + 14, end, out);
  }

  /** The payload of a link header naming ethertype `type`. */
  private ethertype(type: number, off: number, end: number, out: FlatPacket): boolean {
    const dec = this.ethertypes.find(type);
    if (dec === decodeIpv4) return this.ipv4(off, end, out);
    if (dec === decodeIpv6) return this.ipv6(off, end, out);
    if (dec === decodeVlan) return this.vlan(off, end, out);
    // ARP on the outer frame only (inside a tunnel the packet is the outer IP header's flow).
    return dec === decodeArp && this.tunnels === 0 && arp(this.b, off, end, out);
  }

  /** An 802.1Q/802.1ad tag (vlan.ts): the ethertype after it goes on. */
  private vlan(off: number, end: number, out: FlatPacket): boolean {
    // Each tag nests the rest one level deeper in the Dissector: stay clear of its maxDepth.
    if (end - off < 4 || MAX_FLAT_DEPTH + ++this.tags >= this.maxDepth) return false;
    out.protos |= B_VLAN;
    const b = this.b;
    const type = (b[off + 2]! << 8) | b[off + 3]!;
    // A length, not an ethertype: the Dissector stops there (no IP packet in it).
    return type > 1500 && this.ethertype(type, off + 4, end, out);
  }

  private ipv4(off: number, end: number, out: FlatPacket): boolean {
    const b = this.b;
    if (end - off < 20) return false;
    const v = b[off]!;
    if (v >>> 4 !== 4) return false;
    const hlen = (v & 15) << 2;
    const totalLen = (b[off + 2]! << 8) | b[off + 3]!;
    const fo = (b[off + 6]! << 8) | b[off + 7]!;
    // Too short a header or length, GSO (length 0), options cut off, fragments: the Dissector's.
    if (hlen < 20 || totalLen < hlen || off + hlen > end || (fo & 0x3fff) !== 0) return false;
    if (hlen > 20 && badIpv4Option(b, off + 20, off + hlen) >= 0) return false;
    out.src = ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0;
    out.dst = ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0;
    return this.ip(4, off, hlen, off + totalLen, end, b[off + 9]!, out);
  }

  private ipv6(off: number, end: number, out: FlatPacket): boolean {
    const b = this.b;
    // Too short, another version, payload length 0 (GSO or a jumbogram), extension headers: the
    // Dissector's.
    if (end - off < 40 || b[off]! >>> 4 !== 6) return false;
    const plen = (b[off + 4]! << 8) | b[off + 5]!;
    const nh = b[off + 6]!;
    if (plen === 0 || nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51) return false;
    out.src6Off = off + 8;
    out.dst6Off = off + 24;
    out.buf = b;
    if (this.v6Text) {
      out.src6 = ipv6At(b, off + 8);
      out.dst6 = ipv6At(b, off + 24);
    }
    return this.ip(6, off, 40, off + 40 + plen, end, nh, out);
  }

  /**
   * What both IP versions share, once the header at `off` (`hlen` bytes, its payload declared to
   * end at `declared`) is known good: the payload's end, and the transport header in it.
   */
  private ip(
    version: 4 | 6,
    off: number,
    hlen: number,
    declared: number,
    end: number,
    proto: number,
    out: FlatPacket,
  ): boolean {
    let payEnd = declared;
    if (payEnd > end) {
      // Beyond what the snap length kept is not a fault; beyond the frame is (an issue).
      if (payEnd > (end === this.frameCapEnd && this.cut > 0 ? end + this.cut : end)) return false;
      payEnd = end;
    }
    out.protos |= version === 4 ? B_IP : B_IPV6;
    // The tunnel (if any) read since the last IP header is this header's (flow.ts tunnelAround).
    out.tunnel = this.pendingTunnel;
    this.pendingTunnel = TUNNEL_NONE;
    out.ipOff = off;
    out.ethOff = this.lastEth;
    this.lastEth = -1;
    out.ipVersion = version;
    out.proto = proto;
    out.l4 = L4_NONE;
    out.sport = 0;
    out.dport = 0;
    out.swap = false;
    if (version === 6 && proto === NO_NEXT_HEADER) return true;
    const dec = this.ipProtos.find(proto);
    // The transport segment's end on the wire, per the IP length (segmentWireEnd).
    const wireEnd = declared < this.frameEnd ? declared : this.frameEnd;
    if (dec === decodeTcp) return this.tcp(off + hlen, payEnd, wireEnd, out);
    if (dec === decodeUdp) return this.udp(off + hlen, payEnd, wireEnd, out);
    if (dec === decodeIcmp) return icmp(this.b, off + hlen, payEnd, out);
    return dec === undefined;
  }

  private tcp(off: number, end: number, wireEnd: number, out: FlatPacket): boolean {
    const b = this.b;
    const wireLen = wireEnd - off;
    if (wireLen < 20 || end - off < 20) return false;
    const hlen = (b[off + 12]! >>> 4) << 2;
    const capEnd = end < wireEnd ? end : wireEnd;
    if (hlen < 20 || off + hlen > capEnd) return false;
    if (hlen > 20 && !tcpOptionsOk(b, off + 20, off + hlen)) return false;
    out.protos |= B_TCP;
    out.l4Off = off;
    const sport = (b[off]! << 8) | b[off + 1]!;
    const dport = (b[off + 2]! << 8) | b[off + 3]!;
    const flags = ((b[off + 12]! & 0x0f) << 8) | b[off + 13]!;
    out.l4 = L4_TCP;
    out.sport = sport;
    out.dport = dport;
    // SYN-ACK (SYN and ACK without RST)
    out.swap = (flags & 0x16) === 0x12;
    out.flags = flags;
    out.seq = (b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
    out.ack = (b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!;
    out.window = (b[off + 14]! << 8) | b[off + 15]!;
    const pay = off + hlen;
    out.payloadOffset = pay;
    out.payloadLen = wireLen > hlen ? wireLen - hlen : 0;
    if (pay >= capEnd) {
      out.payloadCaptured = 0;
      return true;
    }
    out.payloadCaptured = capEnd - pay;
    const t = this.tcpPorts;
    const dec = t.find(sport < dport ? sport : dport) ?? t.find(sport < dport ? dport : sport);
    if (dec === undefined) return true;
    if (dec !== decodeHttp) return false;
    // HTTP's layers are not what the analysis reads (it parses the stream itself): the packet is
    // taken when the decoder would report no issue, with the http bit if a message starts here.
    const http = checkHttp(b, pay, capEnd);
    if (http > 0) out.protos |= B_HTTP;
    return http >= 0;
  }

  private udp(off: number, end: number, wireEnd: number, out: FlatPacket): boolean {
    const b = this.b;
    if (end - off < 8) return false;
    const length = (b[off + 4]! << 8) | b[off + 5]!;
    const payEnd = off + length;
    if (length < 8 || payEnd > wireEnd) return false;
    out.protos |= B_UDP;
    out.l4Off = off;
    const sport = (b[off]! << 8) | b[off + 1]!;
    const dport = (b[off + 2]! << 8) | b[off + 3]!;
    out.l4 = L4_UDP;
    out.sport = sport;
    out.dport = dport;
    out.payloadOffset = off + 8;
    out.payloadLen = length - 8;
    out.payloadCaptured = 0;
    const capEnd = end < payEnd ? end : payEnd;
    if (capEnd <= off + 8) return true;
    const t = this.udpPorts;
    const dec = t.find(sport < dport ? sport : dport) ?? t.find(sport < dport ? dport : sport);
    if (dec === undefined) return true;
    if (dec === decodeGeneve) return this.geneve(off + 8, capEnd, out);
    if (dec === decodeVxlan) return this.vxlan(off + 8, capEnd, out);
    // DNS: a whole query (not cut by the snap length); decodeDns reads anything else.
    return dec === decodeDns && capEnd === payEnd && dnsQuery(b, off + 8, capEnd, out);
  }

  private geneve(off: number, end: number, out: FlatPacket): boolean {
    const b = this.b;
    if (end - off < 8) return false;
    const v = b[off]!;
    const optEnd = off + 8 + ((v & 0x3f) << 2);
    if (v >>> 6 !== 0 || optEnd > end) return false;
    let ovnIn = -1;
    let ovnOut = -1;
    for (let o = off + 8; o < optEnd; ) {
      const dataLen = (b[o + 3]! & 0x1f) << 2;
      const next = o + 4 + dataLen;
      if (next > optEnd) return false;
      // OVN's option (class 0x0102, type 0x80, 4 bytes); the last one counts, as in decodeGeneve
      if (dataLen === 4 && b[o] === 0x01 && b[o + 1] === 0x02 && b[o + 2] === 0x80) {
        ovnIn = ((b[o + 4]! << 8) | b[o + 5]!) & 0x7fff;
        ovnOut = (b[o + 6]! << 8) | b[o + 7]!;
      }
      o = next;
    }
    if (!this.enterTunnel(TUNNEL_GENEVE, (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!, out))
      return false;
    out.ovnIn = ovnIn;
    out.ovnOut = ovnOut;
    out.protos |= B_GENEVE;
    if (end <= optEnd) return true;
    const dec = this.ethertypes.find((b[off + 2]! << 8) | b[off + 3]!);
    if (dec === decodeEth) return this.eth(optEnd, end, out);
    if (dec === decodeIpv4) return this.ipv4(optEnd, end, out);
    return dec === undefined;
  }

  private vxlan(off: number, end: number, out: FlatPacket): boolean {
    const b = this.b;
    if (end - off < 8) return false;
    if (!this.enterTunnel(TUNNEL_VXLAN, (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!, out))
      return false;
    out.protos |= B_VXLAN;
    if (end <= off + 8) return true;
    return this.ethertypes.find(ETHERTYPE_TEB) === decodeEth && this.eth(off + 8, end, out);
  }

  /**
   * A tunnel header inside the IPv4 header just read (its addresses are the tunnel's outer ones).
   * One tunnel per packet: a tunnel in a tunnel is left to the Dissector, which bounds the nesting.
   */
  private enterTunnel(type: number, vni: number, out: FlatPacket): boolean {
    // One tunnel, around IPv4 (its outer addresses are kept as numbers).
    if (this.tunnels++ > 0 || out.ipVersion !== 4) return false;
    this.pendingTunnel = type;
    out.tunnelSeen = type;
    out.vni = vni;
    out.outerSrc = out.src;
    out.outerDst = out.dst;
    return true;
  }
}
