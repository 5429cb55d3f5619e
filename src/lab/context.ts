// What every build step gets: the plan, the state store, hosts for the root namespace (only for
// `ip netns` and `ip -n`, which act inside lab namespaces) and for each lab namespace, and the
// abort signal that Ctrl-C raises.

import { isNettraceError, NettraceError } from '../errors.ts';
import { CommandLog } from '../hosts/host.ts';
import { LocalHost } from '../hosts/local.ts';
import { NetnsHost } from '../hosts/netns.ts';
import type { LabPlan, NodePlan } from './plan.ts';
import { labPathEnv } from './preflight.ts';
import { labPaths, type StateStore } from './state.ts';

export type Progress = (message: string) => void;

export interface LabContext {
  plan: LabPlan;
  stateDir: string;
  paths: ReturnType<typeof labPaths>;
  store: StateStore;
  log: CommandLog;
  /** Runs in the root namespace: used only for commands that act on a lab namespace (ip netns, ip -n NS). */
  local: LocalHost;
  ns(name: string): NetnsHost;
  signal: AbortSignal | undefined;
  /** Stops the other steps of the build (they see `lab.interrupted` at their next check). */
  abort: () => void;
  progress: Progress;
}

export function createContext(
  plan: LabPlan,
  stateDir: string,
  store: StateStore,
  opts: { log?: CommandLog; signal?: AbortSignal; abort?: () => void; progress?: Progress } = {},
): LabContext {
  const log = opts.log ?? new CommandLog();
  const env = { PATH: labPathEnv() };
  const hosts = new Map<string, NetnsHost>();
  return {
    plan,
    stateDir,
    paths: labPaths(stateDir),
    store,
    log,
    local: new LocalHost({ log, env, name: 'root-netns' }),
    ns(name) {
      let h = hosts.get(name);
      if (!h) {
        h = new NetnsHost({ netns: name }, { log, env, name: `netns/${name}` });
        hosts.set(name, h);
      }
      return h;
    },
    signal: opts.signal,
    abort: opts.abort ?? (() => {}),
    progress: opts.progress ?? (() => {}),
  };
}

/** The environment that makes ovs-vsctl, ovs-appctl, ovn-appctl, ovn-nbctl and ovn-sbctl find a lab node's daemons. */
export function nodeEnv(paths: ReturnType<typeof labPaths>, node: string): Record<string, string> {
  const d = paths.nodeDir(node);
  return {
    OVS_RUNDIR: d,
    OVS_DBDIR: d,
    OVS_LOGDIR: d,
    OVN_RUNDIR: d,
    OVN_DBDIR: d,
    OVN_LOGDIR: d,
    OVN_NB_DB: `unix:${paths.nbSocket}`,
    OVN_SB_DB: `unix:${paths.sbSocket}`,
  };
}

export function centralEnv(paths: ReturnType<typeof labPaths>): Record<string, string> {
  return {
    OVN_RUNDIR: paths.centralDir,
    OVN_DBDIR: paths.centralDir,
    OVN_LOGDIR: paths.centralDir,
    OVN_NB_DB: `unix:${paths.nbSocket}`,
    OVN_SB_DB: `unix:${paths.sbSocket}`,
  };
}

/** What hosts for lab namespaces need: a command log and the state dir layout (a LabContext or a Lab). */
export interface HostEnv {
  log: CommandLog;
  paths: ReturnType<typeof labPaths>;
}

/** A node's namespace host with its OVS/OVN environment. */
export function nodeHost(ctx: HostEnv, node: NodePlan): NetnsHost {
  return new NetnsHost(
    { netns: node.netns },
    {
      log: ctx.log,
      env: { PATH: labPathEnv(), ...nodeEnv(ctx.paths, node.name) },
      name: `node/${node.name}`,
    },
  );
}

export function centralHost(ctx: HostEnv, netns: string): NetnsHost {
  return new NetnsHost(
    { netns },
    { log: ctx.log, env: { PATH: labPathEnv(), ...centralEnv(ctx.paths) }, name: 'ovn-central' },
  );
}

/** Throws `lab.interrupted` once Ctrl-C (or the caller) aborted the build: checked between steps. */
export function checkAborted(ctx: LabContext): void {
  if (ctx.signal?.aborted) throw new NettraceError('lab.interrupted', 'lab up was interrupted; tearing down');
}

/** Polls `probe` every `everyMs` until it returns a value, or throws `lab.timeout` naming `what`. */
export async function waitFor<T>(
  ctx: LabContext,
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    checkAborted(ctx);
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new NettraceError('lab.timeout', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}

/**
 * Promise.all for build steps: the first failure aborts the others, and it throws only once every
 * step has settled, so nothing is still being created while the teardown runs. The root cause wins
 * over the `lab.interrupted` the other steps report after the abort.
 */
export async function settleAll(ctx: LabContext, steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(
    steps.map((p) =>
      p.catch((e) => {
        ctx.abort();
        throw e;
      }),
    ),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return;
  const real = failed.find((r) => !(isNettraceError(r.reason) && r.reason.code === 'lab.interrupted'));
  throw (real ?? failed[0]!).reason;
}
