// A realistic TraceResult without running `nettrace trace`: the path comes from computePath over the
// recorded lab topology (testdata/topology/lab-recorded), the journeys from correlateCapture over a
// capture recorded in the same lab (testdata/journey/lab-trace.pcapng, whose README lists its 7
// points and its 4 kinds of traffic). Each scenario keeps the journeys its traffic would have put
// through a trace's BPF filter, the way a real trace only captures its own flow.
//
// What is not recorded: the probe's output (left empty), the per-point packet counters (counted from
// the kept sightings, duplicates included) and the conntrack entries of the egress scenario (written
// in `ovs-appctl dpctl/dump-conntrack` form from the SNAT the capture shows, then parsed).
import { fileURLToPath } from 'node:url';
import type { CapturePoint, FlowSelector, Journey, PointRole } from '../../journey/index.ts';
import { Correlator, journeyDissector } from '../../journey/index.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { RecordedSource } from '../../topology/collect.ts';
import { discover } from '../../topology/discover.ts';
import { resolveEndpoint } from '../../topology/endpoints.ts';
import type { Topology } from '../../topology/model.ts';
import { parseDpctlConntrackLine } from '../../topology/parsers/dpctl.ts';
import { computePath, type HopRole, type PathHop } from '../../topology/path.ts';
import type { ConntrackEvent, ProbeSpec, TracePoint, TraceResult } from '../../trace/types.ts';

export const LAB_RECORDING = fileURLToPath(
  new URL('../../../testdata/topology/lab-recorded', import.meta.url),
);
export const LAB_CAPTURE = fileURLToPath(
  new URL('../../../testdata/journey/lab-trace.pcapng', import.meta.url),
);

/**
 * - `service`: curl to svc/static-server: DNAT by OVN's load balancer, Geneve to worker-1 (cross-node)
 * - `pod`: ping pod/static-server: Geneve both ways (cross-node)
 * - `egress`: ping and the 40 KB POST to 203.0.113.10: SNAT to the node IP through br-ex
 */
export type LabScenario = 'service' | 'pod' | 'egress';

const POD_IP = '10.128.2.43';
const SERVER_IP = '10.129.0.12';
const VIP = '172.30.112.80';
const NODE_IP = '198.18.0.9';
const EXTERNAL_IP = '203.0.113.10';

let topologyOnce: Promise<Topology> | undefined;

/** The recorded lab's topology (both nodes, the seed's pods and one bench pod). Loaded once. */
export function labTopology(): Promise<Topology> {
  topologyOnce ??= discover(new RecordedSource(LAB_RECORDING), {
    pods: [
      { namespace: 'network-trace', name: 'nettools-dual-pod' },
      { namespace: 'network-trace', name: 'static-server' },
      { namespace: 'nettrace-bench', name: 'bench-000' },
    ],
  });
  return topologyOnce;
}

interface Scenario {
  to: string;
  title: string;
  probe: ProbeSpec;
  argv: string[];
  filter: string;
  proto: 'tcp' | 'icmp';
  /** The traffic this trace's filter lets through, judged at any sighting. */
  keep: (ends: [string, string], protocol: string) => boolean;
}

const has = (ends: [string, string], a: string, b: string) =>
  (ends[0] === a && ends[1] === b) || (ends[0] === b && ends[1] === a);

const SCENARIOS: Record<LabScenario, Scenario> = {
  service: {
    to: 'svc/static-server',
    title: 'pod/nettools-dual-pod → svc/static-server (cross-node): HTTP GET /',
    probe: { kind: 'http', path: '/', port: 80 },
    argv: ['curl', '-sS', '-m', '5', `http://${VIP}:80/`],
    filter: `tcp and (host ${VIP} or host ${SERVER_IP})`,
    proto: 'tcp',
    keep: (e, p) => p === 'tcp' && (has(e, POD_IP, VIP) || has(e, POD_IP, SERVER_IP)),
  },
  pod: {
    to: 'pod/static-server',
    title: 'pod/nettools-dual-pod → pod/static-server (cross-node): ICMP x1',
    probe: { kind: 'icmp' },
    argv: ['ping', '-c', '1', SERVER_IP],
    filter: `icmp and host ${SERVER_IP}`,
    proto: 'icmp',
    keep: (e, p) => p === 'icmp' && has(e, POD_IP, SERVER_IP),
  },
  egress: {
    to: EXTERNAL_IP,
    title: `pod/nettools-dual-pod → ${EXTERNAL_IP} (egress): ICMP x1, HTTP POST /`,
    probe: { kind: 'icmp' },
    argv: ['ping', '-c', '1', EXTERNAL_IP],
    filter: `host ${EXTERNAL_IP}`,
    proto: 'icmp',
    keep: (e) => has(e, POD_IP, EXTERNAL_IP) || has(e, NODE_IP, EXTERNAL_IP),
  },
};

const POINT_ROLE: Partial<Record<HopRole, PointRole>> = {
  'pod-eth0': 'pod',
  'host-veth': 'host-veth',
  'management-port': 'mp0',
  nic: 'nic',
  host: 'br-ex',
  loopback: 'lo',
  external: 'external',
};

function describePoint(h: PathHop): string {
  switch (h.role) {
    case 'pod-eth0':
      return `${h.interface} of pod ${h.pod ?? '?'}`;
    case 'host-veth':
      return `host veth of pod ${h.pod ?? '?'} (port of br-int)`;
    case 'nic':
      return `${h.node ?? '?'}'s uplink NIC`;
    case 'external':
      return `the external host ${h.interface}`;
    default:
      return `${h.role} ${h.interface}`;
  }
}

/** Keeps the journeys `keep` accepts; `answers`/`retransmits` renumbered (or dropped) to match. */
function filterJourneys(js: Journey[], keep: (j: Journey) => boolean): Journey[] {
  const index = new Map<number, number>();
  const out: Journey[] = [];
  js.forEach((j, i) => {
    if (!keep(j)) return;
    index.set(i, out.length);
    out.push({ ...j });
  });
  for (const j of out) {
    if (j.answers !== undefined) {
      const a = index.get(j.answers);
      if (a === undefined) delete j.answers;
      else j.answers = a;
    }
    if (j.retransmits !== undefined) {
      const r = index.get(j.retransmits);
      if (r === undefined) delete j.retransmits;
      else j.retransmits = r;
    }
  }
  return out;
}

function epochIso(t0: string, addNs = 0): string {
  const [s, ns] = t0.split('.');
  return new Date(Number(s) * 1000 + Math.floor((Number(ns ?? 0) + addNs) / 1e6)).toISOString();
}

// Constructed from what the capture shows (SNAT 10.128.2.43 → 198.18.0.9 keeping ports and ICMP
// id); zone 64000 is OVN-Kubernetes' SNAT zone for the gateway router, as in its docs.
const EGRESS_CONNTRACK = [
  `icmp,orig=(src=${POD_IP},dst=${EXTERNAL_IP},id=24111,type=8,code=0),reply=(src=${EXTERNAL_IP},dst=${NODE_IP},id=24111,type=0,code=0),zone=64000`,
  `tcp,orig=(src=${POD_IP},dst=${EXTERNAL_IP},sport=44460,dport=80),reply=(src=${EXTERNAL_IP},dst=${NODE_IP},sport=80,dport=44460),zone=64000,protoinfo=(state=TIME_WAIT)`,
];

function egressConntrack(journeys: Journey[]): ConntrackEvent[] {
  return EGRESS_CONNTRACK.map((line) => {
    const entry = parseDpctlConntrackLine(line);
    const sport = entry.orig.sport;
    const ids = journeys
      .map((j, i) => ({ j, i }))
      .filter(({ j }) =>
        j.sightings.some((s) =>
          sport === undefined
            ? s['icmp.ident'] === entry.orig.icmpId
            : s['tcp.srcport'] === sport || s['tcp.dstport'] === sport,
        ),
      )
      .map(({ i }) => i);
    return { source: 'worker-0', kind: 'dpctl', entry, journeys: ids };
  });
}

export interface LabTraceOptions {
  /**
   * Also capture on the external host (the lab can; on a cluster it is outside reach, and the path
   * does not count it as a capture hop). Egress only.
   */
  captureExternal?: boolean;
  /**
   * Point ids whose frames are thrown away, as if tcpdump there had captured nothing: the
   * journeys then show a loss after the point before it, and the trace warns about the point.
   */
  silence?: string[];
}

/** A TraceResult (and the topology it was computed over) for one kind of traffic in the lab capture. */
export async function labTrace(
  scenario: LabScenario,
  opts: LabTraceOptions = {},
): Promise<{ trace: TraceResult; topology: Topology }> {
  const topology = await labTopology();
  const sc = SCENARIOS[scenario];
  const from = resolveEndpoint('pod/nettools-dual-pod', topology.cluster, 'network-trace');
  const to = resolveEndpoint(sc.to, topology.cluster, 'network-trace');
  const path = computePath(topology, from, to);

  // Points as the trace planner makes them: one per capture hop, in path order.
  const captured = path.hops.filter((h) => h.capture || (opts.captureExternal && h.role === 'external'));
  const points: CapturePoint[] = captured.map((h, order) => ({
    id: h.id,
    node: h.node ?? 'external',
    ...(h.netns !== 'node' ? { netns: h.netns } : {}),
    interface: h.role === 'external' ? 'eth0' : h.interface,
    role: POINT_ROLE[h.role] ?? h.role,
    ...(h.pod ? { pod: h.pod } : {}),
    order,
  }));
  const byRole = (role: HopRole, node: string) =>
    captured.find((h) => h.role === role && h.node === node)?.id;
  // The recording named its interfaces `node/eth0@pod`; a trace names them by point id.
  const interfaces: Record<string, string> = {};
  const map = (name: string, id: string | undefined) => {
    if (id) interfaces[name] = id;
  };
  map('worker-0/eth0@nettools-dual-pod', byRole('pod-eth0', 'worker-0'));
  map('worker-1/eth0@static-server', byRole('pod-eth0', 'worker-1'));
  map('external/eth0', captured.find((h) => h.role === 'external')?.id);

  const silence = new Set(opts.silence ?? []);
  const selector: FlowSelector = { proto: sc.proto, src: POD_IP };
  const c = new Correlator(points, { request: selector });
  const dissector = journeyDissector();
  readCaptureFile(LAB_CAPTURE, {
    onPacket(rec, iface) {
      const name = iface.name ?? '';
      const id = interfaces[name] ?? points.find((p) => p.id === name)?.id;
      if (id === undefined) c.unknownPoint++;
      else if (!silence.has(id))
        c.add(id, rec.tsSec, rec.tsNsec, dissector.decode(rec.data, rec.origLen, rec.linktype), rec.number);
    },
  });
  const r = c.result();
  const journeys = filterJourneys(r.journeys, (j) =>
    j.sightings.some((s) => sc.keep([s['ip.src'], s['ip.dst']], j.protocol)),
  );
  const seen = new Map<string, number>();
  for (const j of journeys)
    for (const s of j.sightings) seen.set(s.point, (seen.get(s.point) ?? 0) + 1 + (s.duplicates ?? 0));
  const tracePoints: TracePoint[] = points.map((p, i) => ({
    ...p,
    description: describePoint(captured[i]!),
    packets: seen.get(p.id) ?? 0,
  }));
  const lastNs = Math.max(0, ...journeys.flatMap((j) => j.sightings.map((s) => s.time_ns)));
  const trace: TraceResult = {
    request: { src: 'pod/nettools-dual-pod', dst: sc.to, namespace: 'network-trace', probe: sc.probe },
    title: sc.title,
    startedAt: epochIso(r.t0, -500_000_000),
    durationMs: Math.ceil(lastNs / 1e6) + 1500,
    path,
    points: tracePoints,
    filter: sc.filter,
    selector,
    probe: {
      host: 'worker-0/pod network-trace/nettools-dual-pod',
      argv: sc.argv,
      exitCode: 0,
      output: '',
    },
    t0: r.t0,
    journeys,
    unmatched: r.unmatched,
    clockWarnings: r.clockWarnings,
    clockOffsets: r.clockOffsets,
    warnings: tracePoints.filter((p) => p.packets === 0).map((p) => `${p.id} captured no packets`),
  };
  if (scenario === 'egress') trace.conntrack = egressConntrack(journeys);
  return { trace, topology };
}
