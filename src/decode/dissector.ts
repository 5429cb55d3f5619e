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

/** Keys below this (every ethertype, IP protocol and port) are also looked up through an array. */
const DIRECT_KEYS = 0x10000;

/**
 * One dispatch table: a Map for whoever reads or changes it, mirrored in an index array for the
 * lookups every packet makes (a few per packet: a Map lookup hashes, an array load does not).
 */
export class DecoderTable extends Map<number, Decoder> {
  /** Position in `decs` of each direct key's decoder; 0 when there is none. */
  private idx = new Uint16Array(DIRECT_KEYS);
  private readonly decs: (Decoder | undefined)[] = [undefined];

  constructor(entries?: Iterable<readonly [number, Decoder]>) {
    super();
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  override set(key: number, dec: Decoder): this {
    super.set(key, dec);
    if (isDirect(key)) {
      const at = this.idx[key]!;
      if (at !== 0) this.decs[at] = dec;
      else if (this.decs.length < DIRECT_KEYS) {
        this.idx[key] = this.decs.length;
        this.decs.push(dec);
      }
    }
    return this;
  }

  override delete(key: number): boolean {
    if (isDirect(key) && this.idx[key] !== 0) this.decs[this.idx[key]!] = undefined;
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.idx = new Uint16Array(DIRECT_KEYS);
    this.decs.length = 1;
  }

  /** `get` for the per-packet path. */
  find(key: number): Decoder | undefined {
    // Undefined for anything but an integer key below DIRECT_KEYS: those are in the Map only, as
    // are the entries of a table grown past 65535 of them.
    const at = this.idx[key];
    if (at === undefined) return super.get(key);
    return at !== 0 || this.decs.length < DIRECT_KEYS ? this.decs[at] : super.get(key);
  }
}

function isDirect(key: number): boolean {
  return Number.isInteger(key) && key >= 0 && key < DIRECT_KEYS;
}

export class Dissector {
  readonly tables: Readonly<Record<TableName, DecoderTable>>;
  /** Layers deeper than this are not decoded (a `too-deep` issue instead). */
  maxDepth = 24;
  // The tables again, as fields: the per-packet calls below name their table statically.
  private readonly linktypes: DecoderTable;
  private readonly ethertypes: DecoderTable;
  private readonly ipProtos: DecoderTable;
  private readonly udpPorts: DecoderTable;
  private readonly tcpPorts: DecoderTable;

  constructor(
    /** Decoders by name, for `decodeAs` (`vxlan`, `geneve`, `dns`, `http`, ...). */
    readonly decoders: ReadonlyMap<string, Decoder>,
    tables?: Partial<Record<TableName, ReadonlyMap<number, Decoder>>>,
  ) {
    this.tables = {
      linktype: new DecoderTable(tables?.linktype),
      ethertype: new DecoderTable(tables?.ethertype),
      'ip.proto': new DecoderTable(tables?.['ip.proto']),
      'udp.port': new DecoderTable(tables?.['udp.port']),
      'tcp.port': new DecoderTable(tables?.['tcp.port']),
    };
    this.linktypes = this.tables.linktype;
    this.ethertypes = this.tables.ethertype;
    this.ipProtos = this.tables['ip.proto'];
    this.udpPorts = this.tables['udp.port'];
    this.tcpPorts = this.tables['tcp.port'];
  }

  /** An independent copy whose tables can be changed without touching this one. */
  clone(): Dissector {
    return new Dissector(this.decoders, this.tables);
  }

  /** Decodes one frame. Never throws: a decoder bug becomes an `internal` issue. */
  decode(data: Uint8Array, origLen: number, linktype: number): Packet {
    const p = new Packet(data, origLen, linktype);
    try {
      const dec = this.linktypes.find(linktype);
      if (dec) dec(p, 0, data.length, this);
      else p.issue('malformed', 'frame', 0, `link type ${linktype} is not supported`);
    } catch (e) {
      p.issue('internal', 'frame', 0, `decoder error: ${(e as Error).message}`);
    }
    return p;
  }

  /** Hands the bytes [off, end) to the decoder registered for `key`; false when there is none. */
  next(table: TableName, key: number, p: Packet, off: number, end: number): boolean {
    const dec = this.tables[table].find(key);
    if (!dec) return false;
    return this.call(dec, p, off, end);
  }

  /** `next('ethertype', ...)`. */
  nextEthertype(key: number, p: Packet, off: number, end: number): boolean {
    const dec = this.ethertypes.find(key);
    if (!dec) return false;
    return this.call(dec, p, off, end);
  }

  /** `next('ip.proto', ...)`. */
  nextIpProto(key: number, p: Packet, off: number, end: number): boolean {
    const dec = this.ipProtos.find(key);
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
    const t = table === 'tcp.port' ? this.tcpPorts : this.udpPorts;
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const dec = t.find(lo) ?? t.find(hi);
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
