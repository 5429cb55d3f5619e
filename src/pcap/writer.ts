// pcapng writer: one little-endian section, one Interface Description Block per capture point,
// Enhanced Packet Blocks with comments. Block layouts are drawn in pcapng.ts.
//
// Timestamps are written in the interface's units (if_tsresol 9 = ns by default, 6 = µs), the
// 64-bit count split into two 32-bit halves without BigInt (see splitUnits).
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { NettraceError } from '../errors.ts';

export interface WriterInterface {
  linktype: number;
  /** Default 262144, as tcpdump writes. */
  snaplen?: number;
  name?: string;
  description?: string;
  /** Timestamp resolution; default 'ns'. */
  tsresol?: 'us' | 'ns';
}

export interface WriterPacket {
  tsSec: number;
  /** Nanoseconds; values outside [0, 1e9) are carried into tsSec. */
  tsNsec: number;
  data: Uint8Array;
  /** Length on the wire; default data.length. */
  origLen?: number;
  comment?: string;
}

export interface PcapngWriterOptions {
  /** shb_userappl; default "nettrace". */
  application?: string;
  /** Section comment. */
  comment?: string;
}

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_EPB = 6;
const MAX_OPTION = 0xffff;
const TWO32 = 4294967296;

const enc = new TextEncoder();

/** Little-endian block under construction. */
class BlockBuf {
  readonly b: Uint8Array;
  readonly v: DataView;
  p = 8;
  constructor(type: number, size: number) {
    this.b = new Uint8Array(size);
    this.v = new DataView(this.b.buffer);
    this.v.setUint32(0, type, true);
  }
  u16(x: number): void {
    this.v.setUint16(this.p, x, true);
    this.p += 2;
  }
  u32(x: number): void {
    this.v.setUint32(this.p, x, true);
    this.p += 4;
  }
  bytes(x: Uint8Array): void {
    this.b.set(x, this.p);
    this.p += (x.length + 3) & ~3;
  }
  option(code: number, value: Uint8Array): void {
    this.u16(code);
    this.u16(value.length);
    this.bytes(value);
  }
  finish(): Uint8Array {
    const len = this.p + 4;
    this.v.setUint32(4, len, true);
    this.v.setUint32(this.p, len, true);
    return len === this.b.length ? this.b : this.b.subarray(0, len);
  }
}

/** Size of an option holding `n` value bytes, padding included. */
function optSize(n: number): number {
  return 4 + ((n + 3) & ~3);
}

/** UTF-8 bytes of an option string, cut at a character boundary to fit the 16-bit length. */
function optString(s: string): Uint8Array {
  const b = enc.encode(s);
  if (b.length <= MAX_OPTION) return b;
  let n = MAX_OPTION;
  while (n > 0 && (b[n]! & 0xc0) === 0x80) n--;
  return b.subarray(0, n);
}

function optionsSize(values: (Uint8Array | undefined)[]): number {
  let n = 0;
  for (const v of values) if (v !== undefined) n += optSize(v.length);
  return n === 0 ? 0 : n + 4; // + opt_endofopt
}

interface Iface {
  units: number; // per second: 1e6 or 1e9
}

export class PcapngWriter {
  private readonly ifaces: Iface[] = [];

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    opts: PcapngWriterOptions = {},
  ) {
    const appl = optString(opts.application ?? 'nettrace');
    const comment = opts.comment === undefined || opts.comment === '' ? undefined : optString(opts.comment);
    const w = new BlockBuf(BT_SHB, 28 + optionsSize([appl, comment]));
    w.u32(0x1a2b3c4d);
    w.u16(1);
    w.u16(0);
    w.u32(0xffffffff); // section length -1: not known while streaming
    w.u32(0xffffffff);
    if (comment !== undefined) w.option(1, comment);
    w.option(4, appl);
    w.u32(0);
    this.sink(w.finish());
  }

  /** Declares an interface; returns its id for writePacket. */
  addInterface(i: WriterInterface): number {
    if (!Number.isInteger(i.linktype) || i.linktype < 0 || i.linktype > 0xffff) {
      throw new NettraceError(
        'invalid-argument',
        `pcapng writer: link type ${i.linktype} is not a 16-bit number`,
      );
    }
    const snaplen = i.snaplen ?? 262144;
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen >= TWO32) {
      throw new NettraceError('invalid-argument', `pcapng writer: snaplen ${snaplen} is not a 32-bit number`);
    }
    const name = i.name === undefined || i.name === '' ? undefined : optString(i.name);
    const desc = i.description === undefined || i.description === '' ? undefined : optString(i.description);
    const ns = (i.tsresol ?? 'ns') === 'ns';
    const tsresol = Uint8Array.of(ns ? 9 : 6);
    const w = new BlockBuf(BT_IDB, 20 + optionsSize([name, desc, tsresol]));
    w.u16(i.linktype);
    w.u16(0);
    w.u32(snaplen);
    if (name !== undefined) w.option(2, name);
    if (desc !== undefined) w.option(3, desc);
    w.option(9, tsresol);
    w.u32(0);
    this.sink(w.finish());
    this.ifaces.push({ units: ns ? 1e9 : 1e6 });
    return this.ifaces.length - 1;
  }

  writePacket(ifaceId: number, p: WriterPacket): void {
    const iface = this.ifaces[ifaceId];
    if (iface === undefined) {
      throw new NettraceError('invalid-argument', `pcapng writer: no interface ${ifaceId} (add it first)`);
    }
    const capLen = p.data.length;
    const origLen = p.origLen ?? capLen;
    if (!Number.isInteger(origLen) || origLen < 0 || origLen >= TWO32) {
      throw new NettraceError(
        'invalid-argument',
        `pcapng writer: original length ${origLen} is not a 32-bit number`,
      );
    }
    // Normalise out-of-range nanoseconds (classic pcap can hold them) into whole seconds.
    let sec = p.tsSec;
    let nsec = p.tsNsec;
    if (nsec < 0 || nsec >= 1e9) {
      const carry = Math.floor(nsec / 1e9);
      sec += carry;
      nsec -= carry * 1e9;
    }
    if (!Number.isInteger(sec) || !Number.isInteger(nsec) || sec < 0 || sec >= 2 ** 34) {
      throw new NettraceError(
        'invalid-argument',
        `pcapng writer: timestamp ${p.tsSec}.${p.tsNsec} is out of range`,
      );
    }
    const frac = iface.units === 1e9 ? nsec : Math.floor(nsec / 1000);
    splitUnits(sec, iface.units, frac, split);
    const comment = p.comment === undefined || p.comment === '' ? undefined : optString(p.comment);
    const w = new BlockBuf(BT_EPB, 32 + ((capLen + 3) & ~3) + optionsSize([comment]));
    w.u32(ifaceId);
    w.u32(split.hi);
    w.u32(split.lo);
    w.u32(capLen);
    w.u32(origLen);
    w.bytes(p.data);
    if (comment !== undefined) {
      w.option(1, comment);
      w.u32(0);
    }
    this.sink(w.finish());
  }
}

const split = { hi: 0, lo: 0 };

/**
 * hi:lo = sec * units + frac exactly, for sec < 2^34 and units <= 1e9 (< 2^30). The product can
 * reach 2^64, beyond a double's 2^53, so sec is split into 16-bit pieces whose partial products
 * stay below 2^50.
 */
function splitUnits(sec: number, units: number, frac: number, out: { hi: number; lo: number }): void {
  const s1 = Math.floor(sec / 65536);
  const s0 = sec - s1 * 65536;
  const high = s1 * units; // the part worth 2^16 each, < 2^48
  const highLo = high % 65536;
  const low = highLo * 65536 + s0 * units + frac; // < 2^32 + 2^46 + 2^30
  const lowRem = low % TWO32;
  out.hi = (high - highLo) / 65536 + (low - lowRem) / TWO32;
  out.lo = lowRem;
}

/**
 * Writes a pcapng file (mode 0600: captures can hold secrets) with whatever `fill` writes
 * through the writer. Blocks are buffered and written in chunks of about 1 MiB.
 * Throws NettraceError 'file-unwritable' when the file cannot be created or written.
 */
export function writePcapngFile(
  path: string,
  fill: (w: PcapngWriter) => void,
  opts: PcapngWriterOptions = {},
): void {
  const fail = (e: unknown): NettraceError =>
    new NettraceError('file-unwritable', `${path}: cannot write capture: ${(e as Error).message}`, {
      cause: e,
    });
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
    fchmodSync(fd, 0o600); // an existing file keeps its old mode otherwise
  } catch (e) {
    throw fail(e);
  }
  try {
    let pending: Uint8Array[] = [];
    let size = 0;
    const flush = (): void => {
      const all = new Uint8Array(size);
      let off = 0;
      for (const c of pending) {
        all.set(c, off);
        off += c.length;
      }
      pending = [];
      size = 0;
      try {
        for (let done = 0; done < all.length; ) done += writeSync(fd, all, done, all.length - done);
      } catch (e) {
        throw fail(e);
      }
    };
    const w = new PcapngWriter((chunk) => {
      pending.push(chunk);
      size += chunk.length;
      if (size >= 1 << 20) flush();
    }, opts);
    fill(w);
    if (size > 0) flush();
  } finally {
    closeSync(fd);
  }
}
