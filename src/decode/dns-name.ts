// DNS name expansion: Wireshark 4.0's expand_dns_name re-implemented, so the name text matches
// tshark even for hostile compression; a walk that reads more bytes than the message holds must be
// looping (a terminating walk visits each byte once), and a per-message budget bounds the total work.
import type { Packet } from './packet.ts';

/** Wireshark's MAX_DNAME_LEN: room for 253 characters of name text plus its terminator. */
const MAX_NAME = 255;

/** The message a name is read from (shared with the record decoder in dns.ts). */
export interface Msg {
  p: Packet;
  start: number;
  end: number;
  cut: boolean;
  /** Bytes name expansion may still read in this message. */
  budget: number;
}

export function past(m: Msg, at: number, what: string): void {
  if (m.cut) m.p.issue('truncated', 'dns', at, `${what} cut off by the end of the capture`);
  else m.p.issue('malformed', 'dns', at, `${what} runs past the end of the message`);
}

/**
 * The name text of the last readName (Wireshark's: escaped bytes, `<Root>` or a `<...>` note), read
 * by the caller right after the call: a live binding rather than a result object made per name.
 */
export let nameText = '';
const nameBuf = new Uint8Array(MAX_NAME + 16);
/** The same bytes as a Buffer: its latin1 slice is the cheapest way to a string for plain names. */
const nameBytes = Buffer.from(nameBuf.buffer, nameBuf.byteOffset, nameBuf.length);

// Recent plain names, by a hash of their length and a few bytes: a capture asks for the same few
// names again and again, and comparing the bytes with those of the string made last time (a word
// at a time) is cheaper than making it anew. The shared string also keeps its hash for whoever
// puts it in a Map (the DNS tracker interns names).
const NAME_CACHE = 512;
const WORDS = (MAX_NAME + 16) >> 2;
const nameWords = new Int32Array(nameBuf.buffer, nameBuf.byteOffset, WORDS);
const cachedWords = new Int32Array(NAME_CACHE * WORDS);
const cachedLen = new Int32Array(NAME_CACHE).fill(-1);
const cachedNames: string[] = new Array<string>(NAME_CACHE).fill('');

/** nameBuf[0, n) (printable ASCII) as a string. */
function plainName(n: number): string {
  const slot =
    (Math.imul(n, 31) + nameBuf[0]! + 7 * nameBuf[n - 1]! + 13 * nameBuf[n >> 1]!) & (NAME_CACHE - 1);
  const words = (n + 3) >> 2;
  for (let i = n; i < words << 2; i++) nameBuf[i] = 0;
  const base = slot * WORDS;
  if (cachedLen[slot] === n) {
    let w = 0;
    while (w < words && cachedWords[base + w] === nameWords[w]) w++;
    if (w === words) return cachedNames[slot]!;
  }
  const s = nameBytes.toString('latin1', 0, n);
  cachedLen[slot] = n;
  cachedWords.set(nameWords.subarray(0, words), base);
  cachedNames[slot] = s;
  return s;
}

/**
 * Expands the name at `pos` (Wireshark 4.0's expand_dns_name, re-implemented). Returns the bytes the
 * name occupies at `pos`, or -1 when it cannot be read (the issue is already reported).
 */
export function readName(m: Msg, pos: number, what: string): number {
  const b = m.p.data;
  const limit = m.end - m.start;
  let o = pos;
  let len = -1;
  let pointers = 0;
  let walked = 0;
  let room = MAX_NAME;
  let np = 0;
  let nameLen = 0;
  let plain = true;
  for (;;) {
    if (o >= m.end) return nameFail(m, pos, o, what);
    const c = b[o++]!;
    walked++;
    if (c === 0) break;
    const kind = c & 0xc0;
    if (kind === 0) {
      if (np !== 0) {
        if (room > 0) {
          nameBuf[np++] = 0x2e;
          nameLen++;
          room--;
        }
      } else {
        room--;
      }
      if (o + c > m.end) return nameFail(m, pos, m.end, what);
      const n = c < room ? c : Math.max(room, 0);
      for (let i = 0; i < n; i++) {
        const x = b[o + i]!;
        if (x < 0x20 || x > 0x7e) plain = false;
        nameBuf[np + i] = x;
      }
      np += n;
      nameLen += n;
      room -= n;
      o += c;
      walked += c;
    } else if (kind === 0xc0) {
      if (o >= m.end) return nameFail(m, pos, o, what);
      const target = m.start + (((c & 0x3f) << 8) | b[o++]!);
      walked++;
      pointers++;
      if (len < 0) len = o - pos;
      if (walked > limit || pointers > MAX_NAME) {
        nameText = '<Name contains a pointer that loops>';
        m.p.issue('loop', 'dns', pos, `${what}: compression pointers loop`);
        m.budget -= walked;
        return len;
      }
      if (walked > m.budget) {
        m.p.issue('loop', 'dns', pos, `${what}: name expansion budget for this message exhausted`);
        return -1;
      }
      o = target;
    } else if (c === 0x41) {
      // RFC 2673 bit-string label, printed as \[x<hex>/<bits>] (historic, kept for tshark parity)
      if (o >= m.end) return nameFail(m, pos, o, what);
      const bits = b[o++]!;
      const n = Math.trunc((bits - 1) / 8) + 1;
      if (o + n > m.end) return nameFail(m, pos, m.end, what);
      [room, np] = put('\\[x', room, np);
      for (let i = 0; i < n; i++) [room, np] = put(HEX[b[o++]!]!, room, np);
      [room, np] = put(`/${bits}]`, room, np);
      walked += 1 + n;
    } else if (kind === 0x40) {
      nameText = '<Unknown extended label>';
      len = o - pos;
      if (len < 2) {
        m.p.issue('malformed', 'dns', pos, `${what}: unknown extended label type 0x${c.toString(16)}`);
        return -1;
      }
      m.p.issue('malformed', 'dns', o - 1, `${what}: unknown extended label type 0x${c.toString(16)}`);
      return len;
    } else {
      m.p.issue('malformed', 'dns', o - 1, `${what}: reserved label type 0x80`);
      return -1;
    }
  }
  m.budget -= walked;
  if (room <= 0) {
    nameText = '<Name too long>';
    m.p.issue('malformed', 'dns', pos, `${what}: longer than 255 bytes`);
  } else {
    nameText = np === 0 ? '<Root>' : plain ? plainName(nameLen) : formatText(nameBuf, nameLen);
  }
  return len < 0 ? o - pos : len;
}

/**
 * The flat decoder's name reader: a name of plain labels only (printable ASCII, no compression
 * pointer, not the root, shorter than Wireshark's limit) at `pos`, set in nameText exactly as
 * readName would; the bytes it occupies, or -1 for any other name (readName's to read).
 */
export function readPlainName(b: Uint8Array, pos: number, end: number): number {
  let o = pos;
  let np = 0;
  for (;;) {
    if (o >= end) return -1;
    const c = b[o++]!;
    if (c === 0) break;
    // A label and its separator must leave room (readName's `room`), and fit in the message.
    const next = np === 0 ? c : np + 1 + c;
    if (c > 63 || o + c > end || next > MAX_NAME - 2) return -1;
    if (np !== 0) nameBuf[np++] = 0x2e;
    for (let i = 0; i < c; i++) {
      const x = b[o + i]!;
      if (x < 0x20 || x > 0x7e) return -1;
      nameBuf[np + i] = x;
    }
    np += c;
    o += c;
  }
  if (np === 0) return -1;
  nameText = plainName(np);
  return o - pos;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** snprintf into the name buffer as Wireshark does: all of `s` if it fits, else nothing and no more room. */
function put(s: string, room: number, np: number): [number, number] {
  if (room <= 0) return [room, np];
  if (s.length > room) return [0, np];
  for (let i = 0; i < s.length; i++) nameBuf[np++] = s.charCodeAt(i);
  return [room - s.length, np];
}

function nameFail(m: Msg, pos: number, at: number, what: string): number {
  past(m, Math.max(at, pos), what);
  return -1;
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cn}\p{Cs}]/u;
const C_ESCAPES: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
};

/**
 * Wireshark 4.0's format_text: printable ASCII as is, other ASCII as C escapes (`\t`, `\001`),
 * UTF-8 sequences (leniently decoded) as the character when printable, `\uXXXX` / `\UXXXXXXXX`
 * when not, and U+FFFD for each invalid sequence.
 */
export function formatText(buf: Uint8Array, n: number): string {
  let i = 0;
  while (i < n && buf[i]! >= 0x20 && buf[i]! < 0x7f) i++;
  if (i === n) return String.fromCharCode.apply(null, buf.subarray(0, n) as unknown as number[]);
  let s = String.fromCharCode.apply(null, buf.subarray(0, i) as unknown as number[]);
  while (i < n) {
    const c = buf[i++]!;
    if (c < 0x80) {
      if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
      else s += C_ESCAPES[c] ?? `\\${c.toString(8).padStart(3, '0')}`;
      continue;
    }
    let need: number;
    let uc: number;
    if (c < 0xc0 || c >= 0xfe) {
      s += '\ufffd';
      continue;
    } else if (c < 0xe0) [need, uc] = [1, c & 0x1f];
    else if (c < 0xf0) [need, uc] = [2, c & 0x0f];
    else if (c < 0xf8) [need, uc] = [3, c & 0x07];
    else if (c < 0xfc) [need, uc] = [4, c & 0x03];
    else [need, uc] = [5, c & 0x01];
    for (; need > 0 && i < n && (buf[i]! & 0xc0) === 0x80; need--) uc = uc * 64 + (buf[i++]! & 0x3f);
    if (need > 0 || uc > 0x10ffff || (uc >= 0xd800 && uc <= 0xdfff)) {
      s += '\ufffd';
      continue;
    }
    const ch = String.fromCodePoint(uc);
    if (!NOT_PRINTABLE.test(ch)) s += ch;
    else if (uc <= 0xffff) s += `\\u${uc.toString(16).toUpperCase().padStart(4, '0')}`;
    else s += `\\U${uc.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return s;
}
