// Byte readers and the text forms Wireshark uses for addresses and numbers.
// Readers do no bounds checks: every decoder checks its header fits before it reads.

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function u32le(b: Uint8Array, o: number): number {
  return ((b[o + 3]! << 24) >>> 0) + ((b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!);
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at `o`. */
export function macAt(b: Uint8Array, o: number): string {
  return `${HEX2[b[o]!]}:${HEX2[b[o + 1]!]}:${HEX2[b[o + 2]!]}:${HEX2[b[o + 3]!]}:${HEX2[b[o + 4]!]}:${HEX2[b[o + 5]!]}`;
}

/** Colon-separated hex of `n` bytes (Wireshark's FT_BYTES / hardware-address text form). */
export function hexBytes(b: Uint8Array, o: number, n: number, sep = ':'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? sep : '') + HEX2[b[o + i]!];
  return s;
}

/** Dotted quad from a uint32. */
/** A dotted-quad IPv4 address as a 32-bit unsigned number; undefined for anything else. */
export function ipv4FromString(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function ipv4At(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

const HEXN: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));
const WORDS = new Uint16Array(8);

/**
 * RFC 5952 text of the 16 bytes at `o`, as Wireshark prints it: lower case, the first longest run
 * of two or more zero words compressed, and `::a.b.c.d` / `::ffff:a.b.c.d` when the first six (or
 * five, then ffff) words are zero. Unlike glibc's inet_ntop, Wireshark writes `::2`, not `::0.0.0.2`.
 * Called twice per IPv6 packet, so it builds no arrays.
 */
export function ipv6At(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const w = (b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!;
    WORDS[i] = w;
    if (w !== 0) runStart = -1;
    else {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    }
  }
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && WORDS[5] === 0xffff))) {
    return `${bestLen === 6 ? '::' : '::ffff:'}${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) s += ':';
    const w = WORDS[i]!;
    s += w < 256 ? HEXN[w]! : HEXN[w >> 8]! + HEX2[w & 255]!;
  }
  return s;
}

/** Wireshark's hex text for an unsigned field of `digits` hex digits: `0x0800`. */
export function hex(n: number, digits: number): string {
  return `0x${(n >>> 0).toString(16).padStart(digits, '0')}`;
}

const ascii = new TextDecoder('latin1');

/** Bytes as a latin1 string (one char per byte: never fails on binary). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  return ascii.decode(b.subarray(start, end));
}
