// UDP (RFC 768). The length field bounds the payload handed on; a zero length is legal only where
// the IP layer says the packet is a GSO / BIG TCP super-packet or an IPv6 jumbogram (RFC 2675).
import { hex, u16 } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import type { UdpLayer } from './layers.ts';
import { type Packet, PROTO_BITS } from './packet.ts';
import { segmentWireEnd } from './tcp.ts';

/** Datagrams whose length field was refused (< 8): tshark stops before the checksum. */
const refused = new WeakSet<UdpLayer>();

/*
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |                 |                 |
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * +---------------- ...
 */
export function decodeUdp(p: Packet, off: number, end: number, d: Dissector): void {
  const b = p.data;
  if (end - off < 8) {
    p.issue('truncated', 'udp', off, `UDP header needs 8 bytes, ${Math.max(end - off, 0)} captured`);
    return;
  }
  const length = u16(b, off + 4);
  const wireEnd = segmentWireEnd(p, off, end);
  let payEnd = off + length;
  if (length < 8) {
    const ip = ipBefore(p, off);
    if (length === 0 && ip !== undefined && (ip.gso || ip.proto === 'ipv6')) {
      // BIG TCP / GSO (the IP layer took its length from the capture) or an IPv6 jumbogram
      payEnd = wireEnd;
      if (!ip.gso && wireEnd - off < 65536) {
        p.issue('bad-length', 'udp', off + 4, 'length is zero but the IPv6 payload is below 65536 bytes');
      }
    } else {
      const layer = udpLayer(b, off, length, 0);
      p.add(layer, PROTO_BITS.udp);
      refused.add(layer);
      p.issue('bad-length', 'udp', off + 4, `length ${length} is less than the 8-byte header`);
      return;
    }
  } else if (payEnd > wireEnd) {
    if (!insideIcmpError(p)) {
      p.issue(
        'bad-length',
        'udp',
        off + 4,
        `length ${length} runs past the IP payload (${wireEnd - off} bytes)`,
      );
    }
    payEnd = wireEnd;
  }
  p.add(udpLayer(b, off, length, payEnd - off - 8), PROTO_BITS.udp);
  const capEnd = Math.min(end, payEnd);
  if (capEnd > off + 8) d.nextPort('udp.port', u16(b, off), u16(b, off + 2), p, off + 8, capEnd);
}

function udpLayer(b: Uint8Array, off: number, length: number, payloadLen: number): UdpLayer {
  return {
    proto: 'udp',
    offset: off,
    hlen: 8,
    srcPort: u16(b, off),
    dstPort: u16(b, off + 2),
    length,
    checksum: u16(b, off + 6),
    payloadOffset: off + 8,
    payloadLen,
  };
}

function ipBefore(p: Packet, off: number) {
  const prev = p.layers[p.layers.length - 1];
  if (prev === undefined || prev.offset + prev.hlen !== off) return undefined;
  return prev.proto === 'ip' || prev.proto === 'ipv6' ? prev : undefined;
}

/** ICMP errors quote only the start of the offending datagram: its length is expected to run past. */
function insideIcmpError(p: Packet): boolean {
  for (let i = p.layers.length - 1; i >= 0; i--) {
    const l = p.layers[i]!;
    if ((l.proto === 'icmp' || l.proto === 'icmpv6') && l.embedded) return true;
  }
  return false;
}

export const udpFields: FieldTable<UdpLayer> = {
  'udp.srcport': (l) => String(l.srcPort),
  'udp.dstport': (l) => String(l.dstPort),
  'udp.port': (l) => [String(l.srcPort), String(l.dstPort)],
  'udp.length': (l) => String(l.length),
  'udp.checksum': (l) => (refused.has(l) ? undefined : hex(l.checksum, 4)),
};
