// Captures at several points at once: one `tcpdump --immediate-mode -U -w -` per point, each run
// through the Host that sees the point's interface, its stdout parsed as it streams. `start`
// resolves only when every tcpdump has said it is listening, so a probe sent afterwards is seen at
// every point; `stop` ends them (tcpdump flushes on SIGTERM) and returns every packet, ordered by
// time, ready to be written as one pcapng with one interface per point.
import type { Cleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import type { Host, SpawnedProcess } from '../hosts/host.ts';
import { CaptureParser } from '../pcap/reader.ts';
import type { CaptureDiagnostic } from '../pcap/types.ts';
import { parseTcpdumpStats, type TcpdumpStats, tcpdumpArgv } from './tcpdump.ts';

export interface CaptureTarget {
  /** The point's id: also its pcapng interface name (`node/iface`). */
  id: string;
  /** Where tcpdump runs: a host inside the network namespace that has `interface`. */
  host: Host;
  interface: string;
  /** What the point is, for the pcapng interface description. */
  description: string;
  /** BPF filter expression (one argv word; never passed through a shell). */
  filter?: string;
}

export interface CapturedPacket {
  /** Index into the session's targets. */
  point: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  linktype: number;
  data: Uint8Array;
}

export interface PointResult {
  id: string;
  packets: number;
  linktype?: number;
  /** tcpdump's own counters, when it printed them. */
  stats?: TcpdumpStats;
  /** Set when the stream from tcpdump ended early or was corrupt. */
  diagnostic?: CaptureDiagnostic;
  exitCode: number | null;
}

export interface CaptureOutcome {
  packets: CapturedPacket[];
  points: PointResult[];
  /** True when more was captured than `maxBytes` allowed keeping. */
  truncated: boolean;
}

export interface CaptureOptions {
  snaplen?: number;
  /** How long each tcpdump may take to say it is listening. */
  listenTimeoutMs?: number;
  /** Packets beyond this many bytes in total are counted but not kept. */
  maxBytes?: number;
  signal?: AbortSignal;
}

interface Running {
  target: CaptureTarget;
  proc: SpawnedProcess;
  stderr: string;
  parser: CaptureParser;
  packets: number;
  linktype?: number;
  /** Resolves when stdout has ended. */
  drained: Promise<void>;
}

export class CaptureSession {
  private readonly packets: CapturedPacket[] = [];
  private bytes = 0;
  private truncated = false;
  private stopped: Promise<CaptureOutcome> | undefined;

  private constructor(
    readonly targets: readonly CaptureTarget[],
    private readonly running: Running[],
    private readonly maxBytes: number,
  ) {}

  /**
   * Starts tcpdump at every target and waits until each is listening. Every tcpdump is registered
   * with `cleanup` the moment it is spawned, so an error, a timeout or Ctrl-C never leaves one behind.
   */
  static async start(targets: readonly CaptureTarget[], cleanup: Cleanup, opts: CaptureOptions = {}) {
    if (targets.length === 0)
      throw new NettraceError('capture.no-points', 'nothing to capture: no capture points');
    const running: Running[] = [];
    const session = new CaptureSession(targets, running, opts.maxBytes ?? 256 * 2 ** 20);
    const listening: Promise<void>[] = [];
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const argv = tcpdumpArgv({ interface: t.interface, filter: t.filter, snaplen: opts.snaplen });
      const proc = t.host.spawn(argv);
      cleanup.add(`tcpdump on ${t.id}`, () => proc.stop('SIGTERM'));
      const r = session.attach(i, t, proc);
      running.push(r);
      listening.push(waitListening(r, opts.listenTimeoutMs ?? 10_000, opts.signal));
    }
    await Promise.all(listening);
    return session;
  }

  private attach(index: number, target: CaptureTarget, proc: SpawnedProcess): Running {
    const r: Running = {
      target,
      proc,
      stderr: '',
      packets: 0,
      drained: Promise.resolve(),
      parser: new CaptureParser(
        {
          onPacket: (rec) => {
            r.packets++;
            r.linktype = rec.linktype;
            if (this.bytes + rec.data.length > this.maxBytes) {
              this.truncated = true;
              return;
            }
            this.bytes += rec.data.length;
            this.packets.push({
              point: index,
              tsSec: rec.tsSec,
              tsNsec: rec.tsNsec,
              origLen: rec.origLen,
              linktype: rec.linktype,
              data: rec.data.slice(),
            });
          },
        },
        { source: `tcpdump on ${target.id}` },
      ),
    };
    proc.stderr.on('data', (c: Buffer) => {
      // Keep the head (the listening line) and the tail (the counters) of what tcpdump says.
      r.stderr = (r.stderr + c.toString('utf8')).slice(-16_384);
    });
    r.drained = (async () => {
      for await (const chunk of proc.stdout) r.parser.push(chunk as Uint8Array);
    })();
    return r;
  }

  /** Packets captured so far at each point (for progress). */
  counts(): number[] {
    return this.running.map((r) => r.packets);
  }

  /** Stops every tcpdump (they flush first), and returns everything captured, ordered by time. */
  stop(): Promise<CaptureOutcome> {
    this.stopped ??= (async () => {
      await Promise.all(this.running.map((r) => r.proc.stop('SIGTERM')));
      const points: PointResult[] = [];
      for (const r of this.running) {
        // stdout ends when tcpdump exits; a stream error still leaves what was parsed.
        await r.drained.catch(() => {});
        const res = r.parser.end();
        const exitCode = await r.proc.exited;
        const p: PointResult = { id: r.target.id, packets: r.packets, exitCode };
        if (r.linktype !== undefined) p.linktype = r.linktype;
        else if (res.interfaces[0]) p.linktype = res.interfaces[0].linktype;
        const stats = parseTcpdumpStats(r.stderr);
        if (stats) p.stats = stats;
        if (res.diagnostic && res.diagnostic.message !== 'empty file') p.diagnostic = res.diagnostic;
        points.push(p);
      }
      this.packets.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec || a.point - b.point);
      return { packets: this.packets, points, truncated: this.truncated };
    })();
    return this.stopped;
  }
}

function waitListening(r: Running, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      r.proc.stderr.off('data', check);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (r.stderr.includes('listening on')) done();
    };
    const onAbort = () => done(new NettraceError('interrupted', 'interrupted while starting the captures'));
    const timer = setTimeout(
      () =>
        done(
          new NettraceError(
            'capture.not-listening',
            `tcpdump on ${r.target.id} did not start listening within ${timeoutMs} ms${tail(r.stderr)}`,
          ),
        ),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    r.proc.stderr.on('data', check);
    signal?.addEventListener('abort', onAbort, { once: true });
    r.proc.exited.then((code) => {
      if (!r.stderr.includes('listening on')) {
        done(
          new NettraceError(
            'capture.failed',
            `tcpdump on ${r.target.id} (${r.target.host.name}, interface ${r.target.interface}) exited with ${code}${tail(r.stderr)}`,
          ),
        );
      }
    });
    check();
  });
}

function tail(stderr: string): string {
  const t = stderr.trim().split('\n').slice(-3).join(' / ');
  return t ? `: ${t}` : '';
}
