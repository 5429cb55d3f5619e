// `lab down`: removes what the state file says the lab created, newest first (citty's cleanup
// order), tolerating anything already gone — so it works after a crash, a half-finished `up`, a
// Ctrl-C, and twice in a row. Processes are signalled by their own recorded pids only, after
// checking they are still the same processes.
import { existsSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { CommandLog } from '../hosts/host.ts';
import { LocalHost } from '../hosts/local.ts';
import { labPathEnv } from './preflight.ts';
import { isAlive, type LabState, procStartTime, type Resource, type StateStore } from './state.ts';

export interface TeardownReport {
  /** Processes signalled: name, pid, netns. */
  stopped: { name: string; pid: number; netns: string }[];
  namespaces: string[];
  dirs: string[];
  warnings: string[];
  durationMs: number;
}

const DAEMON_COMMS = new Set(['ovsdb-server', 'ovs-vswitchd', 'ovn-controller', 'ovn-northd']);

function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** The inode of a named network namespace, to check a process really lives in it. */
function netnsInode(name: string): number | undefined {
  try {
    return statSync(netnsPath(name)).ino;
  } catch {
    return undefined;
  }
}

function processNetnsInode(pid: number): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The live pid a process resource names, or undefined when it is gone or no longer ours. A daemon
 * whose pid was never recorded (the build stopped right after it detached) is found by its pidfile
 * and accepted only if it is an OVS/OVN daemon living in the lab namespace it was started in.
 */
export function livePid(r: Resource): number | undefined {
  if (r.kind === 'process') return isAlive(r) ? r.pid : undefined;
  if (r.kind !== 'daemon') return undefined;
  if (r.pid !== undefined) return isAlive(r) ? r.pid : undefined;
  let pid: number;
  try {
    pid = Number(readFileSync(r.pidfile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || procStartTime(pid) === undefined) return undefined;
  const ns = netnsInode(r.netns);
  if (!DAEMON_COMMS.has(comm(pid)) || ns === undefined || processNetnsInode(pid) !== ns) return undefined;
  return pid;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

async function waitGone(
  pids: { pid: number; startTime: number | undefined }[],
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (pids.every((p) => !isAlive(p))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Tears down everything recorded in `store` (which must be loaded); removes the state file last. */
export async function teardown(
  store: StateStore,
  opts: { log?: CommandLog; progress?: (m: string) => void } = {},
): Promise<TeardownReport> {
  const t0 = performance.now();
  const state: LabState = store.current;
  const progress = opts.progress ?? (() => {});
  const local = new LocalHost({
    name: 'root-netns',
    env: { PATH: labPathEnv() },
    ...(opts.log ? { log: opts.log } : {}),
  });
  const report: TeardownReport = { stopped: [], namespaces: [], dirs: [], warnings: [], durationMs: 0 };
  store.update((s) => {
    s.status = 'tearing-down';
  });
  const newestFirst = [...state.resources].reverse();

  // 1. Our processes: daemons get SIGTERM (they clean up), container inits SIGKILL (a pid
  //    namespace's init ignores SIGTERM). Everything still there after a grace period: SIGKILL.
  //    All are looked up before any is signalled: a container's supervisor exits with its init.
  const live: {
    name: string;
    pid: number;
    netns: string;
    startTime: number | undefined;
    sig: NodeJS.Signals;
  }[] = [];
  for (const r of newestFirst) {
    if (r.kind !== 'daemon' && r.kind !== 'process') continue;
    const pid = livePid(r);
    if (pid === undefined) continue;
    live.push({
      name: r.name,
      pid,
      netns: r.netns,
      startTime: procStartTime(pid),
      sig: r.kind === 'daemon' ? 'SIGTERM' : 'SIGKILL',
    });
  }
  for (const p of live) signal(p.pid, p.sig);
  if (live.length) progress(`stopping ${live.length} processes`);
  if (!(await waitGone(live, 1500))) {
    for (const p of live) if (isAlive(p)) signal(p.pid, 'SIGKILL');
    // A few hundred pods' inits take a while to die (their namespaces go with them): 10 ms each.
    const wait = Math.max(1000, 10 * live.length);
    if (!(await waitGone(live, wait))) {
      const left = live.filter((p) => isAlive(p));
      const named = left.slice(0, 5).map((p) => `${p.name} (pid ${p.pid})`);
      report.warnings.push(
        `${left.length} lab process${left.length === 1 ? '' : 'es'} still there ${wait / 1000} s after SIGKILL: ${named.join(', ')}${left.length > 5 ? ', ...' : ''}`,
      );
    }
  }
  report.stopped = live.map(({ name, pid, netns }) => ({ name, pid, netns }));

  // 2. Anything else still running in a lab namespace was started there through the lab
  //    (`lab exec`, a capture): it goes with its namespace.
  const namespaces = newestFirst.filter((r) => r.kind === 'netns').map((r) => r.name);
  const existing = namespaces.filter((n) => existsSync(netnsPath(n)));
  const strays: { pid: number; startTime: number | undefined }[] = [];
  await Promise.all(
    existing.map(async (n) => {
      const r = await local.run(['ip', 'netns', 'pids', n]);
      for (const pid of r.stdout
        .split('\n')
        .map(Number)
        .filter((x) => x > 0)) {
        strays.push({ pid, startTime: procStartTime(pid) });
        signal(pid, 'SIGKILL');
      }
    }),
  );
  if (strays.length && !(await waitGone(strays, 1000)))
    report.warnings.push('processes left in lab namespaces');

  // 3. Namespaces (their links, addresses, routes and nftables go with them).
  if (existing.length) {
    progress(`deleting ${existing.length} network namespaces`);
    const r = await local.run(['ip', '-force', '-batch', '-'], {
      input: `${existing.map((n) => `netns del ${n}`).join('\n')}\n`,
    });
    if (r.code !== 0) report.warnings.push(`ip netns del: ${r.stderr.trim()}`);
  }
  report.namespaces = existing.filter((n) => !existsSync(netnsPath(n)));
  for (const n of existing)
    if (existsSync(netnsPath(n))) report.warnings.push(`network namespace ${n} is still there`);

  // 4. Directories, only ever inside the state dir.
  const root = resolve(state.stateDir) + sep;
  for (const r of newestFirst) {
    if (r.kind !== 'dir') continue;
    const p = resolve(r.path);
    if (!p.startsWith(root)) {
      report.warnings.push(`not removing ${p}: outside the state dir`);
      continue;
    }
    rmSync(p, { recursive: true, force: true });
    report.dirs.push(p);
  }
  store.remove();
  if (state.createdStateDir) {
    try {
      rmdirSync(state.stateDir);
    } catch {}
  }
  report.durationMs = performance.now() - t0;
  return report;
}
