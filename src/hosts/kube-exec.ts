// A command in a pod's container through the API server's exec subresource (client-node's Exec:
// WebSocket, v5.channel.k8s.io, else v4): channel 0 stdin, 1 stdout, 2 stderr (binary frames, so
// `tcpdump -w -` streams unchanged), 3 the final Status whose ExitCode cause is the exit code; v5
// also lets us close stdin (frame 255,0) and still read the status.
//
// Stopping a remote process: closing the WebSocket does not reliably kill it (kubelet/CRI leave it
// running), so every command runs as `sh -c 'printf "<marker> %s\n" $$ >&2; exec "$@"' sh ARGV`:
// the first stderr line carries the remote pid (stripped before the caller sees stderr), `exec`
// keeps that pid for the real command, and stop()/timeouts run `kill -s SIG PID` through a second
// exec in the same container (the node agent has hostPID, so this reaches node-side captures too).
// The container must have a POSIX sh and kill (nettools, nginx-alpine and RHCOS do).
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Exec, V1Status } from '@kubernetes/client-node';
import { NettraceError } from '../errors.ts';
import { apiError, statusOf } from '../kube/client.ts';
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

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

export interface KubeExecOptions {
  name: string;
  exec: Exec;
  /** The container; a function when it must first be created (the node agent). */
  target: ExecTarget | (() => Promise<ExecTarget>);
  log?: CommandLog;
  /** Prefix for every command (`chroot /host`, `nsenter --net=...`); not applied to the kill. */
  wrap?: (argv: string[]) => string[];
  /** For messages: the API server. */
  server?: string;
}

const MARKER = 'nettrace-remote-pid';
const WRAPPER = `printf '${MARKER} %s\\n' "$$" >&2; exec "$@"`;
const STOP_GRACE_MS = 2000;

export function exitCodeOf(s: V1Status | undefined): number | null {
  if (!s) return null;
  if (s.status === 'Success') return 0;
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message !== undefined && /^\d+$/.test(cause.message)) return Number(cause.message);
  return null;
}

interface Remote {
  stdout: PassThrough;
  stderr: PassThrough;
  stdin?: PassThrough;
  pid: Promise<number>;
  /** The exit code; null when the stream ended without one. */
  exited: Promise<number | null>;
  close(): void;
}

export class KubeExecHost implements Host {
  readonly name: string;

  constructor(private readonly o: KubeExecOptions) {
    this.name = o.name;
  }

  private target(): Promise<ExecTarget> {
    return typeof this.o.target === 'function' ? this.o.target() : Promise.resolve(this.o.target);
  }

  private full(argv: string[], env?: Record<string, string>): string[] {
    const withEnv =
      env && Object.keys(env).length
        ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]
        : argv;
    return this.o.wrap ? this.o.wrap(withEnv) : withEnv;
  }

  /** Starts `argv` (already wrapped) remotely; pid and exit code arrive later. */
  private start(argv: string[], stdin: boolean, raw = false): Remote {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const input = stdin ? new PassThrough() : undefined;
    // What client-node writes stderr into: the first line holds the pid marker.
    const rawErr = new PassThrough();
    let resolvePid!: (n: number) => void;
    let rejectPid!: (e: unknown) => void;
    const pid = new Promise<number>((res, rej) => {
      resolvePid = res;
      rejectPid = rej;
    });
    pid.catch(() => {});
    let head: Buffer | undefined = raw ? undefined : Buffer.alloc(0);
    if (raw) resolvePid(-1);
    rawErr.on('data', (b: Buffer) => {
      if (head === undefined) {
        stderr.write(b);
        return;
      }
      head = Buffer.concat([head, b]);
      const nl = head.indexOf(10);
      if (nl < 0) return;
      const line = head.subarray(0, nl).toString('utf8');
      const rest = head.subarray(nl + 1);
      head = undefined;
      const m = new RegExp(`^${MARKER} (\\d+)$`).exec(line);
      if (m) resolvePid(Number(m[1]));
      else {
        stderr.write(Buffer.from(`${line}\n`));
        rejectPid(new NettraceError('host.no-pid', `${this.name}: the remote shell printed no pid`));
      }
      if (rest.length) stderr.write(rest);
    });
    rawErr.on('end', () => {
      if (head?.length) stderr.write(head);
      head = undefined;
      rejectPid(new NettraceError('host.no-pid', `${this.name}: the command ended before it started`));
      stderr.end();
    });
    let status: V1Status | undefined;
    let socket: { close(): void } | undefined;
    let closed = false;
    const exited = new Promise<number | null>((resolve, reject) => {
      this.target()
        .then(async (t) => {
          const full = raw ? argv : ['sh', '-c', WRAPPER, 'sh', ...argv];
          try {
            const ws = await this.o.exec.exec(
              t.namespace,
              t.pod,
              t.container,
              full,
              stdout as Writable,
              rawErr as Writable,
              (input ?? null) as Readable | null,
              false,
              (s) => {
                status = s;
              },
            );
            socket = ws;
            if (closed) ws.close();
            ws.on('close', () => {
              if (!stdout.writableEnded) stdout.end();
              if (!rawErr.writableEnded) rawErr.end();
              const code = exitCodeOf(status);
              if (code === null && status?.message) stderr.write(`${status.message}\n`);
              resolve(code);
            });
          } catch (e) {
            throw statusOf(e) !== undefined
              ? apiError(e, 'create', 'pods/exec', t.namespace, this.o.server ?? 'the API server')
              : new NettraceError(
                  'host.exec-failed',
                  `${this.name}: exec in pod ${t.namespace}/${t.pod} failed: ${(e as Error)?.message ?? e}`,
                  { cause: e },
                );
          }
        })
        .catch((e) => {
          rejectPid(e);
          stdout.end();
          rawErr.end();
          reject(e);
        });
    });
    return {
      stdout,
      stderr,
      ...(input ? { stdin: input } : {}),
      pid,
      exited,
      close: () => {
        closed = true;
        socket?.close();
      },
    };
  }

  /** `kill -s SIG PID` in the same container (not through `wrap`). */
  private async kill(pid: number, signal: string): Promise<void> {
    const r = this.start(['kill', '-s', signal.replace(/^SIG/, ''), String(pid)], false, true);
    r.stdout.resume();
    r.stderr.resume();
    await r.exited.catch(() => null);
  }

  private collect(
    argv: string[],
    opts: RunOptions,
  ): Promise<{ code: number; stdout: Buffer; stderr: Buffer; durationMs: number }> {
    if (argv.length === 0)
      return Promise.reject(new NettraceError('host.empty-argv', `${this.name}: empty command`));
    const started = Date.now();
    const t0 = performance.now();
    const r = this.start(this.full(argv, opts.env), opts.input !== undefined);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    r.stdout.on('data', (b: Buffer) => out.push(b));
    r.stderr.on('data', (b: Buffer) => err.push(b));
    const errEnded = new Promise((res) => r.stderr.on('end', res));
    if (opts.input !== undefined) r.stdin?.end(Buffer.from(opts.input));
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            r.pid
              .then((p) => this.kill(p, 'KILL'))
              .finally(() => r.close())
              .catch(() => {});
          }, opts.timeoutMs);
    const record = (code: number | null) =>
      this.o.log?.record({
        host: this.name,
        argv,
        code,
        durationMs: performance.now() - t0,
        startedAt: started,
      });
    return r.exited.then(
      async (code) => {
        if (timer) clearTimeout(timer);
        await errEnded;
        record(code);
        if (timedOut)
          throw new NettraceError(
            'host.timeout',
            `${this.name}: \`${formatArgv(argv)}\` did not finish within ${opts.timeoutMs} ms (killed)`,
          );
        return {
          code: code ?? 255,
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
          durationMs: performance.now() - t0,
        };
      },
      (e) => {
        if (timer) clearTimeout(timer);
        record(null);
        throw e;
      },
    );
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runResult(this.name, argv, await this.collect(argv, opts), opts.check);
  }

  /**
   * `pid` is the remote pid, known once the remote shell reports it (-1 before); stop() waits for it.
   * An exec the API refuses (403) makes `exited` reject.
   */
  spawn(argv: string[], opts: SpawnOptions = {}): SpawnedProcess {
    if (argv.length === 0) throw new NettraceError('host.empty-argv', `${this.name}: empty command`);
    const started = Date.now();
    const t0 = performance.now();
    const r = this.start(this.full(argv, opts.env), opts.stdin === 'pipe');
    let pid = -1;
    r.pid.then(
      (p) => {
        pid = p;
      },
      () => {},
    );
    let done = false;
    const exited = r.exited.then(
      (code) => {
        done = true;
        this.o.log?.record({
          host: this.name,
          argv,
          code,
          durationMs: performance.now() - t0,
          startedAt: started,
        });
        return code;
      },
      (e) => {
        done = true;
        this.o.log?.record({
          host: this.name,
          argv,
          code: null,
          durationMs: performance.now() - t0,
          startedAt: started,
        });
        throw e;
      },
    );
    const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
      if (done) return;
      let p: number;
      try {
        p = await r.pid;
      } catch {
        r.close();
        await exited.catch(() => null);
        return;
      }
      await this.kill(p, signal);
      const timer = setTimeout(() => {
        void this.kill(p, 'KILL').finally(() => setTimeout(() => r.close(), STOP_GRACE_MS));
      }, STOP_GRACE_MS);
      await exited.catch(() => null);
      clearTimeout(timer);
    };
    return {
      get pid() {
        return pid;
      },
      stdout: r.stdout,
      stderr: r.stderr,
      ...(r.stdin ? { stdin: r.stdin } : {}),
      exited,
      stop,
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    const r = await this.collect(['cat', '--', path], {});
    if (r.code !== 0)
      throw new NettraceError(
        'host.read-failed',
        `${this.name}: cannot read ${path}: ${r.stderr.toString('utf8').trim() || `cat exited with ${r.code}`}`,
      );
    return r.stdout;
  }
}
