// `nettrace trace SRC DST`: capture at every hop of the path at once, probe, and show each packet's
// journey. Flags and printing only; the work is in src/trace/.
import { Command, Option } from 'commander';
import { withCleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { defaultStateDir } from '../lab/state.ts';
import { renderTraceText } from '../render/trace-text.ts';
import { LiveSource } from '../topology/collect.ts';
import { resolveEndpoint } from '../topology/endpoints.ts';
import { closeTopologySource, openTopologySource } from '../topology/open.ts';
import { defaultPort } from '../trace/plan.ts';
import { runTrace } from '../trace/run.ts';
import type { ProbeSpec, TraceResult } from '../trace/types.ts';
import { addKubeOptions, dryRun, type KubeFlags, kubeSourceOptions } from './kube-flags.ts';
import { Output } from './output.ts';

interface TraceFlags extends KubeFlags {
  namespace: string;
  icmp?: boolean;
  tcp?: string;
  http?: string;
  udp?: string;
  dns?: string;
  port?: string;
  count: string;
  passive?: boolean;
  duration?: string;
  conntrack?: boolean;
  container?: string;
  lab?: boolean;
  stateDir: string;
  output: 'text' | 'json';
  out?: string;
}

/** `500ms`, `10s`, `2m`, or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new NettraceError('cli.bad-duration', `--duration "${text}": use e.g. 500ms, 10s or 2m`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms <= 0 || ms > 3_600_000)
    throw new NettraceError('cli.bad-duration', `--duration "${text}": between 1ms and 1h`);
  return ms;
}

function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new NettraceError('cli.bad-port', `${flag} "${text}" is not a port number (1-65535)`);
  }
  return n;
}

/** The probe the flags ask for (undefined for --passive); the destination fills in default ports. */
export function probeFromFlags(f: TraceFlags): { probe?: ProbeSpec; port?: number } {
  const chosen = [
    f.icmp && '--icmp',
    f.tcp && '--tcp',
    f.http && '--http',
    f.udp && '--udp',
    f.dns && '--dns',
  ].filter(Boolean);
  if (chosen.length > 1)
    throw new NettraceError('cli.bad-options', `choose one probe, not ${chosen.join(' and ')}`);
  if (f.passive && chosen.length)
    throw new NettraceError('cli.bad-options', `--passive sends no probe: drop ${chosen[0]}`);
  if (f.duration && !f.passive) throw new NettraceError('cli.bad-options', '--duration goes with --passive');
  if (f.passive) return {};
  const port = f.port !== undefined ? parsePort(f.port, '--port') : undefined;
  if (f.tcp) return { probe: { kind: 'tcp', port: parsePort(f.tcp, '--tcp') } };
  if (f.udp) return { probe: { kind: 'udp', port: parsePort(f.udp, '--udp') } };
  if (f.http) return { probe: { kind: 'http', path: f.http, port: port ?? 0 }, port };
  if (f.dns) return { probe: { kind: 'dns', name: f.dns, port: port ?? 0 }, port };
  return { probe: { kind: 'icmp' } };
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

export function traceCommand(): Command {
  const cmd = new Command('trace')
    .description(
      'capture at every hop between SRC and DST at once, send a probe, and follow each packet: where it ' +
        'was seen, what rewrote it (SNAT/DNAT, Geneve, routing, MACs) and how long each hop took',
    )
    .argument('<src>', 'pod/NAME or node/NAME that sends the probe')
    .argument('<dst>', 'pod/NAME, svc/NAME[:PORT], node/NAME, an IP address, or 127.0.0.1 (inside the pod)')
    .option('-n, --namespace <ns>', 'namespace of pods and services', LAB_NAMESPACE)
    .option('--icmp', 'probe with ping (the default)')
    .option('--tcp <port>', 'probe with a TCP connect to PORT')
    .option('--http <path>', 'probe with an HTTP GET of PATH (port: --port, else the service port, else 80)')
    .option('--udp <port>', 'probe with a UDP datagram to PORT')
    .option('--dns <name>', 'probe with a DNS query for NAME (port: --port, else 53)')
    .option('--port <port>', 'port for --http and --dns')
    .option('--count <n>', 'probes to send', '3')
    .option('-c, --container <name>', 'container of the source pod that sends the probe')
    .option('--passive', 'send nothing: watch real traffic between SRC and DST')
    .option('--duration <d>', 'with --passive: how long to watch (e.g. 30s; Ctrl-C stops early)')
    .option('--conntrack', 'also record conntrack events (and OVS userspace conntrack) on the path')
    .option('--lab', 'use the local lab (the default without --kubeconfig)')
    .addOption(
      new Option('--state-dir <dir>', "the lab's state dir").default(
        defaultStateDir(),
        '$NETTRACE_LAB_DIR or /run/nettrace-lab',
      ),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--out <dir>', 'bundle folder to write (default ./nettrace-trace-TIMESTAMP)')
    .addHelpText(
      'after',
      `
Examples:
  sudo nettrace trace pod/nettools-dual-pod 203.0.113.10                  ping out through SNAT
  sudo nettrace trace pod/nettools-dual-pod pod/static-server --http /hello.txt --port 8080
  sudo nettrace trace pod/nettools-dual-pod svc/static-server --http /hello.txt --conntrack
  sudo nettrace trace pod/nettools-dual-pod 127.0.0.1 -c nettools-container-2 --http /hello.txt --port 8080
  sudo nettrace trace pod/nettools-dual-pod pod/static-server --passive --duration 30s
  nettrace analyze ./nettrace-trace-2026-11-26T12-00-00                   replay a saved trace

Every trace saves a bundle: capture.pcapng (one interface per point), topology.json, trace.json,
conntrack.log, commands.log and report.html.`,
    )
    .action(async (src: string, dst: string, flags: TraceFlags) => {
      if (dryRun(flags, 'trace', flags.namespace)) return;
      if (flags.lab && flags.kubeconfig !== undefined)
        throw new NettraceError('cli.bad-options', '--lab and --kubeconfig exclude each other');
      const { probe, port } = probeFromFlags(flags);
      const count = Number(flags.count);
      if (!Number.isInteger(count) || count < 1 || count > 1000)
        throw new NettraceError('cli.bad-count', `--count "${flags.count}": a number from 1 to 1000`);
      const passiveMs = flags.passive ? (flags.duration ? parseDuration(flags.duration) : 10_000) : undefined;
      const source = await openTopologySource({
        command: 'nettrace trace',
        stateDir: flags.stateDir,
        ...kubeSourceOptions(flags, flags.namespace),
      });
      if (!(source instanceof LiveSource))
        throw new NettraceError('trace.not-live', 'a trace needs a live lab or cluster');
      const out = flags.out ?? `nettrace-trace-${stamp()}`;
      const progress = (m: string) => {
        if (flags.output === 'text') process.stderr.write(`trace: ${m}\n`);
      };
      let interrupted = false;
      const result: TraceResult = await withCleanup(
        async (cleanup, signal) => {
          // First registered, last run: the agents go after the captures in them have stopped.
          cleanup.add('delete the node agents', () => closeTopologySource(source));
          // A probe's port may depend on the destination (a Service's port): fill it in once resolved.
          let p = probe;
          if (p && (p.kind === 'http' || p.kind === 'dns') && p.port === 0) {
            const cluster = await source.cluster();
            const to = resolveEndpoint(dst, cluster, flags.namespace);
            p = { ...p, port: port ?? defaultPort(p.kind, to) };
          }
          const r = await runTrace(
            source.clusterView,
            source,
            {
              src,
              dst,
              namespace: flags.namespace,
              count,
              ...(p ? { probe: p } : {}),
              ...(flags.container ? { container: flags.container } : {}),
            },
            {
              out,
              cleanup,
              signal,
              ...(flags.conntrack ? { conntrack: true } : {}),
              ...(passiveMs !== undefined ? { passiveMs } : {}),
              progress,
            },
          );
          interrupted = signal.aborted;
          return r;
        },
        {
          onSignal: (sig, again) =>
            process.stderr.write(
              again
                ? `nettrace: ${sig} again: still stopping the captures, please wait\n`
                : `nettrace: ${sig}: stopping the captures and saving what was captured\n`,
            ),
          onCleanupFailure: (f) => process.stderr.write(`nettrace: cleanup problems: ${f.join('; ')}\n`),
        },
      );
      const o = new Output(process.stdout);
      if (flags.output === 'json') o.line(JSON.stringify(result, null, 2));
      else o.line(renderTraceText(result, { color: o.color }));
      o.flush();
      if (interrupted) process.exitCode = 130;
    });
  return addKubeOptions(cmd);
}
