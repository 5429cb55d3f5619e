// Dispatch tables as data, per instance (Wireshark's dissector tables): link type, ethertype,
// IP protocol and TCP/UDP port map to a decoder. `decodeAs` overrides an entry for one run.
import { NettraceError } from '../errors.ts';
import { type Decoder, Packet } from './packet.ts';

export type TableName = 'linktype' | 'ethertype' | 'ip.proto' | 'udp.port' | 'tcp.port';
export const TABLE_NAMES: readonly TableName[] = [
  'linktype',
  'ethertype',
  'ip.proto',
  'udp.port',
  'tcp.port',
];

export class Dissector {
  readonly tables: Record<TableName, Map<number, Decoder>>;
  /** Layers deeper than this are not decoded (a `too-deep` issue instead). */
  maxDepth = 24;

  constructor(
    /** Decoders by name, for `decodeAs` (`vxlan`, `geneve`, `dns`, `http`, ...). */
    readonly decoders: ReadonlyMap<string, Decoder>,
    tables?: Partial<Record<TableName, Map<number, Decoder>>>,
  ) {
    this.tables = {
      linktype: new Map(tables?.linktype),
      ethertype: new Map(tables?.ethertype),
      'ip.proto': new Map(tables?.['ip.proto']),
      'udp.port': new Map(tables?.['udp.port']),
      'tcp.port': new Map(tables?.['tcp.port']),
    };
  }

  /** An independent copy whose tables can be changed without touching this one. */
  clone(): Dissector {
    return new Dissector(this.decoders, this.tables);
  }

  /** Decodes one frame. Never throws: a decoder bug becomes an `internal` issue. */
  decode(data: Uint8Array, origLen: number, linktype: number): Packet {
    const p = new Packet(data, origLen, linktype);
    try {
      const dec = this.tables.linktype.get(linktype);
      if (dec) dec(p, 0, data.length, this);
      else p.issue('malformed', 'frame', 0, `link type ${linktype} is not supported`);
    } catch (e) {
      p.issue('internal', 'frame', 0, `decoder error: ${(e as Error).message}`);
    }
    return p;
  }

  /** Hands the bytes [off, end) to the decoder registered for `key`; false when there is none. */
  next(table: TableName, key: number, p: Packet, off: number, end: number): boolean {
    const dec = this.tables[table].get(key);
    if (!dec) return false;
    return this.call(dec, p, off, end);
  }

  /** Port dispatch as Wireshark does it: the lower port is tried first, then the higher. */
  nextPort(
    table: 'udp.port' | 'tcp.port',
    a: number,
    b: number,
    p: Packet,
    off: number,
    end: number,
  ): boolean {
    const t = this.tables[table];
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const dec = t.get(lo) ?? t.get(hi);
    if (!dec) return false;
    return this.call(dec, p, off, end);
  }

  call(dec: Decoder, p: Packet, off: number, end: number): boolean {
    if (p.depth >= this.maxDepth) {
      p.issue('too-deep', 'frame', off, `more than ${this.maxDepth} nested layers`);
      return true;
    }
    p.depth++;
    dec(p, off, end, this);
    p.depth--;
    return true;
  }

  /**
   * Applies one "decode as" rule: `udp.port==4790:vxlan`, `tcp.port==8443:http`,
   * `ethertype==0x88b5:eth`, `ip.proto==253:udp`; `:none` removes the entry.
   */
  decodeAs(rule: string): void {
    const m = /^\s*([a-z.]+)\s*==\s*(0x[0-9a-fA-F]+|\d+)\s*:\s*([a-z0-9_-]+)\s*$/.exec(rule);
    if (!m) {
      throw new NettraceError(
        'bad-decode-as',
        `--decode-as "${rule}": expected TABLE==VALUE:PROTOCOL, e.g. udp.port==4790:vxlan`,
      );
    }
    const table = m[1] as TableName;
    if (!TABLE_NAMES.includes(table)) {
      throw new NettraceError(
        'bad-decode-as',
        `--decode-as "${rule}": unknown table "${m[1]}" (one of ${TABLE_NAMES.join(', ')})`,
      );
    }
    const key = Number(m[2]);
    const name = m[3]!;
    if (name === 'none') {
      this.tables[table].delete(key);
      return;
    }
    const dec = this.decoders.get(name);
    if (!dec) {
      throw new NettraceError(
        'bad-decode-as',
        `--decode-as "${rule}": unknown protocol "${name}" (one of ${[...this.decoders.keys()].sort().join(', ')}, none)`,
      );
    }
    this.tables[table].set(key, dec);
  }
}
