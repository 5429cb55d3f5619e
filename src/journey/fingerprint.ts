// What identifies one packet at every hop: fields that NAT, routing and tunnels leave alone, taken
// on the innermost IP packet. Addresses, ports, TTL, MACs and checksums are left out (SNAT rewrites
// the source port too, and conntrack may rewrite an ICMP echo identifier), while the IP ID (Linux
// and OVS NAT keep it), the TCP sequence/ack/flags/length and the first payload bytes survive.
//
// extract() fills one reusable view per packet: everything the correlator keeps is a number, so the
// hot path allocates nothing but the decoder's own layers.
import { TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN } from '../decode/flat-packet.ts';
import type { Layer } from '../decode/layers.ts';
import type { Packet } from '../decode/packet.ts';
import { fmix } from '../hash.ts';

/** Bytes of payload hashed: enough to tell packets apart, little enough to stay cheap. */
export const HASHED_PAYLOAD = 64;

// The flat decoder's tunnel kinds are the view's: one set of numbers.
export { TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN } from '../decode/flat-packet.ts';

/** The fields of one packet the correlator keeps, flattened; reused from packet to packet. */
export class PacketView {
  // fingerprint: equal for the same packet at every hop
  ipv = 0;
  proto = 0;
  /** IPv4 identification, IPv6 flow label, -1 when neither is there. */
  ipId = -1;
  /** TCP sequence, ICMP echo sequence, or the fragment offset of a non-first IPv4 fragment. */
  seq = 0;
  ack = 0;
  /** TCP flags, or ICMP type << 8 | code. */
  flags = 0;
  /** Transport payload length (bytes on the wire, not only captured). */
  len = 0;
  phash = 0;
  /** Hash of all of the above. */
  hash = 0;
  // per hop
  src = 0;
  dst = 0;
  src6 = '';
  dst6 = '';
  ttl = 0;
  /** Ports; for ICMP echo the identifier is kept in sport. */
  sport = 0;
  dport = 0;
  /** 48-bit MACs as numbers, -1 without an Ethernet header. */
  macSrc = -1;
  macDst = -1;
  tunnel = TUNNEL_NONE;
  vni = 0;
  /** Outer IP of the tunnel: IPv4 as numbers, IPv6 as text (outerIpv says which). */
  outerIpv = 0;
  outerSrc = 0;
  outerDst = 0;
  outerSrc6 = '';
  outerDst6 = '';
  ovnIn = -1;
  ovnOut = -1;
  /**
   * DNS id | QR << 16 for UDP port 53/5353; for an ICMP error, the quoted packet's IP ID | protocol
   * << 16; else -1. Kept for pairing and summaries.
   */
  app = -1;
}

/** murmur3's 32-bit mix of one word into h. */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Hash of b[off, off+n), four bytes at a time. */
export function payloadHash(b: Uint8Array, off: number, n: number): number {
  let h = 0x9747b28c ^ n;
  const end = off + n;
  let i = off;
  for (; i + 4 <= end; i += 4) h = mix(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
  let k = 0;
  for (let s = 0; i < end; i++, s += 8) k |= b[i]! << s;
  if (n & 3) h = mix(h, k);
  return fmix(h);
}

export function fingerprintHash(v: PacketView): number {
  let h = mix(0x5bd1e995, (v.ipv << 8) | v.proto);
  h = mix(h, v.ipId);
  h = mix(h, v.seq);
  h = mix(h, v.ack);
  h = mix(h, v.flags);
  h = mix(h, v.len);
  h = mix(h, v.phash);
  return fmix(h) >>> 0;
}

export function mac(b: Uint8Array, o: number): number {
  return (
    ((b[o]! << 8) | b[o + 1]!) * 4294967296 +
    ((b[o + 2]! << 24) >>> 0) +
    ((b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!)
  );
}

/** payloadHash of the first HASHED_PAYLOAD bytes of a payload, as far as the frame (to `end`) has them. */
export function hashSpan(b: Uint8Array, off: number, wireLen: number, end = b.length): number {
  let n = wireLen < HASHED_PAYLOAD ? wireLen : HASHED_PAYLOAD;
  if (off + n > end) n = end > off ? end - off : 0;
  return n > 0 ? payloadHash(b, off, n) : 0;
}

/** The transport fields a packet without them leaves at these values (extract, extractFlat). */
export function clearTransport(v: PacketView): void {
  v.seq = 0;
  v.ack = 0;
  v.flags = 0;
  v.sport = 0;
  v.dport = 0;
  v.app = -1;
}

/**
 * Fills `v` from the innermost IP packet of `p` (after the last tunnel, before any packet quoted
 * by an ICMP error). False when the frame holds no IP packet (ARP, LLDP, ...).
 */
export function extract(p: Packet, v: PacketView): boolean {
  const layers = p.layers;
  const b = p.data;
  let ip = -1;
  let eth = -1;
  let lastEth = -1;
  let tun = -1;
  let tunIp = -1;
  let n = layers.length;
  for (let i = 0; i < n; i++) {
    const l = layers[i]!;
    const pr = l.proto;
    if (pr === 'ip' || pr === 'ipv6') {
      eth = lastEth > ip ? lastEth : -1;
      ip = i;
    } else if (pr === 'eth') {
      lastEth = i;
    } else if (pr === 'geneve' || pr === 'vxlan') {
      tun = i;
      tunIp = ip;
    } else if ((pr === 'icmp' || pr === 'icmpv6') && l.embedded) {
      n = i + 1; // the quoted packet is part of this one's identity, not a packet of its own
      break;
    }
  }
  if (ip < 0) return false;
  const ipl = layers[ip]!;
  let ipPayloadOff: number;
  let ipPayloadLen: number;
  if (ipl.proto === 'ip') {
    v.ipv = 4;
    v.proto = ipl.protocol;
    v.ipId = ipl.id;
    v.src = ipl.src;
    v.dst = ipl.dst;
    v.ttl = ipl.ttl;
    ipPayloadOff = ipl.offset + ipl.hlen;
    ipPayloadLen = ipl.payloadLen;
  } else if (ipl.proto === 'ipv6') {
    v.ipv = 6;
    v.proto = ipl.upperProto;
    v.ipId = ipl.flowLabel;
    v.src6 = ipl.src;
    v.dst6 = ipl.dst;
    v.src = 0;
    v.dst = 0;
    v.ttl = ipl.hopLimit;
    ipPayloadOff = ipl.offset + ipl.hlen;
    ipPayloadLen =
      ipl.payloadLen > 0 ? ipl.offset + 40 + ipl.payloadLen - ipPayloadOff : b.length - ipPayloadOff;
  } else {
    return false;
  }
  clearTransport(v);
  const l4: Layer | undefined = ip + 1 < n ? layers[ip + 1] : undefined;
  if (l4 !== undefined && l4.proto === 'tcp') {
    v.seq = l4.seq;
    v.ack = l4.ack;
    v.flags = l4.flags;
    v.len = l4.payloadLen;
    v.sport = l4.srcPort;
    v.dport = l4.dstPort;
    v.phash = hashSpan(b, l4.payloadOffset, l4.payloadLen);
  } else if (l4 !== undefined && l4.proto === 'udp') {
    v.len = l4.payloadLen;
    v.sport = l4.srcPort;
    v.dport = l4.dstPort;
    const po = l4.payloadOffset;
    v.phash = hashSpan(b, po, l4.payloadLen);
    if ((v.sport === 53 || v.dport === 53 || v.sport === 5353 || v.dport === 5353) && po + 4 <= b.length) {
      v.app = (b[po]! << 8) | b[po + 1]! | ((b[po + 2]! >>> 7) << 16);
    }
  } else if (l4 !== undefined && (l4.proto === 'icmp' || l4.proto === 'icmpv6')) {
    v.flags = (l4.type << 8) | l4.code;
    v.len = ipPayloadLen > 8 ? ipPayloadLen - 8 : 0;
    if (l4.embedded) {
      // NAT rewrites the quoted header too: identify the error by what it quotes that NAT keeps.
      const q = layers[ip + 2];
      const ql = layers[ip + 3];
      let h = 0;
      if (q !== undefined && q.proto === 'ip') {
        h = mix(mix(h, q.id), q.protocol);
        // which packet it answers: that packet's IP ID and protocol
        v.app = q.id | (q.protocol << 16);
      } else if (q !== undefined && q.proto === 'ipv6') {
        h = mix(mix(h, q.flowLabel), q.upperProto);
      }
      if (ql !== undefined && ql.proto === 'tcp') h = mix(h, ql.seq);
      else if (ql !== undefined && ql.proto === 'udp') h = mix(h, ql.length);
      else if (ql !== undefined && (ql.proto === 'icmp' || ql.proto === 'icmpv6')) h = mix(h, ql.seq ?? 0);
      v.phash = fmix(h);
    } else {
      v.seq = l4.seq ?? 0;
      v.sport = l4.ident ?? 0;
      v.phash = hashSpan(b, l4.offset + 8, v.len);
    }
  } else {
    // Another protocol, or a non-first fragment (no transport header to read).
    if (ipl.proto === 'ip' && ipl.fragOffset !== 0) v.seq = ipl.fragOffset;
    v.len = ipPayloadLen;
    v.phash = hashSpan(b, ipPayloadOff, ipPayloadLen);
  }
  if (eth >= 0) {
    const o = layers[eth]!.offset;
    v.macDst = mac(b, o);
    v.macSrc = mac(b, o + 6);
  } else {
    v.macSrc = -1;
    v.macDst = -1;
  }
  v.tunnel = TUNNEL_NONE;
  if (tun >= 0 && tunIp >= 0) {
    const t = layers[tun]!;
    const o = layers[tunIp]!;
    if (t.proto === 'geneve') {
      v.tunnel = TUNNEL_GENEVE;
      v.vni = t.vni;
      v.ovnIn = t.ovn ? t.ovn.ingressPort : -1;
      v.ovnOut = t.ovn ? t.ovn.egressPort : -1;
    } else if (t.proto === 'vxlan') {
      v.tunnel = TUNNEL_VXLAN;
      v.vni = t.vni;
      v.ovnIn = -1;
      v.ovnOut = -1;
    }
    if (o.proto === 'ip') {
      v.outerIpv = 4;
      v.outerSrc = o.src;
      v.outerDst = o.dst;
      v.outerSrc6 = '';
      v.outerDst6 = '';
    } else if (o.proto === 'ipv6') {
      v.outerIpv = 6;
      v.outerSrc = 0;
      v.outerDst = 0;
      v.outerSrc6 = o.src;
      v.outerDst6 = o.dst;
    }
  }
  v.hash = fingerprintHash(v);
  return true;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macText(m: number): string {
  const hi = Math.floor(m / 4294967296);
  const lo = m - hi * 4294967296;
  return `${HEX2[hi >>> 8]}:${HEX2[hi & 255]}:${HEX2[lo >>> 24]}:${HEX2[(lo >>> 16) & 255]}:${HEX2[(lo >>> 8) & 255]}:${HEX2[lo & 255]}`;
}
