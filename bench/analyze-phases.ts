// Where `analyze`'s CPU time goes, measured inside one process on the built code (dist/): the pcap
// reader alone, + decoding, + conversations (flows, TCP, HTTP, DNS), each in a fresh process (cold:
// V8 still has to compile the hot code), then the same full pass repeated in one process (warm:
// compiled), and writing the JSON. Informational: the targets are checked on the whole command.
// usage: node --import tsx bench/analyze-phases.ts FILE [MODE]
import { spawnSync } from 'node:child_process';
import { openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Reader = typeof import('../src/pcap/reader.ts');
type Bindings = typeof import('../src/decode/bindings.ts');
type Flat = typeof import('../src/decode/flat.ts');
type FlatPacketModule = typeof import('../src/decode/flat-packet.ts');
type Analyzer = typeof import('../src/flow/analyzer.ts');
type Analyze = typeof import('../src/analyze.ts');
type JsonStream = typeof import('../src/render/json-stream.ts');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (m: string) => import(pathToFileURL(join(root, 'dist', m)).href);
const cpu = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};

type Mode = 'read' | 'decode' | 'conversations' | 'warm' | 'write';

async function pass(file: string, mode: Mode): Promise<number> {
  const { readCaptureFile } = (await dist('pcap/reader.js')) as Reader;
  const { defaultDissector } = (await dist('decode/bindings.js')) as Bindings;
  const { FlatDecoder } = (await dist('decode/flat.js')) as Flat;
  const { FlatPacket } = (await dist('decode/flat-packet.js')) as FlatPacketModule;
  const { ConversationAnalyzer } = (await dist('flow/analyzer.js')) as Analyzer;
  const d = defaultDissector();
  const flat = new FlatDecoder(d);
  const fp = new FlatPacket();
  const conv = new ConversationAnalyzer();
  let t0 = -1;
  const c0 = process.cpuUsage();
  // As analyze reads: in place, the flat decoder first, the Dissector for what it declines.
  readCaptureFile(file, {
    onFrame(rec) {
      if (mode === 'read') return;
      if (t0 < 0) t0 = rec.tsSec;
      const tNs = (rec.tsSec - t0 + 0.5 - 0.5) * 1e9 + rec.tsNsec;
      if (flat.decodeAt(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linktype, fp)) {
        if (mode !== 'decode') conv.addKey(fp, rec.buf, tNs, rec.origLen);
        return;
      }
      const p = d.decode(rec.buf.subarray(rec.offset, rec.offset + rec.capLen), rec.origLen, rec.linktype);
      if (mode !== 'decode') conv.addPacket(p, tNs, rec.origLen);
    },
  });
  return cpu(c0);
}

async function write(file: string): Promise<number> {
  const { analyzeFilesForJson } = (await dist('analyze.js')) as Analyze;
  const { writeJson } = (await dist('render/json-stream.js')) as JsonStream;
  const json = analyzeFilesForJson([file]);
  const fd = openSync('/dev/null', 'w');
  let buf = '';
  const c0 = process.cpuUsage();
  writeJson(json, (s) => {
    buf += s;
    if (buf.length > 1 << 16) {
      writeSync(fd, buf);
      buf = '';
    }
  });
  writeSync(fd, buf);
  return cpu(c0);
}

async function child(file: string, mode: Mode): Promise<void> {
  let sec: number;
  if (mode === 'warm') {
    await pass(file, 'conversations');
    await pass(file, 'conversations');
    sec = await pass(file, 'conversations');
  } else if (mode === 'write') sec = await write(file);
  else sec = await pass(file, mode);
  process.stdout.write(`${sec}\n`);
}

function run(file: string, mode: Mode): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), file, mode], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`analyze-phases ${mode} failed: ${r.stderr.slice(-500)}`);
  return Number(r.stdout.trim());
}

/** The least of `n` runs: the machine is shared, the minimum is the signal. */
function least(file: string, mode: Mode, n = 3): number {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) b = Math.min(b, run(file, mode));
  return b;
}

const [file, mode] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: analyze-phases.ts FILE [MODE]\n');
  process.exit(2);
}
if (mode) await child(file, mode as Mode);
else {
  const s = (x: number) => `${x.toFixed(2)} s`.padStart(7);
  const read = least(file, 'read');
  const decode = least(file, 'decode');
  const conv = least(file, 'conversations');
  const warm = least(file, 'warm');
  const written = least(file, 'write');
  process.stdout.write(
    [
      "where analyze's CPU goes (in-process, least of 3, not counting node's start-up):",
      `  read (pcap reader alone)                      ${s(read)}`,
      `  + decode (flat, or every layer when declined) ${s(decode)}`,
      `  + conversations (flows, TCP, HTTP, DNS)       ${s(conv)}   cold: the first pass in a process`,
      `    the same pass, third in one process         ${s(warm)}   warm: the difference is mostly V8 compiling the hot code`,
      `  writing the JSON                              ${s(written)}`,
      '',
    ].join('\n'),
  );
}
