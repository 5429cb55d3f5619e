// path() over the recorded lab: every kind of path, where each change is expected, which hops are
// capture points, and the kernel-datapath variant (a genev_sys_6081 device) built from the same data.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isNettraceError } from '../errors.ts';
import { RecordedSource } from './collect.ts';
import { discover } from './discover.ts';
import { type Endpoint, resolveEndpoint } from './endpoints.ts';
import type { Topology } from './model.ts';
import { capturePoints, computePath, type PathResult } from './path.ts';

const RECORDING = fileURLToPath(new URL('../../testdata/topology/lab-recorded', import.meta.url));
const DUAL: Endpoint = { kind: 'pod', pod: 'network-trace/nettools-dual-pod', ip: '10.128.2.43' };
const to = (t: Topology, s: string) => resolveEndpoint(s, t.cluster, 'network-trace');
const roles = (p: PathResult) => p.hops.map((h) => `${h.role}${h.capture ? '*' : ''}`);
const expectAt = (p: PathResult, id: string) => p.hops.find((h) => h.id === id)?.expect.map((c) => c.kind);

describe('path() over the recorded lab', () => {
  let t: Topology;
  let veth0: string;
  let veth1: string;
  before(async () => {
    t = await discover(new RecordedSource(RECORDING), {
      pods: [
        { namespace: 'network-trace', name: 'nettools-dual-pod' },
        { namespace: 'network-trace', name: 'static-server' },
        { namespace: 'nettrace-bench', name: 'bench-000' },
      ],
    });
    veth0 = t.pods.find((p) => p.name === 'nettools-dual-pod')!.hostVeth!.name;
    veth1 = t.pods.find((p) => p.name === 'static-server')!.hostVeth!.name;
  });

  test('pod → pod on another node: routed in br-int, Geneve from NIC to NIC, decapsulated before the veth', () => {
    const p = computePath(t, DUAL, to(t, 'pod/static-server'));
    assert.equal(p.kind, 'cross-node');
    assert.deepEqual(roles(p), [
      'pod-eth0*',
      'host-veth*',
      'ovn',
      'tunnel',
      'nic*',
      'nic*',
      'tunnel',
      'ovn',
      'host-veth*',
      'pod-eth0*',
    ]);
    assert.deepEqual(
      capturePoints(p).map((c) => c.id),
      [
        'worker-0/nettools-dual-pod/eth0',
        `worker-0/${veth0}`,
        'worker-0/ens2f0np0',
        'worker-1/ens2f0np0',
        `worker-1/${veth1}`,
        'worker-1/static-server/eth0',
      ],
    );
    const nic = p.hops.find((h) => h.id === 'worker-0/ens2f0np0')!;
    assert.deepEqual(nic.expect, [
      { kind: 'routed', ttlDecrement: 1, by: ['ovn_cluster_router'] },
      { kind: 'mac-rewrite', by: 'ovn_cluster_router', dst: '0a:58:0a:81:00:0c' },
      {
        kind: 'encap',
        protocol: 'geneve',
        tunnel: p.hops[3]!.interface,
        outerSrc: '198.18.0.9',
        outerDst: '198.18.0.7',
        dstPort: 6081,
      },
    ]);
    assert.deepEqual(expectAt(p, 'worker-1/ens2f0np0'), []);
    assert.deepEqual(expectAt(p, `worker-1/${veth1}`), ['decap']);
    assert.match(p.hops[3]!.why ?? '', /no kernel device/);
    const eth0 = capturePoints(p)[0]!;
    assert.deepEqual(eth0, {
      id: 'worker-0/nettools-dual-pod/eth0',
      node: 'worker-0',
      netns: '/run/netns/nt4x-pod-network-trace-nettools-dual-pod',
      interface: 'eth0',
      role: 'pod-eth0',
      pod: 'network-trace/nettools-dual-pod',
    });
  });

  test('pod → pod on the same node: switched in br-int, nothing changes', () => {
    const p = computePath(t, DUAL, to(t, 'pod/nettrace-bench/bench-000'));
    const bench = t.pods.find((x) => x.name === 'bench-000')!;
    assert.equal(p.kind, 'same-node');
    assert.deepEqual(roles(p), ['pod-eth0*', 'host-veth*', 'ovn', 'host-veth*', 'pod-eth0*']);
    assert.equal(p.hops[3]!.interface, bench.hostVeth!.name);
    assert.ok(p.hops.every((h) => h.expect.length === 0 && h.does.length === 0));
  });

  test('pod → Service: the load balancer DNATs in the source node; then the endpoint’s path', () => {
    const p = computePath(t, DUAL, to(t, 'svc/static-server'));
    assert.equal(p.kind, 'cross-node');
    assert.deepEqual(p.service, {
      name: 'network-trace/static-server',
      vip: '172.30.112.80:80',
      endpoint: '10.129.0.12:8080',
      endpoints: ['10.129.0.12:8080'],
    });
    const br = p.hops.find((h) => h.id === 'worker-0/br-int')!;
    assert.equal(br.does[0]?.kind, 'dnat');
    assert.deepEqual(expectAt(p, 'worker-0/ens2f0np0'), ['dnat', 'routed', 'mac-rewrite', 'encap']);
    const dnat = p.hops.find((h) => h.id === 'worker-0/ens2f0np0')!.expect[0]!;
    assert.deepEqual(dnat, {
      kind: 'dnat',
      from: '172.30.112.80:80',
      to: '10.129.0.12:8080',
      by: 'load balancer of network-trace/static-server on logical switch worker-0',
      candidates: ['10.129.0.12:8080'],
    });
    // A ClusterIP given as an address is the same Service.
    assert.deepEqual(computePath(t, DUAL, to(t, '172.30.112.80')).hops, p.hops);
  });

  test('pod → outside: GR SNAT to the node IP, seen first on the NIC; br-ex and the patch are not capture points', () => {
    const p = computePath(t, DUAL, to(t, '203.0.113.10'));
    assert.equal(p.kind, 'egress');
    assert.deepEqual(roles(p), ['pod-eth0*', 'host-veth*', 'ovn', 'patch', 'bridge', 'nic*', 'external']);
    assert.deepEqual(p.hops.find((h) => h.id === 'worker-0/ens2f0np0')!.expect, [
      { kind: 'routed', ttlDecrement: 2, by: ['ovn_cluster_router', 'GR_worker-0'] },
      { kind: 'snat', from: '10.128.2.43', to: '198.18.0.9', by: 'GR_worker-0' },
      { kind: 'mac-rewrite', by: 'GR_worker-0', src: '02:00:c6:12:00:09' },
    ]);
    assert.equal(p.hops[3]!.interface, 'patch-br-int-to-br-ex_worker-0');
    assert.equal(p.hops.at(-1)!.id, 'external/203.0.113.10');
  });

  test('pod → another node: out through SNAT, into that node’s br-ex port (the host stack)', () => {
    const p = computePath(t, DUAL, to(t, 'node/worker-1'));
    assert.equal(p.kind, 'to-node');
    assert.deepEqual(
      p.hops.slice(-2).map((h) => [h.id, h.role, h.capture]),
      [
        ['worker-1/ens2f0np0', 'nic', true],
        ['worker-1/br-ex', 'host', true],
      ],
    );
    assert.deepEqual(computePath(t, DUAL, to(t, '198.18.0.7')).hops, p.hops);
  });

  test('pod → its own node: ends in OVN, with a note on who answers', () => {
    const p = computePath(t, DUAL, to(t, 'node/worker-0'));
    assert.equal(p.kind, 'to-own-node');
    assert.equal(p.hops.at(-1)!.role, 'ovn');
    assert.match(p.notes.join(' '), /GR_worker-0's address/);
  });

  test('node → pod: from the host through ovn-k8s-mp0', () => {
    const p = computePath(t, { kind: 'node', node: 'worker-0' }, to(t, 'pod/static-server'));
    assert.equal(p.hops[0]!.id, 'worker-0/ovn-k8s-mp0');
    assert.equal(p.hops[0]!.role, 'management-port');
    assert.deepEqual(expectAt(p, 'worker-0/ens2f0np0'), ['routed', 'mac-rewrite', 'encap']);
  });

  test('a kernel datapath (genev_sys_6081): the tunnel device is a capture point showing inner packets', () => {
    const k: Topology = structuredClone(t);
    for (const n of k.nodes) for (const tun of n.tunnels) tun.device = 'genev_sys_6081';
    const p = computePath(k, DUAL, to(k, 'pod/static-server'));
    assert.deepEqual(
      capturePoints(p).map((c) => c.interface),
      ['eth0', veth0, 'genev_sys_6081', 'ens2f0np0', 'ens2f0np0', 'genev_sys_6081', veth1, 'eth0'],
    );
    assert.deepEqual(expectAt(p, 'worker-0/genev_sys_6081'), ['routed', 'mac-rewrite']);
    assert.deepEqual(expectAt(p, 'worker-0/ens2f0np0'), ['encap']);
    assert.deepEqual(expectAt(p, 'worker-1/genev_sys_6081'), ['decap']);
    assert.deepEqual(expectAt(p, `worker-1/${veth1}`), []);
  });

  test('no tunnel to the other node: the path says so instead of inventing one', () => {
    const k: Topology = structuredClone(t);
    k.nodes.find((n) => n.name === 'worker-0')!.tunnels = [];
    const p = computePath(k, DUAL, to(k, 'pod/static-server'));
    assert.equal(p.hops[3]!.capture, false);
    assert.match(p.hops[3]!.why!, /worker-0 has no tunnel port to worker-1 \(198\.18\.0\.7\)/);
    assert.match(p.notes.join(' '), /no tunnel to worker-1/);
  });

  test('errors: to itself; an endpoint that was not discovered names what was', () => {
    assert.throws(
      () => computePath(t, DUAL, to(t, 'pod/nettools-dual-pod')),
      (e: unknown) => isNettraceError(e) && e.code === 'topology.same-endpoint',
    );
    const partial: Topology = { ...t, pods: t.pods.filter((p) => p.name !== 'static-server') };
    assert.throws(
      () => computePath(partial, DUAL, to(t, 'pod/static-server')),
      (e: unknown) =>
        isNettraceError(e) &&
        e.code === 'topology.not-discovered' &&
        /pod network-trace\/static-server was not discovered \(discovered: network-trace\/nettools-dual-pod, nettrace-bench\/bench-000\)/.test(
          e.message,
        ),
    );
  });
});

describe('--to resolution', () => {
  let t: Topology;
  before(async () => {
    t = await discover(new RecordedSource(RECORDING), {});
  });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isNettraceError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };

  test('names and addresses', () => {
    assert.deepEqual(to(t, 'pod/static-server'), {
      kind: 'pod',
      pod: 'network-trace/static-server',
      ip: '10.129.0.12',
    });
    assert.deepEqual(to(t, 'svc/static-server:80'), {
      kind: 'service',
      service: 'network-trace/static-server',
      ip: '172.30.112.80',
      port: 80,
      protocol: 'TCP',
    });
    assert.deepEqual(to(t, 'node/worker-1'), { kind: 'node', node: 'worker-1', ip: '198.18.0.7' });
    assert.deepEqual(to(t, '10.128.2.43'), {
      kind: 'pod',
      pod: 'network-trace/nettools-dual-pod',
      ip: '10.128.2.43',
    });
    assert.deepEqual(to(t, '8.8.8.8'), { kind: 'external', ip: '8.8.8.8' });
  });

  test('unknown names list what exists', () => {
    assert.match(
      code(() => to(t, 'node/worker-9')),
      /^topology\.no-node: no node worker-9 in the cluster \(nodes: worker-0, worker-1\)/,
    );
    assert.match(
      code(() => to(t, 'svc/nope')),
      /^topology\.no-service: .*\(services: network-trace\/static-server\)/,
    );
    assert.match(
      code(() => to(t, 'svc/static-server:81')),
      /no port 81 \(ports: 80\)/,
    );
    assert.match(
      code(() => to(t, 'pod/x/y')),
      /namespace x has no pods; namespaces: network-trace, nettrace-bench/,
    );
    assert.match(
      code(() => to(t, 'example.com')),
      /^topology\.bad-target: cannot tell what "example\.com" is/,
    );
    assert.match(
      code(() => to(t, '300.1.1.1')),
      /^topology\.bad-target/,
    );
  });
});
