// Connection tracking during a trace: `conntrack -E` streamed from every involved namespace where
// the kernel tracks connections (pods, nodes), and `ovs-appctl dpctl/dump-conntrack` snapshots
// where NAT is done by Open vSwitch's userspace datapath (the lab; OVS-DPDK nodes), taken after
// the probe. Events and entries come back parsed, each tagged with where it was seen.
import type { Cleanup } from '../cleanup.ts';
import type { Host, SpawnedProcess } from '../hosts/host.ts';
import { type ConntrackEntry, parseConntrack } from '../topology/parsers/conntrack.ts';
import { parseDpctlConntrack } from '../topology/parsers/dpctl.ts';

export interface ConntrackSource {
  /** Where, for the report: `worker-0`, `worker-0/pod nettools-dual-pod`. */
  id: string;
  host: Host;
  /** `events`: stream `conntrack -E`; `dpctl`: snapshot OVS's userspace conntrack table. */
  kind: 'events' | 'dpctl';
}

export interface ConntrackRecord {
  source: string;
  kind: 'events' | 'dpctl';
  entry: ConntrackEntry;
}

export interface ConntrackResult {
  records: ConntrackRecord[];
  /** Raw text per source, for the bundle's conntrack.log. */
  log: string;
  /** Sources that could not be read (no conntrack tool, no permission): named, not fatal. */
  problems: string[];
}

interface Stream {
  source: ConntrackSource;
  proc: SpawnedProcess;
  out: string;
  err: string;
}

export class ConntrackWatch {
  private constructor(
    private readonly sources: readonly ConntrackSource[],
    private readonly streams: Stream[],
  ) {}

  /** Starts `conntrack -E -o timestamp` on every events source; each registered for cleanup. */
  static async start(sources: readonly ConntrackSource[], cleanup: Cleanup): Promise<ConntrackWatch> {
    const streams: Stream[] = [];
    for (const source of sources) {
      if (source.kind !== 'events') continue;
      const proc = source.host.spawn(['conntrack', '-E', '-o', 'timestamp']);
      cleanup.add(`conntrack -E on ${source.id}`, () => proc.stop('SIGTERM'));
      const s: Stream = { source, proc, out: '', err: '' };
      proc.stdout.on('data', (c: Buffer) => {
        s.out += c.toString('utf8');
      });
      proc.stderr.on('data', (c: Buffer) => {
        s.err = (s.err + c.toString('utf8')).slice(-4096);
      });
      streams.push(s);
    }
    // conntrack -E subscribes to netlink right away but says nothing; give it a moment so the
    // probe's first event is not missed.
    if (streams.length > 0) await new Promise((r) => setTimeout(r, 150));
    return new ConntrackWatch(sources, streams);
  }

  /** Stops the streams, takes the dpctl snapshots, and parses everything. */
  async stop(): Promise<ConntrackResult> {
    const records: ConntrackRecord[] = [];
    const problems: string[] = [];
    let log = '';
    // conntrack buffers nothing with -o timestamp on a pipe? It does (stdio): give it time to
    // deliver, then SIGTERM makes it flush and print its summary.
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all(this.streams.map((s) => s.proc.stop('SIGTERM')));
    for (const s of this.streams) {
      const code = await s.proc.exited;
      log += `### conntrack -E on ${s.source.id}\n${s.out}`;
      if (s.out === '' && code !== 0 && code !== null && !/flow events have been shown/.test(s.err)) {
        problems.push(
          `conntrack -E on ${s.source.id} failed (exit ${code}): ${s.err.trim().split('\n')[0] ?? ''}`,
        );
        continue;
      }
      for (const entry of parseConntrack(s.out).entries)
        records.push({ source: s.source.id, kind: 'events', entry });
    }
    const snapshots = this.sources.filter((s) => s.kind === 'dpctl');
    const outs = await Promise.all(
      snapshots.map((s) => s.host.run(['ovs-appctl', 'dpctl/dump-conntrack'], { timeoutMs: 10_000 })),
    );
    snapshots.forEach((s, i) => {
      const r = outs[i]!;
      log += `### ovs-appctl dpctl/dump-conntrack on ${s.id}\n${r.stdout}`;
      if (r.code !== 0) {
        problems.push(
          `ovs-appctl dpctl/dump-conntrack on ${s.id} failed: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        );
        return;
      }
      for (const entry of parseDpctlConntrack(r.stdout).entries)
        records.push({ source: s.id, kind: 'dpctl', entry });
    });
    return { records, log, problems };
  }
}
