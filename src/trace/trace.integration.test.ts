// `nettrace trace` on a real lab (root; CI runs as root): the seed's four scenarios with their
// findings asserted, a drop reported as lost at the right hop, the bundle replayed offline, and
// Ctrl-C mid-capture leaving no tcpdump behind and a valid partial capture. Own prefix and state
// dir; the lab is torn down even when a test fails.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cleanup } from '../cleanup.ts';
import { upLab } from '../lab/builder.ts';
import { Lab } from '../lab/lab.ts';
import { runScenario, SCENARIOS } from '../lab/scenarios.ts';
import { defaultSpec } from '../lab/spec.ts';
import { StateStore } from '../lab/state.ts';
import { teardown } from '../lab/teardown.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { LiveSource } from '../topology/collect.ts';
import { LabClusterView } from '../topology/lab-view.ts';
import { BUNDLE_FILES, replayBundle } from './bundle.ts';
import { runTrace } from './run.ts';

const spec = defaultSpec({ prefix: `ntr${process.pid}` });
const root = mkdtempSync(join(tmpdir(), 'nettrace-tracetest-'));
const stateDir = join(root, 'lab');
let source: LiveSource;

function tcpdumpsInLab(): string[] {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${spec.prefix}-`));
  const found: string[] = [];
  for (const ns of names) {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        const comm = execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).trim();
        if (comm === 'tcpdump' || comm === 'conntrack') found.push(`${ns}:${comm}:${pid}`);
      } catch {}
    }
  }
  return found;
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the trace tests build a lab and need root (CI runs as root)');
  await upLab({ spec, stateDir });
  source = new LiveSource(new LabClusterView(Lab.open({ stateDir })));
});
after(async () => {
  const store = new StateStore(stateDir);
  if (store.load()) await teardown(store);
  rmSync(root, { recursive: true, force: true });
});

describe("the seed's scenarios, traced", { concurrency: false }, () => {
  for (const s of SCENARIOS) {
    test(`${s.name}: ${s.title}`, async () => {
      const cleanup = new Cleanup();
      const out = join(root, s.name);
      try {
        const run = await runScenario(s, source, { out, cleanup });
        const failed = run.checks.filter((c) => !c.ok).map((c) => c.what);
        assert.deepEqual(failed, [], `${s.name}: ${failed.join('; ')}`);
        // The bundle is complete and private.
        for (const f of BUNDLE_FILES) {
          assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, `${f} is 0600`);
        }
        // Replayed offline, it tells the same story.
        const replay = replayBundle(out);
        assert.equal(replay.trace.journeys.length, run.trace.journeys.length);
        assert.deepEqual(
          replay.trace.journeys.map((j) => j.findings.map((f) => f.kind)),
          run.trace.journeys.map((j) => j.findings.map((f) => f.kind)),
        );
      } finally {
        await cleanup.run();
      }
      assert.deepEqual(tcpdumpsInLab(), []);
    });
  }
});

describe('loss and interruption', { concurrency: false }, () => {
  test('a drop rule on br-ex is reported as lost between the host veth and the NIC', async () => {
    const node = Lab.open({ stateDir }).nodeHost('worker-0');
    const rule = 'priority=1000,icmp,nw_dst=203.0.113.10';
    await node.run(['ovs-ofctl', 'add-flow', 'br-ex', `${rule},actions=drop`], { check: true });
    const cleanup = new Cleanup();
    cleanup.add('drop rule', async () => {
      await node.run(['ovs-ofctl', '--strict', 'del-flows', 'br-ex', rule], { check: true });
    });
    try {
      const t = await runTrace(
        source.clusterView,
        source,
        {
          src: 'pod/nettools-dual-pod',
          dst: '203.0.113.10',
          namespace: 'network-trace',
          probe: { kind: 'icmp' },
          count: 2,
        },
        { out: join(root, 'lost'), cleanup },
      );
      const requests = t.journeys.filter((j) => j.direction === 'request');
      assert.ok(requests.length >= 2, `${requests.length} requests`);
      for (const j of requests) {
        const lost = j.findings.find((f) => f.kind === 'lost');
        assert.ok(lost && lost.kind === 'lost', `request ${j.summary} is reported lost`);
        assert.match(lost.at, /^worker-0\/[0-9a-f]{15}$/, 'last seen at the host veth');
        assert.equal(lost.expected, 'worker-0/ens2f0np0');
      }
      assert.equal(t.journeys.filter((j) => j.direction === 'reply').length, 0, 'no reply came back');
    } finally {
      await cleanup.run();
    }
  });

  test('Ctrl-C mid-capture: exit 130, no tcpdump left, and a valid partial capture in the bundle', async () => {
    const out = join(root, 'interrupted');
    const cli = join(import.meta.dirname, '..', 'cli', 'main.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'trace',
        'pod/nettools-dual-pod',
        '203.0.113.10',
        '--passive',
        '--duration',
        '60s',
        '--state-dir',
        stateDir,
        '--out',
        out,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('every point is listening') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(stderr.includes('every point is listening'), `the trace started: ${stderr}`);
    const c2 = Lab.open({ stateDir }).containerHost(
      'network-trace',
      'nettools-dual-pod',
      'nettools-container-1',
    );
    await c2.run(['ping', '-c', '2', '-i', '0.2', '203.0.113.10']);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(tcpdumpsInLab(), []);
    assert.ok(readdirSync(out).includes('capture.pcapng'));
    let packets = 0;
    const res = readCaptureFile(join(out, 'capture.pcapng'), {
      onPacket: () => {
        packets++;
      },
    });
    assert.equal(res.diagnostic, undefined);
    assert.ok(packets >= 4, `${packets} packets kept (2 pings seen at several points)`);
  });
});
