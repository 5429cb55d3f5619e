// Runs the Host contract in a network namespace this test creates (by name, by path and by pid),
// and checks that the namespace is really entered. Needs root, as CI has.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { hostSuite } from './host-suite.ts';
import { NetnsHost } from './netns.ts';

const NS = `nettrace-hosttest-${process.pid}`;

before(() => {
  if (process.getuid?.() !== 0) {
    throw new Error('src/hosts/netns.test.ts needs root (it creates a network namespace); run it as root');
  }
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
});
after(() => {
  execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
});

hostSuite('NetnsHost by name', { make: (log) => new NetnsHost({ netns: NS }, { log }) });
hostSuite('NetnsHost by path', { make: (log) => new NetnsHost({ path: `/run/netns/${NS}` }, { log }) });

// A "container": a process tree in the namespace with its own pid + mount namespaces.
let container: ChildProcess | undefined;
async function containerPid(): Promise<number> {
  container = spawn(
    'ip',
    ['netns', 'exec', NS, 'unshare', '--pid', '--mount', '--fork', '--mount-proc', 'sleep', '60'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      return Number(
        execFileSync('pgrep', ['-P', String(container.pid)])
          .toString()
          .trim(),
      );
    } catch {}
  }
  throw new Error('the container init did not start');
}
after(() => {
  container?.kill('SIGKILL');
});
hostSuite('NetnsHost by pid (net+pid+mnt)', {
  make: async (log) =>
    new NetnsHost({ pid: await containerPid(), namespaces: ['net', 'pid', 'mnt'] }, { log }),
});

describe('NetnsHost enters the namespace', () => {
  test('by name and by path it sees only the namespace loopback', async () => {
    for (const h of [new NetnsHost({ netns: NS }), new NetnsHost({ path: `/run/netns/${NS}` })]) {
      const r = await h.run(['ip', '-br', 'link'], { check: true });
      assert.deepEqual(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)[0]),
        ['lo'],
        `${h.name} lists only lo`,
      );
      const dev = new TextDecoder().decode(await h.readFile('/proc/net/dev'));
      assert.doesNotMatch(dev, /eth0:/, `${h.name} reads the namespace's /proc/net/dev`);
    }
  });

  test('by pid it joins that process namespaces', async () => {
    // A process in the namespace, in its own pid + mount namespace, as a lab container is.
    const child = spawn(
      'ip',
      ['netns', 'exec', NS, 'unshare', '--pid', '--mount', '--fork', '--mount-proc', 'sleep', '30'],
      {
        stdio: 'ignore',
      },
    );
    try {
      let inner = 0;
      for (let i = 0; i < 100 && !inner; i++) {
        await new Promise((r) => setTimeout(r, 20));
        try {
          inner = Number(
            execFileSync('pgrep', ['-P', String(child.pid)])
              .toString()
              .trim(),
          );
        } catch {}
      }
      assert.ok(inner > 0, 'found the container init');
      const h = new NetnsHost({ pid: inner, namespaces: ['net', 'pid', 'mnt'] });
      const ps = await h.run(['ps', '-e', '-o', 'pid=,comm='], { check: true });
      const rows = ps.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      assert.deepEqual(rows[0], ['1', 'sleep'], 'pid 1 in that pid namespace is the sleep');
      const link = await h.run(['ip', '-br', 'link'], { check: true });
      assert.match(link.stdout, /^lo\s/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
