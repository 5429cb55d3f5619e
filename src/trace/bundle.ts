// A trace's bundle: one folder with everything needed to look at the trace again offline —
// capture.pcapng (one interface per point), topology.json, trace.json, conntrack.log,
// commands.log and report.html. Captures can hold secrets: files are 0600, the folder 0700.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NettraceError } from '../errors.ts';
import { correlateCapture } from '../journey/index.ts';
import { renderReportHtml } from '../render/report-html.ts';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from './types.ts';

export const BUNDLE_FILES = [
  'capture.pcapng',
  'topology.json',
  'trace.json',
  'conntrack.log',
  'commands.log',
  'report.html',
] as const;

export interface BundleContent {
  trace: TraceResult;
  topology: Topology;
  conntrackLog: string;
  commandsLog: string;
}

function write(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text, { mode: 0o600 });
}

/** Writes everything but capture.pcapng (written as soon as the capture stops). */
export function writeBundleFiles(dir: string, c: BundleContent): void {
  write(dir, 'topology.json', `${JSON.stringify(c.topology, null, 2)}\n`);
  write(dir, 'trace.json', `${JSON.stringify(c.trace, null, 2)}\n`);
  write(dir, 'conntrack.log', c.conntrackLog);
  write(dir, 'commands.log', c.commandsLog);
  write(dir, 'report.html', renderReportHtml({ trace: c.trace, topology: c.topology }));
}

export function isBundle(dir: string): boolean {
  return existsSync(join(dir, 'trace.json')) && existsSync(join(dir, 'capture.pcapng'));
}

function readJson<T>(dir: string, name: string): T {
  const file = join(dir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new NettraceError('bundle.unreadable', `${file}: cannot read (${(e as Error).message})`, {
      cause: e,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new NettraceError('bundle.bad-json', `${file}: not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
}

/**
 * Replays a bundle offline: the points and request come from trace.json, the journeys are built
 * again from capture.pcapng (so a bundle edited or filtered with other tools is read as it is now).
 */
export function replayBundle(dir: string): { trace: TraceResult; topology?: Topology } {
  const saved = readJson<TraceResult>(dir, 'trace.json');
  if (!Array.isArray(saved.points) || saved.points.length === 0) {
    throw new NettraceError(
      'bundle.bad-trace',
      `${join(dir, 'trace.json')}: field "points" is missing or empty`,
    );
  }
  const corr = correlateCapture(join(dir, 'capture.pcapng'), saved.points, {
    ...(saved.selector ? { request: saved.selector } : {}),
  });
  const trace: TraceResult = {
    ...saved,
    t0: corr.t0,
    journeys: corr.journeys,
    unmatched: corr.unmatched,
    clockWarnings: corr.clockWarnings,
    clockOffsets: corr.clockOffsets,
    bundle: dir,
  };
  if (corr.diagnostic)
    trace.warnings = [...(saved.warnings ?? []), `capture.pcapng: ${corr.diagnostic.message}`];
  const topology = existsSync(join(dir, 'topology.json'))
    ? readJson<Topology>(dir, 'topology.json')
    : undefined;
  return topology ? { trace, topology } : { trace };
}
