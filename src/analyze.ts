// The library behind `nettrace analyze`: read capture files (or a trace bundle), decode every
// packet, track conversations, and hand back one JSON-serialisable result. The CLI only renders it.
import { fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { defaultDissector } from './decode/bindings.ts';
import type { Dissector } from './decode/dissector.ts';
import { type FrameInfo, fieldLine, newFrameInfo } from './decode/fields.ts';
import { FlatDecoder } from './decode/flat.ts';
import { FlatPacket } from './decode/flat-packet.ts';
import { type DecodeIssue, type Packet, PROTO_BITS } from './decode/packet.ts';
import { NettraceError } from './errors.ts';
import type { DisplayFilter } from './filter/display-filter.ts';
import { ConversationAnalyzer, type ConversationResult, type ResultOptions } from './flow/analyzer.ts';
import { type ReadFileOptions, readCaptureFile } from './pcap/reader.ts';
import type { CaptureDiagnostic, CaptureInterface, FrameRecord, PacketRecord } from './pcap/types.ts';
import { JsonArray } from './render/json-stream.ts';

export const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB (Ethernet)',
  101: 'RAW',
  108: 'LOOP',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export interface FileSummary {
  path: string;
  format?: 'pcap' | 'pcapng';
  packets: number;
  bytes: number;
  interfaces: { id: number; name?: string; description?: string; linktype: number; snaplen: number }[];
  /** Where reading stopped early (truncated or corrupt file), naming the byte offset. */
  diagnostic?: CaptureDiagnostic;
}

export interface IssueSample extends DecodeIssue {
  frame: number;
  file: string;
}

export interface AnalysisResult {
  files: FileSummary[];
  /** With a display filter: it, and how many packets were read to find the `packets` it matched. */
  displayFilter?: { expression: string; packetsRead: number };
  /** Packets analysed (those the filter matched, when there is one). */
  packets: number;
  bytes: number;
  /** Epoch seconds of the first and last packet (floating point, for display). */
  firstTime?: number;
  lastTime?: number;
  linktypes: Record<string, number>;
  /** Packets containing each protocol (a tunnelled packet counts its inner protocols too). */
  protocols: Record<string, number>;
  issues: { packets: number; byCode: Record<string, number>; samples: IssueSample[] };
  conversations: ConversationResult;
}

/** Called for every packet when the caller wants per-packet output (`--packets`, `--fields`). */
export type PacketVisitor = (p: Packet, frame: FrameInfo) => void;

export interface AnalyzeOptions {
  /** `--decode-as` rules, applied to a private copy of the default tables. */
  decodeAs?: string[];
  dissector?: Dissector;
  onPacket?: PacketVisitor;
  /** Called after each MiB read of the current file, with the bytes read so far and its packets. */
  onProgress?: (file: string, bytesRead: number, fileSize: number, packets: number) => void;
  /** How many decode issues to keep as samples. */
  issueSamples?: number;
  /**
   * Read the common packet shapes with the flat decoder instead of decoding their layers (default
   * true; never with onPacket, which needs the layers). The result is the same either way.
   */
  flat?: boolean;
  /** Which records `conversations` holds (analyzeFiles): e.g. only what a summary shows. */
  result?: ResultOptions;
  /**
   * Only packets it matches are analysed (counted, put in flows, shown); every packet is then decoded
   * in full, as the filter may test any field.
   */
  filter?: DisplayFilter;
}

/** Wireshark's frame.interface_name: if_name, or "unknown" for a pcapng interface without one. */
export function interfaceName(iface: CaptureInterface): string | undefined {
  return iface.name ?? (iface.format === 'pcapng' ? 'unknown' : undefined);
}

/**
 * `frame` (one per file, reused from packet to packet) describing record `rec` of interface
 * `iface`; it also keeps the file's first time and the previous frame's, for the relative times.
 */
export function setFrame(
  frame: FrameInfo,
  rec: Omit<PacketRecord, 'data'>,
  iface: CaptureInterface,
): FrameInfo {
  if (frame.number === 0) {
    frame.t0Sec = frame.prevSec = rec.tsSec;
    frame.t0Nsec = frame.prevNsec = rec.tsNsec;
  } else if (rec.number !== frame.number) {
    frame.prevSec = frame.tsSec;
    frame.prevNsec = frame.tsNsec;
  }
  frame.number = rec.number;
  frame.tsSec = rec.tsSec;
  frame.tsNsec = rec.tsNsec;
  frame.capLen = rec.capLen;
  frame.origLen = rec.origLen;
  // Within its section, as Wireshark numbers interfaces (rec.interfaceId counts across sections).
  frame.interfaceId = iface.id;
  frame.interfaceName = interfaceName(iface);
  return frame;
}

/** Standard input, as the command line names it (`tcpdump -U -w - | nettrace analyze -`). */
export const STDIN = '-';

/**
 * A bundle folder holds capture.pcapng; `-` is standard input; anything else is taken as a
 * capture file.
 */
export function resolveCapturePath(path: string): string {
  if (path === STDIN) return STDIN;
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new NettraceError('file-not-found', `${path}: no such file or directory`, { cause: e });
  }
  if (st.isDirectory()) {
    const inner = join(path, 'capture.pcapng');
    try {
      statSync(inner);
    } catch (e) {
      throw new NettraceError(
        'not-a-bundle',
        `${path} is a folder without capture.pcapng (not a nettrace bundle)`,
        {
          cause: e,
        },
      );
    }
    return inner;
  }
  return path;
}

/** How a capture is read: its size (for progress; 0 for a pipe) and readCaptureFile's options. */
function opening(file: string): { size: number; read: ReadFileOptions } {
  // Descriptor 0 itself: /dev/stdin cannot be opened again when it is a socket.
  if (file === STDIN) {
    if (isatty(0)) {
      throw new NettraceError(
        'stdin-terminal',
        'standard input is a terminal: pipe a capture into `analyze -`',
      );
    }
    return { size: fstatSync(0).size, read: { fd: 0, source: 'standard input' } };
  }
  return { size: statSync(file).size, read: {} };
}

export function makeDissector(decodeAs: string[] = []): Dissector {
  const d = defaultDissector();
  for (const rule of decodeAs) d.decodeAs(rule);
  return d;
}

/** What analyzeFiles found, with the conversations still in their analyzer. */
interface Analysis {
  head: Omit<AnalysisResult, 'conversations'>;
  conv: ConversationAnalyzer;
}

export function analyzeFiles(paths: string[], opts: AnalyzeOptions = {}): AnalysisResult {
  const { head, conv } = analyze(paths, opts);
  return { ...head, conversations: conv.result(opts.result) };
}

/** analyzeFiles' result in the form writeJson streams: the same JSON, as JsonArrays for flows and DNS. */
export interface AnalysisJson extends Omit<AnalysisResult, 'conversations'> {
  conversations: unknown;
}

/**
 * analyzeFiles, for writing as JSON: `writeJson` of this writes exactly what it writes for
 * analyzeFiles' result, but the flow and DNS records are made one at a time as they are written,
 * never all held at once (hundreds of thousands of objects on a big capture).
 */
export function analyzeFilesForJson(paths: string[], opts: AnalyzeOptions = {}): AnalysisJson {
  const { head, conv } = analyze(paths, opts);
  const s = conv.resultStream();
  const conversations = {
    summary: s.summary,
    flows: new JsonArray(s.flows.length, s.flows.item, s.flows.json),
    nonIp: s.nonIp,
    http: s.http,
    httpIssues: s.httpIssues,
    dns: new JsonArray(s.dns.length, s.dns.item, s.dns.json),
  };
  return { ...head, conversations };
}

function analyze(paths: string[], opts: AnalyzeOptions): Analysis {
  const dissector = opts.dissector ?? makeDissector(opts.decodeAs);
  const filter = opts.filter;
  const flat =
    opts.flat !== false && opts.onPacket === undefined && filter === undefined
      ? new FlatDecoder(dissector, false)
      : undefined;
  const fp = new FlatPacket();
  const conv = new ConversationAnalyzer();
  const protocols = new Map<string, { n: number }>();
  const linktypes: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  const samples: IssueSample[] = [];
  const maxSamples = opts.issueSamples ?? 50;
  const onProgress = opts.onProgress;
  const files: FileSummary[] = [];
  let issuePackets = 0;
  let packetsRead = 0;
  let packets = 0;
  let bytes = 0;
  let t0Sec = -1;
  let t0Nsec = 0;
  let lastSec = 0;
  let lastNsec = 0;
  const protos: string[] = new Array(16).fill('');
  /** Packets per set of protocols (a PROTO_BITS mask), for sets whose protocols were all seen before. */
  const bySet = new Float64Array(1 << 16);
  let knownMask = 0;

  for (const path of paths) {
    const file = resolveCapturePath(path);
    const { size, read } = opening(file);
    let filePackets = 0;
    const frame = newFrameInfo();
    const res = readCaptureFile(
      file,
      {
        onFrame(rec: FrameRecord, iface: CaptureInterface) {
          filePackets++;
          let p: Packet | undefined;
          if (filter !== undefined) {
            packetsRead++;
            p = dissector.decode(
              rec.buf.subarray(rec.offset, rec.offset + rec.capLen),
              rec.origLen,
              rec.linktype,
            );
            if (!filter.matches(p, setFrame(frame, rec, iface))) return;
          }
          packets++;
          bytes += rec.origLen;
          if (t0Sec < 0) {
            t0Sec = rec.tsSec;
            t0Nsec = rec.tsNsec;
          }
          lastSec = rec.tsSec;
          lastNsec = rec.tsNsec;
          // In floating point from the first packet on (x + 0.5 - 0.5 is exactly x): as small integers
          // at first, the compiled code would assume they stay so and be discarded once the capture
          // passes 2^31 ns (2.1 s).
          const tNs = (rec.tsSec - t0Sec + 0.5 - 0.5) * 1e9 + (rec.tsNsec - t0Nsec);
          // The flat decoder's packets hold only protocols already counted once (first sight sets
          // their order in the summary, so a new protocol's first packet takes the long way).
          if (
            flat?.decodeAt(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linktype, fp) &&
            (fp.protos & ~knownMask) === 0
          ) {
            conv.addKey(fp, rec.buf, tNs, rec.origLen);
            bySet[fp.protos] = bySet[fp.protos]! + 1;
            return;
          }
          p ??= dissector.decode(
            rec.buf.subarray(rec.offset, rec.offset + rec.capLen),
            rec.origLen,
            rec.linktype,
          );
          conv.addPacket(p, tNs, rec.origLen);
          // Each protocol counted once per packet (a tunnelled packet has two ip and eth layers),
          // in its first 16 layers. The decoders' protocol bits say the same in one number: packets
          // are counted per set of protocols, and the sets are spread over protocols at the end.
          const layers = p.layers;
          const mask = p.protos;
          if (p.added === layers.length && layers.length <= 16 && (mask & ~knownMask) === 0) {
            bySet[mask] = bySet[mask]! + 1;
          } else {
            const n = layers.length < 16 ? layers.length : 16;
            for (let i = 0; i < n; i++) {
              const proto = layers[i]!.proto;
              protos[i] = proto;
              let seen = false;
              for (let j = 0; j < i; j++) {
                if (protos[j] === proto) {
                  seen = true;
                  break;
                }
              }
              if (seen) continue;
              const c = protocols.get(proto);
              if (c) c.n++;
              else {
                protocols.set(proto, { n: 1 });
                knownMask |= PROTO_BITS[proto as keyof typeof PROTO_BITS] ?? 0;
              }
            }
          }
          if (p.issues) {
            issuePackets++;
            for (const is of p.issues) {
              byCode[is.code] = (byCode[is.code] ?? 0) + 1;
              if (samples.length < maxSamples) samples.push({ ...is, frame: rec.number, file });
            }
          }
          if (opts.onPacket) opts.onPacket(p, setFrame(frame, rec, iface));
        },
      },
      // Between chunks rather than every so many packets: a call the per-packet code makes for the
      // first time after it was compiled would make the compiled code start over.
      onProgress === undefined ? read : { ...read, onChunk: (n) => onProgress(file, n, size, filePackets) },
    );
    for (const i of res.interfaces) {
      const name = LINKTYPE_NAMES[i.linktype] ?? `linktype ${i.linktype}`;
      linktypes[name] = (linktypes[name] ?? 0) + 1;
    }
    files.push({
      path: file,
      format: res.format,
      packets: res.packets,
      bytes: res.bytes,
      interfaces: res.interfaces.map((i) => ({
        id: i.globalId,
        name: i.name,
        description: i.description,
        linktype: i.linktype,
        snaplen: i.snaplen,
      })),
      diagnostic: res.diagnostic,
    });
  }
  // Insertion order of `protocols` (first sight) is already set: every bit in bySet was known.
  for (let m = 1; m < bySet.length; m++) {
    const n = bySet[m]!;
    if (n === 0) continue;
    for (const [proto, c] of protocols) {
      const bit = PROTO_BITS[proto as keyof typeof PROTO_BITS];
      if (bit !== undefined && (m & bit) !== 0) c.n += n;
    }
  }
  const head: Omit<AnalysisResult, 'conversations'> = {
    files,
    ...(filter ? { displayFilter: { expression: filter.text, packetsRead } } : {}),
    packets,
    bytes,
    firstTime: t0Sec >= 0 ? t0Sec + t0Nsec / 1e9 : undefined,
    lastTime: t0Sec >= 0 ? lastSec + lastNsec / 1e9 : undefined,
    linktypes,
    protocols: Object.fromEntries(
      [...protocols.entries()].map(([k, v]) => [k, v.n] as const).sort((a, b) => b[1] - a[1]),
    ),
    issues: { packets: issuePackets, byCode, samples },
  };
  return { head, conv };
}

/** The `--fields` output of one capture: tshark's -T fields lines, written through `write`. */
export function writeFieldLines(
  paths: string[],
  names: readonly string[],
  write: (line: string) => void,
  decodeAs: string[] = [],
  filter?: DisplayFilter,
): string[] {
  const dissector = makeDissector(decodeAs);
  const diagnostics: string[] = [];
  for (const path of paths) {
    const file = resolveCapturePath(path);
    const frame = newFrameInfo();
    const res = readCaptureFile(
      file,
      {
        onPacket(rec, iface) {
          const p = dissector.decode(rec.data, rec.origLen, rec.linktype);
          setFrame(frame, rec, iface);
          if (filter === undefined || filter.matches(p, frame)) write(fieldLine(names, p, frame));
        },
      },
      opening(file).read,
    );
    if (res.diagnostic) diagnostics.push(res.diagnostic.message);
  }
  return diagnostics;
}
