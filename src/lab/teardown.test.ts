// Teardown from a state file, against real processes, directories and (as root) namespaces.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultSpec } from './spec.ts';
import { isAlive, processRef, StateStore } from './state.ts';
import { livePid, teardown } from './teardown.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
function sleeper(argv: string[] = ['sleep', '60']): { pid: number; startTime: number } {
  const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
  children.push(c);
  return processRef(c.pid!)!;
}
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nettrace-teardown-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function waitDead(ref: { pid: number; startTime: number }): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!isAlive(ref)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('teardown from the state file', () => {
  test('kills recorded processes, spares recycled pids and foreign pidfiles, removes only dirs inside the state dir', async () => {
    const root = tmp();
    const stateDir = join(root, 'lab');
    const store = new StateStore(stateDir);
    store.begin(defaultSpec(), processRef(process.pid)!);
    const ours = sleeper();
    const recycled = sleeper();
    const foreign = sleeper();
    const inside = join(stateDir, 'nodes');
    const outside = join(root, 'not-ours');
    mkdirSync(join(inside, 'worker-0'), { recursive: true });
    writeFileSync(join(inside, 'worker-0', 'x.log'), 'x');
    mkdirSync(outside);
    writeFileSync(join(root, 'foreign.pid'), `${foreign.pid}\n`);
    store.add(
      { kind: 'dir', path: inside },
      { kind: 'dir', path: outside },
      { kind: 'netns', name: `nettrace-never-created-${process.pid}` },
      { kind: 'process', name: 'sleep', netns: 'n/a', ...ours },
      {
        kind: 'process',
        name: 'recycled',
        netns: 'n/a',
        pid: recycled.pid,
        startTime: recycled.startTime - 1,
      },
      { kind: 'daemon', name: 'ovsdb-server', netns: 'n/a', pidfile: join(root, 'foreign.pid') },
      { kind: 'daemon', name: 'ovs-vswitchd', netns: 'n/a', pidfile: join(stateDir, 'never-written.pid') },
    );
    const r = await teardown(store);
    assert.deepEqual(
      r.stopped.map((s) => s.pid),
      [ours.pid],
    );
    assert.ok(await waitDead(ours));
    assert.ok(isAlive(recycled), 'a pid whose start time changed is not signalled');
    assert.ok(isAlive(foreign), 'a pidfile naming a non-OVS process is not trusted');
    assert.ok(!existsSync(inside));
    assert.ok(existsSync(outside), 'nothing outside the state dir is removed');
    assert.match(r.warnings.join(), /outside the state dir/);
    assert.ok(!existsSync(stateDir), 'the state dir it created is gone');
    assert.equal(new StateStore(stateDir).load(), undefined, 'a second down finds nothing to do');
  });

  test('an existing state dir is kept, only the state file goes', async () => {
    const dir = tmp();
    const store = new StateStore(dir);
    store.begin(defaultSpec(), processRef(process.pid)!);
    await teardown(store);
    assert.ok(existsSync(dir));
    assert.ok(!store.exists());
  });
});

describe('teardown of namespaces (root)', () => {
  const ns = `nettrace-tdtest-${process.pid}`;
  before(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('src/lab/teardown.test.ts needs root for its namespace tests (CI runs as root)');
    }
    execFileSync('ip', ['netns', 'add', ns]);
  });
  after(() => {
    if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
  });

  test('a daemon known only by its pidfile is accepted when it is an OVS daemon in the lab namespace', async () => {
    const bin = join(tmp(), 'ovsdb-server');
    copyFileSync(execFileSync('sh', ['-c', 'command -v sleep']).toString().trim(), bin);
    const dir = tmp();
    const store = new StateStore(dir);
    store.begin(defaultSpec(), processRef(process.pid)!);
    const fake = sleeper(['ip', 'netns', 'exec', ns, bin, '60']);
    for (
      let i = 0;
      i < 50 &&
      !execFileSync('cat', [`/proc/${fake.pid}/comm`])
        .toString()
        .startsWith('ovsdb');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    writeFileSync(join(dir, 'd.pid'), `${fake.pid}\n`);
    const daemon = { kind: 'daemon' as const, name: 'ovsdb-server', netns: ns, pidfile: join(dir, 'd.pid') };
    assert.equal(livePid(daemon), fake.pid);
    assert.equal(livePid({ ...daemon, netns: `${ns}-other` }), undefined, 'not in the recorded namespace');
    // A stray process in the namespace (e.g. a capture started through `lab exec`) goes too.
    const stray = sleeper(['ip', 'netns', 'exec', ns, 'sleep', '60']);
    store.add({ kind: 'netns', name: ns }, daemon);
    const r = await teardown(store);
    assert.deepEqual(
      r.stopped.map((s) => s.pid),
      [fake.pid],
    );
    assert.ok(await waitDead(fake));
    assert.ok(await waitDead(stray), 'processes left in a lab namespace are killed with it');
    assert.deepEqual(r.namespaces, [ns]);
    assert.ok(!existsSync(`/run/netns/${ns}`));
    assert.deepEqual(r.warnings, []);
  });
});
