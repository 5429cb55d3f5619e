// `nettrace analyze FILE...`: read captures (or a trace bundle) and summarise them.
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  type AnalyzeOptions,
  analyzeFiles,
  analyzeFilesForJson,
  STDIN,
  writeFieldLines,
} from '../analyze.ts';
import { checkFields, knownFields } from '../decode/fields.ts';
import { NettraceError } from '../errors.ts';
import { formatEpoch } from '../pcap/timestamp.ts';
import { writeJson } from '../render/json-stream.ts';
import { packetLine } from '../render/packet-line.ts';
import type { SummarySections } from '../render/summary.ts';
import type { TraceResult } from '../trace/types.ts';
import { Output } from './output.ts';
import { makeProgress } from './progress.ts';

const collect = (v: string, prev: string[]) => [...prev, v];

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('decode capture files (pcap, pcapng) or a trace bundle and summarise what is in them')
    .argument(
      '[file...]',
      'capture files (- for standard input), or a bundle folder saved by `nettrace trace`',
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'jsonl']).default('text'),
    )
    .option('--flows', 'show conversations (flows) only')
    .option('--http', 'show HTTP transactions only')
    .option('--dns', 'show DNS queries and answers only')
    .option('--packets', 'one line per packet, like tcpdump -nn (tunnel inner packets included)')
    .option('--fields', 'print the fields given with -e, tab-separated, exactly as tshark -T fields does')
    .option(
      '-e, --field <name>',
      'a field for --fields (repeatable), e.g. -e ip.src -e tcp.flags',
      collect,
      [],
    )
    .option('--list-fields', 'list the field names --fields supports')
    .option(
      '-Y, --display-filter <filter>',
      'analyse only the packets this Wireshark display filter matches (any header, tunnelled ones too)',
    )
    .option(
      '--decode-as <rule>',
      'decode a port/ethertype as a protocol (repeatable), e.g. udp.port==4790:vxlan',
      collect,
      [],
    )
    .option('--top <n>', 'how many flows to show in the summary', (v) => Number.parseInt(v, 10), 10)
    .addOption(
      new Option('--sort <key>', "the summary's top flows by")
        .choices(['bytes', 'packets', 'duration'])
        .default('bytes'),
    )
    .addHelpText(
      'after',
      `
Examples:
  nettrace analyze capture.pcapng                       summary: interfaces, protocols, flows, TCP, HTTP, DNS, issues
  nettrace analyze capture.pcap --packets               one line per packet
  nettrace analyze capture.pcap --flows --sort duration --top 20  the 20 longest conversations
  nettrace analyze capture.pcap --fields -e ip.src -e ip.dst -e tcp.flags
  nettrace analyze capture.pcap -o json | jq .conversations.flows
  nettrace analyze capture.pcap -Y 'ip.addr == 10.128.0.5 && tcp.port == 8080' --flows
  nettrace analyze node.pcap -Y 'dns.qry.name contains "svc" || udp.port in {53, 5353}' --dns
  nettrace analyze node.pcap -Y 'frame.time_relative >= 30 && frame.time_relative < 60' --flows
  nettrace analyze vxlan.pcap --decode-as udp.port==4790:vxlan
  nettrace analyze ./bundle-2026-11-26T12-00-00          replay a saved trace bundle
  tcpdump -U -w - -i eth0 | nettrace analyze - --flows   read a capture from a pipe (Ctrl-C stops
                                                        tcpdump; what it captured is analysed)

Exit status: 0 when every file was read to its end; 2 when a file is not a capture or stopped
early (cut short, corrupt): the output covers every packet before that point, and a line on
stderr says where and why; 1 for any other error (missing file, bad option, bad filter).

Display filters (-Y) are Wireshark's: fields as --list-fields names them, == != ~= !== === < > <= >=,
any/all, in {a, b, c..d}, contains, matches (JavaScript regular expressions, case-insensitive), &,
&& || ! and parentheses; a test holds when any occurrence of its field holds it, outer or tunnelled
(ip.addr == 10.128.0.5 finds a pod's packets inside Geneve too). A value must suit its field's type,
as in tshark; value names only for ip.proto, ipv6.nxt, eth.type, arp.opcode (ip.proto == UDP). With
a filter every packet is decoded in full; the counts, flows, HTTP and DNS cover the matching packets
(a bundle's journeys are not filtered).`,
    )
    .action((files: string[], o: AnalyzeFlags) => runAnalyze(files, o));
}

interface AnalyzeFlags {
  output: 'text' | 'json' | 'jsonl';
  flows?: boolean;
  http?: boolean;
  dns?: boolean;
  packets?: boolean;
  fields?: boolean;
  field: string[];
  listFields?: boolean;
  displayFilter?: string;
  decodeAs: string[];
  top: number;
  sort: 'bytes' | 'packets' | 'duration';
}

/** A bundle is a folder: only then is the trace code (journeys, report) worth loading. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function runAnalyze(files: string[], o: AnalyzeFlags): Promise<void> {
  // Ctrl-C on `tcpdump -U -w - | nettrace analyze -` reaches the whole pipeline: tcpdump stops and
  // closes the pipe, and what came through it is still analysed. Without a handler the signal would
  // end nettrace inside its (synchronous) read, with nothing printed.
  const keepGoing = files.includes(STDIN) ? () => {} : undefined;
  if (keepGoing) process.on('SIGINT', keepGoing);
  try {
    await analyzeAndPrint(files, o);
  } finally {
    if (keepGoing) process.off('SIGINT', keepGoing);
  }
}

async function analyzeAndPrint(files: string[], o: AnalyzeFlags): Promise<void> {
  const out = new Output(process.stdout);
  if (files.filter((f) => f === STDIN).length > 1)
    throw new NettraceError('bad-argument', 'standard input (-) can be read only once');
  if (o.listFields) {
    for (const f of knownFields()) out.line(f);
    out.flush();
    return;
  }
  if (files.length === 0) {
    throw new NettraceError('bad-argument', 'a capture file is needed (or - for standard input); see --help');
  }
  if (!Number.isFinite(o.top) || o.top < 1)
    throw new NettraceError('bad-flag', '--top must be a positive number');
  // Loaded only when asked for: the plain analysis' start-up stays as it was.
  const filter =
    o.displayFilter === undefined
      ? undefined
      : (await import('../filter/display-filter.ts')).compileFilter(o.displayFilter);
  if (o.fields || o.field.length > 0) {
    if (o.field.length === 0) throw new NettraceError('bad-flag', '--fields needs at least one -e FIELD');
    const unknown = checkFields(o.field);
    if (unknown.length > 0) {
      throw new NettraceError(
        'unknown-field',
        `unknown field ${unknown.map((f) => `"${f}"`).join(', ')} (nettrace analyze --list-fields lists them)`,
      );
    }
    const diags = writeFieldLines(files, o.field, (line) => out.line(line), o.decodeAs, filter);
    out.flush();
    reportDiagnostics(diags);
    return;
  }
  const progress = makeProgress(process.stderr);
  const perPacket = o.packets || o.output === 'jsonl';
  const opts: AnalyzeOptions = {
    decodeAs: o.decodeAs,
    filter,
    onProgress: progress.update,
    onPacket: perPacket
      ? (p, frame) => {
          // As tshark writes it (frame.time_epoch), also for the invalid fractions of a broken file.
          const t = formatEpoch(frame.tsSec, frame.tsNsec);
          if (o.output === 'jsonl') {
            out.line(
              JSON.stringify({
                frame: frame.number,
                time: t,
                interface: frame.interfaceName ?? frame.interfaceId,
                len: frame.origLen,
                layers: p.layers.map((l) => l.proto),
                summary: packetLine(p),
                issues: p.issues,
              }),
            );
          } else {
            out.line(
              `${String(frame.number).padStart(6)} ${t} ${frame.interfaceName ?? ''} ${packetLine(p)}`,
            );
          }
        }
      : undefined,
  };
  // JSON is written from the analysis as it stands: the records are made one at a time as written.
  const json = o.output === 'json' ? analyzeFilesForJson(files, opts) : undefined;
  // Otherwise only the summary is printed: it holds the records it shows, not every flow.
  const result =
    json === undefined
      ? analyzeFiles(files, { ...opts, result: { summaryOf: o.top, summaryBy: o.sort } })
      : undefined;
  progress.done();
  // A trace bundle is replayed: its journeys are rebuilt from capture.pcapng and shown first.
  const focused = o.flows || o.http || o.dns || o.packets;
  let replay: { trace: TraceResult } | undefined;
  if (files.length === 1 && !focused && isFolder(files[0]!)) {
    const { isBundle, replayBundle } = await import('../trace/bundle.ts');
    if (isBundle(files[0]!)) replay = replayBundle(files[0]!);
  }
  if (o.output === 'jsonl') {
    out.flush();
  } else if (o.output === 'json') {
    writeJson(replay ? { trace: replay.trace, analysis: json } : json, (chunk) => out.write(chunk));
    out.flush();
  } else if (!o.packets && result !== undefined) {
    if (replay) {
      const { renderTraceText } = await import('../render/trace-text.ts');
      out.line(`${renderTraceText(replay.trace, { color: out.color })}\n`);
    }
    const { renderSummary } = await import('../render/summary.ts');
    const sections: SummarySections =
      o.flows || o.http || o.dns ? { flows: o.flows, http: o.http, dns: o.dns } : 'all';
    out.line(renderSummary(result, { sections, top: o.top, color: out.color, sortFlows: o.sort }));
    out.flush();
  } else {
    out.flush();
  }
  const diags: string[] = [];
  for (const f of (json ?? result)?.files ?? []) if (f.diagnostic) diags.push(f.diagnostic.message);
  reportDiagnostics(diags);
}

/** Files that stopped early (each message names the file and the offset): on stderr, exit status 2. */
function reportDiagnostics(messages: string[]): void {
  for (const m of messages) process.stderr.write(`nettrace: ${m}\n`);
  if (messages.length > 0) process.exitCode = 2;
}
