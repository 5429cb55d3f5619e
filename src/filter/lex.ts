// The tokens of a display filter: punctuation, words (field names, numbers, addresses, keywords)
// and quoted strings, each with its character offset for error messages.
import type { Quoted } from './values.ts';

export interface Token {
  kind: 'punct' | 'word' | 'string';
  /** As written; a string's text unescaped. */
  text: string;
  /** A string's bytes (`\xff` the byte 0xff, `\101` octal, other characters in UTF-8). */
  quoted?: Quoted;
  /** Character offset in the filter. */
  at: number;
}

/** A mistake in a filter, at character offset `at` (Infinity: at the end). */
export class FilterSyntax extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

// Longest first: `===` before `==`, `!==` before `!=`.
const PUNCT = [
  '===',
  '!==',
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
/** tshark's character escapes; any other letter after a backslash is an error there and here. */
const ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
};

function quotedString(s: string, at: number): { token: Token; end: number } {
  let text = '';
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let i = at + 1;
  for (;;) {
    if (i >= s.length) throw new FilterSyntax('a string is not closed', at);
    const c = s[i]!;
    if (c === '"') break;
    if (c !== '\\') {
      // A whole code point (a surrogate pair stays together).
      const cp = String.fromCodePoint(s.codePointAt(i)!);
      text += cp;
      bytes.push(...enc.encode(cp));
      i += cp.length;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) throw new FilterSyntax('a string is not closed', at);
    // \xH or \xHH: a byte in hex; \N, \NN or \NNN: a byte in octal (as C and tshark read them).
    const hex = /^x([0-9a-f]{1,2})/i.exec(s.slice(i + 1, i + 4));
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4));
    let b: number;
    if (hex) {
      b = Number.parseInt(hex[1]!, 16);
      i += 1 + hex[0].length;
    } else if (oct) {
      b = Number.parseInt(oct[0], 8);
      if (b > 255) throw new FilterSyntax(`"\\${oct[0]}" is more than a byte`, i);
      i += 1 + oct[0].length;
    } else if (Object.hasOwn(ESCAPES, e)) {
      b = ESCAPES[e]!;
      i += 2;
    } else {
      throw new FilterSyntax(
        `"\\${e}" is not a valid character escape (write "\\\\${e}" for a backslash)`,
        i,
      );
    }
    text += String.fromCharCode(b);
    bytes.push(b);
  }
  return { token: { kind: 'string', text, quoted: { text, bytes: Uint8Array.from(bytes) }, at }, end: i + 1 };
}

export function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      const { token, end } = quotedString(s, i);
      out.push(token);
      i = end;
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
