// A display filter's values (`10.0.0.0/8`, `0x0800`, `"GET"`, `00:50:56:9f:36:9f`), read as the
// field's kind asks (field-kinds.ts: tshark's types), and how a field's text value (fields.ts: the
// -T fields form) compares with one. A value tshark would refuse for that field (a string for a
// port, a float for a counter, `300.1.1.1`) is an error here too: never a silent mismatch.
import { ipv4FromString } from '../decode/bytes.ts';
import { type FieldKind, fieldMax } from './field-kinds.ts';

/** The result of comparing a field value with a literal: <0, 0, >0, or NaN when they cannot be compared. */
export type Compare = (value: string) => number;

export interface Literal {
  /** As written (a string unquoted and unescaped). */
  text: string;
  compare: Compare;
  /** `contains`: the value holds this (strings: as text; bytes: as whole bytes). */
  containsIn(value: string): boolean;
}

/** A quoted string: its text, and its bytes (`\xff` is the byte 0xff, other characters UTF-8). */
export interface Quoted {
  text: string;
  bytes: Uint8Array;
}

/** A number as a field prints it: decimal, 0x hex, a float (frame.time_epoch); NaN for anything else. */
export function fieldNumber(v: string): number {
  if (v.length === 0 || v.trim() !== v) return Number.NaN;
  return Number(v);
}

/** An integer as Wireshark reads one: decimal, 0x hex, 0b binary, 0 octal (`0100` is 64), signed. */
export function integerLiteral(s: string): number | undefined {
  const m = /^(-?)(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)$/i.exec(s);
  if (!m) return undefined;
  const [, minus, int] = m as unknown as [string, string, string];
  const n = /^0x/i.test(int)
    ? Number.parseInt(int.slice(2), 16)
    : /^0b/i.test(int)
      ? Number.parseInt(int.slice(2), 2)
      : int.length > 1 && int.startsWith('0')
        ? Number.parseInt(int, 8)
        : Number(int);
  return minus ? -n : n;
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
        const v4 = ipv4FromString(it);
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

/** Bytes written as hex: `00:1b:21`, `00-1b-21`, `00.1b.21`, `001b.213c.ab64`, `001b21`, `0x001b21`. */
export function parseHex(s: string): string | undefined {
  if (/^[0-9a-f]{2}([:.-])[0-9a-f]{2}(\1[0-9a-f]{2})*$/i.test(s))
    return s.replace(/[:.-]/g, '').toLowerCase();
  if (/^[0-9a-f]{4}(\.[0-9a-f]{4})+$/i.test(s)) return s.replace(/\./g, '').toLowerCase();
  const m = /^(0x)?((?:[0-9a-f]{2})+)$/i.exec(s);
  return m ? m[2]!.toLowerCase() : undefined;
}

const sign = (d: number) => (d < 0 ? -1 : d > 0 ? 1 : d === 0 ? 0 : Number.NaN);
const textOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Hex strings compared as tshark compares bytes (the shorter first, then memcmp), `contains` at byte boundaries. */
function bytesLiteral(text: string, hex: string): Literal {
  return {
    text,
    compare: (v) => {
      const h = parseHex(v);
      if (h === undefined) return Number.NaN;
      return h.length !== hex.length ? sign(h.length - hex.length) : textOrder(h, hex);
    },
    containsIn: (v) => {
      const h = parseHex(v);
      if (h === undefined) return false;
      for (let i = h.indexOf(hex); i >= 0; i = h.indexOf(hex, i + 1)) if (i % 2 === 0) return true;
      return false;
    },
  };
}

function numberLiteral(text: string, n: number, bool: boolean): Literal {
  return {
    text,
    // A boolean field is true when not 0, whatever number the filter gives for true.
    compare: bool
      ? (v) => {
          const x = fieldNumber(v);
          return Number.isNaN(x) ? Number.NaN : sign((x !== 0 ? 1 : 0) - (n !== 0 ? 1 : 0));
        }
      : (v) => sign(fieldNumber(v) - n),
    containsIn: () => false,
  };
}

/**
 * The names tshark gives the values of a few fields people filter on (`ip.proto == UDP`; lowercase
 * `udp` is the protocol, in tshark as here, but `"udp"` quoted is the name).
 */
const PROTOCOL_NAMES: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  icmpv6: 58,
  sctp: 132,
};
const ETHERTYPE_NAMES: Record<string, number> = { ipv4: 0x0800, arp: 0x0806, ipv6: 0x86dd };
const VALUE_NAMES: Record<string, Record<string, number>> = {
  'ip.proto': PROTOCOL_NAMES,
  'ipv6.nxt': PROTOCOL_NAMES,
  'eth.type': ETHERTYPE_NAMES,
  'vlan.etype': ETHERTYPE_NAMES,
  'sll.etype': ETHERTYPE_NAMES,
  'arp.proto.type': ETHERTYPE_NAMES,
  'arp.opcode': { request: 1, reply: 2 },
};

/** A value's name for field `field` (case does not matter), or undefined. */
function valueName(field: string, word: string): number | undefined {
  const names = VALUE_NAMES[field];
  const key = word.toLowerCase();
  return names !== undefined && Object.hasOwn(names, key) ? names[key] : undefined;
}

/** Why a value does not fit a field, as the error says it. */
const WANTS: Record<FieldKind, string> = {
  uint: 'an integer (decimal, 0x hex, 0b binary or 0 octal) or, for a few fields, a value name (ip.proto == UDP)',
  bool: 'true, false or a number',
  time: 'a number of seconds',
  ipv4: 'an IPv4 address or subnet (10.0.0.0/8)',
  ipv6: 'an IPv6 address or subnet (fd00::/8)',
  ether: 'a MAC address (00:1b:21:3c:ab:64, 00-1b-..., 001b.213c.ab64)',
  bytes: 'bytes in hex (00:1b:21) or a quoted string',
  string: 'a string',
};

/**
 * The literal `word` (or the quoted string `quoted`) for a field of `kind`; throws a message
 * naming what the field takes when it does not fit.
 */
export function literalFor(kind: FieldKind, field: string, word: string, quoted?: Quoted): Literal {
  const refuse = (): never => {
    throw new Error(
      `${JSON.stringify(quoted ? quoted.text : word)} is not a value for ${field}: it takes ${WANTS[kind]}`,
    );
  };
  if (quoted !== undefined) {
    if (kind === 'string') return stringLiteral(quoted.text);
    if (kind === 'bytes') return bytesLiteral(quoted.text, toHex(quoted.bytes));
    // A value name may be quoted (`ip.proto == "udp"`, `arp.opcode == "reply"`).
    const named = kind === 'uint' ? valueName(field, quoted.text) : undefined;
    return named === undefined ? refuse() : numberLiteral(quoted.text, named, false);
  }
  switch (kind) {
    case 'string':
      return stringLiteral(word);
    case 'bytes': {
      const hex = parseHex(word);
      return hex === undefined ? refuse() : bytesLiteral(word, hex);
    }
    case 'ether': {
      const hex = parseHex(word);
      return hex === undefined || hex.length !== 12 ? refuse() : bytesLiteral(word, hex);
    }
    case 'uint': {
      const n = integerLiteral(word) ?? valueName(field, word);
      const max = fieldMax(field);
      if (n !== undefined && (n < 0 || n > max)) {
        throw new Error(`${word} does not fit ${field}: it holds 0 to ${max}`);
      }
      return n === undefined ? refuse() : numberLiteral(word, n, false);
    }
    case 'bool': {
      // `set` is the name of true where tshark labels a flag Set/Not set (the IP and TCP flags).
      const set = /^set$/i.test(word) && /^(ip|tcp)\.flags\./.test(field);
      const n =
        /^(true|false)$/i.test(word) || set ? (word.toLowerCase() === 'false' ? 0 : 1) : integerLiteral(word);
      return n === undefined ? refuse() : numberLiteral(word, n, true);
    }
    case 'time':
      return timeLiteral(word) ?? refuse();
    case 'ipv4':
    case 'ipv6':
      return addressLiteral(kind, word) ?? refuse();
  }
}

/**
 * A time in seconds, to the nanosecond (`1418145370.052027261`): compared as whole seconds and
 * nanoseconds, not as doubles, which hold an epoch time only to about 200 ns. No exponent: tshark
 * 4.0 reads `1.7e9` as 1.7 seconds, so it is refused rather than misread; at most 9 decimals.
 */
function timeLiteral(word: string): Literal | undefined {
  const t = splitTime(word);
  if (t === undefined) return undefined;
  return {
    text: word,
    compare: (v) => {
      const x = splitTime(v, true);
      return x === undefined ? Number.NaN : sign(x[0] - t[0] || x[1] - t[1]);
    },
    containsIn: () => false,
  };
}

/** `[seconds, nanoseconds]` of a decimal time, both carrying its sign; fields may print more digits. */
function splitTime(s: string, field = false): [number, number] | undefined {
  const m = (field ? /^(-?)([0-9]+)(?:\.([0-9]+))?$/ : /^(-?)([0-9]+)(?:\.([0-9]{1,9}))?$/).exec(s);
  if (!m) return undefined;
  const sec = Number(m[2]);
  // A broken file's fraction can print more than 9 digits: kept as the number it says.
  const frac = m[3] === undefined ? 0 : m[3].length <= 9 ? Number(m[3].padEnd(9, '0')) : Number(m[3]);
  return m[1] ? [-sec, -frac] : [sec, frac];
}

function stringLiteral(s: string): Literal {
  return { text: s, compare: (v) => textOrder(v, s), containsIn: (v) => v.includes(s) };
}

/** An address or a subnet (`/prefix`): equal means inside it. */
function addressLiteral(kind: 'ipv4' | 'ipv6', word: string): Literal | undefined {
  const slash = word.indexOf('/');
  const addr = slash < 0 ? word : word.slice(0, slash);
  const prefixText = slash < 0 ? undefined : word.slice(slash + 1);
  const bits = kind === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > bits) return undefined;
  if (kind === 'ipv4') {
    const v4 = ipv4FromString(addr);
    if (v4 === undefined) return undefined;
    // Compared as numbers below 2^32: the network's first address and its size.
    const size = 2 ** (32 - prefix);
    const base = Math.floor(v4 / size) * size;
    return {
      text: word,
      compare: (v) => {
        const n = ipv4FromString(v);
        if (n === undefined) return Number.NaN;
        return n < base ? -1 : n >= base + size ? 1 : 0;
      },
      containsIn: () => false,
    };
  }
  const v6 = ipv6Number(addr);
  if (v6 === undefined) return undefined;
  const shift = BigInt(128 - prefix);
  const net = v6 >> shift;
  return {
    text: word,
    compare: (v) => {
      const n = ipv6Number(v);
      if (n === undefined) return Number.NaN;
      const top = n >> shift;
      return top < net ? -1 : top > net ? 1 : 0;
    },
    containsIn: () => false,
  };
}
