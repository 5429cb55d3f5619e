// Ethernet II and IEEE 802.3 (DLT 1, and the inner frame of VXLAN/Geneve).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination MAC address                    |
//  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//  |                      Source MAC address                       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     EtherType or Length       |  Payload ...                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Ethernet carries no length of its own: the payload runs to `end`, and a protocol that knows its
// length (IPv4, IPv6, ARP) trims the minimum-size padding itself. A value up to 1500 is an 802.3
// length (an LLC header follows, which nettrace does not decode); 1501..1535 is neither, and
// Wireshark calls it an invalid length/type.
import { hex, macAt, u16 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import type { EthLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

export const ETH_HLEN = 14;
/** The smallest value that is an EtherType rather than an 802.3 length. */
export const ETHERTYPE_MIN = 1536;

/**
 * Where the bytes [.., end) would end on the wire: past the captured end when the capture's snap
 * length cut the frame (a length field reaching there is then truncated by the capture, not
 * wrong). Used to tell a cut capture from a length field that exceeds the packet, as Wireshark
 * does with its reported length.
 */
export function wireEnd(p: Packet, end: number): number {
  const cut = p.origLen - p.data.length;
  return end === p.data.length && cut > 0 ? end + cut : end;
}

export const decodeEth: Decoder = (p, off, end, d) => {
  if (end - off < ETH_HLEN) {
    p.issue('truncated', 'eth', off, `Ethernet header needs 14 bytes, ${end - off} captured`);
    return;
  }
  const type = u16(p.data, off + 12);
  const layer: EthLayer = { proto: 'eth', offset: off, hlen: ETH_HLEN, type };
  p.add(layer, PROTO_BITS.eth);
  if (type < ETHERTYPE_MIN) return;
  d.nextEthertype(type, p, off + ETH_HLEN, end);
};

export const ethFields: FieldTable<EthLayer> = {
  'eth.dst': (l, p) => macAt(p.data, l.offset),
  'eth.src': (l, p) => macAt(p.data, l.offset + 6),
  // Wireshark puts an eth.addr under the destination first, then under the source.
  'eth.addr': (l, p) => [macAt(p.data, l.offset), macAt(p.data, l.offset + 6)],
  'eth.type': (l) => (l.type >= ETHERTYPE_MIN ? hex(l.type, 4) : undefined),
  'eth.len': (l) => (l.type <= 1500 ? String(l.type) : undefined),
  'eth.invalid_lentype': (l) => (l.type > 1500 && l.type < ETHERTYPE_MIN ? hex(l.type, 4) : undefined),
  'eth.dst.ig': (l, p) => String(p.data[l.offset]! & 1),
  'eth.dst.lg': (l, p) => String((p.data[l.offset]! >> 1) & 1),
  'eth.src.ig': (l, p) => String(p.data[l.offset + 6]! & 1),
  'eth.src.lg': (l, p) => String((p.data[l.offset + 6]! >> 1) & 1),
};
