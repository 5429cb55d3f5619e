// The correlator's fast path: a PacketView filled from what the flat decoder (decode/flat.ts) read
// of a frame, with no layer objects, exactly as `extract` fills it from the layers. flat-view.test.ts
// checks the two agree on every capture and on generated frames; a frame the flat decoder declines
// goes through the Dissector and `extract`.
import { type FlatPacket, L4_ICMP, L4_TCP, L4_UDP } from '../decode/flat-packet.ts';
import {
  clearTransport,
  fingerprintHash,
  hashSpan,
  mac,
  type PacketView,
  TUNNEL_GENEVE,
  TUNNEL_NONE,
} from './fingerprint.ts';

/**
 * `extract` for a frame the flat decoder took into `fp` from `b` (the buffer it read: offsets in
 * `fp` are offsets in `b`). False when the frame holds no IP packet (the flat decoder's ARP).
 */
export function extractFlat(fp: FlatPacket, b: Uint8Array, v: PacketView): boolean {
  if (fp.ipVersion === 0) return false;
  const ip = fp.ipOff;
  const end = fp.capEnd;
  // The flat decoder takes no GSO packet and no IPv6 extension header: the payload length is the
  // header's own.
  let hlen: number;
  let ipPayloadLen: number;
  v.proto = fp.proto;
  if (fp.ipVersion === 4) {
    hlen = (b[ip]! & 15) << 2;
    ipPayloadLen = ((b[ip + 2]! << 8) | b[ip + 3]!) - hlen;
    v.ipv = 4;
    v.ipId = (b[ip + 4]! << 8) | b[ip + 5]!;
    v.src = fp.src;
    v.dst = fp.dst;
    v.ttl = b[ip + 8]!;
  } else {
    hlen = 40;
    ipPayloadLen = (b[ip + 4]! << 8) | b[ip + 5]!;
    v.ipv = 6;
    v.ipId = ((b[ip + 1]! & 0x0f) << 16) | (b[ip + 2]! << 8) | b[ip + 3]!; // the flow label
    v.src6 = fp.src6;
    v.dst6 = fp.dst6;
    v.src = 0;
    v.dst = 0;
    v.ttl = b[ip + 7]!;
  }
  clearTransport(v);
  const l4 = fp.l4;
  if (l4 === L4_TCP) {
    v.seq = fp.seq >>> 0;
    v.ack = fp.ack >>> 0;
    v.flags = fp.flags;
    v.len = fp.payloadLen;
    v.sport = fp.sport;
    v.dport = fp.dport;
    v.phash = hashSpan(b, fp.payloadOffset, fp.payloadLen, end);
  } else if (l4 === L4_UDP) {
    v.len = fp.payloadLen;
    v.sport = fp.sport;
    v.dport = fp.dport;
    const po = fp.payloadOffset;
    v.phash = hashSpan(b, po, fp.payloadLen, end);
    if ((v.sport === 53 || v.dport === 53 || v.sport === 5353 || v.dport === 5353) && po + 4 <= end) {
      v.app = (b[po]! << 8) | b[po + 1]! | ((b[po + 2]! >>> 7) << 16);
    }
  } else if (l4 === L4_ICMP) {
    // Not an error quoting a packet (the flat decoder declines those): an echo's identifier and
    // sequence number, when it has them (fp.sport is the identifier, or 0).
    const o = fp.l4Off;
    const type = b[o]!;
    v.flags = (type << 8) | b[o + 1]!;
    v.len = ipPayloadLen > 8 ? ipPayloadLen - 8 : 0;
    const echo = type === 0 || type === 8 || (type >= 13 && type <= 18);
    v.seq = echo ? (b[o + 6]! << 8) | b[o + 7]! : 0;
    v.sport = fp.sport;
    v.phash = hashSpan(b, o + 8, v.len, end);
  } else {
    v.len = ipPayloadLen;
    v.phash = hashSpan(b, ip + hlen, ipPayloadLen, end);
  }
  if (fp.ethOff >= 0) {
    v.macDst = mac(b, fp.ethOff);
    v.macSrc = mac(b, fp.ethOff + 6);
  } else {
    v.macSrc = -1;
    v.macDst = -1;
  }
  v.tunnel = fp.tunnelSeen;
  if (fp.tunnelSeen !== TUNNEL_NONE) {
    v.vni = fp.vni;
    const geneve = fp.tunnelSeen === TUNNEL_GENEVE;
    v.ovnIn = geneve ? fp.ovnIn : -1;
    v.ovnOut = geneve ? fp.ovnOut : -1;
    v.outerIpv = 4;
    v.outerSrc = fp.outerSrc;
    v.outerDst = fp.outerDst;
    v.outerSrc6 = '';
    v.outerDst6 = '';
  }
  v.hash = fingerprintHash(v);
  return true;
}
