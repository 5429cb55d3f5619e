// `matches`: tshark's regular expressions are PCRE, case-insensitive; these are JavaScript's, made to
// agree where the two would read the same pattern differently on packet data:
// - `.` is any character but a newline in PCRE; in JavaScript it also skips \r.
// - bytes (frame, bytes and MAC fields) are matched as bytes: a byte from 0x80 up is a character of
//   its own (a private-use one), so that case-insensitivity folds ASCII letters only — as Latin-1,
//   0xC0 would match 0xE0 — and a `\xHH` in the pattern means that byte.

/** Where a byte from 0x80 up goes in a bytes subject (U+E080..U+E0FF: no case, no line end). */
const HIGH = 0xe000;

/** The subject of a bytes match: ASCII as itself, other bytes as private-use characters. */
export function bytesSubject(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    s += String.fromCharCode(c < 0x80 ? c : HIGH + c);
  }
  return s;
}

const hex4 = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;

/**
 * The JavaScript source of PCRE `pattern`; for a bytes subject (bytesSubject), characters and
 * `\xHH` escapes from 0x80 up become the subject's private-use characters.
 */
export function pcreSource(pattern: string, bytes: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const code = pattern.charCodeAt(i);
    if (c === '\\') {
      const hex = /^x([0-9a-fA-F]{2})/.exec(pattern.slice(i + 1, i + 4));
      if (bytes && hex && Number.parseInt(hex[1]!, 16) >= 0x80) {
        out += hex4(HIGH + Number.parseInt(hex[1]!, 16));
        i += 3;
      } else {
        out += pattern.slice(i, i + 2);
        i++;
      }
    } else if (bytes && code >= 0x80 && code <= 0xff) {
      out += hex4(HIGH + code);
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
      // `[]...]` and `[^]...]`: a leading `]` is a member, not the end.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += `\\${pattern[++i]}`;
    } else if (c === ']' && inClass) {
      inClass = false;
      out += c;
    } else if (c === '.' && !inClass) {
      out += '[^\\n]';
    } else {
      out += c;
    }
  }
  return out;
}
