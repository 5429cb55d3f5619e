// `lab up`: the ordered (and where possible parallel) steps that turn a LabSpec into namespaces,
// veths, OVS, OVN and containers. Each step records what it creates before creating it; on any
// error or abort (Ctrl-C) the steps still running are stopped and everything is torn down.
import { existsSync } from 'node:fs';
import { isNettraceError, NettraceError } from '../errors.ts';
import type { CommandLog } from '../hosts/host.ts';
import { createContext, type LabContext, type Progress, settleAll } from './context.ts';
import {
  createNamespaces,
  setupCentralNetns,
  setupExternal,
  setupNodeAddresses,
  setupNodeLinks,
  setupPodNetwork,
  setupUnderlay,
} from './links.ts';
import { configureNorthbound, startCentral, startOvnController, waitForOvn } from './ovn.ts';
import { programBrEx, startNodeOvs } from './ovs.ts';
import { type LabPlan, planLab, planNamespaces } from './plan.ts';
import { requireRoot, requireTools } from './preflight.ts';
import { defaultSpec, type LabSpec } from './spec.ts';
import {
  defaultStateDir,
  isAlive,
  type LabState,
  labPaths,
  type PodRecord,
  processRef,
  StateStore,
} from './state.ts';
import { type TeardownReport, teardown } from './teardown.ts';
import { startExternalServer, startPodContainers, waitListening } from './workloads.ts';

export interface UpOptions {
  spec?: LabSpec;
  stateDir?: string;
  /** Abort (Ctrl-C): the build stops at the next step and tears down what it built. */
  signal?: AbortSignal;
  progress?: Progress;
  log?: CommandLog;
  /** Tear down a lab that is already up and build it again. */
  rebuild?: boolean;
}

export interface UpResult {
  alreadyUp: boolean;
  /** Set when a previous (crashed, half-built or --rebuild) lab was removed first. */
  cleanedPrevious?: TeardownReport;
  state: LabState;
  durationMs: number;
  /** Non-fatal: a warm-up ping that did not get through. */
  warnings: string[];
}

/** Every recorded process is still the one the lab started. */
export function processesAlive(state: LabState): boolean {
  return state.resources.every((r) => (r.kind === 'daemon' || r.kind === 'process' ? isAlive(r) : true));
}

export async function upLab(opts: UpOptions = {}): Promise<UpResult> {
  const t0 = performance.now();
  requireRoot('nettrace lab up');
  requireTools();
  const spec = opts.spec ?? defaultSpec();
  const plan = planLab(spec);
  const stateDir = opts.stateDir ?? defaultStateDir();
  const progress = opts.progress ?? (() => {});
  const store = new StateStore(stateDir);
  const previous = store.load();
  let cleanedPrevious: TeardownReport | undefined;
  if (previous) {
    if (previous.status === 'building' && isAlive(previous.owner) && previous.owner.pid !== process.pid) {
      throw new NettraceError(
        'lab.busy',
        `another \`nettrace lab up\` (pid ${previous.owner.pid}) is building this lab`,
      );
    }
    if (previous.status === 'up' && !opts.rebuild && processesAlive(previous)) {
      return { alreadyUp: true, state: previous, durationMs: performance.now() - t0, warnings: [] };
    }
    progress(`removing the previous lab (${previous.status}) first`);
    cleanedPrevious = await teardown(store, { ...(opts.log ? { log: opts.log } : {}), progress });
  }
  const clash = planNamespaces(plan).filter((n) => existsSync(`/run/netns/${n}`));
  if (clash.length) {
    throw new NettraceError(
      'lab.netns-exists',
      `network namespace ${clash.join(', ')} already exists but is not in the lab state ${store.file}: ` +
        `remove it (ip netns del NAME) or choose another prefix`,
    );
  }
  const owner = processRef(process.pid)!;
  store.begin(spec, owner);
  const paths = labPaths(stateDir);
  store.add(
    { kind: 'dir', path: paths.nodesDir },
    { kind: 'dir', path: paths.centralDir },
    { kind: 'dir', path: paths.podsDir },
    { kind: 'dir', path: `${stateDir}/${plan.external.name}` },
  );
  const internal = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, internal.signal]) : internal.signal;
  const ctx = createContext(plan, stateDir, store, {
    signal,
    abort: () => internal.abort(),
    progress,
    ...(opts.log ? { log: opts.log } : {}),
  });
  try {
    const warnings = await build(ctx);
    store.update((s) => {
      s.status = 'up';
      s.readyAt = new Date().toISOString();
      s.pods = podRecords(plan, s);
    });
    return {
      alreadyUp: false,
      ...(cleanedPrevious ? { cleanedPrevious } : {}),
      state: store.current,
      durationMs: performance.now() - t0,
      warnings,
    };
  } catch (e) {
    internal.abort();
    store.update((s) => {
      s.status = 'failed';
    });
    progress(
      opts.signal?.aborted ? 'interrupted: tearing down' : `failed: tearing down (${(e as Error).message})`,
    );
    await teardown(store, { ...(opts.log ? { log: opts.log } : {}), progress });
    if (opts.signal?.aborted)
      throw new NettraceError('lab.interrupted', 'lab up was interrupted; everything it built was removed', {
        cause: e,
      });
    if (isNettraceError(e)) throw e;
    throw new NettraceError(
      'lab.up-failed',
      `lab up failed: ${(e as Error).message}; everything it built was removed`,
      {
        cause: e,
      },
    );
  }
}

function podRecords(plan: LabPlan, state: LabState): Record<string, PodRecord> {
  return Object.fromEntries(
    plan.pods.map((p) => [
      p.key,
      {
        node: p.node,
        ip: p.ip,
        sandboxId: p.sandboxId,
        netns: p.netns,
        veth: p.veth,
        containers: p.containers.map((c) => {
          const r = state.resources.find(
            (x) => x.kind === 'process' && x.container?.pod === p.key && x.container.name === c.name,
          );
          return { name: c.name, id: c.id, pid: r?.kind === 'process' ? r.pid : undefined };
        }),
      },
    ]),
  );
}

/** A promise several steps await: marked handled so its failure surfaces once, through settleAll(). */
function shared<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

async function build(ctx: LabContext): Promise<string[]> {
  const { plan, progress } = ctx;
  progress(`creating ${planNamespaces(plan).length} network namespaces`);
  await createNamespaces(ctx);

  progress('underlay, OVN central, OVS on every node, pods');
  const underlay = shared(setupUnderlay(ctx));
  const central = shared(
    (async () => {
      await setupCentralNetns(ctx);
      await startCentral(ctx);
      await configureNorthbound(ctx);
    })(),
  );
  const external = (async () => {
    await underlay;
    await setupExternal(ctx);
    await startExternalServer(ctx);
  })();
  const nodes = plan.nodes.map(async (node) => {
    const pods = plan.pods.filter((p) => p.node === node.name);
    const podNets = pods.map((p) => shared(setupPodNetwork(ctx, p, node)));
    const containers = pods.map((p, i) => podNets[i]!.then(() => startPodContainers(ctx, p)));
    const ovs = (async () => {
      await settleAll(ctx, [underlay, ...podNets]);
      await setupNodeLinks(ctx, node, pods);
      await startNodeOvs(ctx, node, pods);
      await setupNodeAddresses(ctx, node);
      await central;
      await startOvnController(ctx, node);
    })();
    await settleAll(ctx, [ovs, ...containers]);
  });
  await settleAll(ctx, [underlay, central, external, ...nodes]);

  progress('waiting for ovn-controller to bind every port');
  await waitForOvn(ctx);
  await settleAll(
    ctx,
    plan.nodes.map((n) => programBrEx(ctx, n)),
  );

  progress('waiting for the HTTP servers');
  await settleAll(ctx, [
    ...plan.pods.flatMap((p) =>
      p.containers
        .filter((c) => c.readyPort)
        .map((c) => waitListening(ctx, p.netns, c.readyPort!, `${p.key}/${c.name}`)),
    ),
    ...(plan.external.server.readyPort
      ? [waitListening(ctx, plan.external.netns, plan.external.server.readyPort, plan.external.name)]
      : []),
  ]);
  return warmUp(ctx, plan);
}

/**
 * One ping along each path (to a pod on another node, to the external host) so OVN has learned the
 * MAC bindings before anyone captures. A failure is reported, not fatal: `lab status` shows health.
 */
async function warmUp(ctx: LabContext, plan: LabPlan): Promise<string[]> {
  const warnings: string[] = [];
  const tries = plan.pods.flatMap((from) => [
    ...plan.pods.filter((to) => to.node !== from.node).map((to) => ({ from, to: to.ip, what: to.key })),
    { from, to: plan.external.ip, what: plan.external.name },
  ]);
  await Promise.all(
    tries.map(async ({ from, to, what }) => {
      for (let i = 0; i < 3; i++) {
        const r = await ctx.ns(from.netns).run(['ping', '-c1', '-W1', '-n', '-q', to]);
        if (r.code === 0) return;
      }
      warnings.push(`ping ${from.key} -> ${what} (${to}) failed`);
    }),
  );
  return warnings;
}
