// MPLS label stack entries (RFC 3032), one layer per entry, outer first. After the bottom of the
// stack the payload has no type field: like Wireshark, an IP version nibble of 4 or 6 picks IPv4
// or IPv6; anything else (pseudowires) is left undecoded.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                Label                  | TC  |S|      TTL      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { u32 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import type { MplsLayer } from './layers.ts';
import { type Decoder, PROTO_BITS } from './packet.ts';

/** More entries than this is not a label stack but garbage. */
const MAX_ENTRIES = 16;

export const decodeMpls: Decoder = (p, off, end, d) => {
  for (let n = 0; n < MAX_ENTRIES; n++) {
    if (end - off < 4) {
      p.issue('truncated', 'mpls', off, `MPLS label stack entry needs 4 bytes, ${end - off} captured`);
      return;
    }
    const v = u32(p.data, off);
    const layer: MplsLayer = {
      proto: 'mpls',
      offset: off,
      hlen: 4,
      label: v >>> 12,
      tc: (v >>> 9) & 7,
      bottom: (v >>> 8) & 1,
      ttl: v & 0xff,
    };
    p.add(layer, PROTO_BITS.mpls);
    off += 4;
    if (layer.bottom) {
      if (off >= end) return;
      const version = p.data[off]! >>> 4;
      if (version === 4) d.nextEthertype(0x0800, p, off, end);
      else if (version === 6) d.nextEthertype(0x86dd, p, off, end);
      return;
    }
  }
  p.issue('malformed', 'mpls', off, `more than ${MAX_ENTRIES} MPLS labels without a bottom of stack`);
};

export const mplsFields: FieldTable<MplsLayer> = {
  'mpls.label': (l) => String(l.label),
  'mpls.exp': (l) => String(l.tc),
  'mpls.bottom': (l) => String(l.bottom),
  'mpls.ttl': (l) => String(l.ttl),
};
