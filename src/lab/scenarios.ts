// The seed's walkthrough, automated: four traces on the lab, each with the lesson it must show
// checked against the trace's own findings (not just "it ran").
import type { Cleanup } from '../cleanup.ts';
import type { Journey } from '../journey/types.ts';
import type { LiveSource } from '../topology/collect.ts';
import type { InspectResult } from '../topology/inspect.ts';
import { inspectPod } from '../topology/inspect.ts';
import type { TraceRequest } from '../trace/plan.ts';
import { runTrace } from '../trace/run.ts';
import type { TraceResult } from '../trace/types.ts';
import { DUAL_POD, LAB_NAMESPACE, STATIC_SERVER } from './spec.ts';

export interface Check {
  ok: boolean;
  what: string;
}

export interface Scenario {
  name: string;
  title: string;
  request: TraceRequest;
  conntrack: boolean;
  /** Facts the trace must show, as the seed shows them by hand. */
  check(t: TraceResult, ctx: { inspect?: InspectResult }): Check[];
  /** Also inspect the source pod (the namespace check). */
  inspect?: boolean;
}

export interface ScenarioRun {
  scenario: Scenario;
  trace: TraceResult;
  inspect?: InspectResult;
  checks: Check[];
}

const SRC = `pod/${DUAL_POD.name}`;
const check = (ok: boolean, what: string): Check => ({ ok, what });
const requests = (t: TraceResult) => t.journeys.filter((j) => j.direction === 'request');
const replies = (t: TraceResult) => t.journeys.filter((j) => j.direction === 'reply');
const findings = (js: Journey[]) => js.flatMap((j) => j.findings);

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'container-to-container',
    title: 'container-2 curls container-1 over loopback: one network namespace, separate PID and mount',
    request: {
      src: SRC,
      dst: '127.0.0.1',
      namespace: LAB_NAMESPACE,
      container: DUAL_POD.sleeper,
      probe: { kind: 'http', path: '/hello.txt', port: DUAL_POD.httpPort },
      count: 1,
    },
    conntrack: true,
    inspect: true,
    check(t, { inspect }) {
      const lo = t.points[0];
      const http = t.journeys.filter((j) => j.protocol === 'tcp');
      return [
        check(t.path.kind === 'loopback' && lo?.interface === 'lo', 'captured on the pod’s lo'),
        check(t.probe?.output.includes('200') === true, 'curl got HTTP 200 from container-1'),
        check(
          http.length >= 6,
          `the TCP handshake, request, response and close seen on lo (${http.length} packets)`,
        ),
        check(
          (t.conntrack ?? []).some((c) => c.entry.orig.dport === DUAL_POD.httpPort),
          `conntrack saw the connection to 127.0.0.1:${DUAL_POD.httpPort}`,
        ),
        check(
          inspect?.sharedNamespaces.includes('net') === true,
          'both containers share the network namespace',
        ),
        check(
          inspect?.isolatedNamespaces.includes('pid') === true && inspect.isolatedNamespaces.includes('mnt'),
          'each container has its own PID and mount namespace',
        ),
      ];
    },
  },
  {
    name: 'pod-to-external',
    title: 'the pod pings the external host: the source becomes the node IP on the NIC (SNAT)',
    request: { src: SRC, dst: '203.0.113.10', namespace: LAB_NAMESPACE, probe: { kind: 'icmp' }, count: 3 },
    conntrack: true,
    check(t) {
      const snat = findings(requests(t)).find(
        (f) => f.kind === 'snat' && f.field === 'ip.src' && f.from === '10.128.2.43' && f.to === '198.18.0.9',
      );
      const ids = t.points.map((p) => p.role);
      return [
        check(
          ['pod', 'host-veth', 'nic'].every((r) => ids.includes(r)),
          'captured at pod eth0, the host veth and the NIC',
        ),
        check(requests(t).length >= 3 && replies(t).length >= 3, '3 echo requests and 3 replies followed'),
        check(
          snat?.at === 'worker-0/ens2f0np0',
          `SNAT 10.128.2.43 → 198.18.0.9 found at the NIC (${snat?.at ?? 'not found'})`,
        ),
        check(
          requests(t).every((j) => j.sightings[0]?.['ip.src'] === j.sightings[1]?.['ip.src']),
          'the same frame on eth0 and the host veth (no change across the veth pair)',
        ),
      ];
    },
  },
  {
    name: 'pod-to-pod',
    title: 'HTTP from worker-0 to static-server on worker-1: Geneve between the nodes',
    request: {
      src: SRC,
      dst: `pod/${STATIC_SERVER.name}`,
      namespace: LAB_NAMESPACE,
      probe: { kind: 'http', path: '/hello.txt', port: STATIC_SERVER.port },
      count: 1,
    },
    conntrack: false,
    check(t) {
      const all = findings(t.journeys);
      const encap = all.find((f) => f.kind === 'encap' && f.at === 'worker-0/ens2f0np0');
      const timed = requests(t).filter(
        (j) => j.sightings.length >= 4 && j.sightings.slice(1).every((s) => s.delta_ns !== undefined),
      );
      return [
        check(t.path.kind === 'cross-node', 'the path crosses the nodes'),
        check(
          encap !== undefined,
          `Geneve encapsulation at worker-0's NIC${encap && encap.kind === 'encap' ? ` (vni ${encap.vni})` : ''}`,
        ),
        check(
          all.some((f) => f.kind === 'decap'),
          'decapsulated on worker-1',
        ),
        check(timed.length > 0, 'per-hop latency measured along the path'),
        check(t.probe?.output.includes('200') === true, 'static-server answered 200'),
      ];
    },
  },
  {
    name: 'pod-to-service',
    title: 'HTTP to the static-server ClusterIP: the load balancer DNATs to the pod',
    request: {
      src: SRC,
      dst: `svc/${STATIC_SERVER.name}`,
      namespace: LAB_NAMESPACE,
      probe: { kind: 'http', path: '/hello.txt', port: STATIC_SERVER.servicePort },
      count: 1,
    },
    conntrack: true,
    check(t) {
      const vip = t.path.service?.vip.split(':')[0];
      const dnat = findings(requests(t)).find(
        (f) => f.kind === 'dnat' && f.field === 'ip.dst' && f.from === vip,
      );
      return [
        check(
          t.path.service !== undefined,
          `path through the load balancer of ${t.path.service?.name ?? '?'}`,
        ),
        check(
          dnat !== undefined,
          `DNAT ${vip} → ${dnat && dnat.kind === 'dnat' ? dnat.to : '?'} found at ${dnat?.at ?? '?'}`,
        ),
        check(t.probe?.output.includes('200') === true, 'the service answered 200'),
      ];
    },
  },
];

export function findScenario(name: string): Scenario[] {
  if (name === 'all') return [...SCENARIOS];
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) return [];
  return [s];
}

export async function runScenario(
  s: Scenario,
  source: LiveSource,
  opts: { out: string; cleanup: Cleanup; signal?: AbortSignal; progress?: (m: string) => void },
): Promise<ScenarioRun> {
  const trace = await runTrace(source.clusterView, source, s.request, {
    out: opts.out,
    cleanup: opts.cleanup,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(s.conntrack ? { conntrack: true } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
  let inspect: InspectResult | undefined;
  if (s.inspect) {
    const slash = s.request.src.indexOf('/');
    inspect = (await inspectPod(source, s.request.namespace, s.request.src.slice(slash + 1))).result;
  }
  return {
    scenario: s,
    trace,
    ...(inspect ? { inspect } : {}),
    checks: s.check(trace, inspect ? { inspect } : {}),
  };
}
