// The model from a recording of the lab (testdata/topology/lab-recorded: two nodes, the seed's two
// pods and one bench pod on worker-0, saved with --record). Expected values are read from the raw
// files with JSON.parse and plain string handling, never through the parsers under test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RecordedSource } from './collect.ts';
import { discover } from './discover.ts';
import { inspectPod } from './inspect.ts';
import type { Topology } from './model.ts';

const RECORDING = fileURLToPath(new URL('../../testdata/topology/lab-recorded', import.meta.url));

const raw = (rel: string) => readFileSync(`${RECORDING}/${rel}`, 'utf8');
type Link = {
  ifindex: number;
  ifname: string;
  link_index?: number;
  address?: string;
  mtu?: number;
  master?: string;
  addr_info?: { local: string; prefixlen: number }[];
};
const links = (rel: string) => JSON.parse(raw(rel)) as Link[];

/** A column of one row of an ovs-vsctl JSON table, by the row's name. */
function ovsCell(rel: string, name: string, column: string): unknown {
  const t = JSON.parse(raw(rel)) as { headings: string[]; data: unknown[][] };
  const ni = t.headings.indexOf('name');
  const ci = t.headings.indexOf(column);
  const row = t.data.find((r) => r[ni] === name);
  assert.ok(row, `${rel} has a row ${name}`);
  return row[ci];
}
function ovsMap(cell: unknown): Record<string, string> {
  const [tag, pairs] = cell as [string, [string, string][]];
  assert.equal(tag, 'map');
  return Object.fromEntries(pairs);
}

const POD = { namespace: 'network-trace', name: 'nettools-dual-pod' };
const STATIC = { namespace: 'network-trace', name: 'static-server' };
const BENCH = { namespace: 'nettrace-bench', name: 'bench-000' };

describe('discovery from the recorded lab', () => {
  let t: Topology;
  before(async () => {
    t = await discover(new RecordedSource(RECORDING), { pods: [POD, STATIC, BENCH] });
  });

  test('the source says it is a recording, with the recording time', () => {
    const doc = JSON.parse(raw('cluster.json')) as { recordedAt: string; view: string };
    assert.deepEqual(t.source, {
      kind: 'recorded',
      view: doc.view,
      dir: RECORDING,
      collectedAt: doc.recordedAt,
    });
    assert.deepEqual(
      t.nodes.map((n) => n.name),
      ['worker-0', 'worker-1'],
    );
  });

  test('eth0 ⇄ host veth: the peer ifindex on each side names the other', () => {
    const pod = t.pods.find((p) => p.name === POD.name)!;
    const eth0 = links(`pods/${POD.namespace}/${POD.name}/ip-addr.json`).find((l) => l.ifname === 'eth0')!;
    const host = links('nodes/worker-0/ip-addr.json').find((l) => l.ifindex === eth0.link_index)!;
    assert.equal(pod.eth0?.ifindex, eth0.ifindex);
    assert.equal(pod.eth0?.peerIfindex, eth0.link_index);
    assert.equal(pod.eth0?.mac, eth0.address);
    assert.equal(pod.eth0?.mtu, 1400);
    assert.deepEqual(pod.eth0?.addresses, ['10.128.2.43/23']);
    assert.equal(pod.hostVeth?.name, host.ifname);
    assert.equal(pod.hostVeth?.ifindex, host.ifindex);
    assert.equal(pod.hostVeth?.peerIfindex, eth0.ifindex);
    assert.equal(host.link_index, eth0.ifindex, 'the recording itself is consistent');
    // Userspace datapath: ip shows no master for the veth, and the model says so instead of inventing one.
    assert.equal(host.master, undefined);
    assert.equal(pod.hostVeth?.master, null);
    assert.equal(pod.hostVeth?.datapathType, 'netdev');
    assert.equal(pod.hostVeth?.peerNetns, pod.netns.path?.split('/').pop());
  });

  test('the host veth is an OVS port: bridge, ofport and iface-id as ovs-vsctl recorded them', () => {
    const pod = t.pods.find((p) => p.name === POD.name)!;
    const veth = pod.hostVeth!.name;
    assert.equal(pod.hostVeth?.ofport, ovsCell('nodes/worker-0/ovs-interfaces.json', veth, 'ofport'));
    assert.equal(
      pod.hostVeth?.ifaceId,
      ovsMap(ovsCell('nodes/worker-0/ovs-interfaces.json', veth, 'external_ids'))['iface-id'],
    );
    assert.equal(pod.hostVeth?.ifaceId, 'network-trace_nettools-dual-pod');
    // The bridge whose ports list holds the uuid of the Port row named like the veth.
    const portUuid = (ovsCell('nodes/worker-0/ovs-ports.json', veth, '_uuid') as [string, string])[1];
    const bridges = JSON.parse(raw('nodes/worker-0/ovs-bridges.json')) as {
      headings: string[];
      data: unknown[][];
    };
    const owner = bridges.data.find((r) =>
      JSON.stringify(r[bridges.headings.indexOf('ports')]).includes(portUuid),
    );
    assert.equal(pod.hostVeth?.bridge, owner?.[bridges.headings.indexOf('name')]);
    assert.equal(pod.hostVeth?.bridge, 'br-int');
  });

  test('containers: inodes from stat; net shared, pid and mnt isolated (the seed’s ip a / ps / /tmp)', () => {
    const pod = t.pods.find((p) => p.name === POD.name)!;
    const stat = new Map(
      raw(`pods/${POD.namespace}/${POD.name}/namespaces.txt`)
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    for (const c of pod.containers) {
      assert.equal(c.running, true);
      for (const k of ['net', 'pid', 'mnt', 'uts', 'ipc', 'cgroup'] as const) {
        assert.equal(String(c.namespaces[k]), stat.get(`/proc/${c.pid}/ns/${k}`), `${c.name} ${k}`);
      }
    }
    assert.deepEqual(pod.sharedNamespaces, ['net', 'uts', 'ipc', 'cgroup']);
    assert.deepEqual(pod.isolatedNamespaces, ['pid', 'mnt']);
    assert.deepEqual(pod.partlySharedNamespaces, []);
    // The lab's containers only unshare pid and mnt: uts, ipc and cgroup are the node's.
    assert.deepEqual(pod.hostNamespaces, ['uts', 'ipc', 'cgroup']);
    assert.equal(String(pod.netns.inode), stat.get(pod.netns.path!));
    assert.equal(pod.containers[0]!.namespaces.net, pod.netns.inode);
    assert.deepEqual(pod.warnings, []);
  });

  test('a pod with one container (or none) compares nothing and says so only when it should', () => {
    const s = t.pods.find((p) => p.name === STATIC.name)!;
    assert.deepEqual([s.sharedNamespaces, s.isolatedNamespaces], [[], []]);
    assert.deepEqual(s.warnings, []);
    const b = t.pods.find((p) => p.name === BENCH.name)!;
    assert.deepEqual(b.containers, []);
    assert.ok(b.hostVeth, 'the bench pod is plumbed like the others');
  });

  test('worker-0: bridges, NIC, node IP, patch pair, management port and Geneve tunnel', () => {
    const n = t.nodes.find((x) => x.name === 'worker-0')!;
    assert.deepEqual(n.bridges.map((b) => [b.name, b.role, b.datapathType, b.failMode]).sort(), [
      ['br-ex', 'gateway', 'netdev', 'secure'],
      ['br-int', 'integration', 'netdev', 'secure'],
    ]);
    const nicLink = links('nodes/worker-0/ip-addr.json').find((l) => l.ifname === 'ens2f0np0')!;
    const brEx = links('nodes/worker-0/ip-addr.json').find((l) => l.ifname === 'br-ex')!;
    assert.equal(n.nic?.name, 'ens2f0np0');
    assert.equal(n.nic?.bridge, 'br-ex');
    assert.equal(n.nic?.ofport, ovsCell('nodes/worker-0/ovs-interfaces.json', 'ens2f0np0', 'ofport'));
    assert.equal(n.nic?.ifindex, nicLink.ifindex);
    assert.equal(n.nic?.mac, nicLink.address);
    assert.equal(n.nodeIp, brEx.addr_info?.find((a) => !a.local.includes(':'))?.local);
    assert.equal(n.nodeIp, '198.18.0.9');
    assert.deepEqual(n.bridgeMappings, { physnet: 'br-ex' });
    assert.equal(n.patches.length, 1);
    const ends = [n.patches[0]!.a, n.patches[0]!.b].map((e) => `${e.bridge}:${e.port}`).sort();
    assert.deepEqual(ends, ['br-ex:patch-br-ex_worker-0-to-br-int', 'br-int:patch-br-int-to-br-ex_worker-0']);
    assert.equal(
      ovsMap(ovsCell('nodes/worker-0/ovs-interfaces.json', 'patch-br-int-to-br-ex_worker-0', 'options')).peer,
      'patch-br-ex_worker-0-to-br-int',
    );
    assert.equal(n.managementPort?.name, 'ovn-k8s-mp0');
    assert.deepEqual(n.managementPort?.addresses, ['10.128.2.2/23']);
    assert.equal(n.tunnels.length, 1);
    const tun = n.tunnels[0]!;
    const opts = ovsMap(ovsCell('nodes/worker-0/ovs-interfaces.json', tun.port, 'options'));
    assert.equal(ovsCell('nodes/worker-0/ovs-interfaces.json', tun.port, 'type'), 'geneve');
    assert.deepEqual(
      [tun.type, tun.remoteIp, tun.remoteNode, tun.key, tun.localIp, tun.localIpFrom, tun.dstPort],
      ['geneve', opts.remote_ip, 'worker-1', opts.key, '198.18.0.9', 'external_ids:ovn-encap-ip', 6081],
    );
    assert.equal(tun.device, undefined, 'userspace OVS: no genev_sys_6081');
    assert.deepEqual(n.warnings, []);
  });

  test('pod ports are named by their OVN binding; the pod list says which pod', () => {
    const n = t.nodes.find((x) => x.name === 'worker-0')!;
    const pods = n.bridges
      .flatMap((b) => b.ports)
      .filter((p) => p.role === 'pod')
      .map((p) => p.pod)
      .sort();
    assert.deepEqual(pods, ['network-trace/nettools-dual-pod', 'nettrace-bench/bench-000'].sort());
    const veth = n.vethPairs.find((v) => v.pod === 'network-trace/nettools-dual-pod');
    assert.equal(veth?.peer.netns, 'nt4x-pod-network-trace-nettools-dual-pod');
    assert.equal(veth?.bridge, 'br-int');
  });

  test('inspect: the design contract’s keys, and unknown pods listed', async () => {
    const { result } = await inspectPod(new RecordedSource(RECORDING), POD.namespace, POD.name);
    for (const k of [
      'pod',
      'node',
      'ips',
      'containers',
      'sharedNamespaces',
      'isolatedNamespaces',
      'eth0',
      'hostVeth',
      'nic',
      'tunnels',
    ]) {
      assert.ok(k in result, k);
    }
    assert.equal(result.node, 'worker-0');
    assert.equal(result.path, undefined);
    await assert.rejects(
      inspectPod(new RecordedSource(RECORDING), POD.namespace, 'nope'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'topology.no-pod');
        assert.match(
          e.message,
          /no pod network-trace\/nope in the recording .*pods in network-trace: nettools-dual-pod, static-server/,
        );
        return true;
      },
    );
  });
});
