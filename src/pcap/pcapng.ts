// pcapng (draft-ietf-opsawg-pcapng): a file is one or more sections; each starts with a Section
// Header Block that fixes the byte order, and interface ids restart in every section.
//
// Generic block:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Block Type                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Block Total Length                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// /                          Block Body                           /
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Block Total Length                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// SHB body: byte-order magic 1a2b3c4d, major u16, minor u16, section length i64, options.
// IDB body: link type u16, reserved u16, snaplen u32, options
//           (if_name 2, if_description 3, if_tsresol 9, if_tsoffset 14).
// EPB body: interface id u32, timestamp high u32, timestamp low u32, captured length u32,
//           original length u32, data padded to 32 bits, options (opt_comment 1).
// OPB (obsolete, type 2): as EPB but interface id u16 + drops count u16.
// SPB body: original length u32, data padded to 32 bits (no timestamp, interface 0).
// Options: code u16, length u16, value padded to 32 bits; code 0 ends the list.
// Every other block type (NRB 4, ISB 5, DSB 10, custom 0xBAD/0x40000BAD, ...) is skipped whole.
import {
  hex32,
  MAX_RECORD,
  type ParseContext,
  type RecordFormat,
  STOP,
  u16be,
  u16le,
  u32be,
  u32le,
} from './format.ts';
import { clockFromTsresol, type SecNsec, type TsClock, toSecNsec } from './timestamp.ts';
import type { CaptureInterface } from './types.ts';

export const BT_SHB = 0x0a0d0d0a;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BLOCK_HEADER_LEN = 12; // type, length and (for an SHB) the byte-order magic

const utf8 = new TextDecoder('utf-8');

interface SectionInterface {
  iface: CaptureInterface;
  clock: TsClock;
}

export class PcapngFormat implements RecordFormat {
  readonly name = 'pcapng';
  need = BLOCK_HEADER_LEN;
  private le = true;
  private section: SectionInterface[] = [];
  private readonly ts: SecNsec = { sec: 0, nsec: 0 };

  constructor(private readonly ctx: ParseContext) {}

  parse(b: Uint8Array, start: number, end: number, base: number): number {
    const ctx = this.ctx;
    let pos = start;
    for (;;) {
      const avail = end - pos;
      if (avail < BLOCK_HEADER_LEN) {
        this.need = BLOCK_HEADER_LEN;
        return pos;
      }
      const at = base + pos;
      // The SHB type reads the same in both byte orders; its magic says which one the section uses.
      let le = this.le;
      let type = le ? u32le(b, pos) : u32be(b, pos);
      if (type === BT_SHB) {
        const magic = u32le(b, pos + 8);
        if (magic === BYTE_ORDER_MAGIC) le = true;
        else if (magic === 0x4d3c2b1a) le = false;
        else return ctx.fail(at, `section header block at offset ${at} has byte-order magic ${hex32(magic)}`);
        type = BT_SHB;
      }
      const len = le ? u32le(b, pos + 4) : u32be(b, pos + 4);
      if (len % 4 !== 0) return ctx.fail(at, `block at offset ${at} has length ${len}, not a multiple of 4`);
      if (len < BLOCK_HEADER_LEN)
        return ctx.fail(at, `block at offset ${at} has length ${len}, less than 12`);
      if (len > MAX_RECORD) {
        return ctx.fail(
          at,
          `block at offset ${at} has length ${len}, more than the ${MAX_RECORD >>> 20} MiB limit`,
        );
      }
      if (avail < len) {
        this.need = len;
        return pos;
      }
      const trailer = le ? u32le(b, pos + len - 4) : u32be(b, pos + len - 4);
      if (trailer !== len) {
        return ctx.fail(
          at,
          `block at offset ${at} has length ${len} but its trailing length says ${trailer}`,
        );
      }
      let ok = true;
      switch (type) {
        case BT_SHB:
          ok = this.sectionHeader(b, pos, len, at, le);
          break;
        case BT_IDB:
          ok = this.interfaceDescription(b, pos, len, at);
          break;
        case BT_EPB:
          ok = this.packet(b, pos, len, at, true);
          break;
        case BT_OPB:
          ok = this.packet(b, pos, len, at, false);
          break;
        case BT_SPB:
          ok = this.simplePacket(b, pos, len, at);
          break;
        default:
          break; // NRB, ISB, DSB, custom and unknown blocks carry nothing a packet reader needs.
      }
      if (!ok) return STOP;
      pos += len;
    }
  }

  private tooShort(what: string, at: number, len: number, min: number): false {
    this.ctx.fail(at, `${what} at offset ${at} has length ${len}, less than its minimum ${min}`);
    return false;
  }

  private sectionHeader(b: Uint8Array, pos: number, len: number, at: number, le: boolean): boolean {
    if (len < 28) return this.tooShort('section header block', at, len, 28);
    const major = le ? u16le(b, pos + 12) : u16be(b, pos + 12);
    const minor = le ? u16le(b, pos + 14) : u16be(b, pos + 14);
    if (major !== 1) {
      this.ctx.fail(at, `section header block at offset ${at} has unsupported version ${major}.${minor}`);
      return false;
    }
    this.le = le;
    this.section = [];
    return true;
  }

  private interfaceDescription(b: Uint8Array, pos: number, len: number, at: number): boolean {
    if (len < 20) return this.tooShort('interface description block', at, len, 20);
    const le = this.le;
    const u16 = le ? u16le : u16be;
    const u32 = le ? u32le : u32be;
    const iface: CaptureInterface = {
      id: this.section.length,
      globalId: this.ctx.interfaces.length,
      linktype: u16(b, pos + 8),
      snaplen: u32(b, pos + 12),
      tsUnitsPerSec: 1e6,
      tsOffsetSec: 0,
      format: 'pcapng',
    };
    let tsresol = 6;
    let offsetSec = 0;
    const end = pos + len - 4;
    for (let p = pos + 16; p + 4 <= end; ) {
      const code = u16(b, p);
      const olen = u16(b, p + 2);
      const v = p + 4;
      if (code === 0 || v + olen > end) break;
      if (code === 2) iface.name = text(b, v, olen);
      else if (code === 3) iface.description = text(b, v, olen);
      else if (code === 9 && olen === 1) tsresol = b[v]!;
      else if (code === 14 && olen === 8) {
        // Signed 64-bit seconds: the high half carries the sign.
        const hi = u32(b, le ? v + 4 : v) | 0;
        offsetSec = hi * 4294967296 + u32(b, le ? v : v + 4);
      }
      p = v + ((olen + 3) & ~3);
    }
    const clock = clockFromTsresol(tsresol, offsetSec);
    if (clock === undefined) {
      const hex = `0x${tsresol.toString(16).padStart(2, '0')}`;
      this.ctx.fail(
        at,
        `interface description block at offset ${at} has if_tsresol ${hex}, finer than 64 bits allow`,
      );
      return false;
    }
    iface.tsUnitsPerSec = clock.units;
    iface.tsOffsetSec = offsetSec;
    this.section.push({ iface, clock });
    this.ctx.addInterface(iface);
    return true;
  }

  /** Enhanced (EPB) or obsolete (OPB) packet block. */
  private packet(b: Uint8Array, pos: number, len: number, at: number, enhanced: boolean): boolean {
    const what = enhanced ? 'enhanced packet block' : 'packet block';
    if (len < 32) return this.tooShort(what, at, len, 32);
    const le = this.le;
    const u32 = le ? u32le : u32be;
    const id = enhanced ? u32(b, pos + 8) : le ? u16le(b, pos + 8) : u16be(b, pos + 8);
    const si = this.section[id];
    if (si === undefined) {
      const n = this.section.length;
      this.ctx.fail(at, `${what} at offset ${at} names interface ${id}, but its section declares ${n}`);
      return false;
    }
    const capLen = u32(b, pos + 20);
    if (capLen > len - 32) {
      this.ctx.fail(
        at,
        `${what} at offset ${at} has captured length ${capLen}, more than its ${len}-byte block holds`,
      );
      return false;
    }
    const ts = this.ts;
    toSecNsec(u32(b, pos + 12), u32(b, pos + 16), si.clock, ts);
    const data = pos + 28;
    const comment =
      len > 32 + capLen ? comments(b, data + ((capLen + 3) & ~3), pos + len - 4, le) : undefined;
    this.ctx.packet(si.iface, ts.sec, ts.nsec, capLen, u32(b, pos + 24), b, data, comment, at);
    return true;
  }

  private simplePacket(b: Uint8Array, pos: number, len: number, at: number): boolean {
    if (len < 16) return this.tooShort('simple packet block', at, len, 16);
    const si = this.section[0];
    if (si === undefined) {
      this.ctx.fail(at, `simple packet block at offset ${at} comes before any interface description block`);
      return false;
    }
    const origLen = this.le ? u32le(b, pos + 8) : u32be(b, pos + 8);
    // No captured-length field: the spec's min(original length, snaplen); snaplen 0 means no limit.
    let capLen = Math.min(origLen, len - 16);
    if (si.iface.snaplen !== 0 && si.iface.snaplen < capLen) capLen = si.iface.snaplen;
    this.ctx.packet(si.iface, 0, 0, capLen, origLen, b, pos + 12, undefined, at);
    return true;
  }

  truncated(offset: number, have: number): string {
    if (have < BLOCK_HEADER_LEN) return `block at offset ${offset} is truncated: ${have} of 12 header bytes`;
    return `block at offset ${offset} is truncated: ${have} of its ${this.need} bytes`;
  }
}

/**
 * A string option's UTF-8 value, up to its first NUL as Wireshark reads it: some writers count a
 * terminating NUL (and whatever follows it) in the option length.
 */
function text(b: Uint8Array, start: number, len: number): string {
  const v = b.subarray(start, start + len);
  const nul = v.indexOf(0);
  return utf8.decode(nul < 0 ? v : v.subarray(0, nul));
}

/** opt_comment values in an options list, joined with newlines; undefined when there are none. */
function comments(b: Uint8Array, start: number, end: number, le: boolean): string | undefined {
  let out: string | undefined;
  for (let p = start; p + 4 <= end; ) {
    const code = le ? u16le(b, p) : u16be(b, p);
    const olen = le ? u16le(b, p + 2) : u16be(b, p + 2);
    const v = p + 4;
    if (code === 0 || v + olen > end) break;
    if (code === 1) {
      const s = text(b, v, olen);
      out = out === undefined ? s : `${out}\n${s}`;
    }
    p = v + ((olen + 3) & ~3);
  }
  return out;
}
