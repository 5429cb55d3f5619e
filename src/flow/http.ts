// HTTP/1.x transactions rebuilt from a TCP connection's payload, one parser per direction.
// The parser only buffers a message head (until the blank line, capped at MAX_HEAD); bodies are
// skipped by length (Content-Length, chunked framing, or to the end of the connection), never kept.
// Segments are taken in sequence order: old ones (retransmissions) are dropped, a few early ones are
// held until the gap fills; a longer gap, or bytes the capture did not keep (snaplen), lose the
// message boundary, and the parser waits for a segment that starts like HTTP again. Requests and
// responses are paired first-in first-out, which is what HTTP/1.1 pipelining guarantees.
import { latin1 } from '../decode/bytes.ts';
import type { HttpLog, HttpTransaction } from './http-log.ts';
import { startsLikeHttp } from './http-start.ts';
import { seqLT } from './tcp-state.ts';

export const MAX_HEAD = 64 * 1024;
/** Out-of-order segments held per direction before the gap is given up on. */
export const MAX_HELD = 4;
/** Requests waiting for their response before pairing for the connection is given up on. */
export const MAX_PENDING = 256;
const MAX_LINE = 1024;

// Parser states. SCAN: position unknown, a segment must start like HTTP; NEXT: at a message boundary.
const SCAN = 0;
const NEXT = 1;
const HEAD = 2;
const BODY = 3;
const CHUNK_SIZE = 4;
const CHUNK_DATA = 5;
const TRAILER = 6;
const TO_CLOSE = 7;

interface Held {
  seq: number;
  bytes: Uint8Array;
  len: number;
  tNs: number;
}

/** One direction's parsing state. */
class Direction {
  state = SCAN;
  seqKnown = false;
  /** As int32 (compared modulo 2^32): a uint32 above 2^31 would be a boxed double. */
  nextSeq = 0;
  /** Head (or chunk-size / trailer line) bytes so far, as latin1 text. */
  text = '';
  /** Blank-line matcher state carried across segments. */
  match = 0;
  /** A double from the start (NaN until set): a field that held small integers first would change representation later. */
  startNs = Number.NaN;
  left = 0;
  held: Held[] | undefined = undefined;
  /** Started by `expect` and no segment seen yet. */
  expected = false;
}

/**
 * One TCP connection's HTTP parsing state (attached to its Flow). The connection object is itself
 * the state of its A→B direction (A spoke first: the client, on a connection seen from its start),
 * so a request segment reaches its state without a second object; B→A has its own.
 */
export class HttpConnection extends Direction {
  // Two fields rather than an array: one pointer less to chase per segment.
  private readonly d0: Direction = this;
  private readonly d1 = new Direction();
  /** Requests waiting for their response, oldest first. */
  private readonly pending: HttpTransaction[] = [];
  private stopped = false;

  constructor(
    readonly flow: number,
    private readonly log: HttpLog,
  ) {
    super();
  }

  /** Out-of-order segments still held (both directions) and the first one's time, or undefined. */
  heldSegments(): { count: number; tNs: number } | undefined {
    if (this.stopped) return undefined;
    let count = 0;
    let tNs = Number.POSITIVE_INFINITY;
    for (const held of [this.d0.held, this.d1.held]) {
      for (const x of held ?? []) {
        count++;
        if (x.tNs < tNs) tNs = x.tNs;
      }
    }
    return count === 0 ? undefined : { count, tNs };
  }

  /** Objects held (for memory tests): pending requests, held segments. */
  get heldObjects(): number {
    return this.pending.length + (this.d0.held?.length ?? 0) + (this.d1.held?.length ?? 0);
  }

  /**
   * Direction `dir`'s stream goes on at sequence `seq`, a message boundary (the other side has
   * acknowledged up to there): a later segment of it that arrives first is then held for the gap,
   * not taken as the start. Ignored once the direction has had a segment.
   */
  expect(dir: 0 | 1, seq: number): void {
    const d = dir === 0 ? this.d0 : this.d1;
    if (d.seqKnown) return;
    d.seqKnown = true;
    d.nextSeq = seq | 0;
    d.state = NEXT;
    d.expected = true;
  }

  /**
   * One TCP segment's payload in direction `dir`: `len` bytes from sequence `seq`, of which the
   * first `cap` were captured at `data[off..]`.
   */
  segment(dir: 0 | 1, seq: number, data: Uint8Array, off: number, cap: number, len: number, tNs: number) {
    if (this.stopped || len <= 0) return;
    const d = dir === 0 ? this.d0 : this.d1;
    if (!d.seqKnown) {
      d.seqKnown = true;
      d.nextSeq = seq | 0;
    } else if (d.expected) {
      // The first segment after `expect`: one past the expected start that begins a message
      // starts the stream there (the peer sent bytes first that were not acknowledged yet, e.g. a
      // server banner); one that does not is held for the gap, as a late first segment's second.
      d.expected = false;
      if (((seq - d.nextSeq) | 0) > 0 && cap > 0 && startsLikeHttp(data, off, off + Math.min(cap, len)) !== 0)
        d.nextSeq = seq | 0;
    }
    const rel = (seq - d.nextSeq) | 0;
    // Scanning for a message start, in order or past a gap, and this one does not start like
    // HTTP: all there is to do is to move on (what accept would do, in fewer steps: most payload
    // on a connection that once spoke HTTP is bodies or some other protocol).
    if (
      d.state === SCAN &&
      rel >= 0 &&
      (d.held === undefined || d.held.length === 0) &&
      (cap <= 0 || startsLikeHttp(data, off, off + Math.min(cap, len)) === 0)
    ) {
      d.nextSeq = (seq + len) | 0;
      return;
    }
    if (rel > 0 && d.state !== SCAN) {
      this.hold(d, seq, data, off, cap, len, tNs);
      return;
    }
    this.accept(d, Math.min(rel, 0), seq, data, off, cap, len, tNs);
    while (d.held !== undefined && d.held.length > 0 && !this.stopped) {
      const k = d.held.findIndex((h) => !seqLT(d.nextSeq, h.seq));
      if (k < 0) break;
      const h = d.held.splice(k, 1)[0]!;
      this.accept(d, (h.seq - d.nextSeq) | 0, h.seq, h.bytes, 0, h.bytes.length, h.len, h.tNs);
    }
  }

  private accept(
    d: Direction,
    rel: number,
    seq: number,
    data: Uint8Array,
    off: number,
    cap: number,
    len: number,
    tNs: number,
  ) {
    if (rel < 0) {
      if (rel + len <= 0) return; // wholly seen already: a retransmission
      const skip = -rel;
      off += skip;
      cap = Math.max(0, cap - skip);
      len -= skip;
      seq = (seq + skip) >>> 0;
    }
    this.consume(d, data, off, off + Math.min(cap, len), tNs);
    if (len > cap) this.missing(d, len - cap, tNs);
    d.nextSeq = (seq + len) | 0;
  }

  private hold(
    d: Direction,
    seq: number,
    data: Uint8Array,
    off: number,
    cap: number,
    len: number,
    tNs: number,
  ) {
    d.held ??= [];
    if (d.held.length >= MAX_HELD) {
      this.log.issue(
        this.flow,
        tNs,
        `gap in the TCP stream (more than ${MAX_HELD} segments missing or late)`,
      );
      d.held = undefined;
      d.state = SCAN;
      this.accept(d, 0, seq, data, off, cap, len, tNs);
      return;
    }
    d.held.push({ seq, bytes: data.slice(off, off + Math.min(cap, len)), len, tNs });
  }

  /** Bytes the capture did not keep: fine inside a body, otherwise the message boundary is lost. */
  private missing(d: Direction, n: number, tNs: number) {
    if (d.state === BODY || d.state === CHUNK_DATA) {
      if (n < d.left) {
        d.left -= n;
        return;
      }
      n -= d.left;
      d.left = 0;
      d.state = d.state === BODY ? NEXT : CHUNK_SIZE;
      if (n === 0) return;
    }
    if (d.state === TO_CLOSE || d.state === SCAN) return;
    if (d.state === HEAD) {
      if (this.stopped) return; // the head outgrew MAX_HEAD: parsing has stopped already
      this.cutHead(d);
      d.text = '';
      d.match = 0;
      if (this.stopped) return;
    }
    this.log.issue(
      this.flow,
      tNs,
      `${n} payload bytes not captured (snaplen): lost the HTTP message boundary`,
    );
    d.state = SCAN;
  }

  /**
   * A head cut by the snaplen (a capture made with -s 96..256 keeps just the start of each packet):
   * its complete lines still say what the message is, as tshark shows it. Cut inside the start
   * line, the message still counts (what is readable of it), so that later responses pair with
   * their own requests: a "500 Internal Server Error" line does not fit where a "200 OK" does.
   */
  private cutHead(d: Direction) {
    const text = d.text;
    const lines = text.lastIndexOf('\n');
    if (lines >= 0) {
      this.onHead(d, text.slice(0, lines + 1), true);
      return;
    }
    const status = /^HTTP\/1\.\d \d{3}/.exec(text);
    if (status) this.onHead(d, status[0], true);
    // A response whose status was not captured (even "HT" of it) still answers the oldest request.
    else if (text.startsWith('HTTP/') || (text !== '' && 'HTTP/'.startsWith(text))) this.pending.shift();
    else {
      const method = /^([A-Z]+) /.exec(text);
      if (method) this.request(d, { flow: this.flow, method: method[1]! });
    }
  }

  private consume(d: Direction, b: Uint8Array, pos: number, end: number, tNs: number) {
    while (pos < end && !this.stopped) {
      switch (d.state) {
        case SCAN:
        case NEXT: {
          if (startsLikeHttp(b, pos, end) === 0) {
            d.state = SCAN;
            return;
          }
          d.state = HEAD;
          d.text = '';
          d.match = 0;
          d.startNs = tNs;
          break;
        }
        case HEAD:
          pos = this.headBytes(d, b, pos, end);
          break;
        case BODY:
        case CHUNK_DATA: {
          const n = Math.min(d.left, end - pos);
          d.left -= n;
          pos += n;
          if (d.left === 0) d.state = d.state === BODY ? NEXT : CHUNK_SIZE;
          break;
        }
        case CHUNK_SIZE:
        case TRAILER:
          pos = this.lineBytes(d, b, pos, end, tNs);
          break;
        default: // TO_CLOSE
          return;
      }
    }
  }

  /** Feeds head bytes; returns where the head ended in `b` (or `end`). */
  private headBytes(d: Direction, b: Uint8Array, pos: number, end: number): number {
    let m = d.match;
    let i = pos;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c === 10) {
        if (m >= 2) break;
        m = 2;
      } else if (c === 13) m = m === 2 ? 3 : 1;
      else m = 0;
    }
    const stop = i < end ? i + 1 : end;
    if (d.text.length + (stop - pos) > MAX_HEAD) {
      this.log.issue(
        this.flow,
        d.startNs,
        `HTTP head longer than ${MAX_HEAD} bytes: stopped parsing this connection`,
      );
      this.stopped = true;
      return end;
    }
    d.text += latin1(b, pos, stop);
    d.match = m;
    if (i < end) {
      const text = d.text;
      d.text = '';
      d.match = 0;
      this.onHead(d, text);
    }
    return stop;
  }

  /** Chunk-size and trailer lines. */
  private lineBytes(d: Direction, b: Uint8Array, pos: number, end: number, tNs: number): number {
    let i = pos;
    while (i < end && b[i] !== 10) i++;
    const stop = i < end ? i + 1 : end;
    if (d.text.length + (stop - pos) > MAX_LINE) {
      this.log.issue(
        this.flow,
        tNs,
        'malformed chunked encoding (line too long): stopped parsing this connection',
      );
      this.stopped = true;
      return end;
    }
    d.text += latin1(b, pos, stop);
    if (i === end) return end;
    const line = d.text.trim();
    d.text = '';
    if (d.state === TRAILER) {
      if (line === '') d.state = NEXT;
      return stop;
    }
    const size = /^[0-9a-fA-F]{1,8}/.exec(line);
    if (!size) {
      this.log.issue(
        this.flow,
        tNs,
        `malformed chunk size "${line.slice(0, 40)}": stopped parsing this connection`,
      );
      this.stopped = true;
      return end;
    }
    const n = Number.parseInt(size[0], 16);
    if (n === 0) d.state = TRAILER;
    else {
      d.state = CHUNK_DATA;
      d.left = n + 2; // the data and its CRLF
    }
    return stop;
  }

  /** A message head; `cut`: only its first lines were captured (the message is recorded, no more). */
  private onHead(d: Direction, text: string, cut = false) {
    const lines = text.split(/\r?\n/);
    const first = lines[0] ?? '';
    let host: string | undefined;
    let length: string | undefined;
    let chunked = false;
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const name = line.slice(0, c).trim().toLowerCase();
      if (name === 'host') host ??= line.slice(c + 1).trim();
      else if (name === 'content-length') length ??= line.slice(c + 1).trim();
      else if (name === 'transfer-encoding') chunked ||= /chunked/i.test(line.slice(c + 1));
    }
    let bodyLen = 0;
    if (length !== undefined && !cut) {
      if (!/^\d{1,15}$/.test(length)) {
        this.log.issue(
          this.flow,
          d.startNs,
          `bad Content-Length "${length.slice(0, 40)}": stopped parsing this connection`,
        );
        this.stopped = true;
        return;
      }
      bodyLen = Number(length);
    }

    const resp = /^HTTP\/1\.\d (\d{3})(?: (.*))?$/.exec(first);
    if (resp) {
      const status = Number(resp[1]);
      if (status >= 100 && status < 200 && status !== 101) {
        d.state = NEXT; // interim response: the final one follows
        return;
      }
      let tx = this.pending.shift();
      if (tx === undefined) {
        tx = { flow: this.flow };
        this.log.transactions.push(tx);
      }
      tx.status = status;
      tx.reason = resp[2] ?? '';
      tx.responseNs = d.startNs;
      if (tx.requestNs !== undefined) tx.latencyNs = d.startNs - tx.requestNs;
      if (status === 101 || (tx.method === 'CONNECT' && status < 300)) {
        this.stopped = true; // no longer HTTP/1 on this connection
        return;
      }
      if (cut) return;
      if (tx.method === 'HEAD' || status === 204 || status === 304) d.state = NEXT;
      else this.body(d, chunked, length !== undefined ? bodyLen : -1);
      return;
    }

    const req = /^([A-Z]+) (\S+) HTTP\/1\.\d$/.exec(first);
    if (!req) {
      if (cut) return; // the boundary-lost issue follows
      this.log.issue(this.flow, d.startNs, `not an HTTP/1 start line: "${first.slice(0, 60)}"`);
      d.state = SCAN;
      return;
    }
    const tx: HttpTransaction = { flow: this.flow, method: req[1]!, uri: req[2]! };
    if (host !== undefined) tx.host = host;
    if (this.request(d, tx) && !cut) this.body(d, chunked, bodyLen);
  }

  /** A request seen: logged and waiting for its response; false when pairing stops here. */
  private request(d: Direction, tx: HttpTransaction): boolean {
    tx.requestNs = d.startNs;
    this.log.transactions.push(tx);
    if (this.pending.length >= MAX_PENDING) {
      this.log.issue(
        this.flow,
        d.startNs,
        `more than ${MAX_PENDING} requests without a response: stopped pairing`,
      );
      this.stopped = true;
      return false;
    }
    this.pending.push(tx);
    return true;
  }

  /** length -1: a response with neither length nor chunking runs to the end of the connection. */
  private body(d: Direction, chunked: boolean, length: number) {
    if (chunked) d.state = CHUNK_SIZE;
    else if (length > 0) {
      d.state = BODY;
      d.left = length;
    } else if (length < 0) d.state = TO_CLOSE;
    else d.state = NEXT;
  }
}
