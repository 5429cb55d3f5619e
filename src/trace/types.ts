// What `nettrace trace` produces: design.md's "Trace result" (trace.json, `-o json`), plus what the
// run needed to say about itself (probe output, per-point counters, conntrack, the bundle).

import type { CapturePoint, ClockOffset, FlowSelector, Journey } from '../journey/types.ts';
import type { ConntrackEntry } from '../topology/parsers/conntrack.ts';
import type { PathResult } from '../topology/path.ts';

export type ProbeSpec =
  | { kind: 'icmp' }
  | { kind: 'tcp'; port: number }
  | { kind: 'http'; path: string; port: number }
  | { kind: 'udp'; port: number }
  | { kind: 'dns'; name: string; port: number };

export interface TracePoint extends CapturePoint {
  /** What the point is (the pcapng interface description). */
  description: string;
  /** Packets tcpdump captured here. */
  packets: number;
  /** tcpdump's kernel drop counter, when it reported one. */
  dropped?: number;
}

export interface ConntrackEvent {
  /** Where it was seen: `worker-0`, `worker-0/pod network-trace/nettools-dual-pod`. */
  source: string;
  kind: 'events' | 'dpctl';
  entry: ConntrackEntry;
  /** Indexes of the journeys whose packets this connection covers. */
  journeys: number[];
}

export interface TraceResult {
  /** The command line's meaning: what was traced, how. */
  request: {
    src: string;
    dst: string;
    namespace: string;
    probe?: ProbeSpec;
    passive?: { durationMs: number };
  };
  /** `pod/x → 203.0.113.10 (egress): ICMP x3`. */
  title: string;
  startedAt: string;
  durationMs: number;
  path: PathResult;
  points: TracePoint[];
  /** The BPF filter every point ran with. */
  filter: string;
  /** Which traffic is the request (for replaying the correlation from the bundle). */
  selector: FlowSelector;
  probe?: { host: string; argv: string[]; exitCode: number | null; output: string };
  /** Epoch time every journey's time_ns counts from (`seconds.nanoseconds`). */
  t0: string;
  journeys: Journey[];
  unmatched: { nonIp: number; unknownPoint: number; singleSighting: number };
  clockWarnings: string[];
  clockOffsets: ClockOffset[];
  conntrack?: ConntrackEvent[];
  /** Things the user should know that are not findings (a point that saw nothing, truncation). */
  warnings: string[];
  /** The saved bundle's folder. */
  bundle?: string;
}
