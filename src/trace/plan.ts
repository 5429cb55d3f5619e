// From "trace SRC DST" to what to do: resolve both ends, discover the nodes and pods between them,
// compute the path, and turn its capture hops into capture points (each with the Host that sees
// the interface), one BPF filter for all of them, the probe to send and the conntrack sources.

import type { ConntrackSource } from '../capture/conntrack.ts';
import { bpfFilter, type ProbeCommand, probeCommand } from '../capture/probe.ts';
import type { CaptureTarget } from '../capture/session.ts';
import { NettraceError } from '../errors.ts';
import type { Host } from '../hosts/host.ts';
import type { FlowSelector, CapturePoint as JourneyPoint } from '../journey/types.ts';
import {
  type ClusterPod,
  type ClusterSnapshot,
  type ClusterView,
  findPod,
} from '../topology/cluster-view.ts';
import type { TopologySource } from '../topology/collect.ts';
import { discover } from '../topology/discover.ts';
import { describeEndpoint, type Endpoint, resolveEndpoint } from '../topology/endpoints.ts';
import { endpointsToDiscover } from '../topology/inspect.ts';
import type { Topology } from '../topology/model.ts';
import { computePath, isLoopback, loopbackPath, type PathHop, type PathResult } from '../topology/path.ts';
import type { ProbeSpec } from './types.ts';

export interface TraceRequest {
  src: string;
  dst: string;
  namespace: string;
  /** Undefined: passive (watch real traffic). */
  probe?: ProbeSpec;
  /** Probes to send (ping count, or times the other probes run). */
  count: number;
  /** Which container of the source pod sends the probe (default: the first). */
  container?: string;
}

export interface PlannedPoint {
  journey: JourneyPoint;
  target: CaptureTarget;
  hop: PathHop;
}

export interface TracePlan {
  request: TraceRequest;
  from: Endpoint;
  to: Endpoint;
  path: PathResult;
  points: PlannedPoint[];
  filter: string;
  selector: FlowSelector;
  /** The probe's destination address (a Service's VIP, not its backend). */
  dstIp: string;
  probe?: { host: Host; command: ProbeCommand };
  conntrack: ConntrackSource[];
  title: string;
}

/** The port a probe uses when the command line gave none. */
export function defaultPort(probe: ProbeSpec['kind'], to: Endpoint): number {
  if (to.kind === 'service') return to.port;
  if (probe === 'dns') return 53;
  return 80;
}

const ROLE: Record<string, string> = {
  'pod-eth0': 'pod',
  'host-veth': 'host-veth',
  nic: 'nic',
  'management-port': 'mp0',
  host: 'br-ex',
  loopback: 'lo',
};

function describeHop(h: PathHop): string {
  switch (h.role) {
    case 'pod-eth0':
      return `pod ${h.pod} eth0 (pod network namespace)`;
    case 'host-veth':
      return `host end of ${h.pod ?? 'a pod'}'s veth on ${h.node}, an OVS port of br-int`;
    case 'nic':
      return `${h.node}'s uplink NIC (on br-ex): egress after SNAT, or Geneve to other nodes`;
    case 'management-port':
      return `${h.node}'s OVN management port (the host stack into the pod network)`;
    case 'host':
      return `${h.node}'s br-ex internal port (the node IP)`;
    case 'loopback':
      return `lo in pod ${h.pod}: traffic between its containers`;
    default:
      return `${h.role} ${h.interface} on ${h.node ?? '?'}`;
  }
}

function podByKey(cluster: ClusterSnapshot, key: string): ClusterPod {
  const i = key.indexOf('/');
  return findPod(cluster.pods, key.slice(0, i), key.slice(i + 1));
}

function ipOf(e: Endpoint): string | undefined {
  return e.kind === 'external' ? e.ip : e.ip;
}

export async function planTrace(
  view: ClusterView,
  source: TopologySource,
  req: TraceRequest,
): Promise<{ plan: TracePlan; topology: Topology }> {
  const cluster = await source.cluster();
  const from = resolveEndpoint(req.src, cluster, req.namespace);
  const to = resolveEndpoint(req.dst === 'localhost' ? '127.0.0.1' : req.dst, cluster, req.namespace);
  if (from.kind !== 'pod' && from.kind !== 'node') {
    throw new NettraceError(
      'trace.bad-source',
      `a trace starts at a pod or a node (pod/NAME, node/NAME), not at ${describeEndpoint(from)}`,
    );
  }
  const loop = isLoopback(to);
  const extra = endpointsToDiscover(to, cluster);
  const pods = [...extra.pods];
  const nodes = [...extra.nodes];
  if (from.kind === 'pod') {
    const i = from.pod.indexOf('/');
    pods.push({ namespace: from.pod.slice(0, i), name: from.pod.slice(i + 1) });
  } else nodes.push(from.node);
  const topology = await discover(source, { pods, nodes });
  const path = loop ? loopbackPath(topology, from, to) : computePath(topology, from, to);

  const srcPod = from.kind === 'pod' ? podByKey(cluster, from.pod) : undefined;
  const hops = path.hops.filter((h) => h.capture);
  const points: PlannedPoint[] = hops.map((h, order) => {
    let host: Host;
    if (h.role === 'pod-eth0' || h.role === 'loopback') host = view.podNetHost(podByKey(cluster, h.pod!));
    else if (h.node) host = view.nodeHost(h.node);
    else throw new NettraceError('trace.no-host', `no host can capture at ${h.id}`);
    const description = describeHop(h);
    return {
      hop: h,
      journey: {
        id: h.id,
        node: h.node ?? 'external',
        interface: h.interface,
        role: ROLE[h.role] ?? h.role,
        order,
        ...(h.pod ? { pod: h.pod } : {}),
        ...(h.netns !== 'node' ? { netns: h.netns } : {}),
      },
      target: { id: h.id, host, interface: h.interface, description },
    };
  });
  if (points.length === 0)
    throw new NettraceError('trace.no-points', `the path ${path.kind} has no capture point`);

  const srcIp = ipOf(from) ?? srcPod?.ips[0];
  const dstIp = loop ? (to as { ip: string }).ip : ipOf(to);
  if (!dstIp)
    throw new NettraceError('trace.no-address', `${describeEndpoint(to)} has no IP address to probe`);
  const addresses = [srcIp, dstIp];
  for (const h of path.hops) {
    for (const c of h.does) {
      if (c.kind === 'snat') addresses.push(c.to);
      if (c.kind === 'dnat') addresses.push(c.to.split(':')[0]!);
    }
  }
  const filter = bpfFilter(
    req.probe,
    addresses.filter((a): a is string => Boolean(a)),
  );
  for (const p of points) p.target.filter = filter;

  const selector: FlowSelector = {};
  if (srcIp) selector.src = srcIp;
  selector.dst = dstIp;
  let probe: TracePlan['probe'];
  let probeText = 'passive';
  if (req.probe) {
    const k = req.probe.kind;
    selector.proto = k === 'icmp' ? 'icmp' : k === 'tcp' || k === 'http' ? 'tcp' : 'udp';
    if ('port' in req.probe) selector.dport = req.probe.port;
    const command = probeCommand(req.probe, dstIp, req.count);
    let host: Host;
    if (srcPod) {
      const container = req.container ?? srcPod.containers[0]?.name;
      if (!container)
        throw new NettraceError(
          'trace.no-container',
          `pod ${srcPod.namespace}/${srcPod.name} has no container to probe from`,
        );
      host = view.containerHost(srcPod, container);
    } else host = view.nodeHost((from as { node: string }).node);
    probe = { host, command };
    probeText = command.describe;
  }

  const conntrack: ConntrackSource[] = [];
  if (srcPod) {
    conntrack.push({
      id: `pod ${srcPod.namespace}/${srcPod.name}`,
      host: view.podNetHost(srcPod),
      kind: 'events',
    });
  }
  if (!loop) {
    for (const n of [...new Set(points.map((p) => p.hop.node).filter((x): x is string => Boolean(x)))]) {
      conntrack.push({ id: n, host: view.nodeHost(n), kind: 'events' });
      conntrack.push({ id: n, host: view.nodeHost(n), kind: 'dpctl' });
    }
  }
  const title = `${describeEndpoint(from)} → ${describeEndpoint(to)} (${path.kind}): ${probeText}`;
  return {
    plan: { request: req, from, to, path, points, filter, selector, dstIp, probe, conntrack, title },
    topology,
  };
}
