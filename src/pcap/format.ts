// What the classic-pcap and pcapng record parsers share with the chunking driver (reader.ts).
//
// A format parses whole records in place from `b[pos..end)`. When the next record is not complete
// it returns the record's start and sets `need` to the number of bytes it must see from there
// (first the fixed header, then the whole record once the header gave the length); the driver
// carries that one partial record over to the next chunk. So each byte is copied at most once.
import type { CaptureHandlers, CaptureInterface, FrameRecord } from './types.ts';

/** parse() result: reading must stop (the context holds the diagnostic). */
export const STOP = -1;

/** Records (and pcapng blocks) longer than this are treated as corrupt, not allocated. */
export const MAX_RECORD = 256 * 1024 * 1024;

export interface ParseContext {
  /** Packets delivered so far (the next record's number is packets + 1). */
  packets: number;
  bytes: number;
  /** Interfaces across all sections, globalId order. */
  readonly interfaces: CaptureInterface[];
  addInterface(iface: CaptureInterface): void;
  /**
   * Delivers the packet in b[off, off + capLen) of `iface` (counting it): as a PacketRecord with a
   * view of its bytes, or in place to an onFrame handler.
   */
  packet(
    iface: CaptureInterface,
    tsSec: number,
    tsNsec: number,
    capLen: number,
    origLen: number,
    b: Uint8Array,
    off: number,
    comment: string | undefined,
    fileOffset: number,
  ): void;
  /** Records the diagnostic (message without the file-name prefix). Returns STOP. */
  fail(offset: number, message: string): number;
}

export interface RecordFormat {
  readonly name: 'pcap' | 'pcapng';
  /** Bytes needed from the returned position before parse() can make progress. */
  need: number;
  /**
   * Parses complete records in b[pos..end); b[i] is at input offset base + i. Returns the offset in
   * `b` of the first unparsed byte, or STOP.
   */
  parse(b: Uint8Array, pos: number, end: number, base: number): number;
  /** The diagnostic for input that ends `have` bytes into the record at `offset`. */
  truncated(offset: number, have: number): string;
}

export function u16le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

export function u16be(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

export function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

export function u32be(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

export function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** ParseContext.packet for `handlers`: the one place that turns a record into a handler call. */
export function packetDelivery(
  handlers: CaptureHandlers,
  ctx: { packets: number; bytes: number },
): ParseContext['packet'] {
  const onFrame = handlers.onFrame;
  if (onFrame !== undefined) {
    const rec: FrameRecord = {
      number: 0,
      interfaceId: 0,
      linktype: 0,
      tsSec: 0,
      tsNsec: 0,
      capLen: 0,
      origLen: 0,
      buf: new Uint8Array(0),
      offset: 0,
      comment: undefined,
      fileOffset: 0,
    };
    return (iface, tsSec, tsNsec, capLen, origLen, b, off, comment, fileOffset) => {
      ctx.bytes += capLen;
      rec.number = ++ctx.packets;
      rec.interfaceId = iface.globalId;
      rec.linktype = iface.linktype;
      rec.tsSec = tsSec;
      rec.tsNsec = tsNsec;
      rec.capLen = capLen;
      rec.origLen = origLen;
      rec.buf = b;
      rec.offset = off;
      rec.comment = comment;
      rec.fileOffset = fileOffset;
      onFrame(rec, iface);
    };
  }
  const onPacket = handlers.onPacket;
  return (iface, tsSec, tsNsec, capLen, origLen, b, off, comment, fileOffset) => {
    ctx.bytes += capLen;
    onPacket(
      {
        number: ++ctx.packets,
        interfaceId: iface.globalId,
        linktype: iface.linktype,
        tsSec,
        tsNsec,
        capLen,
        origLen,
        data: b.subarray(off, off + capLen),
        comment,
        fileOffset,
      },
      iface,
    );
  };
}
