// The same answers through the Kubernetes API as from the lab: inspect, topo and the four lab
// scenarios of trace, run through client-node against the test API server in front of the lab,
// compared with the lab view's. Agent pods are made only on the nodes a command involves (listing the
// namespace's pods makes none) and always deleted, also when a failure is injected mid-trace; the
// CLI takes --kubeconfig/--context and prints --dry-run plans.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cleanup } from '../../src/cleanup.ts';
import { KubeClusterView } from '../../src/kube/view.ts';
import { Lab } from '../../src/lab/lab.ts';
import { runScenario, SCENARIOS } from '../../src/lab/scenarios.ts';
import type { ClusterPod } from '../../src/topology/cluster-view.ts';
import { LiveSource, RecordedSource } from '../../src/topology/collect.ts';
import { discover } from '../../src/topology/discover.ts';
import { inspectPod } from '../../src/topology/inspect.ts';
import { LabClusterView } from '../../src/topology/lab-view.ts';
import type { TraceResult } from '../../src/trace/types.ts';
import { labWithApi } from './fixture.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NS = 'network-trace';
const DUAL = 'nettools-dual-pod';
const f = labWithApi('p');

const STATIC = 'static-server';
const BOTH = ['worker-0', 'worker-1'];

/** The nodes of the agents created since creation number `since` (agent names carry their node). */
const agentNodesSince = (since: number) =>
  f.api.creations.slice(since).map((k) => {
    const m = /^network-trace\/nettrace-agent-(.+)-[0-9a-f]{6}$/.exec(k);
    assert.ok(m, `an agent name: ${k}`);
    return m[1]!;
  });

/** The facts only the node knows (crictl): none of them, or all of them. */
const nodeSide = (p: ClusterPod) => ({
  sandboxId: p.sandboxId,
  netns: p.netns,
  pids: p.containers.map((c) => c.pid),
});

const labSource = () => new LiveSource(new LabClusterView(Lab.open({ stateDir: f.stateDir })));
const kubeView = (kubeconfig = f.kubeconfig, cleanup?: Cleanup) =>
  new KubeClusterView({ kubeconfig, namespace: NS, agentPollMs: 20, ...(cleanup ? { cleanup } : {}) });

const cli = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      },
    );
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout: string; stderr: string };
    return { status: x.code ?? 1, stdout: x.stdout, stderr: x.stderr };
  }
};

/** What must be equal between two traces: the path's points, and each journey's findings. */
function essence(t: TraceResult) {
  return {
    path: t.path.kind,
    points: t.points.map((p) => [p.id, p.role]),
    findings: [
      ...new Set(t.journeys.flatMap((j) => j.findings.map((x) => `${j.direction} ${x.kind} at ${x.at}`))),
    ].sort(),
  };
}

describe('inspect and topo: the same facts through the API as from the lab', () => {
  test('inspect pod --to svc/static-server', async () => {
    const lab = (await inspectPod(labSource(), NS, DUAL, { to: 'svc/static-server' })).result;
    const v = kubeView();
    try {
      const kube = (await inspectPod(new LiveSource(v), NS, DUAL, { to: 'svc/static-server' })).result;
      assert.deepEqual({ ...kube, source: undefined }, { ...lab, source: undefined });
      assert.ok(
        lab.eth0 && lab.hostVeth,
        'the lab answer has eth0 and its veth: the comparison means something',
      );
    } finally {
      assert.deepEqual(await v.close(), []);
    }
  });

  test('topo of both nodes with the dual pod', async () => {
    const req = { nodes: ['worker-0', 'worker-1'], pods: [{ namespace: NS, name: DUAL }] };
    const lab = await discover(labSource(), req);
    const v = kubeView();
    try {
      const kube = await discover(new LiveSource(v), req);
      assert.deepEqual(JSON.parse(JSON.stringify(kube.nodes)), JSON.parse(JSON.stringify(lab.nodes)));
      assert.deepEqual(JSON.parse(JSON.stringify(kube.pods)), JSON.parse(JSON.stringify(lab.pods)));
      assert.equal(kube.nodes.flatMap((n) => n.tunnels).length, 2);
    } finally {
      await v.close();
    }
    assert.equal(f.api.created.size, 0, 'agents deleted');
  });
});

describe('pod ports checked against their sandboxes, through the API as from the lab', () => {
  test('a stale port sandbox on a node is flagged without entering the pod', async () => {
    const node = 'worker-1';
    const before = await discover(labSource(), { nodes: [node] });
    const port = before.nodes[0]!.bridges.flatMap((b) => b.ports).find(
      (p) => p.pod === `${NS}/static-server`,
    );
    assert.ok(port, 'static-server has a pod port on worker-1');
    const iface = port.interfaces[0] ?? port.name;
    const ovs = Lab.open({ stateDir: f.stateDir }).nodeHost(node);
    const key = 'external_ids:sandbox';
    const original = (
      await ovs.run(['ovs-vsctl', 'get', 'Interface', iface, key], { check: true })
    ).stdout.trim();
    await ovs.run(['ovs-vsctl', 'set', 'Interface', iface, `${key}=0123456789abcdef0123`], { check: true });
    try {
      const stale = /sandbox 0123456789ab is not pod network-trace\/static-server's/;
      const lab = await discover(labSource(), { nodes: [node] });
      assert.ok(
        lab.nodes[0]!.warnings.some((w) => stale.test(w)),
        `lab: ${lab.nodes[0]!.warnings.join('; ')}`,
      );
      const v = kubeView();
      try {
        // topo-like: the node only, no pod entered; the sandbox ids come from one crictl on the node.
        const kube = await discover(new LiveSource(v), { nodes: [node] });
        assert.ok(
          kube.nodes[0]!.warnings.some((w) => stale.test(w)),
          `kube: ${kube.nodes[0]!.warnings.join('; ')}`,
        );
        assert.deepEqual(JSON.parse(JSON.stringify(kube.nodes)), JSON.parse(JSON.stringify(lab.nodes)));
        const entered = kube.cluster.pods.filter((p) => p.netns !== undefined);
        assert.deepEqual(entered, [], 'no pod was entered');
      } finally {
        await v.close();
      }
    } finally {
      await ovs.run(['ovs-vsctl', 'set', 'Interface', iface, `${key}=${original}`], { check: true });
    }
    assert.equal(f.api.created.size, 0, 'agents deleted');
  });
});

describe('one node agent per node the command involves', () => {
  test('pods() reads the API only: no exec, no agent; completePod makes the agent of that pod only', async () => {
    const before = f.api.creations.length;
    const ws = f.api.requests.filter((r) => r.method === 'WS').length;
    const v = kubeView();
    try {
      const pods = await v.pods();
      const dual = pods.find((p) => p.name === DUAL)!;
      const stat = pods.find((p) => p.name === STATIC)!;
      assert.deepEqual(
        [dual.node, stat.node],
        ['worker-0', 'worker-1'],
        'the namespace has pods on both nodes',
      );
      assert.ok(dual.ips.length > 0 && dual.containers.every((c) => c.id && c.running), 'the API facts');
      assert.equal(f.api.requests.filter((r) => r.method === 'WS').length, ws, 'no exec');
      assert.deepEqual(agentNodesSince(before), [], 'no agent');
      for (const p of pods)
        assert.deepEqual(
          nodeSide(p),
          { sandboxId: undefined, netns: undefined, pids: p.containers.map(() => undefined) },
          `${p.name} has no node-side facts yet`,
        );

      const done = await v.completePod(dual);
      const lab = await new LabClusterView(Lab.open({ stateDir: f.stateDir })).pod(NS, DUAL);
      assert.deepEqual(nodeSide(done), nodeSide(lab), 'crictl on worker-0 gave the lab’s facts');
      assert.ok(done.netns && done.containers.every((c) => c.pid), 'with netns and pids');
      assert.deepEqual(agentNodesSince(before), ['worker-0']);
      assert.equal(await v.completePod(dual), done, 'completed once per pod');
      assert.deepEqual(agentNodesSince(before), ['worker-0']);
    } finally {
      assert.deepEqual(await v.close(), []);
    }
    assert.equal(f.api.created.size, 0, 'agents deleted');
  });

  test('inspect of a pod on worker-0 (no --to): one agent, on worker-0', async () => {
    const before = f.api.creations.length;
    const v = kubeView();
    const source = new LiveSource(v);
    try {
      const { result } = await inspectPod(source, NS, DUAL);
      assert.equal(result.node, 'worker-0');
      assert.ok(result.netns.inode && result.containers.every((c) => c.pid), 'the pod was entered');
      assert.deepEqual(agentNodesSince(before), ['worker-0']);
      // The snapshot's entry was completed in place; the pod on worker-1 was listed, not completed.
      const cluster = await source.cluster();
      assert.ok(cluster.pods.find((p) => p.name === DUAL)!.netns);
      const stat = cluster.pods.find((p) => p.name === STATIC)!;
      assert.equal(stat.node, 'worker-1');
      assert.equal(stat.netns, undefined);
    } finally {
      assert.deepEqual(await v.close(), []);
    }
    assert.equal(f.api.created.size, 0, 'agents deleted');
  });

  test('--record: cluster.json holds the completed facts of the entered pods, and replays', async () => {
    const dir = join(f.work, 'record-kube');
    const v = kubeView();
    let live: Awaited<ReturnType<typeof discover>>;
    try {
      live = await discover(new LiveSource(v, dir), { pods: [{ namespace: NS, name: DUAL }] });
    } finally {
      assert.deepEqual(await v.close(), []);
    }
    const doc = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { pods: ClusterPod[] };
    const lab = await new LabClusterView(Lab.open({ stateDir: f.stateDir })).pod(NS, DUAL);
    assert.deepEqual(nodeSide(doc.pods.find((p) => p.name === DUAL)!), nodeSide(lab));
    assert.equal(doc.pods.find((p) => p.name === STATIC)!.netns, undefined, 'not entered, not completed');
    const replay = await discover(new RecordedSource(dir), { pods: [{ namespace: NS, name: DUAL }] });
    assert.deepEqual(
      JSON.parse(JSON.stringify({ ...replay, source: undefined })),
      JSON.parse(JSON.stringify({ ...live, source: undefined })),
    );
  });
});

describe('trace: the four lab scenarios through the API find what the lab finds', () => {
  const AGENTS_ON: Record<string, string[]> = {
    'container-to-container': ['worker-0'],
    'pod-to-external': ['worker-0'],
    'pod-to-pod': BOTH,
    'pod-to-service': BOTH,
  };
  test('every scenario has its expected agent nodes', () => {
    assert.deepEqual(Object.keys(AGENTS_ON).sort(), SCENARIOS.map((s) => s.name).sort());
  });
  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const labCleanup = new Cleanup();
      const onLab = await runScenario(s, labSource(), {
        out: join(f.work, `lab-${s.name}`),
        cleanup: labCleanup,
      }).finally(() => labCleanup.run());
      const cleanup = new Cleanup();
      const before = f.api.creations.length;
      const v = kubeView(f.kubeconfig, cleanup);
      const onKube = await runScenario(s, new LiveSource(v), {
        out: join(f.work, `kube-${s.name}`),
        cleanup,
      }).finally(() => cleanup.run());
      assert.deepEqual(
        onLab.checks.filter((c) => !c.ok),
        [],
        'the lab run passes its checks',
      );
      assert.deepEqual(
        onKube.checks.filter((c) => !c.ok).map((c) => c.what),
        [],
        'the kube run passes the same checks',
      );
      assert.deepEqual(essence(onKube.trace), essence(onLab.trace));
      // Every command of the kube run went through pods/exec: the node agent or the pod's container.
      const hosts = new Set(v.log.entries.map((e) => e.host));
      assert.ok(
        [...hosts].every((h) => /^(node\/worker-\d|pod\/network-trace\/)/.test(h)),
        [...hosts].join(', '),
      );
      assert.ok(f.api.requests.filter((r) => r.method === 'WS').length > 0);
      // Agents only where the path goes: a path within worker-0 makes none on worker-1.
      assert.deepEqual(agentNodesSince(before).sort(), AGENTS_ON[s.name]);
      assert.equal(f.api.created.size, 0, `agents deleted (left: ${[...f.api.created.keys()].join(', ')})`);
    });
  }
});

describe('agents are deleted, whatever happens', () => {
  test('a failure injected mid-trace (the probe exec refused): agents deleted, no capture left running', async () => {
    const { api, kubeconfig } = await f.extra({
      failExec: (argv) => argv.some((a) => a === 'ping' || a === 'curl'),
    });
    const cleanup = new Cleanup();
    const v = kubeView(kubeconfig, cleanup);
    const s = SCENARIOS.find((x) => x.name === 'pod-to-external')!;
    await assert.rejects(
      runScenario(s, new LiveSource(v), { out: join(f.work, 'kube-failed'), cleanup }).finally(() =>
        cleanup.run(),
      ),
      /injected failure|pods\/exec/,
    );
    assert.ok(api.creations.length >= 1, 'an agent was created before the failure');
    assert.equal(api.created.size, 0, `agents left: ${[...api.created.keys()].join(', ')}`);
    assert.deepEqual([...api.deleted].sort(), [...api.creations].sort());
    // Right away: the test server would only reap orphans 5 s after their connection closed.
    const pids = await promisify(execFile)('pgrep', ['-x', 'tcpdump'], { encoding: 'utf8' }).then(
      (r) => r.stdout.split('\n').filter(Boolean),
      () => [],
    );
    const ours: string[] = [];
    for (const pid of pids) {
      const netns = await promisify(execFile)('ip', ['netns', 'identify', pid], { encoding: 'utf8' }).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      if (netns.startsWith(`${f.prefix}-`)) ours.push(`${pid} in ${netns}`);
    }
    assert.deepEqual(ours, [], 'no tcpdump left in this lab');
  });
});

describe('the CLI with --kubeconfig/--context', () => {
  test('inspect -o json: the same as with the lab', async () => {
    const k = await cli(
      'inspect',
      `pod/${DUAL}`,
      '-n',
      NS,
      '--kubeconfig',
      f.kubeconfig,
      '--context',
      'fake-ctx',
      '-o',
      'json',
    );
    assert.equal(k.status, 0, k.stderr);
    const l = await cli('inspect', `pod/${DUAL}`, '-n', NS, '--state-dir', f.stateDir, '-o', 'json');
    assert.equal(l.status, 0, l.stderr);
    assert.deepEqual(
      { ...JSON.parse(k.stdout), source: undefined },
      { ...JSON.parse(l.stdout), source: undefined },
    );
    assert.equal(f.api.created.size, 0, 'the CLI deleted its agents');
  });

  test('trace -o json via the API, agents deleted when it ends', async () => {
    const out = join(f.work, 'cli-trace');
    const before = f.api.creations.length;
    const r = await cli(
      'trace',
      `pod/${DUAL}`,
      '203.0.113.10',
      '--count',
      '2',
      '--kubeconfig',
      f.kubeconfig,
      '-o',
      'json',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(r.stdout) as TraceResult;
    assert.ok(t.journeys.some((j) => j.findings.some((x) => x.kind === 'snat')));
    // The path stays on worker-0 (egress through its NIC): no agent on worker-1, whose
    // static-server the namespace's pod list also names.
    assert.deepEqual(agentNodesSince(before), ['worker-0']);
    assert.equal(f.api.created.size, 0);
  });

  test('Ctrl-C (SIGINT) during a trace: the captures stop and the agents are deleted', async () => {
    const { spawn } = await import('node:child_process');
    const before = f.api.creations.length;
    const wsBefore = f.api.requests.filter((r) => r.method === 'WS').length;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/main.ts'),
        'trace',
        `pod/${DUAL}`,
        'pod/static-server',
        '--passive',
        '--duration',
        '60s',
        '--kubeconfig',
        f.kubeconfig,
        '--out',
        join(f.work, 'cli-sigint'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Wait until the captures run (tcpdump execs in both agents), then interrupt.
    for (let i = 0; i < 300; i++) {
      const tcpdumps = f.api.requests.filter((r) => r.method === 'WS').length - wsBefore;
      if (f.api.created.size === 2 && tcpdumps > 10 && /captur|listening|watch/i.test(stderr)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(f.api.created.size, 2, `agents running before Ctrl-C (stderr: ${stderr})`);
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.deepEqual(agentNodesSince(before).sort(), BOTH, 'a two-node trace: an agent on each node');
    assert.equal(f.api.created.size, 0, `agents left after Ctrl-C: ${[...f.api.created.keys()].join(', ')}`);
  });

  test('--dry-run prints the calls and a ClusterRole, and calls nothing', async () => {
    const n = f.api.requests.length;
    const r = await cli(
      'trace',
      `pod/${DUAL}`,
      'svc/static-server',
      '--kubeconfig',
      f.kubeconfig,
      '--dry-run',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /create +pods\/exec -n network-trace/);
    assert.match(r.stdout, /list +endpointslices\.discovery\.k8s\.io -n network-trace/);
    assert.match(r.stdout, /kind: ClusterRole/);
    assert.match(r.stdout, /- pods\/exec\n\s+verbs:\n\s+- create/);
    assert.equal(f.api.requests.length, n, 'no API call');
    const other = await cli(
      'inspect',
      DUAL,
      '--kubeconfig',
      f.kubeconfig,
      '--agent-namespace',
      'agents',
      '--dry-run',
    );
    assert.equal(other.status, 0, other.stderr);
    assert.match(
      other.stdout,
      /create +pods -n agents\t# one privileged node agent/,
      'agents in --agent-namespace',
    );
    assert.match(other.stdout, /list +pods -n network-trace/, 'pods still read from -n');
    assert.equal(f.api.requests.length, n, 'no API call');
  });
});
