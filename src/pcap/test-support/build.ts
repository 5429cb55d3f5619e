// Hand-built capture bytes for the reader tests: pcapng blocks in either byte order (with overrides
// for the length fields, which is how the malformed cases are made) and classic pcap files.
// Independent of writer.ts on purpose: the reader is tested against bytes laid out here by hand.

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Little- or big-endian field writer. */
export class Bytes {
  private parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    const b = [(v >>> 8) & 255, v & 255];
    this.parts.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    this.parts.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u64(v: bigint): this {
    const x = BigInt.asUintN(64, v);
    const hi = Number(x >> 32n);
    const lo = Number(x & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array | number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const enc = new TextEncoder();

export interface Opt {
  code: number;
  value: Uint8Array | string;
}

export function options(le: boolean, opts: Opt[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const w = new Bytes(le);
  for (const o of opts) {
    const v = typeof o.value === 'string' ? enc.encode(o.value) : o.value;
    w.u16(o.code).u16(v.length).raw(v).pad4();
  }
  return w.u32(0).done();
}

export interface BlockOverrides {
  /** Leading length field (default: the real length). */
  len?: number;
  /** Trailing length field (default: the leading one). */
  trailer?: number;
}

export function block(le: boolean, type: number, body: Uint8Array, o: BlockOverrides = {}): Uint8Array {
  const padded = new Bytes(le).raw(body).pad4().done();
  const len = o.len ?? 12 + padded.length;
  return new Bytes(le)
    .u32(type)
    .u32(len)
    .raw(padded)
    .u32(o.trailer ?? len)
    .done();
}

export function shb(le: boolean, opts: Opt[] = [], o: BlockOverrides & { major?: number } = {}): Uint8Array {
  const body = new Bytes(le)
    .u32(0x1a2b3c4d)
    .u16(o.major ?? 1)
    .u16(0)
    .u64(-1n)
    .raw(options(le, opts))
    .done();
  return block(le, 0x0a0d0d0a, body, o);
}

export interface IdbSpec {
  linktype?: number;
  snaplen?: number;
  name?: string;
  description?: string;
  tsresol?: number;
  tsoffset?: bigint;
}

export function idb(le: boolean, s: IdbSpec = {}): Uint8Array {
  const opts: Opt[] = [];
  if (s.name !== undefined) opts.push({ code: 2, value: s.name });
  if (s.description !== undefined) opts.push({ code: 3, value: s.description });
  if (s.tsresol !== undefined) opts.push({ code: 9, value: Uint8Array.of(s.tsresol) });
  if (s.tsoffset !== undefined) opts.push({ code: 14, value: new Bytes(le).u64(s.tsoffset).done() });
  const body = new Bytes(le)
    .u16(s.linktype ?? 1)
    .u16(0)
    .u32(s.snaplen ?? 262144)
    .raw(options(le, opts))
    .done();
  return block(le, 1, body);
}

export interface EpbSpec {
  iface?: number;
  /** Timestamp in the interface's units. */
  ts: bigint;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
  comments?: string[];
}

export function epb(le: boolean, s: EpbSpec, o: BlockOverrides = {}): Uint8Array {
  return packetBlock(le, 6, s, o);
}

/** Obsolete Packet Block (type 2): 16-bit interface id and drops count. */
export function opb(le: boolean, s: EpbSpec): Uint8Array {
  return packetBlock(le, 2, s, {});
}

function packetBlock(le: boolean, type: number, s: EpbSpec, o: BlockOverrides): Uint8Array {
  const w = new Bytes(le);
  if (type === 6) w.u32(s.iface ?? 0);
  else w.u16(s.iface ?? 0).u16(0);
  w.u32(Number(s.ts >> 32n))
    .u32(Number(s.ts & 0xffffffffn))
    .u32(s.capLen ?? s.data.length)
    .u32(s.origLen ?? s.data.length)
    .raw(s.data)
    .pad4()
    .raw(
      options(
        le,
        (s.comments ?? []).map((c) => ({ code: 1, value: c })),
      ),
    );
  return block(le, type, w.done(), o);
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).done());
}

/** Name Resolution Block with one IPv4 record and the end record. */
export function nrb(le: boolean): Uint8Array {
  const name = enc.encode('host.example\0');
  const body = new Bytes(le)
    .u16(1)
    .u16(4 + name.length)
    .raw([10, 0, 0, 1])
    .raw(name)
    .pad4()
    .u16(0)
    .u16(0)
    .done();
  return block(le, 4, body);
}

/** Interface Statistics Block for interface 0 with isb_ifrecv. */
export function isb(le: boolean): Uint8Array {
  const body = new Bytes(le)
    .u32(0)
    .u32(0)
    .u32(0)
    .raw(options(le, [{ code: 4, value: new Bytes(le).u64(7n).done() }]))
    .done();
  return block(le, 5, body);
}

/** Custom block (0x0BAD copyable or 0x40000BAD not) with a private enterprise number. */
export function customBlock(le: boolean, type: 0xbad | 0x40000bad): Uint8Array {
  return block(le, type, new Bytes(le).u32(32473).raw([1, 2, 3, 4, 5]).done());
}

export interface PcapRecord {
  sec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  frac: number;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
}

export function pcapFile(
  s: { le?: boolean; nano?: boolean; linktype?: number; snaplen?: number },
  records: PcapRecord[],
): Uint8Array {
  const w = new Bytes(s.le ?? true)
    .u32(s.nano ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(s.snaplen ?? 262144)
    .u32(s.linktype ?? 1);
  for (const r of records) {
    w.u32(r.sec)
      .u32(r.frac)
      .u32(r.capLen ?? r.data.length)
      .u32(r.origLen ?? r.data.length)
      .raw(r.data);
  }
  return w.done();
}

/** A recognisable frame: `n` bytes, byte i = (seed + i) & 255. */
export function frame(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i) & 255;
  return b;
}
