// The literals of a display filter (`10.0.0.0/8`, `0x0800`, `"GET"`, `00:50:56:9f:36:9f`) and how a
// field's text value (fields.ts: tshark's -T fields form) compares with each. A literal's form picks
// the comparison, as the field's type does in Wireshark: a value that is not of that kind (an IPv4
// literal against "fe80::1", a number against "GET") never matches, where tshark refuses the filter.

/** The result of comparing a field value with a literal: <0, 0, >0, or NaN when they cannot be compared. */
export type Compare = (value: string) => number;

export interface Literal {
  kind: 'number' | 'ipv4' | 'ipv6' | 'mac' | 'string';
  /** As written (strings unquoted and unescaped). */
  text: string;
  /** A number literal's value. */
  number?: number;
  compare: Compare;
  /** `contains`: the value's text holds this. */
  containsIn(value: string): boolean;
  /** The literal as bytes, for `frame contains`. */
  bytes(): Uint8Array;
}

/** A number as a field prints it: decimal, 0x hex, a float (frame.time_epoch); NaN for anything else. */
export function fieldNumber(v: string): number {
  if (v.length === 0 || v.trim() !== v) return Number.NaN;
  return Number(v);
}

/** A number as a filter writes it: decimal, 0x hex, 0 octal (as Wireshark reads `0100`), true/false. */
function literalNumber(s: string): number | undefined {
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true' ? 1 : 0;
  const m = /^(-?)(0x[0-9a-f]+|0[0-7]+|0|[1-9][0-9]*)(\.[0-9]+)?$/i.exec(s);
  if (!m) return undefined;
  const [, minus, int, frac] = m as unknown as [string, string, string, string | undefined];
  const hex = /^0x/i.test(int);
  const octal = !hex && int.length > 1 && int.startsWith('0');
  if (frac !== undefined && (hex || octal)) return undefined;
  const n = hex
    ? Number.parseInt(int.slice(2), 16)
    : octal
      ? Number.parseInt(int, 8)
      : Number(int + (frac ?? ''));
  return minus ? -n : n;
}

/** An IPv4 address as a 32-bit unsigned number, or undefined. */
export function ipv4Number(s: string): number | undefined {
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

/** An IPv6 address (any RFC 4291 text form, an IPv4 tail included) as a 128-bit BigInt, or undefined. */
export function ipv6Number(s: string): bigint | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = ipv4Number(it);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(it)) out.push(Number.parseInt(it, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) n = (n << 16n) | BigInt(g);
  return n;
}

/** A MAC address in any of Wireshark's forms (`:`, `-`, `.` separated, or `xxxx.xxxx.xxxx`) as 12 hex digits. */
function macHex(s: string): string | undefined {
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(s))
    return s.replace(/[:-]/g, '').toLowerCase();
  if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(s)) return s.replace(/\./g, '').toLowerCase();
  return undefined;
}

/** -1, 0 or 1; NaN stays NaN (a value that is not a number equals no number). */
const sign = (d: number) => (d < 0 ? -1 : d > 0 ? 1 : d === 0 ? 0 : Number.NaN);
const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const textBytes = (s: string) => new TextEncoder().encode(s);

function stringLiteral(s: string): Literal {
  return {
    kind: 'string',
    text: s,
    compare: (v) => text(v, s),
    containsIn: (v) => v.includes(s),
    bytes: () => textBytes(s),
  };
}

/** A bare word of a filter (not a field name) as a literal. Throws a message for a bad address prefix. */
export function parseLiteral(word: string): Literal {
  const slash = word.indexOf('/');
  const addr = slash < 0 ? word : word.slice(0, slash);
  const prefixText = slash < 0 ? undefined : word.slice(slash + 1);
  const v4 = ipv4Number(addr);
  const v6 = v4 === undefined ? ipv6Number(addr) : undefined;
  if (v4 !== undefined || v6 !== undefined) {
    const bits = v4 !== undefined ? 32 : 128;
    const prefix = prefixText === undefined ? bits : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? '0') || prefix > bits) {
      throw new Error(`"${word}": a prefix length is 0 to ${bits}`);
    }
    if (v4 !== undefined) {
      // Compared as numbers below 2^32: the network's first address and its size.
      const size = 2 ** (32 - prefix);
      const base = Math.floor(v4 / size) * size;
      return {
        kind: 'ipv4',
        text: word,
        compare: (v) => {
          const n = ipv4Number(v);
          if (n === undefined) return Number.NaN;
          return n < base ? -1 : n >= base + size ? 1 : 0;
        },
        containsIn: (v) => v.includes(word),
        bytes: () => textBytes(word),
      };
    }
    const shift = BigInt(128 - prefix);
    const net = v6! >> shift;
    return {
      kind: 'ipv6',
      text: word,
      compare: (v) => {
        const n = ipv6Number(v);
        if (n === undefined) return Number.NaN;
        const top = n >> shift;
        return top < net ? -1 : top > net ? 1 : 0;
      },
      containsIn: (v) => v.includes(word),
      bytes: () => textBytes(word),
    };
  }
  if (/^\d+(\.\d+){3}$/.test(addr)) throw new Error(`"${word}" is not a valid IPv4 address`);
  const mac = macHex(word);
  if (mac !== undefined) {
    return {
      kind: 'mac',
      text: word,
      compare: (v) => {
        const m = macHex(v);
        return m === undefined ? Number.NaN : text(m, mac);
      },
      containsIn: (v) => v.toLowerCase().includes(word.toLowerCase()),
      bytes: () => Uint8Array.from(mac.match(/../g)!.map((h) => Number.parseInt(h, 16))),
    };
  }
  const n = literalNumber(word);
  if (n !== undefined) {
    return {
      kind: 'number',
      text: word,
      number: n,
      compare: (v) => sign(fieldNumber(v) - n),
      containsIn: (v) => v.includes(word),
      bytes: () => textBytes(word),
    };
  }
  // Colon-separated hex bytes (`48:54:54:50`), as `contains` takes them.
  if (/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(word)) {
    const hex = word.toLowerCase();
    return {
      ...stringLiteral(word),
      containsIn: (v) => v.toLowerCase().includes(hex),
      bytes: () => Uint8Array.from(hex.split(':').map((h) => Number.parseInt(h, 16))),
    };
  }
  return stringLiteral(word);
}

/** A quoted string of a filter, already unescaped. */
export function quotedLiteral(s: string): Literal {
  return stringLiteral(s);
}
