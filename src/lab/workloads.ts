// Lab "containers": a process tree in the pod's network namespace with its own pid and mount
// namespaces (`unshare --pid --mount --fork --mount-proc`) and a private tmpfs on /tmp, so two
// containers of a pod share interfaces but not processes or files — as in a real pod.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NettraceError } from '../errors.ts';
import { checkAborted, type LabContext, settleAll, waitFor } from './context.ts';
import type { PodPlan } from './plan.ts';
import type { ContainerSpec } from './spec.ts';
import { processRef } from './state.ts';

/** A container's environment: clean, like an image's, not the caller's. */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Runs as the container's pid 1 before exec: private /tmp, the spec's files, the working directory.
// Arguments, not interpolation: `N path1 data1 ... pathN dataN WORKDIR COMMAND...`.
const INIT_SCRIPT = [
  'set -e',
  'mount -t tmpfs -o mode=1777 tmpfs /tmp',
  'n=$1; shift',
  'while [ "$n" -gt 0 ]; do mkdir -p "$(dirname "$1")"; printf %s "$2" > "$1"; shift 2; n=$((n-1)); done',
  'cd "$1"; shift',
  'exec "$@"',
].join('\n');

/** The argv run inside the pod's network namespace for one container. */
export function containerArgv(c: ContainerSpec): string[] {
  const files = Object.entries(c.files ?? {});
  return [
    'unshare',
    '--pid',
    '--mount',
    '--fork',
    '--mount-proc',
    'sh',
    '-c',
    INIT_SCRIPT,
    'container-init',
    String(files.length),
    ...files.flat(),
    c.workdir ?? '/tmp',
    ...c.command,
  ];
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts one container detached from us (it outlives `lab up`), logging to a file under the state
 * dir. Returns the host pid of its init process, the pid `nsenter -t` needs.
 */
export async function startContainer(
  ctx: LabContext,
  netns: string,
  owner: { pod: string; name: string; id: string } | undefined,
  c: ContainerSpec,
  logDir: string,
  hostname: string,
): Promise<number> {
  checkAborted(ctx);
  mkdirSync(logDir, { recursive: true });
  const argv = ['ip', 'netns', 'exec', netns, ...containerArgv(c)];
  const fd = openSync(join(logDir, `${c.name}.log`), 'a');
  const t0 = performance.now();
  const startedAt = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { PATH: CONTAINER_PATH, HOME: '/root', HOSTNAME: hostname },
  });
  closeSync(fd);
  child.on('error', () => {});
  child.unref();
  const supervisor = child.pid ? processRef(child.pid) : undefined;
  if (!supervisor)
    throw new NettraceError('lab.container-failed', `container ${c.name} in ${netns} did not start`);
  // `ip netns exec` execs unshare in place: this pid is unshare, which forks the container's init.
  ctx.store.add({ kind: 'process', name: `unshare/${c.name}`, netns, ...supervisor });
  const init = await waitFor(
    ctx,
    `container ${c.name} in ${netns} to start`,
    async () => {
      const pid = childPids(supervisor.pid)[0];
      return pid ? processRef(pid) : undefined;
    },
    { timeoutMs: 5000, everyMs: 10 },
  );
  ctx.store.add({ kind: 'process', name: c.name, netns, ...init, ...(owner ? { container: owner } : {}) });
  ctx.log.record({
    host: `netns/${netns}`,
    argv: containerArgv(c),
    code: null,
    durationMs: performance.now() - t0,
    startedAt,
  });
  return init.pid;
}

export async function startPodContainers(ctx: LabContext, pod: PodPlan): Promise<void> {
  await settleAll(
    ctx,
    pod.containers.map((c) =>
      startContainer(
        ctx,
        pod.netns,
        { pod: pod.key, name: c.name, id: c.id },
        c,
        ctx.paths.podDir(pod.key),
        pod.name,
      ),
    ),
  );
}

export async function startExternalServer(ctx: LabContext): Promise<void> {
  const x = ctx.plan.external;
  await startContainer(
    ctx,
    x.netns,
    undefined,
    { ...x.server, name: `${x.name}-${x.server.name}` },
    join(ctx.stateDir, x.name),
    x.name,
  );
}

/** Waits until something listens on `port` in `netns` (a readiness probe). */
export async function waitListening(
  ctx: LabContext,
  netns: string,
  port: number,
  what: string,
): Promise<void> {
  await waitFor(
    ctx,
    `${what} to listen on port ${port}`,
    async () => {
      const r = await ctx.ns(netns).run(['ss', '-Hltn', `sport = :${port}`]);
      return r.code === 0 && r.stdout.trim() !== '' ? true : undefined;
    },
    { timeoutMs: 8000, everyMs: 50 },
  );
}
