// What a capture reader yields: interfaces (pcapng IDBs, or the one implied by a pcap header) and
// packet records. The contract between pcap/ and everything that reads captures.

export interface CaptureInterface {
  /** Index within its section (pcapng interface id; 0 for classic pcap). */
  id: number;
  /** Index across the whole file (sections concatenated): what frame.interface_id-like tables key on. */
  globalId: number;
  linktype: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (1e6 for microseconds, 1e9 for nanoseconds, 2^n for binary resolutions). */
  tsUnitsPerSec: number;
  /** if_tsoffset in seconds, added to every timestamp. */
  tsOffsetSec: number;
  /** The file format that declared it: a pcapng IDB without if_name is "unknown" to Wireshark. */
  format: 'pcap' | 'pcapng';
}

export interface PacketRecord {
  /** 1-based frame number across the whole file. */
  number: number;
  /** The record's interface (CaptureInterface.globalId). */
  interfaceId: number;
  linktype: number;
  /** Timestamp: whole seconds since the epoch and nanoseconds within the second. */
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  /**
   * The captured bytes. A view into the reader's buffer: valid until the handler returns;
   * copy it (`data.slice()`) to keep it.
   */
  data: Uint8Array;
  /** opt_comment(s) of an Enhanced Packet Block, joined with newlines. */
  comment?: string;
  /** Byte offset of the record's block/header in the input. */
  fileOffset: number;
}

/** Where reading stopped early, and why: names the byte offset. Packets before it were delivered. */
export interface CaptureDiagnostic {
  offset: number;
  message: string;
}

/**
 * A packet record delivered in place (CaptureHandlers.onFrame): the frame is buf[offset, offset +
 * capLen), and the record is one object the reader fills anew for every packet. Both are valid
 * only until the handler returns.
 */
export interface FrameRecord extends Omit<PacketRecord, 'data'> {
  buf: Uint8Array;
  offset: number;
}

/** What a capture reader calls: interfaces as they are declared, then each packet. */
export type CaptureHandlers = PacketHandlers | FrameHandlers;

interface InterfaceHandler {
  onInterface?(iface: CaptureInterface): void;
}

export interface PacketHandlers extends InterfaceHandler {
  onPacket(rec: PacketRecord, iface: CaptureInterface): void;
  onFrame?: undefined;
}

/** Packets in place, with no object made per packet (analyze's hot path). */
export interface FrameHandlers extends InterfaceHandler {
  onFrame(rec: FrameRecord, iface: CaptureInterface): void;
  onPacket?: undefined;
}

/** The outcome of reading a whole capture. */
export interface CaptureResult {
  /** Packet records delivered. */
  packets: number;
  /** Sum of the delivered packets' captured lengths. */
  bytes: number;
  /** Input bytes consumed (the file size for a complete, well-formed file). */
  inputBytes: number;
  format?: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[];
  /** Set when reading stopped before the end of the input (or the input was empty). */
  diagnostic?: CaptureDiagnostic;
}
