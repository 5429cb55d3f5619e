// Capture timestamps to (seconds, nanoseconds) with exact integer arithmetic.
//
// pcapng stores a 64-bit count of interface-specific units (if_tsresol: 10^-n or 2^-n seconds) as
// two 32-bit halves. A double holds integers exactly only up to 2^53, and a nanosecond count for
// today is already ~2^60, so the division is done in 16-bit digits (each partial value stays
// below 2^48) for every unit that fits in 32 bits, which is every resolution real captures use.
// BigInt is only the fallback for units >= 2^32 (10^-10 and finer, 2^-32 and finer).
//
// The fraction is truncated to whole nanoseconds, as tshark 4.0 does: `(frac * 10^9) / units` in
// integer arithmetic (with 2^-20 units, 1 unit = 953.67 ns prints as .000000953).

const TWO16 = 65536;
const TWO32 = 4294967296;
const TWO53_HI = 0x200000; // hi half below this => hi * 2^32 + lo < 2^53

/** How one interface's timestamp units turn into seconds and nanoseconds. */
export interface TsClock {
  /** Units per second (10^n or 2^n). */
  units: number;
  /** 10 or 2. */
  base: number;
  exponent: number;
  /** if_tsoffset, whole seconds added to every timestamp. */
  offsetSec: number;
  /**
   * For units < 2^32, nanoseconds = floor(rem * nsMul / nsDiv), exact in doubles: 10^-n (n <= 9)
   * multiplies by 10^(9-n); 2^-n is rem * 10^9 / 2^n = rem * 1953125 / 2^(n-9), where
   * rem * 1953125 < 2^52 and dividing by a power of two is exact in binary floating point.
   */
  nsMul: number;
  nsDiv: number;
}

/** Reused output of toSecNsec: avoids allocating an object per packet. */
export interface SecNsec {
  sec: number;
  nsec: number;
}

/**
 * The clock described by an if_tsresol byte: high bit clear = 10^-n seconds, set = 2^-n seconds.
 * Returns undefined for resolutions whose unit count does not fit in 64 bits (10^-20 and finer,
 * 2^-64 and finer): the spec's timestamps could not express even one second in them.
 */
export function clockFromTsresol(v: number, offsetSec = 0): TsClock | undefined {
  const base = v & 0x80 ? 2 : 10;
  const exponent = v & 0x7f;
  if ((base === 2 && exponent > 63) || (base === 10 && exponent > 19)) return undefined;
  let nsMul = 1;
  let nsDiv = 1;
  if (base === 10 && exponent <= 9) nsMul = 10 ** (9 - exponent);
  else if (base === 2 && exponent <= 9) {
    nsMul = 1e9;
    nsDiv = 2 ** exponent;
  } else if (base === 2) {
    nsMul = 1953125;
    nsDiv = 2 ** (exponent - 9);
  }
  return { units: base ** exponent, base, exponent, offsetSec, nsMul, nsDiv };
}

/** Writes the (seconds, nanoseconds) of a 64-bit unit count (hi:lo, both unsigned 32-bit) to `out`. */
export function toSecNsec(hi: number, lo: number, clock: TsClock, out: SecNsec): void {
  const units = clock.units;
  if (units >= TWO32) {
    bigToSecNsec(hi, lo, clock, out);
    return;
  }
  let sec: number;
  let rem: number;
  if (hi < TWO53_HI) {
    const ts = hi * TWO32 + lo;
    sec = quot(ts, units);
    rem = ts - sec * units;
  } else {
    // Long division by 16-bit digits: every dividend is < units * 2^16 < 2^48, so exact.
    const q2 = quot(hi, units);
    let x = (hi - q2 * units) * TWO16 + (lo >>> 16);
    const q1 = quot(x, units);
    x = (x - q1 * units) * TWO16 + (lo & 0xffff);
    const q0 = quot(x, units);
    sec = q2 * TWO32 + q1 * TWO16 + q0;
    rem = x - q0 * units;
  }
  out.sec = sec + clock.offsetSec;
  out.nsec = Math.floor((rem * clock.nsMul) / clock.nsDiv);
}

/**
 * floor(x / d) for integers 0 <= x < 2^53 and 0 < d < 2^32: the float quotient, corrected by one
 * where it rounded across an integer. Exact, as `%` is, without `%` on doubles (a libm fmod call
 * per use, three per pcapng packet).
 */
function quot(x: number, d: number): number {
  const q = Math.floor(x / d);
  const r = x - q * d;
  return r < 0 ? q - 1 : r >= d ? q + 1 : q;
}

function bigToSecNsec(hi: number, lo: number, clock: TsClock, out: SecNsec): void {
  const units = BigInt(clock.base) ** BigInt(clock.exponent);
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  const rem = ts % units;
  out.sec = Number(ts / units) + clock.offsetSec;
  out.nsec = Number((rem * 1_000_000_000n) / units);
}

/**
 * A timestamp as tshark prints frame.time_epoch: `SEC.NNNNNNNNN`. A negative nanosecond part
 * (only from invalid classic-pcap records, see pcap.ts) prints as tshark does: its absolute value,
 * with a "-" in front of the whole number.
 */
export function formatEpoch(sec: number, nsec: number): string {
  if (nsec < 0) return `${sec >= 0 ? '-' : ''}${sec}.${String(-nsec).padStart(9, '0')}`;
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}
