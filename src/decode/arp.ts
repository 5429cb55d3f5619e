// ARP (RFC 826).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        Hardware type          |        Protocol type          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  HW addr len  | Proto addr len|           Opcode              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Sender hardware address (HW addr len bytes) ...               |
//  | Sender protocol address (Proto addr len bytes) ...            |
//  | Target hardware address ...                                   |
//  | Target protocol address ...                                   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The sizes come from the packet, so any of them may be absurd (fuzzed captures have 134-byte MACs).
// As in Wireshark: when the four addresses are not all there, only the fixed header is shown
// (hlen stays 8); an address is shown as a MAC only for Ethernet/IEEE 802 hardware with size 6, as
// IPv4 only for protocol 0x0800 (or AX.25's 0xcc) with size 4, else as raw bytes (AX.25 hardware
// addresses, which Wireshark shows as call signs, are not shown). Hardware type 19 is ATM ARP
// (RFC 2225), a different layout: only its common fields and IPv4 addresses are shown.
import { hex, hexBytes, ipv4At, macAt, u16, u32 } from './bytes.ts';
import { wireEnd } from './eth.ts';
import type { FieldTable } from './fields.ts';
import type { ArpLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

const ARPHRD_ETHER = 1;
const ARPHRD_IEEE802 = 6;
const ARPHRD_ATM2225 = 19;

export const decodeArp: Decoder = (p, off, end) => {
  if (end - off < 8) {
    p.issue('truncated', 'arp', off, `ARP header needs 8 bytes, ${end - off} captured`);
    return;
  }
  const b = p.data;
  const htype = u16(b, off);
  const ptype = u16(b, off + 2);
  const hsize = b[off + 4]!;
  const psize = b[off + 5]!;
  const spa = off + 8 + hsize;
  const tha = spa + psize;
  const tpa = tha + hsize;
  const total = tpa + psize - off;
  const layer: ArpLayer = {
    proto: 'arp',
    offset: off,
    hlen: 8,
    htype,
    ptype,
    hsize,
    psize,
    opcode: u16(b, off + 6),
    shaOffset: off + 8,
    spaOffset: spa,
    thaOffset: tha,
    tpaOffset: tpa,
  };
  p.add(layer, PROTO_BITS.arp);
  if (htype === ARPHRD_ATM2225) {
    checkAtmArp(p, layer, end);
    return;
  }
  if (off + total > wireEnd(p, end)) {
    p.issue('bad-length', 'arp', off, `ARP addresses need ${total} bytes, the packet has ${end - off}`);
    return;
  }
  if (off + total > end) {
    p.issue('truncated', 'arp', off, `ARP addresses need ${total} bytes, ${end - off} captured`);
    return;
  }
  layer.hlen = total;
  if (ptype === 0x0800 && psize === 4) {
    layer.senderIp = u32(b, spa);
    layer.targetIp = u32(b, tpa);
  }
};

/**
 * ATM ARP: 12 fixed bytes, with the four address lengths (the low 6 bits of the type-and-length
 * bytes) at 4, 5, 9 and 10 and the two protocol address lengths at 8 and 11. Wireshark shows no
 * field at all when they run past the packet; nettrace then leaves hlen at 8.
 */
function checkAtmArp(p: Packet, layer: ArpLayer, end: number): void {
  const b = p.data;
  const off = layer.offset;
  if (end - off < 12) {
    p.issue('truncated', 'arp', off, `ATM ARP header needs 12 bytes, ${end - off} captured`);
    return;
  }
  const spln = b[off + 8]!;
  const tpln = b[off + 11]!;
  layer.shaOffset = off + 12;
  layer.spaOffset = layer.shaOffset + (b[off + 4]! & 63) + (b[off + 5]! & 63);
  layer.thaOffset = layer.spaOffset + spln;
  layer.tpaOffset = layer.thaOffset + (b[off + 9]! & 63) + (b[off + 10]! & 63);
  const total = layer.tpaOffset + tpln - off;
  if (off + total > wireEnd(p, end)) {
    p.issue('bad-length', 'arp', off, `ATM ARP addresses need ${total} bytes, the packet has ${end - off}`);
    return;
  }
  if (off + total > end) {
    p.issue('truncated', 'arp', off, `ATM ARP addresses need ${total} bytes, ${end - off} captured`);
    return;
  }
  layer.hlen = total;
  if (layer.ptype === 0x0800 && spln === 4 && tpln === 4) {
    layer.senderIp = u32(b, layer.spaOffset);
    layer.targetIp = u32(b, layer.tpaOffset);
  }
}

function isMac(l: ArpLayer): boolean {
  return (l.htype === ARPHRD_ETHER || l.htype === ARPHRD_IEEE802) && l.hsize === 6;
}

function isIpv4(l: ArpLayer): boolean {
  return (l.ptype === 0x0800 || l.ptype === 0xcc) && l.psize === 4;
}

function isAx25(l: ArpLayer): boolean {
  return l.htype === 3 && l.hsize === 7;
}

/** The four address fields are shown when all four were there (then hlen grew past 8). */
function addressesShown(l: ArpLayer): boolean {
  return l.hlen > 8 && l.htype !== ARPHRD_ATM2225;
}

function hwAddr(l: ArpLayer, p: Packet, at: number, asMac: boolean): string | undefined {
  if (!addressesShown(l) || l.hsize === 0 || asMac !== isMac(l) || isAx25(l)) return undefined;
  return asMac ? macAt(p.data, at) : hexBytes(p.data, at, l.hsize, '');
}

function protoAddr(l: ArpLayer, p: Packet, at: number, asIpv4: boolean): string | undefined {
  if (!addressesShown(l) || l.psize === 0 || asIpv4 !== isIpv4(l)) return undefined;
  return asIpv4 ? ipv4At(p.data, at) : hexBytes(p.data, at, l.psize, '');
}

/** An ATM ARP protocol address: IPv4 when the protocol is 0x0800 and its length byte says 4. */
function atmIpv4(l: ArpLayer, p: Packet, lenAt: number, at: number): string | undefined {
  return l.hlen > 8 && l.ptype === 0x0800 && p.data[l.offset + lenAt] === 4 ? ipv4At(p.data, at) : undefined;
}

/** Fixed-header fields: for ATM ARP only when its addresses fit (Wireshark shows none otherwise). */
function shown(l: ArpLayer, text: string): string | undefined {
  return l.htype !== ARPHRD_ATM2225 || l.hlen > 8 ? text : undefined;
}

export const arpFields: FieldTable<ArpLayer> = {
  'arp.hw.type': (l) => shown(l, String(l.htype)),
  'arp.proto.type': (l) => shown(l, hex(l.ptype, 4)),
  'arp.hw.size': (l) => (l.htype === ARPHRD_ATM2225 ? undefined : String(l.hsize)),
  'arp.proto.size': (l) => (l.htype === ARPHRD_ATM2225 ? undefined : String(l.psize)),
  'arp.opcode': (l) => shown(l, String(l.opcode)),
  'arp.src.hw_mac': (l, p) => hwAddr(l, p, l.shaOffset, true),
  'arp.src.hw': (l, p) => hwAddr(l, p, l.shaOffset, false),
  'arp.src.proto_ipv4': (l, p) =>
    l.htype === ARPHRD_ATM2225 ? atmIpv4(l, p, 8, l.spaOffset) : protoAddr(l, p, l.spaOffset, true),
  'arp.src.proto': (l, p) => protoAddr(l, p, l.spaOffset, false),
  'arp.dst.hw_mac': (l, p) => hwAddr(l, p, l.thaOffset, true),
  'arp.dst.hw': (l, p) => hwAddr(l, p, l.thaOffset, false),
  'arp.dst.proto_ipv4': (l, p) =>
    l.htype === ARPHRD_ATM2225 ? atmIpv4(l, p, 11, l.tpaOffset) : protoAddr(l, p, l.tpaOffset, true),
  'arp.dst.proto': (l, p) => protoAddr(l, p, l.tpaOffset, false),
};
