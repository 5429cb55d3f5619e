// This machine as a Host: child_process with argv arrays (never a shell). `ProcessHost` is also the
// base of every host that reaches its target by prefixing argv with a wrapper (ip netns exec, nsenter).
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { NettraceError } from '../errors.ts';
import {
  type CommandLog,
  formatArgv,
  type Host,
  type RunOptions,
  type RunResult,
  runResult,
  type SpawnedProcess,
  type SpawnOptions,
} from './host.ts';

export interface ProcessHostOptions {
  /** Records every command run or spawned through this host. */
  log?: CommandLog;
  /** Environment added to every command (over process.env, under a call's own `env`). */
  env?: Record<string, string>;
}

interface BufferResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

/** How long `stop()` waits after its signal before it sends SIGKILL. */
const STOP_GRACE_MS = 2000;

export class ProcessHost implements Host {
  constructor(
    readonly name: string,
    protected readonly options: ProcessHostOptions = {},
  ) {}

  /** The argv actually executed for `argv` on this host (a wrapper prefix for namespaced hosts). */
  protected wrap(argv: string[]): string[] {
    return argv;
  }

  protected env(extra?: Record<string, string>): NodeJS.ProcessEnv {
    return { ...process.env, ...this.options.env, ...extra };
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runResult(this.name, argv, await this.exec(argv, opts), opts.check);
  }

  /** Runs argv and collects raw output; the shared core of run() and the namespaced readFile(). */
  protected exec(argv: string[], opts: RunOptions = {}): Promise<BufferResult> {
    if (argv.length === 0) throw new NettraceError('host.empty-argv', `${this.name}: empty command`);
    const full = this.wrap(argv);
    const started = Date.now();
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      // Own process group, so a timeout also kills what a forking wrapper (nsenter -p) started.
      const child = spawnChild(full[0]!, full.slice(1), {
        env: this.env(opts.env),
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      let timedOut = false;
      let spawnError: Error | undefined;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              killGroup(child, 'SIGKILL');
            }, opts.timeoutMs);
      if (opts.input !== undefined && child.stdin) {
        // A command that exits without reading its stdin must not crash us with EPIPE.
        child.stdin.on('error', () => {});
        child.stdin.end(opts.input);
      }
      child.on('error', (e) => {
        spawnError = e;
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const durationMs = performance.now() - t0;
        const exitCode = spawnError ? 127 : (code ?? 128 + signalNumber(signal));
        this.options.log?.record({
          host: this.name,
          argv,
          code: spawnError ? null : code,
          durationMs,
          startedAt: started,
        });
        if (timedOut) {
          reject(
            new NettraceError(
              'host.timeout',
              `${this.name}: \`${formatArgv(argv)}\` did not finish within ${opts.timeoutMs} ms (killed)`,
            ),
          );
          return;
        }
        const stderr = spawnError
          ? Buffer.from(`${full[0]}: ${(spawnError as NodeJS.ErrnoException).code ?? spawnError.message}\n`)
          : Buffer.concat(err);
        resolve({ code: exitCode, stdout: Buffer.concat(out), stderr, durationMs });
      });
    });
  }

  spawn(argv: string[], opts: SpawnOptions = {}): SpawnedProcess {
    if (argv.length === 0) throw new NettraceError('host.empty-argv', `${this.name}: empty command`);
    const full = this.wrap(argv);
    const started = Date.now();
    const t0 = performance.now();
    // Its own process group: stop() signals the group, so a wrapper that forks (nsenter into a pid
    // namespace) cannot leave the real command running, and a terminal's Ctrl-C reaches only us.
    const child = spawnChild(full[0]!, full.slice(1), {
      env: this.env(opts.env),
      stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const signalGroup = (signal: NodeJS.Signals) => killGroup(child, signal);
    let done = false;
    const exited = new Promise<number | null>((resolve) => {
      const finish = (code: number | null) => {
        if (done) return;
        done = true;
        this.options.log?.record({
          host: this.name,
          argv,
          code,
          durationMs: performance.now() - t0,
          startedAt: started,
        });
        resolve(code);
      };
      child.on('exit', (code) => finish(code));
      child.on('error', () => finish(null));
    });
    const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
      if (done) return;
      signalGroup(signal);
      const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    };
    return {
      pid: child.pid ?? -1,
      stdout: child.stdout!,
      stderr: child.stderr!,
      ...(child.stdin ? { stdin: child.stdin } : {}),
      exited,
      stop,
    };
  }

  /**
   * Runs argv attached to this terminal (stdin/stdout/stderr inherited) and resolves with its exit
   * code (128+N when signal N ended it): `lab exec`, `oc exec -it`. Ctrl-C goes to the command,
   * not to us, while it runs.
   */
  interactive(argv: string[], opts: { env?: Record<string, string> } = {}): Promise<number> {
    if (argv.length === 0) throw new NettraceError('host.empty-argv', `${this.name}: empty command`);
    const full = this.wrap(argv);
    const started = Date.now();
    const t0 = performance.now();
    const ignore = () => {};
    process.on('SIGINT', ignore);
    return new Promise((resolve, reject) => {
      const child = spawnChild(full[0]!, full.slice(1), { env: this.env(opts.env), stdio: 'inherit' });
      let failed: Error | undefined;
      child.on('error', (e) => {
        failed = e;
      });
      child.on('close', (code, signal) => {
        process.off('SIGINT', ignore);
        const exit = failed ? null : (code ?? 128 + signalNumber(signal));
        this.options.log?.record({
          host: this.name,
          argv,
          code: exit,
          durationMs: performance.now() - t0,
          startedAt: started,
        });
        if (failed) {
          reject(
            new NettraceError('host.spawn-failed', `${this.name}: cannot run ${full[0]}: ${failed.message}`),
          );
        } else resolve(exit!);
      });
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await readFile(path);
    } catch (e) {
      throw new NettraceError(
        'host.read-failed',
        `${this.name}: cannot read ${path}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
}

/** This machine, in nettrace's own namespaces. */
export class LocalHost extends ProcessHost {
  constructor(options: ProcessHostOptions & { name?: string } = {}) {
    super(options.name ?? 'local', options);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
