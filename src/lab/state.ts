// The lab's state file: every namespace, link, directory and process the lab creates is written
// here BEFORE it is created (a process: right after its pid exists), so `lab down` can remove a
// crashed or half-built lab from this file alone. Writes are synchronous and atomic (rename).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NettraceError } from '../errors.ts';
import type { LabSpec } from './spec.ts';

export const DEFAULT_STATE_DIR = '/run/nettrace-lab';
const STATE_VERSION = 1;

export function defaultStateDir(): string {
  return process.env.NETTRACE_LAB_DIR || DEFAULT_STATE_DIR;
}

/** A process the lab started: found again by pid, and only signalled while its start time still matches. */
export interface ProcessRef {
  pid: number;
  /** /proc/PID/stat start time (clock ticks since boot): guards against a recycled pid. */
  startTime: number;
}

export type Resource =
  | { kind: 'dir'; path: string }
  | { kind: 'netns'; name: string }
  /** Removed with its namespace; recorded so the state file is a complete inventory. */
  | { kind: 'link'; netns: string; name: string; peer?: { netns: string; name: string } }
  /** A self-daemonizing OVS/OVN daemon: its pidfile is recorded before it starts, its pid once known. */
  | ({ kind: 'daemon'; name: string; netns: string; pidfile: string } & Partial<ProcessRef>)
  | ({
      kind: 'process';
      name: string;
      netns: string;
      /** Set for a lab container's init process (the host pid later issues use for nsenter). */
      container?: { pod: string; name: string; id: string };
    } & ProcessRef);

export interface PodRecord {
  node: string;
  ip: string;
  sandboxId: string;
  netns: string;
  veth: string;
  containers: { name: string; id: string; pid: number | undefined }[];
}

export type LabStatus = 'building' | 'up' | 'failed' | 'tearing-down';

export interface LabState {
  version: number;
  stateDir: string;
  /** False when the state dir existed before `up` (then `down` leaves the directory itself). */
  createdStateDir: boolean;
  status: LabStatus;
  /** The `nettrace lab up` process building the lab. */
  owner: ProcessRef;
  startedAt: string;
  readyAt?: string;
  spec: LabSpec;
  /**
   * Written once the lab is up, for readers without nettrace (`jq` on the state file): per pod
   * (`namespace/name`) its sandbox id, namespace, host veth and containers with their host pids.
   * The same data comes from `Lab.pods()`.
   */
  pods?: Record<string, PodRecord>;
  resources: Resource[];
}

/** Where things live under the state dir. */
export function labPaths(stateDir: string) {
  return {
    stateFile: join(stateDir, 'state.json'),
    nodesDir: join(stateDir, 'nodes'),
    nodeDir: (node: string) => join(stateDir, 'nodes', node),
    centralDir: join(stateDir, 'central'),
    nbSocket: join(stateDir, 'central', 'ovnnb_db.sock'),
    sbSocket: join(stateDir, 'central', 'ovnsb_db.sock'),
    podsDir: join(stateDir, 'pods'),
    podDir: (podKey: string) => join(stateDir, 'pods', podKey.replace('/', '_')),
  };
}

/** The start time of a live process, or undefined when there is no such process (or only its zombie). */
export function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (not yet reaped by its parent) is as good as gone.
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True when `ref` still names the same live process. */
export function isAlive(ref: Partial<ProcessRef>): boolean {
  if (!ref.pid) return false;
  const st = procStartTime(ref.pid);
  return st !== undefined && (ref.startTime === undefined || st === ref.startTime);
}

export function processRef(pid: number): ProcessRef | undefined {
  const startTime = procStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

export class StateStore {
  readonly file: string;
  private state: LabState | undefined;

  constructor(readonly dir: string) {
    this.file = labPaths(dir).stateFile;
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  /** The state on disk (undefined when there is none); a corrupt file is `lab.bad-state`. */
  load(): LabState | undefined {
    if (!this.exists()) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new NettraceError(
        'lab.bad-state',
        `cannot read the lab state ${this.file}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const s = parsed as LabState;
    if (typeof s !== 'object' || s === null || s.version !== STATE_VERSION || !Array.isArray(s.resources)) {
      throw new NettraceError(
        'lab.bad-state',
        `${this.file} is not a nettrace lab state (version ${STATE_VERSION})`,
      );
    }
    this.state = s;
    return s;
  }

  get current(): LabState {
    if (!this.state) throw new NettraceError('lab.no-state', `no lab state loaded from ${this.file}`);
    return this.state;
  }

  /** Starts a new state file (the dir is created if needed and remembered as ours). */
  begin(spec: LabSpec, owner: ProcessRef): LabState {
    const createdStateDir = !existsSync(this.dir);
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    this.state = {
      version: STATE_VERSION,
      stateDir: this.dir,
      createdStateDir,
      status: 'building',
      owner,
      startedAt: new Date().toISOString(),
      spec,
      resources: [],
    };
    this.save();
    return this.state;
  }

  /** Records a resource (call BEFORE creating it). */
  add(...resources: Resource[]): void {
    this.current.resources.push(...resources);
    this.save();
  }

  update(f: (s: LabState) => void): void {
    f(this.current);
    this.save();
  }

  save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.current, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, this.file);
  }

  /** Deletes the state file (the last step of a teardown). */
  remove(): void {
    rmSync(this.file, { force: true });
    rmSync(`${this.file}.tmp`, { force: true });
    this.state = undefined;
  }
}
