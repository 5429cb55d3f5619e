// The capture reader: one push parser for files and streams (tcpdump -U -w - through a pipe),
// classic pcap or pcapng decided by the first four bytes.
//
// Chunks are parsed in place; only a record cut by a chunk boundary is copied, into `carry`, and
// only up to its end, so input is copied at most once and never concatenated. Packet data handed
// to onPacket is a view into the chunk (or into `carry`), valid until the handler returns; onFrame
// gets the chunk itself and the frame's offset in it, in one record reused for every packet.
import { closeSync, openSync, readSync } from 'node:fs';
import { NettraceError } from '../errors.ts';
import { hex32, type ParseContext, packetDelivery, type RecordFormat, STOP, u32le } from './format.ts';
import { PcapFormat } from './pcap.ts';
import { BT_SHB, PcapngFormat } from './pcapng.ts';
import type { CaptureDiagnostic, CaptureHandlers, CaptureInterface, CaptureResult } from './types.ts';

export type { CaptureHandlers, CaptureResult, FrameRecord } from './types.ts';

export interface CaptureParserOptions {
  /** Name used as the prefix of diagnostic messages ("capture.pcapng: block at offset ..."). */
  source?: string;
}

const MAGIC_LEN = 4;
const READ_CHUNK = 1024 * 1024;

/**
 * Push parser: push() chunks of any size (from 1 byte), then end(). Handlers run synchronously
 * inside push(). Bad input never throws: reading stops and end() reports the diagnostic. An
 * exception thrown by a handler propagates out of push() and leaves the parser unusable.
 */
export class CaptureParser {
  readonly interfaces: CaptureInterface[] = [];
  private fmt: RecordFormat | undefined;
  private readonly ctx: ParseContext;
  private diagnostic: CaptureDiagnostic | undefined;
  private ended = false;
  /** Input offset of the next byte push() will receive. */
  private offset = 0;
  private carry = new Uint8Array(0);
  private carryLen = 0;
  /** Bytes the carried record needs before it can be parsed further. */
  private carryNeed = 0;

  constructor(handlers: CaptureHandlers, opts: CaptureParserOptions = {}) {
    const interfaces = this.interfaces;
    const prefix = opts.source === undefined ? '' : `${opts.source}: `;
    const ctx: ParseContext = {
      packets: 0,
      bytes: 0,
      interfaces,
      addInterface(iface) {
        interfaces.push(iface);
        handlers.onInterface?.(iface);
      },
      packet: () => {},
      fail: (offset, message) => {
        this.diagnostic ??= { offset, message: prefix + message };
        return STOP;
      },
    };
    ctx.packet = packetDelivery(handlers, ctx);
    this.ctx = ctx;
  }

  get format(): 'pcap' | 'pcapng' | undefined {
    return this.fmt?.name;
  }

  /** True once reading stopped on bad input: further chunks are ignored. */
  get stopped(): boolean {
    return this.diagnostic !== undefined;
  }

  push(input: Uint8Array): void {
    if (this.ended) throw new NettraceError('parser-ended', 'CaptureParser.push() called after end()');
    if (this.diagnostic !== undefined || input.length === 0) return;
    // A plain Uint8Array view: Buffer's subarray is slower and packets should not be Buffers.
    const chunk =
      input.constructor === Uint8Array
        ? input
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const chunkBase = this.offset;
    this.offset += chunk.length;
    let pos = 0;
    while (this.carryLen > 0) {
      const take = Math.min(this.carryNeed - this.carryLen, chunk.length - pos);
      this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
      this.carryLen += take;
      pos += take;
      if (this.carryLen < this.carryNeed) return;
      const carryBase = chunkBase + pos - this.carryLen;
      const stop = this.parse(this.carry, 0, this.carryLen, carryBase);
      if (stop === STOP) return;
      if (stop === this.carryLen) {
        this.carryLen = 0;
      } else {
        // The header was complete and named a longer record: keep filling.
        if (stop > 0) {
          this.carry.copyWithin(0, stop, this.carryLen);
          this.carryLen -= stop;
        }
        this.carryNeed = Math.max(this.fmt?.need ?? MAGIC_LEN, this.carryLen + 1);
        this.reserve(this.carryNeed);
      }
    }
    const stop = this.parse(chunk, pos, chunk.length, chunkBase);
    if (stop === STOP || stop === chunk.length) return;
    this.carryNeed = this.fmt?.need ?? MAGIC_LEN;
    this.reserve(Math.max(this.carryNeed, chunk.length - stop));
    this.carry.set(chunk.subarray(stop), 0);
    this.carryLen = chunk.length - stop;
  }

  end(): CaptureResult {
    this.ended = true;
    if (this.diagnostic === undefined) {
      if (this.offset === 0) {
        this.ctx.fail(0, 'empty file');
      } else if (this.carryLen > 0) {
        const at = this.offset - this.carryLen;
        this.ctx.fail(
          at,
          this.fmt === undefined
            ? `file of ${this.carryLen} bytes is too short to be a pcap or pcapng file`
            : this.fmt.truncated(at, this.carryLen),
        );
      }
    }
    const result: CaptureResult = {
      packets: this.ctx.packets,
      bytes: this.ctx.bytes,
      inputBytes: this.diagnostic === undefined ? this.offset : this.diagnostic.offset,
      interfaces: this.interfaces,
    };
    if (this.fmt !== undefined) result.format = this.fmt.name;
    if (this.diagnostic !== undefined) result.diagnostic = this.diagnostic;
    return result;
  }

  private parse(b: Uint8Array, pos: number, end: number, base: number): number {
    if (this.fmt === undefined) {
      if (end - pos < MAGIC_LEN) return pos;
      const fmt = this.detect(b, pos, base);
      if (fmt === undefined) return STOP;
      this.fmt = fmt;
    }
    return this.fmt.parse(b, pos, end, base);
  }

  private detect(b: Uint8Array, pos: number, base: number): RecordFormat | undefined {
    const magic = u32le(b, pos);
    switch (magic) {
      case BT_SHB:
        return new PcapngFormat(this.ctx);
      case 0xa1b2c3d4:
        return new PcapFormat(this.ctx, true, false);
      case 0xa1b23c4d:
        return new PcapFormat(this.ctx, true, true);
      case 0xd4c3b2a1:
        return new PcapFormat(this.ctx, false, false);
      case 0x4d3cb2a1:
        return new PcapFormat(this.ctx, false, true);
      default: {
        // Shown as the bytes appear in the file.
        const shown = hex32(
          ((magic << 24) | ((magic << 8) & 0xff0000) | ((magic >>> 8) & 0xff00) | (magic >>> 24)) >>> 0,
        );
        this.ctx.fail(base + pos, `not a pcap or pcapng file (magic ${shown})`);
        return undefined;
      }
    }
  }

  private reserve(n: number): void {
    if (this.carry.length >= n) return;
    // Exactly n for a big record: a corrupt length near the 256 MiB limit must not double it.
    const size = Math.max(this.carry.length * 2, 65536, n);
    const next = new Uint8Array(size);
    next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }
}

export interface ReadFileOptions extends CaptureParserOptions {
  /** Called after each chunk read (1 MiB) is parsed, with the bytes read so far: for progress. */
  onChunk?: (bytesRead: number) => void;
  /**
   * Read this open descriptor (e.g. 0, standard input: a pipe or a socket) instead of opening
   * `path`, which then only names it; it is not closed.
   */
  fd?: number;
}

/** Waits `ms` without spinning (a non-blocking descriptor with nothing to read yet). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Reads a capture file synchronously in 1 MiB chunks. Bad bytes never throw: they end reading
 * with result.diagnostic. Throws NettraceError 'file-not-found' or 'file-unreadable' for
 * file-system errors (missing file, permission, a directory).
 */
export function readCaptureFile(
  path: string,
  handlers: CaptureHandlers,
  opts: ReadFileOptions = {},
): CaptureResult {
  const parser = new CaptureParser(handlers, { source: opts.source ?? path });
  let fd: number;
  try {
    fd = opts.fd ?? openSync(path, 'r');
  } catch (e) {
    throw fsError(path, e);
  }
  try {
    const buf = new Uint8Array(READ_CHUNK);
    let read = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, READ_CHUNK, null);
      } catch (e) {
        // A descriptor someone else made non-blocking (a shared pipe or socket): wait for data.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          pause(5);
          continue;
        }
        throw fsError(path, e);
      }
      if (n === 0) break;
      // The parser copies whatever it keeps, so the same buffer is reused for the next read.
      parser.push(buf.subarray(0, n));
      read += n;
      if (parser.stopped) break;
      opts.onChunk?.(read);
    }
  } finally {
    if (opts.fd === undefined) closeSync(fd);
  }
  return parser.end();
}

/**
 * Reads a capture from any async iterable of byte chunks (a Node Readable, a child's stdout).
 * Stops consuming (and so closes the stream) once the input turns out to be bad. Errors the
 * stream itself raises propagate unchanged.
 */
export async function readCaptureStream(
  stream: AsyncIterable<Uint8Array>,
  handlers: CaptureHandlers,
  opts: CaptureParserOptions = {},
): Promise<CaptureResult> {
  const parser = new CaptureParser(handlers, opts);
  for await (const chunk of stream) {
    parser.push(chunk);
    if (parser.stopped) break;
  }
  return parser.end();
}

function fsError(path: string, e: unknown): NettraceError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new NettraceError('file-not-found', `${path}: no such file`, { cause: e });
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'is a directory'
        : e instanceof Error
          ? e.message
          : String(e);
  return new NettraceError('file-unreadable', `${path}: cannot read capture: ${why}`, { cause: e });
}
