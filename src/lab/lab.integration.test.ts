// The lab for real (root; CI runs as root): up, the checks, down, and the root namespace
// exactly as before. Own prefix and state dir, so a lab the user has up is not touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { type UpResult, upLab } from './builder.ts';
import { execHost, parseExecTarget } from './exec.ts';
import { Lab } from './lab.ts';
import { planLab, planNamespaces, tunnelPortName } from './plan.ts';
import { defaultSpec, type LabSpec } from './spec.ts';
import { StateStore } from './state.ts';
import { labStatus } from './status.ts';
import { teardown } from './teardown.ts';

function requireRootForTest(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'src/lab/lab.integration.test.ts builds the lab and needs root: run the tests as root (CI does)',
    );
  }
}

const sh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
// Namespaces other test files of this repo create while we run.
const OTHER_TESTS = /^nettrace-(hosttest|tdtest)-/;
const DAEMONS = ['ovs-vswitchd', 'ovsdb-server', 'ovn-controller', 'ovn-northd'];

interface RootSnapshot {
  netns: string[];
  links: string;
  nft: string;
  daemons: string[];
}
function liveDaemonPids(): string[] {
  return DAEMONS.flatMap((d) => {
    let out = '';
    try {
      out = sh(['pgrep', '-x', d]);
    } catch {}
    // A zombie waits for pid 1 to reap it: it is gone for our purposes.
    return out
      .split('\n')
      .filter(Boolean)
      .filter((pid) => {
        try {
          return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      })
      .map((pid) => `${d}:${pid}`);
  }).sort();
}
function snapshot(): RootSnapshot {
  return {
    netns: sh(['ip', 'netns', 'list'])
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n && !OTHER_TESTS.test(n))
      .sort(),
    links: sh(['ip', '-br', 'link']),
    nft: sh(['nft', 'list', 'ruleset']),
    daemons: liveDaemonPids(),
  };
}
async function settled(baseline: RootSnapshot): Promise<RootSnapshot> {
  // Daemons that got SIGTERM may take a moment to disappear from pgrep.
  let s = snapshot();
  for (let i = 0; i < 50 && JSON.stringify(s) !== JSON.stringify(baseline); i++) {
    await new Promise((r) => setTimeout(r, 50));
    s = snapshot();
  }
  return s;
}

/** Bridge name → its port names, from `ovs-vsctl show`. */
function bridgesOf(show: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of show.split('\n')) {
    const b = /^ {4}Bridge "?([^"]+)"?$/.exec(line);
    if (b) {
      current = [];
      out.set(b[1]!, current);
    }
    const p = /^ {8}Port "?([^"]+)"?$/.exec(line);
    if (p && current) current.push(p[1]!);
  }
  return out;
}

const stateRoot = mkdtempSync(join(tmpdir(), 'nettrace-labtest-'));
after(() => rmSync(stateRoot, { recursive: true, force: true }));

describe('nettrace lab: up, checks, down (root)', () => {
  const spec = defaultSpec({ prefix: `ntt${process.pid}` });
  const plan = planLab(spec);
  const stateDir = join(stateRoot, 'lab');
  let baseline: RootSnapshot;
  let up: UpResult;
  let lab: Lab;

  before(async () => {
    requireRootForTest();
    baseline = snapshot();
    up = await upLab({ spec, stateDir });
    lab = Lab.open({ stateDir });
  });
  after(async () => {
    const store = new StateStore(stateDir);
    if (store.load()) await teardown(store);
  });

  // Its duration is checked by `npm run bench -- lab`, not here: this machine is shared and noisy.
  test('up finished with every recorded process alive', () => {
    assert.equal(up.alreadyUp, false);
    assert.equal(up.state.status, 'up');
    assert.deepEqual(up.warnings, []);
    const rec = up.state.pods?.['network-trace/nettools-dual-pod'];
    const pod = plan.pods.find((p) => p.name === 'nettools-dual-pod')!;
    assert.equal(rec?.sandboxId, pod.sandboxId);
    assert.equal(rec?.veth, pod.veth);
    assert.deepEqual(
      rec?.containers.map((c) => c.id),
      pod.containers.map((c) => c.id),
    );
    assert.ok(rec?.containers.every((c) => typeof c.pid === 'number' && c.pid > 1));
  });

  test('ovs-vsctl show on worker-0: br-int with the pod port, ovn-k8s-mp0, the patch port and a Geneve port; br-ex with the NIC and the patch port', async () => {
    const w0 = lab.node('worker-0');
    const show = (await lab.nodeHost('worker-0').run(['ovs-vsctl', 'show'], { check: true })).stdout;
    const bridges = bridgesOf(show);
    const brInt = bridges.get('br-int') ?? [];
    const brEx = bridges.get('br-ex') ?? [];
    const pod = lab.pod('network-trace', 'nettools-dual-pod');
    const geneve = tunnelPortName(lab.node('worker-1').chassis);
    for (const port of [pod.veth, 'ovn-k8s-mp0', w0.patchPortOnBrInt, geneve]) {
      assert.ok(brInt.includes(port), `br-int has ${port} (ports: ${brInt.join(', ')})`);
    }
    for (const port of ['ens2f0np0', w0.patchPortOnBrEx]) {
      assert.ok(brEx.includes(port), `br-ex has ${port} (ports: ${brEx.join(', ')})`);
    }
    assert.match(
      show,
      new RegExp(
        `Interface ${geneve}\\n\\s+type: geneve\\n\\s+options: \\{[^}]*remote_ip="198\\.18\\.0\\.7"`,
      ),
    );
    assert.match(show, /datapath_type: netdev/);
  });

  test('container-2 gets "Hello World" from container-1 over 127.0.0.1:8080', async () => {
    const c2 = lab.containerHost('network-trace', 'nettools-dual-pod', 'nettools-container-2');
    const r = await c2.run(['curl', '-sS', '-m', '5', 'http://127.0.0.1:8080/hello.txt'], { check: true });
    assert.equal(r.stdout, 'Hello World\n');
  });

  test('both containers see the same interfaces but not each other’s processes or /tmp', async () => {
    const c1 = lab.containerHost('network-trace', 'nettools-dual-pod', 'nettools-container-1');
    const c2 = lab.containerHost('network-trace', 'nettools-dual-pod', 'nettools-container-2');
    const links = await Promise.all([c1, c2].map((c) => c.run(['ip', '-o', 'link'], { check: true })));
    assert.equal(links[0]!.stdout, links[1]!.stdout);
    assert.match(links[0]!.stdout, /eth0@if\d+: .* mtu 1400 .*link\/ether 0a:58:0a:80:02:2b/);
    const ps = await Promise.all([c1, c2].map((c) => c.run(['ps', '-e', '-o', 'comm='], { check: true })));
    assert.ok(ps[0]!.stdout.includes('python3') && !ps[0]!.stdout.includes('sleep'), ps[0]!.stdout);
    assert.ok(ps[1]!.stdout.includes('sleep') && !ps[1]!.stdout.includes('python3'), ps[1]!.stdout);
    assert.equal((await c1.run(['cat', '/tmp/hello.txt'], { check: true })).stdout, 'Hello World\n');
    assert.equal((await c2.run(['ls', '-A', '/tmp'], { check: true })).stdout, '');
    const [p1, p2] = lab.pod('network-trace', 'nettools-dual-pod').containers.map((c) => c.pid!);
    const ns = (pid: number, k: string) => readlinkSync(`/proc/${pid}/ns/${k}`);
    assert.equal(ns(p1!, 'net'), ns(p2!, 'net'), 'one network namespace');
    for (const k of ['pid', 'mnt']) {
      assert.notEqual(ns(p1!, k), ns(p2!, k), `separate ${k} namespaces`);
      assert.notEqual(ns(p1!, k), ns(process.pid, k));
    }
    assert.notEqual(ns(p1!, 'net'), ns(process.pid, 'net'));
  });

  test('pod -> pod across nodes, pod -> service VIP, pod -> external (ping and HTTP)', async () => {
    const c2 = lab.containerHost('network-trace', 'nettools-dual-pod', 'nettools-container-2');
    const svc = plan.services[0]!;
    const curl = (url: string) => c2.run(['curl', '-sS', '-m', '5', url], { check: true });
    assert.equal((await curl('http://10.129.0.12:8080/hello.txt')).stdout, 'Hello World\n');
    assert.equal((await curl(`http://${svc.clusterIP}:${svc.port}/hello.txt`)).stdout, 'Hello World\n');
    assert.equal((await c2.run(['ping', '-c1', '-W2', '203.0.113.10'])).code, 0);
    assert.equal((await curl('http://203.0.113.10/hello.txt')).stdout, 'Hello World\n');
    // The external host has no route back to pod addresses: only SNAT makes this work.
    const route = await lab.externalHost().run(['ip', 'route', 'get', '10.128.2.43']);
    assert.notEqual(route.code, 0);
  });

  test('a capture on worker-0’s NIC shows the pod’s ping to 203.0.113.10 from 198.18.0.9', async () => {
    const file = join(stateRoot, 'nic.pcap');
    const node = lab.nodeHost('worker-0');
    const cap = node.spawn([
      'tcpdump',
      '--immediate-mode',
      '-U',
      '-Z',
      'root',
      '-nn',
      '-i',
      'ens2f0np0',
      '-w',
      file,
      'icmp',
    ]);
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 5000);
      cap.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const ping = await lab
      .podNetnsHost('network-trace', 'nettools-dual-pod')
      .run(['ping', '-c1', '-W2', '203.0.113.10']);
    assert.equal(ping.code, 0);
    await new Promise((r) => setTimeout(r, 200));
    await cap.stop();
    const text = sh(['tcpdump', '-nn', '-r', file]);
    assert.match(text, /IP 198\.18\.0\.9 > 203\.0\.113\.10: ICMP echo request/);
    assert.match(text, /IP 203\.0\.113\.10 > 198\.18\.0\.9: ICMP echo reply/);
    assert.doesNotMatch(text, /10\.128\.2\.43/, 'the pod address never reaches the NIC');
  });

  test('status: nodes, pods, services, and health (daemons, bound ports, pings) all OK', async () => {
    const s = await labStatus(lab);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.ip, n.nic]),
      [
        ['worker-0', '198.18.0.9', 'ens2f0np0'],
        ['worker-1', '198.18.0.7', 'ens2f0np0'],
      ],
    );
    assert.deepEqual(
      s.pods.map((p) => [p.name, p.node, p.ip, p.containers.map((c) => c.running)]),
      [
        ['nettools-dual-pod', 'worker-0', '10.128.2.43', [true, true]],
        ['static-server', 'worker-1', '10.129.0.12', [true]],
      ],
    );
    assert.equal(s.services[0]!.clusterIP, plan.services[0]!.clusterIP);
    assert.equal(s.health.daemons.length, 9);
    assert.ok(s.health.daemons.every((d) => d.alive));
    assert.ok(
      s.health.ports.length === 4 && s.health.ports.every((p) => p.bound),
      JSON.stringify(s.health.ports),
    );
    assert.ok(
      s.health.pings.length === 4 && s.health.pings.every((p) => p.ok),
      JSON.stringify(s.health.pings),
    );
    assert.equal(s.health.ok, true);
  });

  test('exec: node commands find their own OVS/OVN sockets; exit codes and output pass through', async () => {
    const node = execHost(lab, parseExecTarget('node/worker-1'));
    const r = await node.run(['sh', '-c', 'echo "$OVS_RUNDIR"; exit 3']);
    assert.deepEqual([r.code, r.stdout.trim()], [3, lab.paths.nodeDir('worker-1')]);
    const chassis = await node.run(['ovs-vsctl', 'get', 'Open_vSwitch', '.', 'external_ids:system-id'], {
      check: true,
    });
    assert.equal(chassis.stdout.trim().replaceAll('"', ''), lab.node('worker-1').chassis);
    const nb = await node.run(['ovn-nbctl', 'lr-nat-list', 'GR_worker-1'], { check: true });
    assert.match(nb.stdout, /snat\s+198\.18\.0\.7\s+10\.129\.0\.0\/23/);
    const ctl = await node.run(['ovn-appctl', '-t', 'ovn-controller', 'version'], { check: true });
    assert.match(ctl.stdout, /ovn-controller/);
    const pod = execHost(lab, parseExecTarget('static-server'));
    assert.equal((await pod.run(['cat', '/tmp/www/hello.txt'], { check: true })).stdout, 'Hello World\n');
    assert.equal((await pod.run(['sh', '-c', 'echo oops >&2; exit 5'])).stderr, 'oops\n');
  });

  test('up again: already up, nothing rebuilt', async () => {
    const again = await upLab({ spec, stateDir });
    assert.equal(again.alreadyUp, true);
    assert.equal(again.state.startedAt, up.state.startedAt);
  });

  test('down within 3 s restores the root namespace exactly; a second down finds nothing', async () => {
    const store = new StateStore(stateDir);
    const recorded = store
      .load()!
      .resources.filter((x) => x.kind === 'daemon' || x.kind === 'process').length;
    const r = await teardown(store);
    assert.equal(r.stopped.length, recorded, 'every recorded daemon and container process was still running');
    assert.equal(
      recorded,
      9 + 4 + 4,
      '9 daemons, 4 containers (3 in pods + the external host) and their supervisors',
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual([...r.namespaces].sort(), [...planNamespaces(plan)].sort());
    assert.deepEqual(await settled(baseline), baseline);
    assert.ok(!existsSync(stateDir));
    assert.equal(new StateStore(stateDir).load(), undefined);
  });
});

describe('nettrace lab: a failed or interrupted up leaves nothing behind (root)', () => {
  let baseline: RootSnapshot;
  before(() => {
    requireRootForTest();
    baseline = snapshot();
  });

  const leftovers = (spec: LabSpec, stateDir: string) => ({
    netns: planNamespaces(planLab(spec)).filter((n) => existsSync(`/run/netns/${n}`)),
    state: new StateStore(stateDir).exists(),
  });

  test('abort (Ctrl-C) in the middle of up tears down what was built', async () => {
    const spec = defaultSpec({ prefix: `ntta${process.pid}` });
    const stateDir = join(stateRoot, 'aborted');
    const ac = new AbortController();
    const progress: string[] = [];
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(
      upLab({ spec, stateDir, signal: ac.signal, progress: (m) => progress.push(m) }),
      (e: unknown) => {
        assert.ok(isNettraceError(e));
        assert.equal(e.code, 'lab.interrupted');
        return true;
      },
    );
    const stopped = progress.map((m) => /stopping (\d+) processes/.exec(m)).find(Boolean);
    assert.ok(
      stopped && Number(stopped[1]) > 0,
      `the abort came mid-build, with daemons running: ${progress.join(' | ')}`,
    );
    assert.deepEqual(leftovers(spec, stateDir), { netns: [], state: false });
    assert.deepEqual(await settled(baseline), baseline);
  });

  test('a step that fails half-way (an impossible MTU) tears down too and says why', async () => {
    const spec = { ...defaultSpec({ prefix: `nttf${process.pid}` }), podMtu: 100_000 };
    const stateDir = join(stateRoot, 'failed');
    const progress: string[] = [];
    await assert.rejects(upLab({ spec, stateDir, progress: (m) => progress.push(m) }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'host.command-failed');
      assert.match(e.message, /ip -n nttf\d+-pod-network-trace-\S+ -batch -/);
      return true;
    });
    assert.ok(
      progress.some((m) => /deleting 7 network namespaces/.test(m)),
      progress.join(' | '),
    );
    assert.deepEqual(leftovers(spec, stateDir), { netns: [], state: false });
    assert.deepEqual(await settled(baseline), baseline);
  });
});
