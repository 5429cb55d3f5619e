// Fills a FlatPacket (decode/flat-packet.ts) from a decoded packet's layers: the slow path's half
// of what the flat decoder does from bytes.
import { type FlatPacket, L4_ICMP, L4_NONE, L4_TCP, L4_UDP, TUNNEL_NONE } from '../decode/flat-packet.ts';
import type { Packet } from '../decode/packet.ts';
import { TCP_ACK, TCP_RST, TCP_SYN } from './tcp-state.ts';

const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REPLY = 129;

/**
 * Fills `key` from a decoded packet. The innermost IP header is searched from the inside out
 * (tunnelled and plain packets alike end with their transport layer, so this is two or three looks);
 * an IP header right after an ICMP error is the packet it quotes, not the one carrying it.
 */
export function keyFromLayers(p: Packet, key: FlatPacket): void {
  const layers = p.layers;
  key.layers = layers;
  key.tunnel = TUNNEL_NONE;
  let ip = -1;
  for (let i = layers.length - 1; i >= 0; i--) {
    const pr = layers[i]!.proto;
    if (pr !== 'ip' && pr !== 'ipv6') continue;
    const prev = i > 0 ? layers[i - 1]! : undefined;
    if (prev !== undefined && (prev.proto === 'icmp' || prev.proto === 'icmpv6') && prev.embedded) {
      i--;
      continue;
    }
    ip = i;
    break;
  }
  key.ip = ip;
  key.l4 = L4_NONE;
  key.l4Index = -1;
  key.sport = 0;
  key.dport = 0;
  key.swap = false;
  if (ip < 0) {
    key.ipVersion = 0;
    return;
  }
  const ipl = layers[ip]!;
  if (ipl.proto === 'ip') {
    key.ipVersion = 4;
    key.proto = ipl.protocol;
    key.src = ipl.src;
    key.dst = ipl.dst;
  } else if (ipl.proto === 'ipv6') {
    key.ipVersion = 6;
    key.proto = ipl.upperProto;
    key.src6 = ipl.src;
    key.dst6 = ipl.dst;
    key.src6Off = -1;
    key.dst6Off = -1;
  }
  const t = layers[ip + 1];
  if (t === undefined) return;
  if (t.proto === 'tcp') {
    key.l4 = L4_TCP;
    key.sport = t.srcPort;
    key.dport = t.dstPort;
    key.swap = (t.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK);
    key.flags = t.flags;
    key.seq = t.seq | 0;
    key.ack = t.ack | 0;
    key.window = t.window;
    key.payloadOffset = t.payloadOffset;
    key.payloadLen = t.payloadLen;
    key.payloadCaptured = t.payloadCaptured;
  } else if (t.proto === 'udp') {
    key.l4 = L4_UDP;
    key.sport = t.srcPort;
    key.dport = t.dstPort;
    key.payloadOffset = t.payloadOffset;
    key.payloadLen = t.payloadLen;
    key.payloadCaptured = 0;
  } else if (t.proto === 'icmp' || t.proto === 'icmpv6') {
    key.l4 = L4_ICMP;
    if (t.ident !== undefined && !t.embedded) {
      key.sport = key.dport = t.ident;
      key.swap = t.type === (t.proto === 'icmp' ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY);
    }
  } else return;
  key.l4Index = ip + 1;
}
