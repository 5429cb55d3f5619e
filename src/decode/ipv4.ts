// IPv4 (RFC 791).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |   DS field    |          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options (IHL > 5)          |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// What Wireshark does, and so what the fields show:
// - IHL < 5 or a total length shorter than the header: the header is bogus; only the fields read
//   before that point are shown, and nothing past it is decoded.
// - Total length 0: a TSO/GSO super-packet captured before the NIC split it; the length is taken
//   from the frame (tcpdump says "presumed BIG TCP", Wireshark shows that length as ip.len).
// - Total length beyond the packet: flagged, and the bytes that are there are decoded. Beyond only
//   what the capture's snap length kept is not a fault of the packet and is not flagged here.
// - Ethernet padding after the datagram is excluded: the payload ends at the total length.
// - Fragments are not reassembled: the first one's payload is decoded (as tshark does with
//   `-o ip.defragment:FALSE`), later ones are not decoded past this header.
// - Version 6 behind EtherType 0x0800 is handed to IPv6, as Wireshark's "ip" dissector does.
import { hex, ipv4ToString, u16, u32 } from './bytes.ts';
import { wireEnd } from './eth.ts';
import type { FieldTable } from './fields.ts';
import { decodeIpv6, inIcmpQuote } from './ipv6.ts';
import type { Ipv4Layer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

export const decodeIpv4: Decoder = (p, off, end, d) => {
  const b = p.data;
  if (end - off < 20) {
    if (end > off && b[off]! >> 4 === 6) decodeIpv6(p, off, end, d);
    else if (!inIcmpQuote(p, false))
      p.issue('truncated', 'ip', off, `IPv4 header needs 20 bytes, ${end - off} captured`);
    return;
  }
  const version = b[off]! >> 4;
  if (version !== 4) {
    if (version === 6) decodeIpv6(p, off, end, d);
    else p.issue('malformed', 'ip', off, `IPv4 header has version ${version}`);
    return;
  }
  const hlen = (b[off]! & 15) << 2;
  const totalLen = u16(b, off + 2);
  const fo = u16(b, off + 6);
  const layer: Ipv4Layer = {
    proto: 'ip',
    offset: off,
    hlen,
    tos: b[off + 1]!,
    totalLen,
    id: u16(b, off + 4),
    flags: fo >>> 13,
    fragOffset: fo & 0x1fff,
    ttl: b[off + 8]!,
    protocol: b[off + 9]!,
    checksum: u16(b, off + 10),
    src: u32(b, off + 12),
    dst: u32(b, off + 16),
    payloadLen: 0,
    isFragment: (fo & 0x3fff) !== 0,
    gso: false,
  };
  p.add(layer, PROTO_BITS.ip);
  if (hlen < 20) {
    p.issue('malformed', 'ip', off, `IPv4 header length ${hlen} is less than 20`);
    return;
  }
  if (totalLen === 0) {
    layer.gso = true;
    const wire = wireEnd(p, end) - off - hlen;
    layer.payloadLen = Math.max(wire, 0);
  } else if (totalLen < hlen) {
    p.issue('bad-length', 'ip', off, `IPv4 total length ${totalLen} is less than the header length ${hlen}`);
    return;
  } else {
    layer.payloadLen = totalLen - hlen;
  }
  if (off + hlen > end) {
    if (!inIcmpQuote(p, true))
      p.issue('truncated', 'ip', off, `IPv4 options end at byte ${hlen}, ${end - off} captured`);
    return;
  }
  if (hlen > 20) checkOptions(p, off + 20, off + hlen);

  let payEnd = off + hlen + layer.payloadLen;
  if (payEnd > end) {
    if (payEnd > wireEnd(p, end) && !inIcmpQuote(p, true)) {
      p.issue(
        'bad-length',
        'ip',
        off,
        `IPv4 total length ${totalLen} exceeds the ${end - off} bytes of the packet`,
      );
    }
    payEnd = end;
  }
  if (layer.fragOffset !== 0) return;
  d.nextIpProto(layer.protocol, p, off + hlen, payEnd);
};

/** Walks the options for their lengths only (their contents are not fields nettrace shows). */
function checkOptions(p: Packet, start: number, end: number): void {
  const o = badIpv4Option(p.data, start, end);
  if (o < 0) return;
  const type = p.data[o]!;
  const len = o + 1 < end ? p.data[o + 1]! : -1;
  if (len < 0) p.issue('malformed', 'ip', o, `IPv4 option ${type} has no length byte`);
  else if (len < 2) p.issue('malformed', 'ip', o, `IPv4 option ${type} has length ${len}, less than 2`);
  else p.issue('malformed', 'ip', o, `IPv4 option ${type} (length ${len}) runs past the end of the options`);
}

/**
 * The offset of the first IPv4 option in b[start, end) whose length cannot be walked (no length
 * byte, a length below 2, or past the end), or -1 when they all can (the flat decoder's test too).
 */
export function badIpv4Option(b: Uint8Array, start: number, end: number): number {
  let o = start;
  while (o < end) {
    const type = b[o]!;
    if (type === 0) return -1; // end of option list
    if (type === 1) {
      o++; // no-operation
      continue;
    }
    if (o + 1 >= end) return o;
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) return o;
    o += len;
  }
  return -1;
}

/** Fields Wireshark still shows after finding the header bogus: version and header length only. */
function ok(get: (l: Ipv4Layer) => string | string[]) {
  return (l: Ipv4Layer) => (l.hlen < 20 || (l.totalLen !== 0 && l.totalLen < l.hlen) ? undefined : get(l));
}

export const ipFields: FieldTable<Ipv4Layer> = {
  'ip.version': () => '4',
  'ip.hdr_len': (l) => String(l.hlen),
  'ip.dsfield': (l) => (l.hlen < 20 ? undefined : hex(l.tos, 2)),
  'ip.dsfield.dscp': (l) => (l.hlen < 20 ? undefined : String(l.tos >>> 2)),
  'ip.dsfield.ecn': (l) => (l.hlen < 20 ? undefined : String(l.tos & 3)),
  // For a GSO super-packet Wireshark shows the length it took from the frame.
  'ip.len': (l) => (l.hlen < 20 ? undefined : String(l.gso ? l.hlen + l.payloadLen : l.totalLen)),
  'ip.id': ok((l) => hex(l.id, 4)),
  'ip.flags': ok((l) => hex(l.flags, 2)),
  'ip.flags.rb': ok((l) => String(l.flags >>> 2)),
  'ip.flags.df': ok((l) => String((l.flags >>> 1) & 1)),
  'ip.flags.mf': ok((l) => String(l.flags & 1)),
  'ip.frag_offset': ok((l) => String(l.fragOffset)),
  'ip.ttl': ok((l) => String(l.ttl)),
  'ip.proto': ok((l) => String(l.protocol)),
  'ip.checksum': ok((l) => hex(l.checksum, 4)),
  'ip.src': ok((l) => ipv4ToString(l.src)),
  'ip.dst': ok((l) => ipv4ToString(l.dst)),
  'ip.addr': ok((l) => [ipv4ToString(l.src), ipv4ToString(l.dst)]),
  'ip.src_host': ok((l) => ipv4ToString(l.src)),
  'ip.dst_host': ok((l) => ipv4ToString(l.dst)),
};
