// Whether TCP payload starts like an HTTP/1.x message: asked before a flow gets a parser, and by
// the parser when it has lost its place in the stream.

const enc = new TextEncoder();
const TOKENS = [
  'GET ',
  'POST ',
  'PUT ',
  'HEAD ',
  'DELETE ',
  'OPTIONS ',
  'PATCH ',
  'CONNECT ',
  'TRACE ',
  'HTTP/1.',
].map((t) => enc.encode(t));
const FIRST = new Uint8Array(256);
for (const t of TOKENS) FIRST[t[0]!] = 1;

/** Cheap pre-check for a payload's first byte: could it start an HTTP/1.x message? */
export function mayStartHttp(firstByte: number): boolean {
  return FIRST[firstByte] === 1;
}

/** 0: not HTTP; 1: a request or response start; 2: too short to tell but a prefix of one. */
export function startsLikeHttp(b: Uint8Array, pos: number, end: number): 0 | 1 | 2 {
  if (pos >= end || FIRST[b[pos]!] !== 1) return 0;
  for (const t of TOKENS) {
    let i = 0;
    while (i < t.length && pos + i < end && b[pos + i] === t[i]) i++;
    if (i === t.length) return 1;
    if (pos + i === end) return 2;
  }
  return 0;
}
