// A packet as the conversation analysis reads it: the innermost IP header's 5-tuple, the transport
// header's state fields, where the payload is, and the tunnel around it, as numbers in one reusable
// object. Two things fill it: flow/flow-key.ts from a decoded Packet's layers, and the flat decoder
// (flat.ts) straight from the bytes for the common packet shapes, so that `analyze` need not build
// layer objects for every packet. The flow table and the conversation analyzer read only this.
import type { Layer } from './layers.ts';

/** The transport header the key's ports came from. */
export const L4_NONE = 0;
export const L4_TCP = 1;
export const L4_UDP = 2;
/** ICMP or ICMPv6 (an echo's identifier is the port on both sides). */
export const L4_ICMP = 3;

export const TUNNEL_NONE = 0;
export const TUNNEL_GENEVE = 1;
export const TUNNEL_VXLAN = 2;

/** What the flat decoder found past the transport header. */
export const DNS_NONE = 0;
/** A DNS query over UDP with one question and no records (dnsId, dnsQtype, dnsName). */
export const DNS_QUERY = 1;

const NO_BYTES = new Uint8Array(0);

export class FlatPacket {
  /** PROTO_BITS of the packet's layers (Packet.protos); set by the flat decoder only. */
  protos = 0;
  /** 0: no IP header (the packet is counted as non-IP; from the flat decoder, it is ARP). */
  ipVersion: 0 | 4 | 6 = 0;
  /** IP protocol of the innermost header (after IPv6 extensions). */
  proto = 0;
  /** IPv4 addresses as uint32; IPv6 ones in src6/dst6 (src/dst are then interned by the table). */
  src = 0;
  dst = 0;
  src6 = '';
  dst6 = '';
  /**
   * IPv6 (flat decoder): where the 16 address bytes are in `buf`, so that the flow table can intern
   * them without their text (made only for a new address). -1 from keyFromLayers (use the text).
   */
  src6Off = -1;
  dst6Off = -1;
  buf: Uint8Array = NO_BYTES;
  sport = 0;
  dport = 0;
  /** The packet answers (SYN-ACK, echo reply): side A of a new flow is its destination. */
  swap = false;
  l4 = L4_NONE;
  /** TCP: flags, sequence and acknowledgement numbers (as int32), window. */
  flags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  /** TCP/UDP payload: where it starts in the frame, its length per IP, and (TCP only) how much was captured. */
  payloadOffset = 0;
  payloadLen = 0;
  payloadCaptured = 0;
  /** The Geneve/VXLAN tunnel right around the innermost IP header, and its outer IPv4 addresses. */
  tunnel = TUNNEL_NONE;
  vni = 0;
  outerSrc = 0;
  outerDst = 0;
  // Flat decoder only, for readers that want more of the bytes (the journey correlator):
  /** Where the innermost IPv4 header, its transport header and the frame's captured bytes end. */
  ipOff = 0;
  l4Off = 0;
  capEnd = 0;
  /** The Ethernet header right before the innermost IP header, or -1 (none, or a tunnel's IP in IP). */
  ethOff = -1;
  /** The tunnel read, whether or not an IP header follows it (`tunnel` is only set when one does). */
  tunnelSeen = TUNNEL_NONE;
  /** OVN's Geneve option: logical ingress and egress port keys, -1 without it. */
  ovnIn = -1;
  ovnOut = -1;
  /** DNS_QUERY: the message's id, its question's type and name (flat decoder only). */
  dns = DNS_NONE;
  dnsId = 0;
  dnsQtype = 0;
  dnsName = '';
  /** Set by keyFromLayers (flow/flow-key.ts): the layers, and the innermost IP header's index (for the tunnel of a new flow). */
  layers: Layer[] | undefined = undefined;
  ip = -1;
  /** keyFromLayers: index of the transport layer in `layers`, or -1. */
  l4Index = -1;
}
