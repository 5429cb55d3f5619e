// Extra pods for benchmarks (`bench/topology.ts`: a node carrying 200 pods): only what discovery
// sees of a pod — a network namespace, a veth pair with the pod's address on eth0, and an OVS port
// bound like a CNI binds it — no containers and no OVN logical ports. They are recorded in the
// state file (namespaces as resources, so `lab down` removes them; the pod records, so the lab's
// ClusterView lists them as the API would).
import { NettraceError } from '../errors.ts';
import type { CommandLog } from '../hosts/host.ts';
import { LocalHost } from '../hosts/local.ts';
import { nodeHost } from './context.ts';
import type { Lab } from './lab.ts';
import { labPathEnv } from './preflight.ts';
import { nthAddress, podMac, prefixLength, sandboxId, stableUuid, vethName } from './spec.ts';
import { type PodRecord, StateStore } from './state.ts';

export const BENCH_NAMESPACE = 'nettrace-bench';

export interface BenchPodsResult {
  /** `namespace/name` of each pod added. */
  pods: string[];
  durationMs: number;
}

/** Runs `f` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/** Adds `count` pods to `node` of a lab that is up (root). */
export async function addBenchPods(
  lab: Lab,
  count: number,
  opts: { node?: string; log?: CommandLog } = {},
): Promise<BenchPodsResult> {
  const t0 = performance.now();
  const node = lab.node(opts.node ?? lab.plan.nodes[0]!.name);
  const store = new StateStore(lab.stateDir);
  const state = store.load();
  if (state?.status !== 'up') throw new NettraceError('lab.not-up', `the lab in ${lab.stateDir} is not up`);
  const log = opts.log ?? lab.log;
  const local = new LocalHost({ log, env: { PATH: labPathEnv() }, name: 'root-netns' });
  const mtu = state.spec.podMtu;
  const len = prefixLength(node.podSubnet);
  const size = 2 ** (32 - len);
  const used = new Set(Object.values(state.pods ?? {}).map((p) => p.ip));
  for (const p of lab.plan.pods) used.add(p.ip);
  const first = Object.keys(state.pods ?? {}).filter((k) => k.startsWith(`${BENCH_NAMESPACE}/`)).length;
  const pods: (PodRecord & { key: string; name: string; mac: string })[] = [];
  // Addresses from the middle of the subnet up, skipping any in use; network/gateway/mp0/broadcast never.
  for (let k = Math.floor(size / 2) + 1, i = first; pods.length < count; k++) {
    if (k >= size - 1) {
      throw new NettraceError('lab.bench-full', `${node.podSubnet} has no room for ${count} more pods`);
    }
    const ip = nthAddress(node.podSubnet, k);
    if (used.has(ip)) continue;
    const name = `bench-${String(i).padStart(3, '0')}`;
    const sandbox = sandboxId(BENCH_NAMESPACE, name);
    pods.push({
      key: `${BENCH_NAMESPACE}/${name}`,
      name,
      node: node.name,
      ip,
      mac: podMac(ip),
      sandboxId: sandbox,
      netns: `${state.spec.prefix}-bp-${i}`,
      veth: vethName(sandbox),
      containers: [],
    });
    i++;
  }
  // Recorded first, as every lab resource is, so a failure half-way still tears down cleanly.
  store.add(
    ...pods.flatMap((p) => [
      { kind: 'netns' as const, name: p.netns },
      { kind: 'link' as const, netns: p.netns, name: 'eth0', peer: { netns: node.netns, name: p.veth } },
    ]),
  );
  store.update((s) => {
    s.pods = {
      ...s.pods,
      ...Object.fromEntries(pods.map(({ key, name: _n, mac: _m, ...rec }) => [key, rec])),
    };
  });
  await local.run(['ip', '-batch', '-'], {
    input: `${pods.map((p) => `netns add ${p.netns}`).join('\n')}\n`,
    check: true,
  });
  await local.run(['ip', '-n', node.netns, '-batch', '-'], {
    input: `${pods
      .flatMap((p) => [
        `link add ${p.veth} mtu ${mtu} type veth peer name eth0 address ${p.mac} mtu ${mtu} netns ${p.netns}`,
        `link set ${p.veth} up`,
      ])
      .join('\n')}\n`,
    check: true,
  });
  await pool(pods, 8, async (p) => {
    await local.run(['ip', '-n', p.netns, '-batch', '-'], {
      input: `link set lo up\naddr add ${p.ip}/${len} dev eth0\nlink set eth0 up\n`,
      check: true,
    });
  });
  const argv = ['ovs-vsctl'];
  for (const p of pods) {
    argv.push(
      ...(argv.length > 1 ? ['--'] : []),
      'add-port',
      'br-int',
      p.veth,
      '--',
      'set',
      'Interface',
      p.veth,
      `external_ids:iface-id=${BENCH_NAMESPACE}_${p.name}`,
      `external_ids:iface-id-ver=${stableUuid(`pod/${p.key}`)}`,
      `external_ids:attached_mac="${p.mac}"`,
      `external_ids:ip_addresses="${p.ip}/${len}"`,
      `external_ids:sandbox=${p.sandboxId}`,
    );
  }
  await nodeHost({ log, paths: lab.paths }, node).run(argv, { check: true, timeoutMs: 60_000 });
  return { pods: pods.map((p) => p.key), durationMs: performance.now() - t0 };
}
