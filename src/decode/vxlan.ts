// VXLAN (RFC 7348): an 8-byte header and a whole Ethernet frame. Bound to UDP 4789 (IANA) and
// 8472 (Linux's default). VXLAN-GPE (UDP 4790, with a next-protocol field) is a different
// header and deliberately not bound here.
import { hex, u16, u24 } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import type { VxlanLayer } from './layers.ts';
import { type Packet, PROTO_BITS } from './packet.ts';

/** Transparent Ethernet bridging: the ethertype entry that decodes an inner Ethernet frame. */
const ETHERTYPE_TEB = 0x6558;

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 inner Ethernet frame ...
 */
export function decodeVxlan(p: Packet, off: number, end: number, d: Dissector): void {
  const b = p.data;
  if (end - off < 8) {
    p.issue('truncated', 'vxlan', off, `VXLAN header needs 8 bytes, ${Math.max(end - off, 0)} captured`);
    return;
  }
  // tshark's vxlan.flags is the first 16 bits (I flag = 0x0800, GBP's G/D/A bits beside it)
  const layer: VxlanLayer = {
    proto: 'vxlan',
    offset: off,
    hlen: 8,
    flags: u16(b, off),
    vni: u24(b, off + 4),
  };
  p.add(layer, PROTO_BITS.vxlan);
  if (end > off + 8) d.nextEthertype(ETHERTYPE_TEB, p, off + 8, end);
}

export const vxlanFields: FieldTable<VxlanLayer> = {
  'vxlan.flags': (l) => hex(l.flags, 4),
  'vxlan.vni': (l) => String(l.vni),
};
