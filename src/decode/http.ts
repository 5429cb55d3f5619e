// HTTP/1.x (RFC 9112) start line and header block, from one TCP segment's payload. Messages are not
// reassembled across segments (that is the flow module's job): a segment that does not begin with a
// request or status line is a continuation and yields no layer. Several complete messages in one
// segment (pipelining, 100-continue) yield one layer each, as tshark shows them. Line and token
// rules follow Wireshark 4.0 so the field text matches it.
import { latin1 } from './bytes.ts';
import type { FieldTable } from './fields.ts';
import type { HttpLayer } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const MAX_MESSAGES = 16;

/** Request methods Wireshark 4.0 recognises (anything else is not taken for HTTP). */
const METHODS = new Set(
  (
    'GET PUT COPY HEAD LOCK MOVE POLL POST BCOPY BMOVE MKCOL TRACE PATCH LABEL MERGE DELETE SEARCH UNLOCK ' +
    'REPORT UPDATE NOTIFY BDELETE CONNECT OPTIONS CHECKIN PROPFIND CHECKOUT CCM_POST SUBSCRIBE PROPPATCH ' +
    'BPROPFIND BPROPPATCH UNCHECKOUT MKACTIVITY MKWORKSPACE RPC_CONNECT RPC_IN_DATA UNSUBSCRIBE ' +
    'RPC_OUT_DATA VERSION-CONTROL BASELINE-CONTROL SSTP_DUPLEX_POST'
  ).split(' '),
);

/** RFC 9110 tchar: what a header name may be made of. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/*
 * request-line   = method SP request-target SP HTTP-version CRLF
 * status-line    = HTTP-version SP status-code SP [ reason-phrase ] CRLF
 * field-line     = field-name ":" OWS field-value OWS CRLF
 * message        = start-line *( field-line ) CRLF [ message-body ]
 */
export const decodeHttp: Decoder = (p, off, end) => {
  let o = off;
  for (let n = 0; n < MAX_MESSAGES && o >= 0 && o < end; n++) o = message(p, p.data, o, end);
};

/**
 * What decodeHttp would find in the payload b[off, end), without building layers (the flat
 * decoder's question): 0 no message, 1 messages and no issue, -1 an issue.
 */
export function checkHttp(b: Uint8Array, off: number, end: number): number {
  faulty = false;
  let o = off;
  let found = 0;
  for (let n = 0; n < MAX_MESSAGES && o >= 0 && o < end; n++) {
    o = message(undefined, b, o, end);
    if (messageFound) found = 1;
  }
  return faulty ? -1 : found;
}

/** What `message` did without a packet: a message was found; one of them had an issue. */
let messageFound = false;
let faulty = false;
function newLayer(offset: number, kind: HttpLayer['kind']): HttpLayer {
  return {
    proto: 'http',
    offset,
    hlen: 0,
    kind,
    method: undefined,
    uri: undefined,
    version: '',
    status: undefined,
    reason: undefined,
    headers: [],
    host: undefined,
    contentLength: undefined,
    complete: false,
  };
}

/** The layer `message` fills when checking without a packet (only what bodyEnd reads matters). */
const SCRATCH = newLayer(0, 'request');

function issue(p: Packet | undefined, o: number, message: string): void {
  faulty = true;
  p?.issue('malformed', 'http', o, message);
}

/** Line [start, lineEnd) ending at CR, LF or CRLF (or at `end`); returns lineEnd, sets `nextLine`. */
let nextLine = 0;
function lineEnd(b: Uint8Array, o: number, end: number): number {
  let i = o;
  while (i < end && b[i] !== CR && b[i] !== LF) i++;
  nextLine = i < end ? (b[i] === CR && i + 1 < end && b[i + 1] === LF ? i + 2 : i + 1) : end;
  return i;
}

/** The 4 bytes at `o` big-endian, those at or past `n` bytes in as 0 (no start line holds a NUL). */
function word(b: Uint8Array, o: number, n: number): number {
  return (
    ((n > 0 ? b[o]! : 0) << 24) |
    ((n > 1 ? b[o + 1]! : 0) << 16) |
    ((n > 2 ? b[o + 2]! : 0) << 8) |
    (n > 3 ? b[o + 3]! : 0)
  );
}

const W_MDASH = 0x4d2d; // "M-" (RFC 2774 mandatory prefix), in the top half of a word
const W_HTTP = 0x48545450; // "HTTP"
const W_ICY = 0x494359; // "ICY", in the top three bytes

/**
 * 1 request, 2 status line, 0 neither. The first bytes are read and compared as numbers whatever
 * they hold, with no branch for a rare byte: most payload on an HTTP port is a body or binary data,
 * and compiled code meeting a branch its first runs never took is thrown away and compiled again.
 */
function startLineKind(b: Uint8Array, o: number, le: number): number {
  const n = le - o;
  const w0 = word(b, o, n);
  const w2 = word(b, o + 2, n - 2);
  const m = w0 >>> 16 === W_MDASH ? 2 : 0;
  const p = o + m;
  const w = m === 0 ? w0 : w2;
  const c4 = n - m > 4 ? b[p + 4]! : 0;
  if (((w ^ W_HTTP) | (c4 ^ 0x2f)) === 0) return 2; // HTTP/
  if (w >>> 8 === W_ICY) return 2; // ICY (bytes not there read as 0)
  // Methods are upper-case letters, '_' and '-': reject anything else before building a string,
  // since most TCP payload on an HTTP port is a body or binary data, not a start line.
  let i = p;
  while (i < le && b[i] !== SP && b[i] !== CR && b[i] !== LF) {
    const c = b[i]!;
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x2d) || i - p >= 16) return 0;
    i++;
  }
  if (i - p < 3) return 0;
  return METHODS.has(latin1(b, p, i)) ? 1 : 0;
}

/** Wireshark's get_token_len: the token up to a blank (or line end); `tokenNext` skips the blanks after it. */
let tokenNext = 0;
function token(b: Uint8Array, o: number, le: number): number {
  let i = o;
  while (i < le && b[i] !== SP) i++;
  let j = i;
  while (j < le && b[j] === SP) j++;
  tokenNext = j;
  return i;
}

/** The kind (startLineKind) of the start line messageStart last found. */
let startKind = 0;

/** Where the start line of a message at `start` begins, or -1 when no message begins there. */
function messageStart(b: Uint8Array, start: number, end: number): number {
  let o = start;
  // A stray CRLF before the start line (compared as one number: see startLineKind).
  o += end - o > 3 && ((b[o]! << 8) | b[o + 1]!) === 0x0d0a ? 2 : 0;
  if (o >= end || b[o]! < 0x20 || b[o]! > 0x7e) return -1;
  // The start line's kind is read before its end is searched: neither a method nor "HTTP/" can
  // hold a CR or LF, so `end` bounds the look as well as the line end would.
  startKind = startLineKind(b, o, end);
  return startKind === 0 ? -1 : o;
}

/**
 * Decodes one message at `start` into a layer of `p` (or, with no packet, only walks it: see
 * checkHttp); where the next one would begin, or -1 when there is none to try.
 */
function message(p: Packet | undefined, b: Uint8Array, start: number, end: number): number {
  messageFound = false;
  let o = messageStart(b, start, end);
  if (o < 0) return -1;
  messageFound = true;
  const kind = startKind;
  let le = lineEnd(b, o, end);
  let layer: HttpLayer;
  if (p !== undefined) {
    layer = newLayer(start, kind === 1 ? 'request' : 'response');
    p.add(layer, PROTO_BITS.http);
    if (kind === 1) requestLine(b, o, le, layer);
    else statusLine(b, o, le, layer);
  } else {
    layer = SCRATCH;
    layer.kind = kind === 1 ? 'request' : 'response';
    layer.status = undefined;
    if (kind !== 1) {
      token(b, o, le); // the version, as statusLine reads it
      layer.status = statusCode(b, tokenNext, le);
    }
    layer.contentLength = undefined;
    layer.complete = false;
  }
  let chunked = false;
  o = nextLine;
  while (o < end) {
    le = lineEnd(b, o, end);
    if (le === o) {
      layer.complete = true;
      o = nextLine;
      break;
    }
    if (startLineKind(b, o, le) !== 0) break; // the next message begins without a blank line
    let colon = o;
    while (colon < le && b[colon] !== COLON) colon++;
    if (colon === le) {
      // a line cut by the segment end is the header block going on in the next segment
      if (le < end) issue(p, o, 'header line without a colon ends the header block');
      break;
    }
    let valid = colon > o;
    for (let i = o; i < colon && valid; i++) valid = b[i]! < 128 && TCHAR[b[i]!] === 1;
    // only three names matter to the decoder itself; skip lower-casing the rest (and, when only
    // checking, making their strings)
    const n = colon - o;
    const known = n === 4 || n === 14 || n === 17;
    if (!valid) {
      issue(p, o, 'illegal characters in header name');
    } else if (p !== undefined || known) {
      let v = colon + 1;
      while (v < le && (b[v] === SP || b[v] === HT)) v++;
      const name = latin1(b, o, colon);
      const value = latin1(b, v, le);
      if (p !== undefined) layer.headers.push([name, value]);
      const lower = known ? name.toLowerCase() : '';
      if (lower === 'host') layer.host ??= value;
      else if (lower === 'content-length') layer.contentLength ??= parseLength(value);
      else if (lower === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    }
    o = nextLine;
  }
  layer.hlen = o - start;
  if (!layer.complete) return o < end ? o : -1;
  return bodyEnd(b, layer, chunked, o, end);
}

function requestLine(b: Uint8Array, o: number, le: number, layer: HttpLayer): void {
  const mEnd = token(b, o, le);
  layer.method = latin1(b, o, mEnd);
  let u = tokenNext;
  if (u - o > 2 && b[u - 1] === SP && b[u - 2] === SP) u--; // two spaces: an empty request-target
  const uEnd = token(b, u, le);
  layer.uri = latin1(b, u, uEnd);
  layer.version = latin1(b, tokenNext, le);
}

function statusLine(b: Uint8Array, o: number, le: number, layer: HttpLayer): void {
  const vEnd = token(b, o, le);
  layer.version = latin1(b, o, vEnd);
  layer.status = statusCode(b, tokenNext, le);
  if (layer.status !== undefined && tokenNext < le) layer.reason = latin1(b, tokenNext, le);
}

/** The status code token at `c` (undefined when shorter than 3 characters); tokenNext is past it. */
function statusCode(b: Uint8Array, c: number, le: number): number | undefined {
  const cEnd = token(b, c, le);
  return cEnd - c < 3 ? undefined : strtoul3(b, c);
}

/** strtoul() of the first three characters of the status code, as Wireshark reads it (`abc` is 0). */
function strtoul3(b: Uint8Array, o: number): number {
  let i = o;
  const e = o + 3;
  while (i < e && (b[i] === HT || b[i] === 11 || b[i] === 12)) i++;
  if (i < e && b[i] === 0x2b) i++;
  let n = 0;
  for (; i < e && b[i]! >= 0x30 && b[i]! <= 0x39; i++) n = n * 10 + b[i]! - 0x30;
  return n;
}

function parseLength(v: string): number | undefined {
  let n = 0;
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i > 0 && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}

/** Where the body after a complete header block ends, when that can be known within this segment. */
function bodyEnd(b: Uint8Array, layer: HttpLayer, chunked: boolean, o: number, end: number): number {
  const s = layer.status;
  if (layer.kind === 'response' && s !== undefined && (s < 200 || s === 204 || s === 304)) return o;
  if (layer.contentLength !== undefined) return o + layer.contentLength <= end ? o + layer.contentLength : -1;
  if (chunked) return chunksEnd(b, o, end);
  return layer.kind === 'request' ? o : -1;
}

/** Walks chunk-size lines and data to the end of the trailer section; -1 when it goes past `end`. */
function chunksEnd(b: Uint8Array, o: number, end: number): number {
  while (o < end) {
    const le = lineEnd(b, o, end);
    if (le === end) return -1;
    let size = 0;
    let i = o;
    for (; i < le; i++) {
      const c = b[i]!;
      const d =
        c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
      if (d < 0) break;
      size = size * 16 + d;
    }
    if (i === o || size > end) return -1;
    o = nextLine;
    if (size === 0) {
      for (;;) {
        if (o >= end) return -1;
        const te = lineEnd(b, o, end);
        if (te === o) return nextLine;
        o = nextLine;
      }
    }
    o += size + 2;
  }
  return -1;
}

/**
 * tshark's field text of an ENC_ASCII string: bytes above 0x7f print as U+FFFD, a NUL ends it, and
 * -T fields writes a TAB as `\t`.
 */
function ascii(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 9 || c > 0x7f) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) {
        const k = s.charCodeAt(j);
        if (k === 0) break;
        out += k > 0x7f ? '\ufffd' : k === 9 ? '\\t' : s[j];
      }
      return out;
    }
  }
  return s;
}

function header(name: string) {
  return (l: HttpLayer) => l.headers.filter((h) => h[0].toLowerCase() === name).map((h) => ascii(h[1])!);
}

const req = (l: HttpLayer, v: string | undefined) => (l.kind === 'request' ? ascii(v) : undefined);
const res = (l: HttpLayer, v: string | undefined) => (l.kind === 'response' ? ascii(v) : undefined);

export const httpFields: FieldTable<HttpLayer> = {
  'http.request.method': (l) => req(l, l.method),
  'http.request.uri': (l) => req(l, l.uri),
  'http.request.version': (l) => req(l, l.version),
  'http.response.version': (l) => res(l, l.version),
  'http.response.code': (l) => (l.status === undefined ? undefined : String(l.status)),
  'http.response.phrase': (l) => res(l, l.reason),
  'http.host': header('host'),
  'http.user_agent': header('user-agent'),
  'http.content_length_header': header('content-length'),
  'http.content_type': header('content-type'),
  'http.content_encoding': header('content-encoding'),
  'http.transfer_encoding': header('transfer-encoding'),
  'http.server': header('server'),
  'http.location': header('location'),
  'http.referer': header('referer'),
  'http.connection': header('connection'),
  'http.accept': header('accept'),
  'http.accept_encoding': header('accept-encoding'),
  'http.accept_language': header('accept-language'),
  'http.date': header('date'),
  'http.cache_control': header('cache-control'),
  'http.upgrade': header('upgrade'),
  'http.last_modified': header('last-modified'),
  'http.x_forwarded_for': header('x-forwarded-for'),
};
