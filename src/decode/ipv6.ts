// IPv6 (RFC 8200) and the extension headers before the upper-layer protocol.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version| Traffic Class |           Flow Label                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                                                               |
//  +                  Source Address (128 bits)                    +
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                                                               |
//  +                Destination Address (128 bits)                 +
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Hop-by-Hop (0), Routing (43), Destination Options (60): Next Header, Hdr Ext Len (8-byte units
// beyond the first 8), data. Fragment (44): Next Header, reserved, Offset(13)|Res(2)|M(1), Ident(32).
// AH (51): Next Header, Payload Len (4-byte units minus 2), ... No Next Header (59) ends the chain.
//
// A payload length of 0 means a Jumbo Payload option (RFC 2675) or, far more often today, a GSO/BIG
// TCP super-packet captured before segmentation: for TCP and UDP the length is then taken from the
// frame, as tcpdump does ("presumed BIG TCP"). Wireshark 4.0 instead stops there as malformed.
// Fragments are not reassembled: the first one's payload is decoded (as tshark does with
// `-o ipv6.defragment:FALSE`), later ones are not decoded past the fragment header.
import { hex, ipv6At, u16, u32 } from './bytes.ts';
import { wireEnd } from './eth.ts';
import type { FieldTable } from './fields.ts';
import type { Ipv6Extension, Ipv6Layer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

/** Shared by every packet without extension headers: never pushed to. */
const NO_EXTENSIONS: Ipv6Extension[] = Object.freeze([]) as unknown as Ipv6Extension[];

/**
 * Whether the IP header being decoded is the datagram quoted inside an ICMP or ICMPv6 error (the
 * layer before it is that error). Only the quote's start is there by design, so running short is
 * not reported, as Wireshark does not. `pushed`: the IP layer is already on p.layers.
 */
export function inIcmpQuote(p: Packet, pushed: boolean): boolean {
  const prev = p.layers[p.layers.length - (pushed ? 2 : 1)];
  return prev !== undefined && (prev.proto === 'icmp' || prev.proto === 'icmpv6') && prev.embedded;
}

export const decodeIpv6: Decoder = (p, off, end, d) => {
  const b = p.data;
  if (end - off < 40) {
    if (!inIcmpQuote(p, false))
      p.issue('truncated', 'ipv6', off, `IPv6 header needs 40 bytes, ${end - off} captured`);
    return;
  }
  const version = b[off]! >> 4;
  if (version !== 6) {
    p.issue('malformed', 'ipv6', off, `IPv6 header has version ${version}`);
    return;
  }
  const plen = u16(b, off + 4);
  const nextHeader = b[off + 6]!;
  const layer: Ipv6Layer = {
    proto: 'ipv6',
    offset: off,
    hlen: 40,
    tclass: (u16(b, off) >>> 4) & 0xff,
    flowLabel: u32(b, off) & 0xfffff,
    payloadLen: plen,
    nextHeader,
    hopLimit: b[off + 7]!,
    src: ipv6At(b, off + 8),
    dst: ipv6At(b, off + 24),
    extensions: NO_EXTENSIONS,
    upperProto: nextHeader,
    gso: false,
  };
  p.add(layer, PROTO_BITS.ipv6);

  // Where the payload ends per the header; for length 0 first from the frame, then a Jumbo option.
  let declaredEnd = off + 40 + plen;
  if (plen === 0) {
    layer.gso = true;
    declaredEnd = wireEnd(p, end);
  }
  let nh = nextHeader;
  let o = off + 40;
  for (;;) {
    let len: number;
    if (nh === 44) len = 8;
    else if (nh === 0 || nh === 43 || nh === 60 || nh === 51) {
      if (o + 2 > end) {
        if (!inIcmpQuote(p, true)) p.issue('truncated', 'ipv6', o, `IPv6 extension header ${nh} cut off`);
        return;
      }
      len = nh === 51 ? (b[o + 1]! + 2) << 2 : (b[o + 1]! + 1) << 3;
    } else break;
    if (o + len > end) {
      if (!inIcmpQuote(p, true)) {
        p.issue(
          'truncated',
          'ipv6',
          o,
          `IPv6 extension header ${nh} (${len} bytes) cut off after ${end - o}`,
        );
      }
      return;
    }
    if (layer.extensions === NO_EXTENSIONS) layer.extensions = [];
    layer.extensions.push({ type: nh, offset: o, length: len });
    if (nh === 44) {
      const fo = u16(b, o + 2);
      layer.fragment = { offset: fo >>> 3, more: (fo & 1) === 1, id: u32(b, o + 4) };
    } else if (nh === 0 && plen === 0) {
      const jumbo = findJumbo(b, o + 2, o + len);
      if (jumbo >= 0) {
        layer.gso = false;
        declaredEnd = off + 40 + jumbo;
      }
    }
    nh = b[o]!;
    o += len;
    layer.hlen = o - off;
  }
  layer.upperProto = nh;
  if (layer.gso && nh !== 6 && nh !== 17) {
    // Only TCP and UDP are segmented by GSO: anything else with length 0 is just empty (as
    // Wireshark and tcpdump both see it).
    layer.gso = false;
    p.issue('bad-length', 'ipv6', off, `IPv6 payload length 0 without a Jumbo option for next header ${nh}`);
    return;
  }

  let payEnd = declaredEnd;
  if (o > declaredEnd) {
    p.issue('bad-length', 'ipv6', off, `IPv6 extension headers end past the payload length ${plen}`);
    return;
  }
  if (payEnd > end) {
    if (payEnd > wireEnd(p, end) && !inIcmpQuote(p, true)) {
      p.issue(
        'bad-length',
        'ipv6',
        off,
        `IPv6 payload length ${plen} exceeds the ${end - off - 40} bytes of the packet`,
      );
    }
    payEnd = end;
  }
  if (nh === 59) return;
  if (layer.fragment && layer.fragment.offset !== 0) return;
  d.nextIpProto(nh, p, o, payEnd);
};

/** The Jumbo Payload option's length in a hop-by-hop header's options, or -1. */
function findJumbo(b: Uint8Array, start: number, end: number): number {
  let o = start;
  while (o < end) {
    const type = b[o]!;
    if (type === 0) {
      o++; // Pad1
      continue;
    }
    if (o + 2 > end) return -1;
    const len = b[o + 1]!;
    if (type === 0xc2 && len === 4 && o + 6 <= end) return u32(b, o + 2);
    o += 2 + len;
  }
  return -1;
}

export const ipv6Fields: FieldTable<Ipv6Layer> = {
  'ipv6.version': () => '6',
  'ipv6.tclass': (l) => hex(l.tclass, 8),
  'ipv6.tclass.dscp': (l) => String(l.tclass >>> 2),
  'ipv6.tclass.ecn': (l) => String(l.tclass & 3),
  'ipv6.flow': (l) => hex(l.flowLabel, 6),
  'ipv6.plen': (l) => String(l.payloadLen),
  'ipv6.nxt': (l) => String(l.nextHeader),
  'ipv6.hlim': (l) => String(l.hopLimit),
  'ipv6.src': (l) => l.src,
  'ipv6.dst': (l) => l.dst,
  'ipv6.addr': (l) => [l.src, l.dst],
  'ipv6.src_host': (l) => l.src,
  'ipv6.dst_host': (l) => l.dst,
};
