// Linux "cooked" capture: what `tcpdump -i any` writes. Version 1 (DLT 113):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Packet type           |        ARPHRD_ type           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Link-layer address length     |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//  |              Link-layer address (8 bytes, zero-padded)        |
//  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |        Protocol type          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Version 2 (DLT 276) adds the interface index and reorders:
//
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        Protocol type          |       Reserved (MBZ)          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        Interface index                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        ARPHRD_ type           |  Packet type  | Addr length   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |              Link-layer address (8 bytes, zero-padded)        |
//  +                                                               +
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The protocol is an EtherType, except that Linux uses values up to 1536 for its own protocol
// numbers (0x0004: an 802.2 LLC frame, 0x0001: Novell 802.3, ...): those are not decoded further.
// On GRE tunnel devices (ARPHRD 778) the protocol is a GRE protocol type (sll.gretype), which for
// IP is the same number as the EtherType, so it is dispatched the same way. The address is shown by
// its length, as Wireshark does: 6 bytes as a MAC, 4 as IPv4, else raw bytes (at most the 8-byte slot).
import { hex, hexBytes, ipv4At, macAt, u16, u32 } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import type { SllLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

const ARPHRD_IPGRE = 778;
const ARPHRD_NETLINK = 824;
/** Linux's `if (protocol <= 1536)`: what it (and Wireshark) takes for a Linux protocol number. */
const LINUX_PROTO_MAX = 1536;

function handOn(p: Packet, layer: SllLayer, end: number, d: Dissector): void {
  // Netlink messages captured on nlmon: the whole frame is Wireshark's netlink protocol, with no
  // sll fields; nettrace decodes neither.
  if (layer.hatype === ARPHRD_NETLINK) return;
  p.add(layer, PROTO_BITS.sll);
  if (layer.protocol <= LINUX_PROTO_MAX) return;
  d.nextEthertype(layer.protocol, p, layer.offset + layer.hlen, end);
}

export const decodeSll: Decoder = (p, off, end, d) => {
  if (end - off < 16) {
    p.issue('truncated', 'sll', off, `Linux cooked header needs 16 bytes, ${end - off} captured`);
    return;
  }
  const b = p.data;
  const layer: SllLayer = {
    proto: 'sll',
    offset: off,
    hlen: 16,
    version: 1,
    pkttype: u16(b, off),
    hatype: u16(b, off + 2),
    addrLen: u16(b, off + 4),
    addrOffset: off + 6,
    protocol: u16(b, off + 14),
  };
  handOn(p, layer, end, d);
};

export const decodeSll2: Decoder = (p, off, end, d) => {
  if (end - off < 20) {
    p.issue('truncated', 'sll', off, `Linux cooked v2 header needs 20 bytes, ${end - off} captured`);
    return;
  }
  const b = p.data;
  const layer: SllLayer = {
    proto: 'sll',
    offset: off,
    hlen: 20,
    version: 2,
    pkttype: b[off + 10]!,
    hatype: u16(b, off + 8),
    ifindex: u32(b, off + 4),
    addrLen: b[off + 11]!,
    addrOffset: off + 12,
    protocol: u16(b, off),
  };
  handOn(p, layer, end, d);
};

/** The address bytes shown: the length field, but never more than the 8-byte slot. */
function shownLen(l: SllLayer): number {
  return Math.min(l.addrLen, 8);
}

export const sllFields: FieldTable<SllLayer> = {
  'sll.pkttype': (l) => String(l.pkttype),
  'sll.hatype': (l) => String(l.hatype),
  'sll.halen': (l) => String(l.addrLen),
  'sll.src.eth': (l, p) => (l.addrLen === 6 ? macAt(p.data, l.addrOffset) : undefined),
  'sll.src.ipv4': (l, p) => (l.addrLen === 4 ? ipv4At(p.data, l.addrOffset) : undefined),
  'sll.src.other': (l, p) =>
    l.addrLen !== 6 && l.addrLen !== 4 && l.addrLen > 0
      ? hexBytes(p.data, l.addrOffset, shownLen(l), '')
      : undefined,
  'sll.unused': (l, p) =>
    l.addrLen < 8 ? hexBytes(p.data, l.addrOffset + l.addrLen, 8 - l.addrLen, '') : undefined,
  'sll.ltype': (l) => (l.protocol <= LINUX_PROTO_MAX ? hex(l.protocol, 4) : undefined),
  'sll.gretype': (l) =>
    l.protocol > LINUX_PROTO_MAX && l.hatype === ARPHRD_IPGRE ? hex(l.protocol, 4) : undefined,
  'sll.etype': (l) =>
    l.protocol > LINUX_PROTO_MAX && l.hatype !== ARPHRD_IPGRE ? hex(l.protocol, 4) : undefined,
  'sll.ifindex': (l) => (l.ifindex === undefined ? undefined : String(l.ifindex)),
};
