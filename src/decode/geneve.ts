// Geneve (RFC 8926): 8 fixed bytes, then up to 252 bytes of TLV options, then the inner frame named
// by an ethertype (0x6558 Ethernet, 0x0800 IPv4, 0x86dd IPv6). OVN puts its logical ingress and
// egress port keys in one option (class 0x0102, type 0x80), which is what ties a tunnelled packet
// to the pod ports it came from and goes to.
import { hex, u16, u24, u32 } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import type { GeneveLayer, GeneveOption } from './layers.ts';
import { type Packet, PROTO_BITS } from './packet.ts';

const OVN_CLASS = 0x0102;
/**
 * The options of a header that has none: one shared array, frozen so nothing can add to it. The
 * first option makes an array of exactly one (OVN sends one), not one with room for 16.
 */
const NO_OPTIONS = Object.freeze([]) as unknown as GeneveOption[];
const OVN_TYPE = 0x80;

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Variable-Length Options                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Each option:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |      Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Variable-Length Option Data (Length x 4 bytes)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * OVN's option data (class 0x0102, type 0x80, length 1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|  Ingress logical port key  |   Egress logical port key     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export function decodeGeneve(p: Packet, off: number, end: number, d: Dissector): void {
  const b = p.data;
  if (end - off < 8) {
    p.issue('truncated', 'geneve', off, `Geneve header needs 8 bytes, ${Math.max(end - off, 0)} captured`);
    return;
  }
  const version = b[off]! >>> 6;
  const optLen = (b[off]! & 0x3f) << 2;
  const layer: GeneveLayer = {
    proto: 'geneve',
    offset: off,
    hlen: 8 + optLen,
    version,
    optLen,
    oam: (b[off + 1]! & 0x80) !== 0,
    critical: (b[off + 1]! & 0x40) !== 0,
    protocolType: u16(b, off + 2),
    vni: u24(b, off + 4),
    options: NO_OPTIONS,
    ovn: undefined,
  };
  p.add(layer, PROTO_BITS.geneve);
  // tshark flags an unknown version but still decodes the rest; so do we
  if (version !== 0) p.issue('malformed', 'geneve', off, `unknown Geneve version ${version}`);
  const optEnd = off + 8 + optLen;
  if (optEnd > end) {
    p.issue('truncated', 'geneve', off + 8, `options are ${optLen} bytes, ${end - off - 8} captured`);
    return;
  }
  let o = off + 8;
  while (o < optEnd) {
    // optLen is a multiple of 4, so an option header always fits in what is left
    const dataLen = (b[o + 3]! & 0x1f) << 2;
    if (o + 4 + dataLen > optEnd) {
      p.issue('bad-length', 'geneve', o, `option of ${4 + dataLen} bytes runs past the end of the options`);
      break;
    }
    const cls = u16(b, o);
    const type = b[o + 2]!;
    const opt: GeneveOption = { class: cls, type, length: dataLen, dataOffset: o + 4 };
    if (layer.options === NO_OPTIONS) layer.options = [opt];
    else layer.options.push(opt);
    if (cls === OVN_CLASS && type === OVN_TYPE && dataLen === 4) {
      const v = u32(b, o + 4);
      layer.ovn = { ingressPort: (v >>> 16) & 0x7fff, egressPort: v & 0xffff };
    }
    o += 4 + dataLen;
  }
  if (end > optEnd) d.nextEthertype(layer.protocolType, p, optEnd, end);
}

export const geneveFields: FieldTable<GeneveLayer> = {
  'geneve.version': (l) => String(l.version),
  'geneve.flags': (l, p) => hex(p.data[l.offset + 1]!, 2),
  'geneve.flags.oam': (l) => (l.oam ? '1' : '0'),
  'geneve.flags.critical': (l) => (l.critical ? '1' : '0'),
  'geneve.proto_type': (l) => hex(l.protocolType, 4),
  'geneve.vni': (l) => hex(l.vni, 6),
  'geneve.option.class': (l) => l.options.map((o) => hex(o.class, 4)),
  'geneve.option.type': (l) => l.options.map((o) => hex(o.type, 2)),
  'geneve.option.type.critical': (l) => l.options.map((o) => (o.type & 0x80 ? '1' : '0')),
  'geneve.option.flags': (l, p) => l.options.map((o) => hex(p.data[o.dataOffset - 1]! & 0xe0, 2)),
  // tshark uses this one name twice: the header's options length, then each option's full size
  'geneve.option.length': (l) => [String(l.optLen), ...l.options.map((o) => String(o.length + 4))],
};
