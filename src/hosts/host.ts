// Where a command runs. Every place nettrace runs something — this machine, a network namespace,
// a lab container, later a Kubernetes pod or node agent — is a Host: argv in, exit code and output
// out. Implementations never take a shell string, so nothing is ever re-parsed by a shell.
import { NettraceError } from '../errors.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  /** Written to the command's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Uint8Array;
  /** Kill the command (SIGKILL) after this long and throw `host.timeout`. */
  timeoutMs?: number;
  /** Added to (and overriding) the host's environment. */
  env?: Record<string, string>;
  /** Throw `host.command-failed` on a non-zero exit code instead of returning it. */
  check?: boolean;
  /** `run` always decodes output as UTF-8; binary output goes through `spawn` or `readFile`. */
  binary?: false;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** `pipe` gives the process a writable stdin (`SpawnedProcess.stdin`); default `ignore`. */
  stdin?: 'ignore' | 'pipe';
}

export interface SpawnedProcess {
  /** The pid of the process this host started (for a netns host: the command itself, not a wrapper). */
  pid: number;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  stdin?: NodeJS.WritableStream;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM), escalates to SIGKILL after a grace period, resolves once exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface Host {
  readonly name: string;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  spawn(argv: string[], opts?: SpawnOptions): SpawnedProcess;
  readFile(path: string): Promise<Uint8Array>;
}

export interface CommandLogEntry {
  host: string;
  argv: string[];
  /** Exit code; null when a signal ended the command or it could not be started. */
  code: number | null;
  durationMs: number;
  /** Wall clock at start, ms since the epoch. */
  startedAt: number;
}

/** Every command run through a host that was given this log: later a bundle's commands.log. */
export class CommandLog {
  readonly entries: CommandLogEntry[] = [];

  record(entry: CommandLogEntry): void {
    this.entries.push(entry);
  }

  /** One line per command: ISO time, host, exit code, duration, argv (each word quoted when needed). */
  toText(): string {
    return this.entries
      .map((e) => {
        const code = e.code === null ? '-' : String(e.code);
        return `${new Date(e.startedAt).toISOString()}\t${e.host}\t${code}\t${e.durationMs.toFixed(1)}ms\t${formatArgv(e.argv)}\n`;
      })
      .join('');
  }
}

/** argv as one readable line; words with spaces or quotes are single-quoted (for logs and messages only). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** What run() returns for a finished command's raw output; with `check`, a non-zero exit throws. */
export function runResult(
  host: string,
  argv: readonly string[],
  raw: { code: number; stdout: Buffer; stderr: Buffer; durationMs: number },
  check: boolean | undefined,
): RunResult {
  const result: RunResult = {
    code: raw.code,
    stdout: raw.stdout.toString('utf8'),
    stderr: raw.stderr.toString('utf8'),
    durationMs: raw.durationMs,
  };
  if (check && result.code !== 0) throw commandFailed(host, argv, result);
  return result;
}

/** The error `check: true` throws: names the host, the command, the exit code and stderr's first lines. */
export function commandFailed(host: string, argv: readonly string[], r: RunResult): NettraceError {
  const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 3).join(' / ');
  return new NettraceError(
    'host.command-failed',
    `${host}: \`${formatArgv(argv)}\` exited with code ${r.code}${detail ? `: ${detail}` : ''}`,
  );
}
