// Classic libpcap files (tcpdump -w).
//
// File header (24 bytes), in the writer's byte order:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             Magic (a1b2c3d4 = µs, a1b23c4d = ns)              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Major Version         |         Minor Version         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Reserved1 (thiszone)                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Reserved2 (sigfigs)                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            SnapLen                            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Packet record (16-byte header + captured bytes):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Timestamp (Seconds)                      |
// |            Timestamp (Microseconds or nanoseconds)            |
// |                    Captured Packet Length                     |
// |                    Original Packet Length                     |
// /                          Packet Data                          /
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { MAX_RECORD, type ParseContext, type RecordFormat, u32be, u32le } from './format.ts';
import type { CaptureInterface } from './types.ts';

export const PCAP_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

export class PcapFormat implements RecordFormat {
  readonly name = 'pcap';
  need = PCAP_HEADER_LEN;
  private iface: CaptureInterface | undefined;

  constructor(
    private readonly ctx: ParseContext,
    private readonly le: boolean,
    private readonly nano: boolean,
  ) {}

  parse(b: Uint8Array, start: number, end: number, base: number): number {
    let pos = start;
    if (this.iface === undefined) {
      if (end - pos < PCAP_HEADER_LEN) {
        this.need = PCAP_HEADER_LEN;
        return pos;
      }
      const u32 = this.le ? u32le : u32be;
      // Upper 16 bits of the link-type field carry the FCS length, as libpcap's LT_LINKTYPE() masks.
      this.iface = {
        id: 0,
        globalId: 0,
        linktype: u32(b, pos + 20) & 0xffff,
        snaplen: u32(b, pos + 16),
        tsUnitsPerSec: this.nano ? 1e9 : 1e6,
        tsOffsetSec: 0,
        format: 'pcap',
      };
      this.ctx.addInterface(this.iface);
      pos += PCAP_HEADER_LEN;
    }
    return this.records(b, pos, end, base, this.iface);
  }

  private records(b: Uint8Array, start: number, end: number, base: number, iface: CaptureInterface): number {
    const ctx = this.ctx;
    const le = this.le;
    const nano = this.nano;
    let pos = start;
    for (;;) {
      if (end - pos < RECORD_HEADER_LEN) {
        this.need = RECORD_HEADER_LEN;
        return pos;
      }
      const capLen = le ? u32le(b, pos + 8) : u32be(b, pos + 8);
      if (capLen > MAX_RECORD) {
        return ctx.fail(
          base + pos,
          `packet record at offset ${base + pos} has captured length ${capLen}, more than the ${MAX_RECORD >>> 20} MiB limit`,
        );
      }
      const total = RECORD_HEADER_LEN + capLen;
      if (end - pos < total) {
        this.need = total;
        return pos;
      }
      const tsSec = le ? u32le(b, pos) : u32be(b, pos);
      const frac = le ? u32le(b, pos + 4) : u32be(b, pos + 4);
      // Invalid fractions (>= 10^6 µs or >= 10^9 ns) are kept as tshark 4.0 keeps them, not
      // normalised: it stores `ts_usec * 1000` (µs) or `ts_usec` (ns) computed in 32-bit unsigned
      // arithmetic into a signed 32-bit nsecs. So timestamp_invalid_micro.pcap's usec 1000000 gives
      // tsNsec 1000000000 (printed 1418145370.1000000000), usec 0x80000000 wraps to 0, and a ns
      // file's 0x80000000 gives -2147483648 (printed -1418145370.2147483648, see formatEpoch). For
      // valid records this is the plain value; tsSec + tsNsec / 1e9 stays the instant tshark uses.
      const tsNsec = nano ? frac | 0 : Math.imul(frac, 1000);
      const origLen = le ? u32le(b, pos + 12) : u32be(b, pos + 12);
      ctx.packet(iface, tsSec, tsNsec, capLen, origLen, b, pos + RECORD_HEADER_LEN, undefined, base + pos);
      pos += total;
    }
  }

  truncated(offset: number, have: number): string {
    if (this.iface === undefined) {
      return `pcap file header at offset ${offset} is truncated: ${have} of ${PCAP_HEADER_LEN} bytes`;
    }
    if (have < RECORD_HEADER_LEN) {
      return `packet record at offset ${offset} is truncated: ${have} of ${RECORD_HEADER_LEN} header bytes`;
    }
    return `packet record at offset ${offset} is truncated: ${have} of ${this.need} bytes`;
  }
}
