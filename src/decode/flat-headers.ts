// The flat decoder's readers of single headers that need none of its state (flat.ts): each
// returns false where the layer decoder would report an issue or decode further layers.
import { nameText, readPlainName } from './dns-name.ts';
import { DNS_QUERY, type FlatPacket, L4_ICMP } from './flat-packet.ts';
import { PROTO_BITS } from './packet.ts';

// Local copies: V8 on Node 20 does not fold an imported constant into compiled code.
const B_ARP = PROTO_BITS.arp;
const B_DNS = PROTO_BITS.dns;
const B_ICMP = PROTO_BITS.icmp;
const ARPHRD_ATM2225 = 19;

/** TCP options (all captured) walked as decodeTcp parses them: false where it would report an issue. */
export function tcpOptionsOk(b: Uint8Array, start: number, end: number): boolean {
  let o = start;
  while (o < end) {
    const kind = b[o]!;
    if (kind === 0) return true;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return false;
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) return false;
    // MSS 4, window scale 3, SACK permitted 2, SACK 2 + 8n (n >= 1), timestamps 10
    if (
      kind === 2
        ? len !== 4
        : kind === 3
          ? len !== 3
          : kind === 4
            ? len !== 2
            : kind === 8
              ? len !== 10
              : false
    )
      return false;
    if (kind === 5 && (len < 10 || (len - 2) % 8 !== 0)) return false;
    o += len;
  }
  return true;
}

/** An Ethernet/IPv4 ARP message (or any but ATM ARP) whose addresses are all captured. */
export function arp(b: Uint8Array, off: number, end: number, out: FlatPacket): boolean {
  if (end - off < 8 || ((b[off]! << 8) | b[off + 1]!) === ARPHRD_ATM2225) return false;
  // header, two hardware and two protocol addresses
  if (off + 8 + 2 * (b[off + 4]! + b[off + 5]!) > end) return false;
  out.protos |= B_ARP;
  return true;
}

/** A DNS query with one plain question and no records, read as decodeDns reads it (no issue). */
export function dnsQuery(b: Uint8Array, off: number, end: number, out: FlatPacket): boolean {
  if (end - off < 12) return false;
  // QR clear; one question; no answer, authority or additional records
  if (
    (b[off + 2]! & 0x80) !== 0 ||
    ((b[off + 4]! << 8) | b[off + 5]!) !== 1 ||
    (b[off + 6]! | b[off + 7]! | b[off + 8]! | b[off + 9]! | b[off + 10]! | b[off + 11]!) !== 0
  )
    return false;
  const n = readPlainName(b, off + 12, end);
  const q = off + 12 + n;
  if (n < 0 || q + 4 > end) return false;
  out.protos |= B_DNS;
  out.dns = DNS_QUERY;
  out.dnsId = (b[off]! << 8) | b[off + 1]!;
  out.dnsQtype = (b[q]! << 8) | b[q + 1]!;
  out.dnsName = nameText;
  return true;
}

/** An ICMP message that is not an error quoting a packet (those are the Dissector's). */
export function icmp(b: Uint8Array, off: number, end: number, out: FlatPacket): boolean {
  const n = end - off;
  if (n < 4) return false;
  const type = b[off]!;
  const echo = type === 0 || type === 8 || (type >= 13 && type <= 18);
  const error = type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  // Cut short (an issue), or an error quoting a packet (decoded as further layers).
  if (n < 8 ? echo || error : error && n > 8) return false;
  out.protos |= B_ICMP;
  out.l4Off = off;
  out.l4 = L4_ICMP;
  if ((echo || type === 42 || type === 43) && n >= 6) {
    const ident = (b[off + 4]! << 8) | b[off + 5]!;
    out.sport = ident;
    out.dport = ident;
    out.swap = type === 0;
  }
  return true;
}
