// `analyze -Y FILTER`: Wireshark's display filter language, the part people type, over the fields
// of fields.ts (tshark's names and text forms). Like Wireshark, a test holds when any occurrence of
// its field holds it — outer or tunnelled header alike — so `ip.addr == 10.128.0.5` finds a pod's
// packets inside Geneve too; `!=` means no occurrence is equal, and a missing field fails every
// comparison. Supported: `&&` `||` `!` (and, or, not), parentheses; `==` `!=` `~=` `===` `<` `>`
// `<=` `>=` (eq ne any_ne all_eq lt gt le ge), `any`/`all` before a comparison, `in {a, b, c..d}`,
// `contains`, `matches` (a case-insensitive regular expression), `&` (bitwise and); a field or a
// protocol alone tests that it is present; `frame contains`/`matches` look at the packet's bytes.
// Not supported (a clear error, never a silent mismatch): field-to-field comparison, slices,
// arithmetic, functions.

import { type FieldReader, type FrameInfo, fieldReader } from '../decode/fields.ts';
import { type Packet, PROTO_BITS } from '../decode/packet.ts';
import { NettraceError } from '../errors.ts';
import { fieldNumber, type Literal, parseLiteral, quotedLiteral } from './values.ts';

export interface DisplayFilter {
  /** As given on the command line. */
  readonly text: string;
  matches(p: Packet, frame: FrameInfo): boolean;
}

type Test = (p: Packet, frame: FrameInfo) => boolean;

interface Token {
  kind: 'punct' | 'word' | 'string';
  text: string;
  /** Character offset in the filter. */
  at: number;
}

const PUNCT = [
  '===',
  '&&',
  '||',
  '==',
  '!=',
  '~=',
  '<=',
  '>=',
  '(',
  ')',
  '{',
  '}',
  ',',
  '!',
  '<',
  '>',
  '&',
  '~',
];
const WORD = /[A-Za-z0-9_.:/-]/;

class FilterSyntax extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      const at = i;
      let v = '';
      for (i++; ; i++) {
        if (i >= s.length) throw new FilterSyntax('a string is not closed', at);
        const d = s[i]!;
        if (d === '"') break;
        if (d !== '\\') {
          v += d;
          continue;
        }
        const e = s[++i];
        if (e === undefined) throw new FilterSyntax('a string is not closed', at);
        if (e === 'n') v += '\n';
        else if (e === 't') v += '\t';
        else if (e === 'r') v += '\r';
        else if (e === 'x' && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
          v += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
        } else v += e;
      }
      i++;
      out.push({ kind: 'string', text: v, at });
      continue;
    }
    const p = PUNCT.find((x) => s.startsWith(x, i));
    if (p !== undefined) {
      out.push({ kind: 'punct', text: p, at: i });
      i += p.length;
      continue;
    }
    if (!WORD.test(c)) throw new FilterSyntax(`"${c}" was unexpected`, i);
    const at = i;
    while (i < s.length && WORD.test(s[i]!)) i++;
    out.push({ kind: 'word', text: s.slice(at, i), at });
  }
  return out;
}

const RELATIONS: Record<string, 'eq' | 'ne' | 'any_ne' | 'all_eq' | 'lt' | 'gt' | 'le' | 'ge'> = {
  '==': 'eq',
  eq: 'eq',
  any_eq: 'eq',
  '!=': 'ne',
  ne: 'ne',
  all_ne: 'ne',
  '~=': 'any_ne',
  any_ne: 'any_ne',
  '===': 'all_eq',
  all_eq: 'all_eq',
  '<': 'lt',
  lt: 'lt',
  '>': 'gt',
  gt: 'gt',
  '<=': 'le',
  le: 'le',
  '>=': 'ge',
  ge: 'ge',
};

const HOLDS: Record<string, (c: number) => boolean> = {
  eq: (c) => c === 0,
  all_eq: (c) => c === 0,
  ne: (c) => c !== 0,
  any_ne: (c) => c !== 0,
  lt: (c) => c < 0,
  gt: (c) => c > 0,
  le: (c) => c <= 0,
  ge: (c) => c >= 0,
};

/** Some value holds `ok`, or (all) every one does and there is one. */
function quantified(read: FieldReader, all: boolean, ok: (v: string) => boolean): Test {
  if (all) {
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

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
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
    let left = this.and();
    while (this.is('||', 'or')) {
      this.i++;
      const a = left;
      const b = this.and();
      left = (p, f) => a(p, f) || b(p, f);
    }
    return left;
  }

  private and(): Test {
    let left = this.not();
    while (this.is('&&', 'and')) {
      this.i++;
      const a = left;
      const b = this.not();
      left = (p, f) => a(p, f) && b(p, f);
    }
    return left;
  }

  private not(): Test {
    if (this.is('!', 'not')) {
      this.i++;
      const t = this.not();
      return (p, f) => !t(p, f);
    }
    if (this.is('(')) {
      this.i++;
      const t = this.or();
      const close = this.next('")"');
      if (close.text !== ')' || close.kind !== 'punct') throw new FilterSyntax('")" was expected', close.at);
      return t;
    }
    return this.test();
  }

  private test(): Test {
    let all = false;
    if (this.is('any', 'all')) {
      const q = this.toks[this.i + 1];
      // `any`/`all` is a quantifier only before a field (not the start of a field name).
      if (q !== undefined && q.kind === 'word') all = this.next('a quantifier').text === 'all';
    }
    const ft = this.next('a field');
    if (ft.kind !== 'word') throw new FilterSyntax(`"${ft.text}" was unexpected`, ft.at);
    const name = ft.text;
    const read = fieldReader(name);
    const protocol = read === undefined && PROTOCOLS.has(name);
    if (read === undefined && !protocol) {
      throw new FilterSyntax(
        `"${name}" is neither a field nor a protocol name (nettrace analyze --list-fields lists them)`,
        ft.at,
      );
    }
    const op = this.peek();
    const rel = op === undefined || op.kind === 'string' ? undefined : op.text;
    if (rel === 'contains' || rel === 'matches' || rel === '~') {
      this.i++;
      return this.textTest(name, read, rel === 'contains' ? 'contains' : 'matches', all);
    }
    if (rel !== undefined && !Object.hasOwn(RELATIONS, rel) && rel !== 'in' && rel !== '&') {
      if (all) throw new FilterSyntax(`a comparison was expected after "all ${name}"`, op!.at);
      return this.presence(name, read);
    }
    if (rel === undefined) {
      if (all) throw new FilterSyntax(`a comparison was expected after "all ${name}"`, ft.at);
      return this.presence(name, read);
    }
    if (read === undefined)
      throw new FilterSyntax(`"${name}" is a protocol: it has no value to compare`, op!.at);
    this.i++;
    if (rel === 'in') return quantified(read, all, this.set());
    if (rel === '&') {
      const lit = this.literal();
      if (lit.number === undefined || !Number.isInteger(lit.number)) {
        throw new FilterSyntax(`"&" takes an integer, not "${lit.text}"`, op!.at);
      }
      const mask = BigInt(lit.number);
      return quantified(read, all, (v) => {
        const n = fieldNumber(v);
        return Number.isInteger(n) && (BigInt(n) & mask) !== 0n;
      });
    }
    const r = RELATIONS[rel]!;
    const lit = this.literal();
    const holds = HOLDS[r]!;
    const every = all || r === 'ne' || r === 'all_eq';
    return quantified(read, every, (v) => holds(lit.compare(v)));
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
    all: boolean,
  ): Test {
    const t = this.next('a value');
    let re: RegExp | undefined;
    let lit: Literal | undefined;
    if (how === 'matches') {
      if (t.kind !== 'string') throw new FilterSyntax('"matches" takes a quoted regular expression', t.at);
      try {
        re = new RegExp(t.text, 'i');
      } catch (e) {
        throw new FilterSyntax(`bad regular expression: ${(e as Error).message}`, t.at);
      }
    } else {
      lit = t.kind === 'string' ? quotedLiteral(t.text) : this.word(t);
    }
    if (read !== undefined) {
      return quantified(read, all, re ? (v) => re.test(v) : (v) => lit!.containsIn(v));
    }
    if (name !== 'frame') {
      throw new FilterSyntax(
        `"${how}" on a protocol works for "frame" only (its bytes): use a field of ${name}`,
        t.at,
      );
    }
    if (re)
      return (p) =>
        re.test(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('latin1'));
    const needle = lit!.bytes();
    return (p) => hasBytes(p.data, needle);
  }

  private word(t: Token): Literal {
    if (t.kind === 'punct') throw new FilterSyntax(`a value was expected, not "${t.text}"`, t.at);
    if (fieldReader(t.text) !== undefined || PROTOCOLS.has(t.text)) {
      throw new FilterSyntax(
        `"${t.text}" is a field: comparing two fields is not supported (quote it for a string)`,
        t.at,
      );
    }
    try {
      return parseLiteral(t.text);
    } catch (e) {
      throw new FilterSyntax((e as Error).message, t.at);
    }
  }

  private literal(): Literal {
    const t = this.next('a value');
    return t.kind === 'string' ? quotedLiteral(t.text) : this.word(t);
  }

  /** `{a, b, lo..hi}`: whether a value is one of them (commas optional). */
  private set(): (v: string) => boolean {
    const open = this.next('"{"');
    if (open.text !== '{' || open.kind !== 'punct')
      throw new FilterSyntax('"{" was expected after "in"', open.at);
    const items: ((v: string) => boolean)[] = [];
    for (;;) {
      const t = this.next('"}"');
      if (t.kind === 'punct' && t.text === '}') break;
      if (t.kind === 'punct' && t.text === ',') continue;
      const dots = t.kind === 'word' ? t.text.indexOf('..') : -1;
      if (dots > 0) {
        const lo = this.word({ ...t, text: t.text.slice(0, dots) });
        const hi = this.word({ ...t, text: t.text.slice(dots + 2), at: t.at + dots + 2 });
        items.push((v) => lo.compare(v) >= 0 && hi.compare(v) <= 0);
      } else {
        const lit = t.kind === 'string' ? quotedLiteral(t.text) : this.word(t);
        items.push((v) => lit.compare(v) === 0);
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
