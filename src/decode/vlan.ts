// IEEE 802.1Q VLAN tag (TPID 0x8100) and 802.1ad service tag (TPID 0x88a8, and the older
// pre-standard 0x9100), one layer per tag, outer first.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  TPID (the EtherType before)  | PCP |D|         VLAN ID       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     EtherType or Length       |  Payload ...                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The decoder starts at the TCI: the TPID is the EtherType that led here. Wireshark shows an 0x88a8
// tag as its own protocol (`ieee8021ad.id`, ...), not as `vlan`, so the vlan.* fields skip those
// layers; 0x9100 tags are `vlan` in Wireshark, as here.
import { hex, u16 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import type { VlanLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

export const TPID_8021Q = 0x8100;
export const TPID_8021AD = 0x88a8;

/** The EtherType that handed the bytes to this tag, from the layer before it. */
function tpidOf(p: Packet): number {
  const prev = p.layers[p.layers.length - 1];
  if (prev) {
    switch (prev.proto) {
      case 'eth':
      case 'vlan':
        return prev.type;
      case 'sll':
        return prev.protocol;
      case 'geneve':
        return prev.protocolType;
      case 'null':
        return prev.family;
    }
  }
  return TPID_8021Q;
}

export const decodeVlan: Decoder = (p, off, end, d) => {
  if (end - off < 4) {
    p.issue('truncated', 'vlan', off, `VLAN tag needs 4 bytes, ${end - off} captured`);
    return;
  }
  const b = p.data;
  const tci = u16(b, off);
  const type = u16(b, off + 2);
  const layer: VlanLayer = {
    proto: 'vlan',
    offset: off,
    hlen: 4,
    tpid: tpidOf(p),
    pcp: tci >>> 13,
    dei: (tci >>> 12) & 1,
    id: tci & 0xfff,
    type,
  };
  p.add(layer, PROTO_BITS.vlan);
  // Wireshark's VLAN dissector treats anything above 1500 as an EtherType.
  if (type <= 1500) return;
  d.nextEthertype(type, p, off + 4, end);
};

function q(get: (l: VlanLayer) => string | undefined) {
  return (l: VlanLayer) => (l.tpid === TPID_8021AD ? undefined : get(l));
}

export const vlanFields: FieldTable<VlanLayer> = {
  'vlan.priority': q((l) => String(l.pcp)),
  'vlan.dei': q((l) => String(l.dei)),
  'vlan.id': q((l) => String(l.id)),
  'vlan.etype': q((l) => (l.type > 1500 ? hex(l.type, 4) : undefined)),
  'vlan.len': q((l) => (l.type <= 1500 ? String(l.type) : undefined)),
};
