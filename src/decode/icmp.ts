// ICMP for IPv4 (RFC 792).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   Identifier (echo, timestamp,|   Sequence number             |
//  |   information, address mask)  |                               |
//  |   -- or, for errors: unused / gateway (5) / pointer (12) --   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Data; errors: the original IP header + its first 8 bytes     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Error messages (destination unreachable 3, source quench 4, redirect 5, time exceeded 11,
// parameter problem 12) quote the datagram that caused them: it is decoded as further layers after
// this one (so ip.src has two occurrences, as in tshark). The quote is short by design, so the
// quoted IP header does not count its missing bytes against the packet.
import { hex, u16 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import { decodeIpv4 } from './ipv4.ts';
import type { IcmpLayer } from './layers.ts';
import { type Decoder, PROTO_BITS } from './packet.ts';

/** Types that carry an identifier and sequence number. */
function hasIdent(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/** Extended echo (RFC 8335): an identifier, then an 8-bit sequence number Wireshark names apart. */
function isExtendedEcho(type: number): boolean {
  return type === 42 || type === 43;
}

function isError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export const decodeIcmp: Decoder = (p, off, end, d) => {
  const b = p.data;
  if (end - off < 4) {
    p.issue('truncated', 'icmp', off, `ICMP header needs 4 bytes, ${end - off} captured`);
    return;
  }
  const type = b[off]!;
  const layer: IcmpLayer = {
    proto: 'icmp',
    offset: off,
    hlen: 4,
    type,
    code: b[off + 1]!,
    checksum: u16(b, off + 2),
    embedded: false,
  };
  p.add(layer, PROTO_BITS.icmp);
  const echo = hasIdent(type);
  // Wireshark shows the identifier when its two bytes are there, even if the sequence is cut off.
  if ((echo || isExtendedEcho(type)) && end - off >= 6) layer.ident = u16(b, off + 4);
  if (end - off < 8) {
    if (echo || isError(type)) {
      p.issue('truncated', 'icmp', off, `ICMP type ${type} needs 8 bytes, ${end - off} captured`);
    }
    return;
  }
  layer.hlen = 8;
  if (echo) {
    layer.seq = u16(b, off + 6);
  } else if (isError(type) && end - off > 8) {
    layer.embedded = true;
    d.call(decodeIpv4, p, off + 8, end);
  }
};

export const icmpFields: FieldTable<IcmpLayer> = {
  'icmp.type': (l) => String(l.type),
  'icmp.code': (l) => String(l.code),
  'icmp.checksum': (l) => hex(l.checksum, 4),
  'icmp.ident': (l) => (l.ident === undefined ? undefined : String(l.ident)),
  'icmp.seq': (l) => (l.seq === undefined ? undefined : String(l.seq)),
  // Wireshark also shows both as if little-endian, for hosts that wrote them that way.
  'icmp.ident_le': (l) =>
    l.ident === undefined ? undefined : String(((l.ident & 255) << 8) | (l.ident >>> 8)),
  'icmp.seq_le': (l) => (l.seq === undefined ? undefined : String(((l.seq & 255) << 8) | (l.seq >>> 8))),
};
