// ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | errors 1-4: unused / MTU (2) / pointer (4), then as much of   |
//  |   the offending packet as fits                                |
//  | echo 128/129: Identifier(16) Sequence(16), data               |
//  | RS 133: reserved(32), options                                 |
//  | RA 134: Cur Hop Limit(8) Flags(8) Router Lifetime(16)         |
//  |         Reachable Time(32) Retrans Timer(32), options         |
//  | NS 135 / NA 136: reserved or R|S|O flags (32), Target(128), options |
//  | Redirect 137: reserved(32), Target(128), Destination(128), options  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// ND options: Type(8), Length(8, in units of 8 bytes, so 0 is malformed), data. Errors quote the
// offending IPv6 packet: it is decoded as further layers after this one.
import { hex, ipv6At, u16, u32 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import { decodeIpv6 } from './ipv6.ts';
import type { Icmpv6Layer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

/** Fixed part (header included) of each ND message before its options. */
function ndFixed(type: number): number {
  switch (type) {
    case 133:
      return 8;
    case 134:
      return 16;
    case 135:
    case 136:
      return 24;
    case 137:
      return 40;
    default:
      return 0;
  }
}

export const decodeIcmpv6: Decoder = (p, off, end, d) => {
  const b = p.data;
  if (end - off < 4) {
    p.issue('truncated', 'icmpv6', off, `ICMPv6 header needs 4 bytes, ${end - off} captured`);
    return;
  }
  const type = b[off]!;
  const layer: Icmpv6Layer = {
    proto: 'icmpv6',
    offset: off,
    hlen: 4,
    type,
    code: b[off + 1]!,
    checksum: u16(b, off + 2),
    embedded: false,
  };
  p.add(layer, PROTO_BITS.icmpv6);
  const fixed = type >= 1 && type <= 4 ? 8 : type === 128 || type === 129 ? 8 : ndFixed(type);
  if (fixed === 0) return;
  if (end - off < fixed) {
    p.issue('truncated', 'icmpv6', off, `ICMPv6 type ${type} needs ${fixed} bytes, ${end - off} captured`);
    // Wireshark still shows the leading fields that are there.
    if ((type === 128 || type === 129) && end - off >= 6) layer.ident = u16(b, off + 4);
    if (type === 134 && end - off >= 8) {
      layer.hlen = end - off >= 12 ? 12 : 8;
      layer.ra = {
        curHopLimit: b[off + 4]!,
        flags: b[off + 5]!,
        lifetime: u16(b, off + 6),
        reachable: 0,
        retrans: 0,
      };
      if (layer.hlen === 12) layer.ra.reachable = u32(b, off + 8);
    }
    return;
  }
  layer.hlen = fixed;
  if (type <= 4) {
    if (end - off > 8) {
      layer.embedded = true;
      d.call(decodeIpv6, p, off + 8, end);
    }
    return;
  }
  if (type === 128 || type === 129) {
    layer.ident = u16(b, off + 4);
    layer.seq = u16(b, off + 6);
    return;
  }
  if (type === 134) {
    layer.ra = {
      curHopLimit: b[off + 4]!,
      flags: b[off + 5]!,
      lifetime: u16(b, off + 6),
      reachable: u32(b, off + 8),
      retrans: u32(b, off + 12),
    };
  } else if (type !== 133) {
    layer.target = ipv6At(b, off + 8);
  }
  walkOptions(p, layer, off + fixed, end);
};

function walkOptions(p: Packet, layer: Icmpv6Layer, start: number, end: number): void {
  const b = p.data;
  let o = start;
  while (o < end) {
    if (o + 2 > end) {
      p.issue('truncated', 'icmpv6', o, `ND option header cut off after ${end - o} byte`);
      return;
    }
    const type = b[o]!;
    const length = b[o + 1]! << 3;
    layer.options ??= [];
    layer.options.push({ type, length, offset: o });
    if (length === 0) {
      p.issue('malformed', 'icmpv6', o, `ND option ${type} has length 0`);
      return;
    }
    if (o + length > end) {
      p.issue('truncated', 'icmpv6', o, `ND option ${type} (${length} bytes) cut off after ${end - o} bytes`);
      return;
    }
    o += length;
  }
}

function targetField(type: number) {
  return (l: Icmpv6Layer) => (l.type === type ? l.target : undefined);
}

export const icmpv6Fields: FieldTable<Icmpv6Layer> = {
  'icmpv6.type': (l) => String(l.type),
  'icmpv6.code': (l) => String(l.code),
  'icmpv6.checksum': (l) => hex(l.checksum, 4),
  'icmpv6.echo.identifier': (l) => (l.ident === undefined ? undefined : hex(l.ident, 4)),
  'icmpv6.echo.sequence_number': (l) => (l.seq === undefined ? undefined : String(l.seq)),
  'icmpv6.nd.ns.target_address': targetField(135),
  'icmpv6.nd.na.target_address': targetField(136),
  'icmpv6.nd.rd.target_address': targetField(137),
  'icmpv6.rd.na.destination_address': (l, p) => (l.type === 137 ? ipv6At(p.data, l.offset + 24) : undefined),
  'icmpv6.nd.na.flag': (l, p) => (l.type === 136 && l.target ? hex(u32(p.data, l.offset + 4), 8) : undefined),
  'icmpv6.nd.ra.cur_hop_limit': (l) => (l.ra ? String(l.ra.curHopLimit) : undefined),
  'icmpv6.nd.ra.flag': (l) => (l.ra ? hex(l.ra.flags, 2) : undefined),
  'icmpv6.nd.ra.router_lifetime': (l) => (l.ra ? String(l.ra.lifetime) : undefined),
  'icmpv6.nd.ra.reachable_time': (l) => (l.ra && l.hlen >= 12 ? String(l.ra.reachable) : undefined),
  'icmpv6.nd.ra.retrans_timer': (l) => (l.ra && l.hlen >= 16 ? String(l.ra.retrans) : undefined),
  'icmpv6.mtu': (l, p) => (l.type === 2 && l.hlen >= 8 ? String(u32(p.data, l.offset + 4)) : undefined),
  'icmpv6.pointer': (l, p) => (l.type === 4 && l.hlen >= 8 ? String(u32(p.data, l.offset + 4)) : undefined),
  'icmpv6.opt.type': (l) => l.options?.map((o) => String(o.type)),
  'icmpv6.opt.length': (l) => l.options?.map((o) => String(o.length >>> 3)),
};
