// A decoded packet: the captured bytes, the layers found in them (outer first) and the issues met.
// Decoders never throw on packet bytes; they push an issue and stop descending.
import type { Dissector } from './dissector.ts';
import type { Layer } from './layers.ts';

export type IssueCode =
  | 'truncated' // the capture ends before the header (or the length it declares) does
  | 'malformed' // a field holds a value the protocol forbids
  | 'bad-length' // a length field disagrees with the bytes around it
  | 'loop' // a compression pointer or nesting loops
  | 'too-deep' // more nested layers than the dissector allows
  | 'internal'; // a decoder threw: a bug, reported instead of crashing

export interface DecodeIssue {
  code: IssueCode;
  /** Wireshark-style protocol name of the layer that reported it (`ip`, `dns`, ...). */
  layer: string;
  /** Byte offset within the frame. */
  offset: number;
  message: string;
}

/** One bit per layer protocol, for `Packet.protos`. */
export const PROTO_BITS = {
  sll: 1 << 0,
  null: 1 << 1,
  eth: 1 << 2,
  vlan: 1 << 3,
  mpls: 1 << 4,
  arp: 1 << 5,
  ip: 1 << 6,
  ipv6: 1 << 7,
  icmp: 1 << 8,
  icmpv6: 1 << 9,
  tcp: 1 << 10,
  udp: 1 << 11,
  vxlan: 1 << 12,
  geneve: 1 << 13,
  dns: 1 << 14,
  http: 1 << 15,
} as const satisfies Record<Layer['proto'], number>;

export class Packet {
  readonly layers: Layer[] = [];
  issues: DecodeIssue[] | undefined;
  /** How many layers deep the current decode is; guards against nesting bombs. */
  depth = 0;
  /**
   * The PROTO_BITS of the layers added with `add`, and how many were: when that is all of `layers`,
   * `protos` says which protocols the packet holds without a look at each layer.
   */
  protos = 0;
  added = 0;

  constructor(
    /** The captured bytes of this frame (a view: copy it to keep it past the reader's next record). */
    readonly data: Uint8Array,
    /** The frame's length on the wire (pcap orig_len). */
    readonly origLen: number,
    readonly linktype: number,
  ) {}

  /** Appends a decoded layer; `bit` is its PROTO_BITS entry. */
  add(layer: Layer, bit: number): void {
    this.layers.push(layer);
    this.protos |= bit;
    this.added++;
  }

  issue(code: IssueCode, layer: string, offset: number, message: string): void {
    const issue: DecodeIssue = { code, layer, offset, message };
    if (this.issues) this.issues.push(issue);
    else this.issues = [issue];
  }

  /** The last layer with this protocol name (the innermost), if any. */
  innermost<P extends Layer['proto']>(proto: P): Extract<Layer, { proto: P }> | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      if (l.proto === proto) return l as Extract<Layer, { proto: P }>;
    }
    return undefined;
  }
}

/**
 * Decodes one protocol's header at `off`; `end` is where this protocol's bytes end in `p.data`
 * (never past the captured length). It pushes its layer onto `p.layers`, then hands the payload on
 * through `d` (`d.next(...)`), and never throws.
 */
export type Decoder = (p: Packet, off: number, end: number, d: Dissector) => void;
