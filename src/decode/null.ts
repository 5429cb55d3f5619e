// BSD loopback encapsulation (DLT 0, "NULL") and OpenBSD's LOOP (DLT 108).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |             Address family (AF_INET, AF_INET6, ...)           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Payload ...                                                  |
//
// DLT_NULL writes the family in the capturing host's byte order, which the file does not record,
// and IRIX and UNICOS/mp write it as 16 bits in the first two bytes. Families are small, so the
// order is guessed as Wireshark does (checked value by value against tshark 4.0): a value above
// 1500 is then taken for an EtherType. DLT_LOOP is always in network byte order.
// AF_INET6 differs between the BSDs: 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (Darwin). Linux's 10
// is not decoded: Wireshark does not either, and Linux never writes DLT_NULL.
// Some systems write PPP in HDLC-like framing (FF 03, then the PPP protocol) under DLT_NULL: IPv4
// and IPv6 inside it are decoded, with no layer for the PPP header.
import { hex, u16, u32, u32le } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import type { NullLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

const IEEE_802_3_MAX_LEN = 1500;

function handOn(p: Packet, family: number, off: number, end: number, d: Dissector): void {
  switch (family) {
    case 2:
      d.call(decodeIpv4, p, off, end);
      return;
    case 24:
    case 28:
    case 30:
      d.call(decodeIpv6, p, off, end);
      return;
  }
}

/** The family from the header read little-endian (as Wireshark reads it on x86). */
function nullFamily(h: number): number {
  if (h > 0xffff) {
    // A 16-bit family in the upper half of a little-endian read: the IRIX layout.
    if (h < 0x00060000) return h >>> 16;
    return (((h & 0xff) << 24) | ((h & 0xff00) << 8) | ((h >>> 8) & 0xff00) | (h >>> 24)) >>> 0;
  }
  // A big-endian 16-bit family (00 02 00 00).
  if ((h & 0xff) === 0 && h < 0x0600) return h >>> 8;
  return h;
}

export const decodeNull: Decoder = (p, off, end, d) => {
  if (end - off < 4) {
    p.issue('truncated', 'null', off, `loopback header needs 4 bytes, ${end - off} captured`);
    return;
  }
  const b = p.data;
  if (u16(b, off) === 0xff03) {
    const ppp = u16(b, off + 2);
    if (ppp === 0x0021) d.call(decodeIpv4, p, off + 4, end);
    else if (ppp === 0x0057) d.call(decodeIpv6, p, off + 4, end);
    return;
  }
  const family = nullFamily(u32le(b, off));
  const layer: NullLayer = { proto: 'null', offset: off, hlen: 4, family };
  p.add(layer, PROTO_BITS.null);
  if (family > IEEE_802_3_MAX_LEN) d.nextEthertype(family & 0xffff, p, off + 4, end);
  else handOn(p, family, off + 4, end, d);
};

export const decodeLoop: Decoder = (p, off, end, d) => {
  if (end - off < 4) {
    p.issue('truncated', 'null', off, `loopback header needs 4 bytes, ${end - off} captured`);
    return;
  }
  const family = u32(p.data, off);
  const layer: NullLayer = { proto: 'null', offset: off, hlen: 4, family };
  p.add(layer, PROTO_BITS.null);
  handOn(p, family, off + 4, end, d);
};

export const nullFields: FieldTable<NullLayer> = {
  'null.family': (l, p) => (p.linktype === 0 && l.family > IEEE_802_3_MAX_LEN ? undefined : String(l.family)),
  'null.type': (l, p) =>
    p.linktype === 0 && l.family > IEEE_802_3_MAX_LEN ? hex(l.family & 0xffff, 4) : undefined,
};
