// `analyze -Y FILTER`: Wireshark's display filter language, the part people type, over the fields
// of fields.ts (tshark's names and text forms, field-kinds.ts' types). Like Wireshark, a test holds
// when any occurrence of its field holds it — outer or tunnelled header alike — so
// `ip.addr == 10.128.0.5` finds a pod's packets inside Geneve too; `!=` means no occurrence is
// equal, and a missing field fails every comparison. Supported: `&&` `||` `!` (and, or, not),
// parentheses; `==` `!=` `~=` `!==` `===` `<` `>` `<=` `>=` (eq ne any_ne all_eq lt gt le ge),
// `any`/`all` before a comparison, `in {a, b, c..d}`, `contains`, `matches` (a case-insensitive
// JavaScript regular expression; tshark's are PCRE), `&` (bitwise_and, alone or compared:
// `tcp.flags & 0x12 == 0x12`); a field or a protocol alone tests that it is present; `frame
// contains`/`matches` look at the packet's bytes; value names for a few fields (values.ts). Not
// supported (a clear error, never a silent mismatch): field-to-field comparison, slices, arithmetic,
// functions.

import { type FieldReader, type FrameInfo, fieldReader } from '../decode/fields.ts';
import { type Packet, PROTO_BITS } from '../decode/packet.ts';
import { NettraceError } from '../errors.ts';
import { type FieldKind, fieldKind, fieldMax } from './field-kinds.ts';
import { FilterSyntax, lex, type Token } from './lex.ts';
import { bytesSubject, pcreSource } from './regex.ts';
import { fieldNumber, integerLiteral, type Literal, literalFor, parseHex } from './values.ts';

export interface DisplayFilter {
  /** As given on the command line. */
  readonly text: string;
  matches(p: Packet, frame: FrameInfo): boolean;
}

type Test = (p: Packet, frame: FrameInfo) => boolean;

/** A comparison: what it asks of a value's order, and whether of every occurrence by default. */
interface Relation {
  holds: (c: number) => boolean;
  /** `!=` and `===` ask it of every occurrence unless `any` says otherwise. */
  every: boolean;
}

const EQ: Relation = { holds: (c) => c === 0, every: false };
const ALL_EQ: Relation = { holds: (c) => c === 0, every: true };
const NE: Relation = { holds: (c) => c !== 0, every: true };
const ANY_NE: Relation = { holds: (c) => c !== 0, every: false };
const LT: Relation = { holds: (c) => c < 0, every: false };
const GT: Relation = { holds: (c) => c > 0, every: false };
const LE: Relation = { holds: (c) => c <= 0, every: false };
const GE: Relation = { holds: (c) => c >= 0, every: false };

const RELATIONS: Record<string, Relation> = {
  '==': EQ,
  eq: EQ,
  any_eq: EQ,
  '===': ALL_EQ,
  all_eq: ALL_EQ,
  '!=': NE,
  ne: NE,
  all_ne: NE,
  '~=': ANY_NE,
  '!==': ANY_NE,
  any_ne: ANY_NE,
  '<': LT,
  lt: LT,
  '>': GT,
  gt: GT,
  '<=': LE,
  le: LE,
  '>=': GE,
  ge: GE,
};

type Quantifier = 'any' | 'all' | undefined;

/** Whether a relation, after an optional `any`/`all`, asks it of every occurrence. */
const everyOf = (r: Relation, q: Quantifier) => (q === undefined ? r.every : q === 'all');

/** Deeper nesting than this is refused: a parser's recursion must not meet the stack's end. */
const MAX_DEPTH = 200;

/** Some value holds `ok`, or (every) each one does and there is one. */
function quantified(read: FieldReader, every: boolean, ok: (v: string) => boolean): Test {
  if (every) {
    return (p, f) => {
      const vs = read(p, f);
      return vs.length > 0 && vs.every(ok);
    };
  }
  return (p, f) => read(p, f).some(ok);
}

function hasBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle) >= 0;
}

const PROTOCOLS = new Set([...Object.keys(PROTO_BITS), 'frame']);

/** Evaluated in a loop, not as nested closures: a long chain of `&&` needs no deep stack. */
function all(tests: Test[]): Test {
  return tests.length === 1 ? tests[0]! : (p, f) => tests.every((t) => t(p, f));
}
function any(tests: Test[]): Test {
  return tests.length === 1 ? tests[0]! : (p, f) => tests.some((t) => t(p, f));
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }

  private is(...texts: string[]): boolean {
    const t = this.peek();
    return t !== undefined && t.kind !== 'string' && texts.includes(t.text);
  }

  private next(what: string): Token {
    const t = this.toks[this.i++];
    if (t === undefined) throw new FilterSyntax(`${what} is missing at the end`, Number.POSITIVE_INFINITY);
    return t;
  }

  parse(): Test {
    const t = this.or();
    const rest = this.peek();
    if (rest !== undefined) throw new FilterSyntax(`"${rest.text}" was unexpected`, rest.at);
    return t;
  }

  private or(): Test {
    const terms = [this.and()];
    while (this.is('||', 'or')) {
      this.i++;
      terms.push(this.and());
    }
    return any(terms);
  }

  private and(): Test {
    const terms = [this.not()];
    while (this.is('&&', 'and')) {
      this.i++;
      terms.push(this.not());
    }
    return all(terms);
  }

  private not(): Test {
    const at = this.peek()?.at ?? Number.POSITIVE_INFINITY;
    if (++this.depth > MAX_DEPTH) throw new FilterSyntax(`nested more than ${MAX_DEPTH} deep`, at);
    try {
      if (this.is('!', 'not')) {
        this.i++;
        const t = this.not();
        return (p, f) => !t(p, f);
      }
      if (this.is('(')) {
        this.i++;
        const t = this.or();
        const close = this.next('")"');
        if (close.text !== ')' || close.kind !== 'punct')
          throw new FilterSyntax('")" was expected', close.at);
        return t;
      }
      return this.test();
    } finally {
      this.depth--;
    }
  }

  private test(): Test {
    let quantifier: Quantifier;
    if (this.is('any', 'all') && this.peek(1)?.kind === 'word') {
      quantifier = this.next('a quantifier').text as 'any' | 'all';
    }
    const ft = this.next('a field');
    if (ft.kind !== 'word') throw new FilterSyntax(`"${ft.text}" was unexpected`, ft.at);
    const name = ft.text;
    const read = fieldReader(name);
    if (read === undefined && !PROTOCOLS.has(name)) {
      throw new FilterSyntax(
        `"${name}" is neither a field nor a protocol name (nettrace analyze --list-fields lists them)`,
        ft.at,
      );
    }
    const op = this.peek();
    const rel = op === undefined || op.kind === 'string' ? undefined : op.text;
    const bitwise = rel === '&' || rel === 'bitwise_and';
    const textual = rel === 'contains' || rel === 'matches' || rel === '~';
    if (rel === undefined || (!bitwise && !textual && rel !== 'in' && !Object.hasOwn(RELATIONS, rel))) {
      if (quantifier)
        throw new FilterSyntax(`a comparison was expected after "${quantifier} ${name}"`, ft.at);
      return this.presence(name, read);
    }
    this.i++;
    if (textual)
      return this.textTest(name, read, rel === 'contains' ? 'contains' : 'matches', quantifier === 'all');
    if (read === undefined)
      throw new FilterSyntax(`"${name}" is a protocol: it has no value to compare`, op!.at);
    const kind = fieldKind(name)!;
    if (rel === 'in') return quantified(read, quantifier === 'all', this.set(name, kind));
    if (bitwise) return this.bitwise(name, kind, read, quantifier, op!);
    const r = RELATIONS[rel]!;
    const lit = this.literal(name, kind);
    return quantified(read, everyOf(r, quantifier), (v) => r.holds(lit.compare(v)));
  }

  /** `field & mask`: some bit of the mask set; `field & mask == value`: the masked value compared. */
  private bitwise(name: string, kind: FieldKind, read: FieldReader, quantifier: Quantifier, op: Token): Test {
    if (kind !== 'uint') {
      throw new FilterSyntax(`"&" applies to integer fields; ${name} is not one`, op.at);
    }
    const mask = BigInt(this.integer(name));
    const masked = (v: string): bigint | undefined => {
      const n = fieldNumber(v);
      return Number.isInteger(n) ? BigInt(n) & mask : undefined;
    };
    const cmp = this.peek();
    if (cmp !== undefined && cmp.kind !== 'string' && Object.hasOwn(RELATIONS, cmp.text)) {
      this.i++;
      const r = RELATIONS[cmp.text]!;
      const value = BigInt(this.integer(name));
      return quantified(read, everyOf(r, quantifier), (v) => {
        const m = masked(v);
        return m !== undefined && r.holds(m < value ? -1 : m > value ? 1 : 0);
      });
    }
    if (quantifier !== undefined) {
      throw new FilterSyntax(`a comparison was expected after "${quantifier} ${name} & ..."`, op.at);
    }
    return quantified(read, false, (v) => {
      const m = masked(v);
      return m !== undefined && m !== 0n;
    });
  }

  /** An integer the field can hold (tshark refuses a mask or a value wider than the field). */
  private integer(name: string): number {
    const t = this.next('a number');
    const n = t.kind === 'word' ? integerLiteral(t.text) : undefined;
    if (n === undefined) throw new FilterSyntax(`"${t.text}" is not an integer for ${name}`, t.at);
    const max = fieldMax(name);
    if (n < 0 || n > max)
      throw new FilterSyntax(`${t.text} does not fit ${name}: it holds 0 to ${max}`, t.at);
    return n;
  }

  private presence(name: string, read: FieldReader | undefined): Test {
    if (read !== undefined) return (p, f) => read(p, f).length > 0;
    if (name === 'frame') return () => true;
    return (p) => p.layers.some((l) => l.proto === name);
  }

  private textTest(
    name: string,
    read: FieldReader | undefined,
    how: 'contains' | 'matches',
    every: boolean,
  ): Test {
    const t = this.next('a value');
    const kind = read === undefined ? undefined : fieldKind(name)!;
    const applies = kind === 'string' || kind === 'bytes' || kind === 'ether';
    if (kind !== undefined && !applies) {
      throw new FilterSyntax(
        `"${how}" applies to strings and bytes; ${name} is not one (it holds a ${kind} value)`,
        t.at,
      );
    }
    if (how === 'matches') {
      const re = this.regex(t, kind !== 'string');
      if (read !== undefined) {
        // Bytes (and MAC addresses) are matched as their raw bytes, as tshark does, not their hex text.
        if (kind !== 'string') {
          return quantified(read, every, (v) => {
            const h = parseHex(v);
            return h !== undefined && re.test(bytesSubject(Buffer.from(h, 'hex')));
          });
        }
        return quantified(read, every, (v) => re.test(v));
      }
      this.frameOnly(name, how, t);
      return (p) => re.test(bytesSubject(p.data));
    }
    if (read !== undefined) {
      const lit = this.value(t, name, kind === 'ether' ? 'bytes' : kind!);
      return quantified(read, every, (v) => lit.containsIn(v));
    }
    this.frameOnly(name, how, t);
    let needle: Uint8Array | undefined;
    if (t.kind === 'string') needle = t.quoted!.bytes;
    else if (t.kind === 'word') {
      const hex = parseHex(t.text);
      if (hex !== undefined) needle = Uint8Array.from(Buffer.from(hex, 'hex'));
    }
    if (needle === undefined) {
      throw new FilterSyntax(
        `"${t.text}": frame contains takes a quoted string or bytes in hex (00:1b:21)`,
        t.at,
      );
    }
    const bytes = needle;
    return (p) => hasBytes(p.data, bytes);
  }

  private frameOnly(name: string, how: string, t: Token): void {
    if (name !== 'frame') {
      throw new FilterSyntax(
        `"${how}" on a protocol works for "frame" only (its bytes): use a field of ${name}`,
        t.at,
      );
    }
  }

  private regex(t: Token, bytes: boolean): RegExp {
    if (t.kind !== 'string') throw new FilterSyntax('"matches" takes a quoted regular expression', t.at);
    // PCRE's POSIX classes mean something else (a plain character class) to JavaScript.
    if (t.text.includes('[[:')) {
      throw new FilterSyntax(
        'POSIX classes ([[:alpha:]]) are not supported: write the characters ([a-z])',
        t.at,
      );
    }
    try {
      return new RegExp(pcreSource(t.text, bytes), 'i');
    } catch (e) {
      throw new FilterSyntax(`bad regular expression: ${(e as Error).message}`, t.at);
    }
  }

  /** Token `t` as a value of field `name`. */
  private value(t: Token, name: string, kind: FieldKind): Literal {
    if (t.kind === 'punct') throw new FilterSyntax(`a value was expected, not "${t.text}"`, t.at);
    if (t.kind === 'word' && (fieldReader(t.text) !== undefined || PROTOCOLS.has(t.text))) {
      throw new FilterSyntax(
        `"${t.text}" is a field: comparing two fields is not supported (quote it for a string)`,
        t.at,
      );
    }
    try {
      return literalFor(kind, name, t.text, t.quoted);
    } catch (e) {
      throw new FilterSyntax((e as Error).message, t.at);
    }
  }

  private literal(name: string, kind: FieldKind): Literal {
    return this.value(this.next('a value'), name, kind);
  }

  /** `{a, b, lo..hi}` (commas optional, spaces around `..` allowed): whether a value is one of them. */
  private set(name: string, kind: FieldKind): (v: string) => boolean {
    const open = this.next('"{"');
    if (open.text !== '{' || open.kind !== 'punct')
      throw new FilterSyntax('"{" was expected after "in"', open.at);
    // Words split at `..` (`1..80`, `1..`, `..`, `..80` are all ways to write a range's parts).
    const parts: (Token | '..')[] = [];
    for (;;) {
      const t = this.next('"}"');
      if (t.kind === 'punct' && t.text === '}') break;
      if (t.kind === 'punct' && t.text === ',') continue;
      if (t.kind !== 'word' || !t.text.includes('..')) {
        parts.push(t);
        continue;
      }
      let at = t.at;
      t.text.split('..').forEach((piece, k) => {
        if (k > 0) parts.push('..');
        if (piece !== '') parts.push({ kind: 'word', text: piece, at });
        at += piece.length + 2;
      });
    }
    const items: ((v: string) => boolean)[] = [];
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      if (p === '..') throw new FilterSyntax('a range needs a value on each side of ".."', open.at);
      const lo = this.value(p, name, kind);
      if (parts[k + 1] === '..') {
        const q = parts[k + 2];
        if (q === undefined || q === '..')
          throw new FilterSyntax('a range needs a value on each side of ".."', p.at);
        const hi = this.value(q, name, kind);
        items.push((v) => lo.compare(v) >= 0 && hi.compare(v) <= 0);
        k += 2;
      } else {
        items.push((v) => lo.compare(v) === 0);
      }
    }
    if (items.length === 0) throw new FilterSyntax('an empty set', open.at);
    return (v) => items.some((ok) => ok(v));
  }
}

/** Compiles a display filter, or throws NettraceError 'bad-filter' naming the character at fault. */
export function compileFilter(text: string): DisplayFilter {
  let test: Test;
  try {
    const toks = lex(text);
    if (toks.length === 0) throw new FilterSyntax('it is empty', Number.POSITIVE_INFINITY);
    test = new Parser(toks).parse();
  } catch (e) {
    if (!(e instanceof FilterSyntax)) throw e;
    const where = Number.isFinite(e.at) ? ` at character ${e.at + 1} of` : ' in';
    throw new NettraceError('bad-filter', `display filter: ${e.message}${where}: ${text}`);
  }
  return { text, matches: test };
}
