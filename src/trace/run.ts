// `nettrace trace` as a library call: plan, capture at every point at once, probe (or watch),
// stop, save the bundle, correlate the packets into journeys. Every tcpdump and conntrack stream
// is registered with the caller's Cleanup as it starts, so an error or Ctrl-C leaves nothing
// running; an interrupted trace still saves (and correlates) what it captured.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ConntrackResult, ConntrackWatch } from '../capture/conntrack.ts';
import { CaptureSession } from '../capture/session.ts';
import { writeCapture } from '../capture/write.ts';
import type { Cleanup } from '../cleanup.ts';
import { correlateCapture } from '../journey/index.ts';
import type { ClusterView } from '../topology/cluster-view.ts';
import type { TopologySource } from '../topology/collect.ts';
import { attachConntrack } from './attach.ts';
import { writeBundleFiles } from './bundle.ts';
import { planTrace, type TracePlan, type TraceRequest } from './plan.ts';
import type { TracePoint, TraceResult } from './types.ts';

export interface TraceOptions {
  /** The bundle folder to create (it must not exist yet, or be empty). */
  out: string;
  cleanup: Cleanup;
  signal?: AbortSignal;
  conntrack?: boolean;
  /** Passive: capture this long (or until interrupted) instead of probing. */
  passiveMs?: number;
  /** After the probe, how long to let the last packets reach every point. */
  settleMs?: number;
  progress?: (message: string) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function sendProbe(plan: TracePlan, signal: AbortSignal | undefined): Promise<TraceResult['probe']> {
  const p = plan.probe!;
  let output = '';
  let exitCode: number | null = 0;
  for (let i = 0; i < p.command.times && !signal?.aborted; i++) {
    const r = await p.host.run(p.command.argv, { timeoutMs: 30_000 });
    output += r.stdout + r.stderr;
    exitCode = r.code;
    if (i + 1 < p.command.times) await sleep(200, signal);
  }
  return { host: p.host.name, argv: p.command.argv, exitCode, output: output.slice(-8192) };
}

export async function runTrace(
  view: ClusterView,
  source: TopologySource,
  req: TraceRequest,
  opts: TraceOptions,
): Promise<TraceResult> {
  const say = opts.progress ?? (() => {});
  const started = Date.now();
  const { plan, topology } = await planTrace(view, source, req);
  say(
    `path ${plan.path.kind}: ${plan.points.length} capture points (${plan.points.map((p) => p.journey.id).join(', ')})`,
  );

  mkdirSync(opts.out, { recursive: true, mode: 0o700 });
  const session = await CaptureSession.start(
    plan.points.map((p) => p.target),
    opts.cleanup,
    opts.signal ? { signal: opts.signal } : {},
  );
  say('every point is listening');
  const watch = opts.conntrack ? await ConntrackWatch.start(plan.conntrack, opts.cleanup) : undefined;

  const warnings: string[] = [];
  let probe: TraceResult['probe'];
  if (opts.passiveMs !== undefined || !plan.probe) {
    const ms = opts.passiveMs ?? 10_000;
    say(`watching for ${(ms / 1000).toFixed(1)} s (Ctrl-C stops early)`);
    await sleep(ms, opts.signal);
  } else {
    say(`probe: ${plan.probe.command.describe} from ${plan.probe.host.name}`);
    probe = await sendProbe(plan, opts.signal);
    await sleep(opts.settleMs ?? 300, opts.signal);
  }
  if (opts.signal?.aborted)
    warnings.push('interrupted: the capture was stopped early; what was captured is kept');

  const captured = await session.stop();
  const ct: ConntrackResult | undefined = watch ? await watch.stop() : undefined;
  if (captured.truncated) warnings.push('capture limit reached: later packets were counted but not kept');
  const points: TracePoint[] = plan.points.map((p, i) => {
    const r = captured.points[i]!;
    const tp: TracePoint = { ...p.journey, description: p.target.description, packets: r.packets };
    if (r.stats?.droppedByKernel) {
      tp.dropped = r.stats.droppedByKernel;
      warnings.push(
        `${p.journey.id}: the kernel dropped ${r.stats.droppedByKernel} packets before tcpdump saw them`,
      );
    }
    if (r.diagnostic) warnings.push(`${p.journey.id}: ${r.diagnostic.message}`);
    if (r.packets === 0) warnings.push(`${p.journey.id}: no packet captured here`);
    return tp;
  });
  for (const problem of ct?.problems ?? []) warnings.push(problem);

  const capturePath = join(opts.out, 'capture.pcapng');
  writeCapture(
    capturePath,
    plan.points.map((p) => p.target),
    captured,
  );
  const corr = correlateCapture(
    capturePath,
    plan.points.map((p) => p.journey),
    { request: plan.selector },
  );

  const result: TraceResult = {
    request: {
      src: req.src,
      dst: req.dst,
      namespace: req.namespace,
      ...(req.probe ? { probe: req.probe } : { passive: { durationMs: opts.passiveMs ?? 10_000 } }),
    },
    title: plan.title,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    path: plan.path,
    points,
    filter: plan.filter,
    selector: plan.selector,
    ...(probe ? { probe } : {}),
    t0: corr.t0,
    journeys: corr.journeys,
    unmatched: corr.unmatched,
    clockWarnings: corr.clockWarnings,
    clockOffsets: corr.clockOffsets,
    warnings,
    bundle: opts.out,
  };
  if (ct) result.conntrack = attachConntrack(ct.records, corr.journeys);
  writeBundleFiles(opts.out, {
    trace: result,
    topology,
    conntrackLog: ct?.log ?? '',
    commandsLog: view.log.toText(),
  });
  return result;
}
