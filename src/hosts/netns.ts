// A Linux namespace as a Host: a named network namespace (`ip netns exec NAME`), one given by path
// (`nsenter --net=PATH`, e.g. /proc/PID/ns/net or a CRI-O /var/run/netns/UUID), or the namespaces of
// a running process (`nsenter -t PID -n -p -m`: how the lab "execs into a container").
import { NettraceError } from '../errors.ts';
import { ProcessHost, type ProcessHostOptions } from './local.ts';

export type NamespaceKind = 'net' | 'pid' | 'mnt' | 'uts' | 'ipc';

export type NetnsTarget =
  | { netns: string }
  | { path: string }
  | { pid: number; namespaces: readonly NamespaceKind[] };

const NSENTER_FLAG: Record<NamespaceKind, string> = { net: '-n', pid: '-p', mnt: '-m', uts: '-u', ipc: '-i' };

export class NetnsHost extends ProcessHost {
  readonly target: NetnsTarget;

  constructor(target: NetnsTarget, options: ProcessHostOptions & { name?: string } = {}) {
    super(options.name ?? defaultName(target), options);
    if ('namespaces' in target && target.namespaces.length === 0) {
      throw new NettraceError('host.bad-target', `${this.name}: no namespaces to enter`);
    }
    this.target = target;
  }

  protected override wrap(argv: string[]): string[] {
    const t = this.target;
    if ('netns' in t) return ['ip', 'netns', 'exec', t.netns, ...argv];
    if ('path' in t) return ['nsenter', `--net=${t.path}`, '--', ...argv];
    return ['nsenter', '-t', String(t.pid), ...t.namespaces.map((k) => NSENTER_FLAG[k]), '--', ...argv];
  }

  /** Read inside the namespace: /proc/net/* and /sys/class/net differ per netns, /tmp per mount ns. */
  override async readFile(path: string): Promise<Uint8Array> {
    const r = await this.exec(['cat', '--', path]);
    if (r.code !== 0) {
      throw new NettraceError(
        'host.read-failed',
        `${this.name}: cannot read ${path}: ${r.stderr.toString('utf8').trim() || `cat exited with ${r.code}`}`,
      );
    }
    return r.stdout;
  }
}

function defaultName(t: NetnsTarget): string {
  if ('netns' in t) return `netns/${t.netns}`;
  if ('path' in t) return `netns:${t.path}`;
  return `pid/${t.pid}`;
}
