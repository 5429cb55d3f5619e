// The correlator's public shapes: capture points in, journeys out. The output is the "Trace result"
// of design.md: JSON-serialisable as is (no bigint, no Map), field names in Wireshark's words.

export type PointRole = 'pod' | 'host-veth' | 'mp0' | 'nic' | 'br-ex' | 'lo' | 'external' | (string & {});

export interface CapturePoint {
  /** Unique, e.g. "worker-0/eth0@nettools-dual-pod"; also the pcapng interface name in a bundle. */
  id: string;
  /** Clock domain: points on the same node share a clock, so only their deltas are comparable. */
  node: string;
  netns?: string;
  interface: string;
  role: PointRole;
  pod?: string;
  /** Position along the REQUEST direction (0 = source side). Replies traverse it in reverse. */
  order: number;
  /** What the planner expects to change here relative to the previous point (hints, echoed only). */
  expect?: { snat?: boolean; dnat?: boolean; encap?: 'geneve' | 'vxlan'; decap?: boolean };
}

/**
 * Which traffic is "the request": the initiator's side as seen at the source point (before any
 * NAT). Any field may be left out. A packet matching it (or matching it at any sighting) travels
 * the request direction; one matching it with source and destination swapped is a reply.
 */
export interface FlowSelector {
  proto?: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
}

export interface CorrelatorOptions {
  request?: FlowSelector;
  /**
   * Copies of one packet at one point closer than this are duplicates; further apart they are a
   * new passage of identical bytes (a resend without a new IP ID). Default 5 ms.
   */
  duplicateWindowNs?: number;
}

export type TunnelKind = 'geneve' | 'vxlan';

export interface EncapInfo {
  tunnel: TunnelKind;
  vni: number;
  'outer.ip.src': string;
  'outer.ip.dst': string;
  /** OVN's Geneve option: logical ingress and egress port keys (tunnel_key of the port bindings). */
  ovn?: { ingress: number; egress: number };
}

/** One packet seen at one point. Fields are those of the innermost IP packet and its L4 header. */
export interface Sighting {
  point: string;
  /** Nanoseconds since CorrelationResult.t0 (this point's own clock). */
  time_ns: number;
  /** Since the previous sighting of this journey; absent on the first. */
  delta_ns?: number;
  /** False when the delta spans two nodes' clocks (then it mixes latency and clock offset). */
  comparable?: boolean;
  /** Frame number in the capture, when known. */
  frame?: number;
  /** IPv4 or IPv6 text; ip.ttl is the hop limit for IPv6. */
  'ip.src': string;
  'ip.dst': string;
  'ip.ttl': number;
  'ip.id'?: number;
  'eth.src'?: string;
  'eth.dst'?: string;
  'tcp.srcport'?: number;
  'tcp.dstport'?: number;
  'tcp.seq_raw'?: number;
  'tcp.len'?: number;
  'udp.srcport'?: number;
  'udp.dstport'?: number;
  'icmp.ident'?: number;
  'icmp.seq'?: number;
  /** Present when the packet was inside a tunnel here. */
  encap?: EncapInfo;
  /** TSO/GSO: this sighting stands for this many segments (consecutive TCP sequence ranges). */
  segments?: number;
  /** Bytes of TCP payload the segments covered (of tcp.len of the journey's super-packet). */
  segment_bytes?: number;
  /** Extra identical copies seen here within the duplicate window. */
  duplicates?: number;
}

export type NatField =
  | 'ip.src'
  | 'ip.dst'
  | 'tcp.srcport'
  | 'tcp.dstport'
  | 'udp.srcport'
  | 'udp.dstport'
  | 'icmp.ident';

export type Finding =
  | {
      kind: 'snat' | 'dnat';
      at: string;
      field: NatField;
      from: string | number;
      to: string | number;
      /** A reply whose rewrite undoes its request's NAT (conntrack's reverse translation). */
      reverses?: boolean;
    }
  | ({ kind: 'encap' | 'decap'; at: string } & EncapInfo)
  | { kind: 'routed'; at: string; field: 'ip.ttl'; from: number; to: number }
  | { kind: 'mac-rewrite'; at: string; field: 'eth.src' | 'eth.dst'; from: string; to: string }
  /** `bytes`: only part of a TSO/GSO super-packet's segments got to `expected`. */
  | { kind: 'lost'; at: string; expected: string; bytes?: number }
  | { kind: 'duplicate'; at: string; count: number; delta_ns: number };

export type FindingKind = Finding['kind'];

export interface Journey {
  direction: 'request' | 'reply';
  summary: string;
  /** tcp, udp, icmp, icmpv6, or the IP protocol number as text. */
  protocol: string;
  /** In path order: ascending point order for requests, descending for replies. */
  sightings: Sighting[];
  findings: Finding[];
  /** First to last sighting; `comparable` false when it spans nodes. */
  latency_ns?: number;
  comparable?: boolean;
  /** Index (in journeys) of the request this reply answers. */
  answers?: number;
  /** A TCP segment (or a resent ICMP/UDP datagram) carrying data an earlier journey carried. */
  retransmission?: boolean;
  /** Index of the first journey that carried the same data. */
  retransmits?: number;
}

export interface ClockOffset {
  from: string;
  to: string;
  /** Estimated (clock of `to`) - (clock of `from`), from one-way deltas in both directions. */
  offset_ns: number;
  /** Request/reply hop deltas the estimate used. */
  samples: number;
}

export interface CorrelationResult {
  /** Epoch time every time_ns counts from, as "seconds.nanoseconds" (exact: no float loss). */
  t0: string;
  points: CapturePoint[];
  journeys: Journey[];
  unmatched: {
    /** Frames without an IP packet (ARP, LLDP, ...): not correlated. */
    nonIp: number;
    /** Frames from an interface that maps to no capture point. */
    unknownPoint: number;
    /** Journeys seen at one point only (a loss right after it, or traffic off the path). */
    singleSighting: number;
  };
  clockWarnings: string[];
  /** Only when both directions crossed the same pair of nodes (assumes symmetric latency). */
  clockOffsets: ClockOffset[];
}
