// Against a real lab (root; CI runs as root), built here with its own prefix and state dir and torn
// down after, even when a test fails: the lab's hosts pass the shared Host suite, and every fact
// inspect/topo report is checked with a separate tool run (ip -j link, ovs-vsctl port-to-br/get,
// stat and readlink of /proc/PID/ns/*) — not through the parsers or hosts under test.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hostSuite } from '../hosts/host-suite.ts';
import { upLab } from '../lab/builder.ts';
import { Lab } from '../lab/lab.ts';
import { defaultSpec } from '../lab/spec.ts';
import { StateStore } from '../lab/state.ts';
import { teardown } from '../lab/teardown.ts';
import { LiveSource } from './collect.ts';
import { discover } from './discover.ts';
import { inspectPod } from './inspect.ts';
import { LabClusterView } from './lab-view.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'nettrace-topolive-'));
const stateDir = join(work, 'lab');
const spec = defaultSpec({ prefix: `ntv${process.pid}` });
const NS = 'network-trace';
const DUAL = 'nettools-dual-pod';
let lab: Lab;

before(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('src/topology/lab-view.test.ts builds the lab and needs root: run the tests as root');
  }
  await upLab({ spec, stateDir });
  lab = Lab.open({ stateDir });
});
after(async () => {
  const store = new StateStore(stateDir);
  if (store.load()) await teardown(store);
  rmSync(work, { recursive: true, force: true });
});

// ---- independent readings ------------------------------------------------------------------------
const run = (argv: string[], env?: Record<string, string>) =>
  execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
const netnsOf = (node: string) => `${spec.prefix}-${node}`;
const podNetns = (pod: string) => `${spec.prefix}-pod-${NS}-${pod}`;
type Link = {
  ifindex: number;
  ifname: string;
  link_index?: number;
  master?: string;
  address?: string;
  mtu?: number;
};
const ipLinks = (netns: string): Link[] =>
  JSON.parse(run(['ip', '-n', netns, '-j', 'link', 'show'])) as Link[];
const ipAddrs = (netns: string, dev: string): string[] =>
  (
    JSON.parse(run(['ip', '-n', netns, '-j', 'addr', 'show', 'dev', dev])) as {
      addr_info: { family: string; local: string; prefixlen: number }[];
    }[]
  )[0]!.addr_info
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
const vsctl = (node: string, ...args: string[]) =>
  run(['ip', 'netns', 'exec', netnsOf(node), 'ovs-vsctl', ...args], {
    OVS_RUNDIR: join(stateDir, 'nodes', node),
  });
const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');
const statInode = (path: string) => Number(run(['stat', '-L', '-c', '%i', path]));

const cli = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args, '--state-dir', stateDir],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );

// ---- the lab's hosts pass the shared Host suite ---------------------------------------------------
hostSuite('lab node host (LabClusterView.nodeHost)', {
  make: (log) => LabClusterView.open({ stateDir, log }).nodeHost('worker-0'),
});
hostSuite('lab pod network host (LabClusterView.podNetHost)', {
  make: async (log) => {
    const v = LabClusterView.open({ stateDir, log });
    return v.podNetHost(await v.pod(NS, DUAL));
  },
});
hostSuite('lab container host (LabClusterView.containerHost)', {
  make: async (log) => {
    const v = LabClusterView.open({ stateDir, log });
    return v.containerHost(await v.pod(NS, DUAL), 'nettools-container-2');
  },
  // A container has its own /tmp: the suite's files go where both sides see the same filesystem.
  sharedDir: '/var/tmp',
});

describe('inspect on the live lab: every fact checked with another tool', () => {
  test('eth0, its host veth, the OVS port', async () => {
    const { result: r } = await inspectPod(new LiveSource(LabClusterView.open({ stateDir })), NS, DUAL);
    const eth0 = ipLinks(podNetns(DUAL)).find((l) => l.ifname === 'eth0')!;
    assert.equal(r.eth0?.ifindex, eth0.ifindex);
    assert.equal(r.eth0?.peerIfindex, eth0.link_index);
    assert.equal(r.eth0?.mac, eth0.address);
    assert.equal(r.eth0?.mtu, eth0.mtu);
    assert.deepEqual(r.eth0?.addresses, ipAddrs(podNetns(DUAL), 'eth0'));
    const host = ipLinks(netnsOf('worker-0')).find((l) => l.ifindex === eth0.link_index)!;
    assert.equal(r.hostVeth?.name, host.ifname);
    assert.equal(r.hostVeth?.ifindex, host.ifindex);
    assert.equal(host.link_index, eth0.ifindex, 'the veth names eth0 back');
    assert.equal(r.hostVeth?.master, host.master ?? null);
    assert.equal(r.hostVeth?.bridge, vsctl('worker-0', 'port-to-br', host.ifname));
    assert.equal(r.hostVeth?.port, host.ifname);
    assert.equal(r.hostVeth?.ofport, Number(vsctl('worker-0', 'get', 'Interface', host.ifname, 'ofport')));
    assert.equal(
      r.hostVeth?.ifaceId,
      unquote(vsctl('worker-0', 'get', 'Interface', host.ifname, 'external_ids:iface-id')),
    );
    assert.deepEqual(r.ips, [lab.pod(NS, DUAL).ip]);
    assert.deepEqual(r.warnings, []);
  });

  test('containers’ namespace inodes and what is shared', async () => {
    const { result: r } = await inspectPod(new LiveSource(LabClusterView.open({ stateDir })), NS, DUAL);
    const kinds = ['net', 'pid', 'mnt', 'uts', 'ipc', 'cgroup'] as const;
    for (const c of r.containers) {
      for (const k of kinds) {
        assert.equal(c.namespaces[k], statInode(`/proc/${c.pid}/ns/${k}`), `${c.name} ${k}`);
        assert.equal(readlinkSync(`/proc/${c.pid}/ns/${k}`), `${k}:[${c.namespaces[k]}]`);
      }
    }
    const [a, b] = r.containers.map((c) => c.pid!);
    const same = kinds.filter(
      (k) => readlinkSync(`/proc/${a}/ns/${k}`) === readlinkSync(`/proc/${b}/ns/${k}`),
    );
    assert.deepEqual(r.sharedNamespaces, same);
    assert.deepEqual(
      r.isolatedNamespaces,
      kinds.filter((k) => !same.includes(k)),
    );
    assert.ok(r.sharedNamespaces.includes('net') && r.isolatedNamespaces.includes('pid'));
    assert.equal(r.netns.inode, statInode(`/run/netns/${podNetns(DUAL)}`));
    // What the shared net and separate pid/mnt namespaces mean, seen from inside (the seed's checks).
    const [h1, h2] = ['nettools-container-1', 'nettools-container-2'].map((c) =>
      lab.containerHost(NS, DUAL, c),
    );
    assert.equal((await h1!.run(['ip', '-o', 'link'])).stdout, (await h2!.run(['ip', '-o', 'link'])).stdout);
    assert.notEqual(
      (await h1!.run(['ps', '-e', '-o', 'comm='])).stdout,
      (await h2!.run(['ps', '-e', '-o', 'comm='])).stdout,
    );
    assert.equal(
      (await h2!.run(['cat', '/tmp/hello.txt'])).code === 0,
      false,
      'container-1’s /tmp file is not in container-2',
    );
  });

  test('node: NIC, node IP, tunnels, management port, patch pair', async () => {
    const t = await discover(new LiveSource(LabClusterView.open({ stateDir })), {
      nodes: ['worker-0', 'worker-1'],
    });
    for (const n of t.nodes) {
      const nic = n.nic!;
      assert.ok(vsctl(n.name, 'list-ports', 'br-ex').split('\n').includes(nic.name));
      assert.equal(vsctl(n.name, 'iface-to-br', nic.name), nic.bridge);
      assert.equal(vsctl(n.name, 'get', 'Interface', nic.name, 'type'), '""');
      assert.equal(nic.ofport, Number(vsctl(n.name, 'get', 'Interface', nic.name, 'ofport')));
      const link = ipLinks(netnsOf(n.name)).find((l) => l.ifname === nic.name)!;
      assert.deepEqual([nic.ifindex, nic.mac, nic.mtu], [link.ifindex, link.address, link.mtu]);
      assert.equal(`${n.nodeIp}/24`, ipAddrs(netnsOf(n.name), 'br-ex')[0]);
      const geneve = vsctl(n.name, '--bare', '--columns=name', 'find', 'Interface', 'type=geneve').split(
        '\n',
      );
      assert.deepEqual(n.tunnels.map((x) => x.port).sort(), geneve.sort());
      for (const tun of n.tunnels) {
        assert.equal(tun.remoteIp, unquote(vsctl(n.name, 'get', 'Interface', tun.port, 'options:remote_ip')));
        assert.equal(
          tun.localIp,
          unquote(vsctl(n.name, 'get', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip')),
        );
        assert.equal(tun.remoteNode, t.nodes.find((x) => x.nodeIp === tun.remoteIp)?.name);
      }
      assert.deepEqual(n.managementPort?.addresses, ipAddrs(netnsOf(n.name), 'ovn-k8s-mp0'));
      assert.equal(n.patches.length, 1);
      const p = n.patches[0]!;
      assert.equal(unquote(vsctl(n.name, 'get', 'Interface', p.a.port, 'options:peer')), p.b.port);
      assert.equal(vsctl(n.name, 'port-to-br', p.a.port), p.a.bridge);
      assert.equal(vsctl(n.name, 'port-to-br', p.b.port), p.b.bridge);
      assert.deepEqual(n.warnings, []);
    }
  });
});

describe('the commands on the live lab', () => {
  test('inspect -o json with --record, then --from the recording: the same answer', () => {
    const rec = join(work, 'rec');
    const live = cli(
      'inspect',
      `pod/${DUAL}`,
      '-n',
      NS,
      '--to',
      'svc/static-server',
      '-o',
      'json',
      '--record',
      rec,
    );
    assert.equal(live.status, 0, live.stderr);
    const replay = cli('inspect', DUAL, '--to', 'svc/static-server', '-o', 'json', '--from', rec);
    assert.equal(replay.status, 0, replay.stderr);
    const a = JSON.parse(live.stdout);
    const b = JSON.parse(replay.stdout);
    assert.equal(a.path.kind, 'cross-node');
    assert.deepEqual({ ...b, source: undefined }, { ...a, source: undefined });
    assert.equal(b.source.kind, 'recorded');
  });

  test('inspect text and topo ascii name the veth, the bridge and the tunnel', () => {
    const veth = lab.pod(NS, DUAL).veth;
    const text = cli('inspect', `pod/${DUAL}`, '--to', '203.0.113.10');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`${veth} \\(node\\)\\s+ifindex \\d+`));
    assert.match(text.stdout, /SNAT 10\.128\.2\.43 → 198\.18\.0\.9 \(GR_worker-0\)/);
    const topo = cli('topo', 'node/worker-0');
    assert.equal(topo.status, 0, topo.stderr);
    assert.match(topo.stdout, new RegExp(`\\[\\d+\\] ${veth}\\s+pod network-trace/nettools-dual-pod`));
    assert.match(topo.stdout, /geneve 198\.18\.0\.9 → 198\.18\.0\.7 \(worker-1\)/);
    for (const o of ['mermaid', 'dot', 'json']) assert.equal(cli('topo', '-o', o).status, 0, o);
  });

  test('unknown pod and node: a clear message listing what exists, exit code 1', () => {
    const p = cli('inspect', 'pod/nope');
    assert.equal(p.status, 1);
    assert.match(
      p.stderr,
      /^nettrace: no pod network-trace\/nope in the lab \(pods in network-trace: nettools-dual-pod, static-server\)/,
    );
    const n = cli('topo', 'node/worker-9');
    assert.equal(n.status, 1);
    assert.match(n.stderr, /^nettrace: no node worker-9 in the lab \(nodes: worker-0, worker-1\)/);
    const k = cli('inspect', DUAL, '--kubeconfig', '/dev/null');
    assert.match(k.stderr, /kubeconfig \/dev\/null is empty or not a kubeconfig/);
  });

  test('a container that died is reported as not running, and nothing is compared', async () => {
    const c2 = lab.pod(NS, DUAL).containers.find((c) => c.name === 'nettools-container-2')!;
    process.kill(c2.pid!, 'SIGKILL');
    for (let i = 0; i < 50 && Lab.open({ stateDir }).pod(NS, DUAL).containers[1]!.alive; i++)
      await new Promise((r) => setTimeout(r, 20));
    const { result: r } = await inspectPod(new LiveSource(LabClusterView.open({ stateDir })), NS, DUAL);
    assert.deepEqual(
      r.containers.map((c) => [c.name, c.running]),
      [
        ['nettools-container-1', true],
        ['nettools-container-2', false],
      ],
    );
    assert.deepEqual([r.sharedNamespaces, r.isolatedNamespaces], [[], []]);
    assert.match(r.warnings.join(' '), /fewer than two containers are running/);
  });
});
