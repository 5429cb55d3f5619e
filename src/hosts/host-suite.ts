// The one test suite every Host implementation must pass (unstorage's driver-suite idea): each
// implementation's test file calls hostSuite() with a factory for its kind of host.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { CommandLog, type Host } from './host.ts';

export interface HostSuiteOptions {
  /** Builds the host under test; it must record into `log`. */
  make(log: CommandLog): Host | Promise<Host>;
  /** A directory on this machine's filesystem that the host can read too (default: os.tmpdir()). */
  sharedDir?: string;
  /**
   * Whether the host has an interactive mode (a terminal passed through, like `oc rsh`). Hosts
   * over the Kubernetes API do not: for them the case is not part of the contract.
   */
  interactive?: boolean;
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

export function hostSuite(label: string, opts: HostSuiteOptions): void {
  describe(`Host contract: ${label}`, () => {
    let host: Host;
    let log: CommandLog;
    let dir: string;
    before(async () => {
      log = new CommandLog();
      host = await opts.make(log);
      dir = await mkdtemp(join(opts.sharedDir ?? tmpdir(), 'nettrace-host-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    test('has a name', () => {
      assert.ok(host.name.length > 0);
    });

    test('run: exit codes of true and false', async () => {
      assert.equal((await host.run(['true'])).code, 0);
      assert.equal((await host.run(['false'])).code, 1);
    });

    test('run: stdout, stderr and an arbitrary exit code stay apart', async () => {
      const r = await host.run(['sh', '-c', 'printf out; printf err >&2; exit 3']);
      assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out', 'err']);
      assert.ok(r.durationMs >= 0);
    });

    test('run: argv words are passed as-is, never through a shell', async () => {
      const word = 'a b;$(echo no)*';
      assert.equal((await host.run(['printf', '%s', word])).stdout, word);
    });

    test('run: input goes to stdin, env reaches the command', async () => {
      assert.equal((await host.run(['cat'], { input: 'hello\n' })).stdout, 'hello\n');
      const r = await host.run(['sh', '-c', 'printf %s "$NETTRACE_SUITE"'], {
        env: { NETTRACE_SUITE: 'x y' },
      });
      assert.equal(r.stdout, 'x y');
    });

    test('run: check throws a NettraceError naming the command', async () => {
      await assert.rejects(host.run(['sh', '-c', 'echo boom >&2; exit 4'], { check: true }), (e: unknown) => {
        assert.ok(isNettraceError(e));
        assert.equal(e.code, 'host.command-failed');
        assert.match(e.message, /exited with code 4: boom/);
        return true;
      });
    });

    test('run: a missing program is a non-zero exit, not a crash', async () => {
      const r = await host.run(['nettrace-no-such-program-xyz']);
      assert.notEqual(r.code, 0);
    });

    test('run: timeoutMs kills the command and throws host.timeout', async () => {
      const t0 = Date.now();
      await assert.rejects(host.run(['sleep', '5'], { timeoutMs: 200 }), (e: unknown) => {
        assert.ok(isNettraceError(e));
        assert.equal(e.code, 'host.timeout');
        return true;
      });
      assert.ok(Date.now() - t0 < 3000);
    });

    test('spawn: stdout is binary-safe (all 256 byte values)', async () => {
      const fmt = Array.from({ length: 256 }, (_, i) => `\\${i.toString(8).padStart(3, '0')}`).join('');
      const p = host.spawn(['printf', fmt]);
      const chunks: Buffer[] = [];
      p.stdout.on('data', (b: Buffer) => chunks.push(b));
      const ended = new Promise((r) => p.stdout.on('end', r));
      assert.equal(await p.exited, 0);
      await ended;
      assert.deepEqual(
        new Uint8Array(Buffer.concat(chunks)),
        Uint8Array.from({ length: 256 }, (_, i) => i),
      );
    });

    test('spawn: stop() ends a long-running command', async () => {
      const p = host.spawn(['sleep', '30']);
      const t0 = Date.now();
      await p.stop();
      const code = await p.exited;
      assert.notEqual(code, 0);
      // Checked after stop(): a remote host (kube exec) learns the pid only once the command runs.
      assert.ok(p.pid > 0);
      assert.ok(Date.now() - t0 < 2500, 'stopped within the grace period');
      assert.ok(isGone(p.pid), `pid ${p.pid} is gone`);
    });

    test('readFile: returns the exact bytes; a missing file is host.read-failed', async () => {
      const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      const f = join(dir, 'data.bin');
      await writeFile(f, bytes);
      assert.deepEqual(new Uint8Array(await host.readFile(f)), bytes);
      await assert.rejects(host.readFile(join(dir, 'missing')), (e: unknown) => {
        assert.ok(isNettraceError(e));
        assert.equal(e.code, 'host.read-failed');
        return true;
      });
    });

    if (opts.interactive !== false) {
      test('interactive: the exit code passes through', async () => {
        const h = host as Host & { interactive?: (argv: string[]) => Promise<number> };
        assert.equal(typeof h.interactive, 'function', `${host.name} has no interactive() method`);
        assert.equal(await h.interactive!(['sh', '-c', 'exit 3']), 3);
        assert.equal(await h.interactive!(['true']), 0);
      });
    }

    test('every command is in the command log with its exit code', async () => {
      await host.run(['sh', '-c', 'exit 7']);
      const last = log.entries.at(-1);
      assert.ok(last);
      assert.deepEqual(last.argv, ['sh', '-c', 'exit 7']);
      assert.equal(last.code, 7);
      assert.equal(last.host, host.name);
      assert.match(log.toText(), /\t7\t[\d.]+ms\tsh -c 'exit 7'\n$/);
    });
  });
}
