// `node --import tsx bench/journey.ts`: the correlator on 3 capture points x 1,000,000 packets,
// against `nettrace analyze` (analyzeFiles: decode + conversations) on the same 3,000,000 packets.
// Target: correlation <= 2.5x analyze (CPU time).
//
// The scenario: genpcap.py's 1M-packet mix seen at a pod's eth0, its host veth (+3 µs) and the
// node's NIC (+40 µs), where the innermost IPv4 source is SNATed to 198.18.0.9, the TCP/UDP source
// port moved and the TTL decremented. Written once to .bench/journey-3x1000000.pcapng.
// Each side runs in its own process (`--run analyze|analyze-1m|correlate`), measured by
// bench/measure.ts (user + sys CPU, peak RSS), best of N.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../src/analyze.ts';
import { defaultDissector } from '../src/decode/bindings.ts';
import { correlateCapture, correlateCaptureLazy } from '../src/journey/correlate.ts';
import { natCopy, THREE_POINTS } from '../src/journey/testkit.ts';
import { readCaptureFile } from '../src/pcap/reader.ts';
import { writePcapngFile } from '../src/pcap/writer.ts';
import { best, fmt } from './measure.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(root, '.bench');
const GENPCAP = process.env.NETTRACE_GENPCAP ?? join(root, '..', 'shared', 'bench', 'genpcap.py');
const PACKETS = 1_000_000;
const source = join(workDir, `mix-${PACKETS}.pcap`);
const threePoint = join(workDir, `journey-3x${PACKETS}.pcapng`);

export const POINTS = THREE_POINTS;

function ensureSource(): void {
  if (existsSync(source) && statSync(source).size > 0) return;
  mkdirSync(workDir, { recursive: true });
  process.stdout.write(`generating ${source} with genpcap.py ...\n`);
  const r = spawnSync('python3', [GENPCAP, `${source}.tmp`, String(PACKETS), '1'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('genpcap.py failed');
  renameSync(`${source}.tmp`, source);
}

function ensureThreePoint(): void {
  if (existsSync(threePoint) && statSync(threePoint).size > 0) return;
  ensureSource();
  process.stdout.write(`writing ${threePoint} (3 points x ${PACKETS.toLocaleString('en-US')} packets) ...\n`);
  const d = defaultDissector();
  writePcapngFile(`${threePoint}.tmp`, (w) => {
    const ids = POINTS.map((p) => w.addInterface({ linktype: 1, name: p.id }));
    readCaptureFile(source, {
      onPacket(rec) {
        const t = { tsSec: rec.tsSec, tsNsec: rec.tsNsec };
        w.writePacket(ids[0]!, { ...t, data: rec.data, origLen: rec.origLen });
        w.writePacket(ids[1]!, {
          tsSec: t.tsSec,
          tsNsec: t.tsNsec + 3_000,
          data: rec.data,
          origLen: rec.origLen,
        });
        w.writePacket(ids[2]!, {
          tsSec: t.tsSec,
          tsNsec: t.tsNsec + 40_000,
          data: natCopy(rec.data, d),
          origLen: rec.origLen,
        });
      },
    });
  });
  renameSync(`${threePoint}.tmp`, threePoint);
}

function runChild(what: string): void {
  const t = performance.now();
  let summary: string;
  if (what === 'analyze' || what === 'analyze-1m') {
    const r = analyzeFiles([what === 'analyze' ? threePoint : source]);
    summary = `${r.packets} packets, ${r.conversations.flows.length} flows`;
  } else if (what === 'correlate') {
    // As `nettrace trace -o json` does with a big capture: each journey built, written, dropped.
    const { correlation, packets } = correlateCaptureLazy(threePoint, POINTS);
    let full = 0;
    let snat = 0;
    for (const j of correlation) {
      if (j.sightings.length === 3) full++;
      if (j.findings.some((f) => f.kind === 'snat' && f.at === POINTS[2]!.id)) snat++;
    }
    summary = `${packets} packets, ${correlation.length} journeys (${full} seen at all 3 points, ${snat} with snat at the NIC), ${correlation.unmatched.nonIp} non-IP`;
  } else {
    // Every journey held in memory at once (the whole Trace result object).
    const r = correlateCapture(threePoint, POINTS);
    summary = `${r.packets} packets, ${r.journeys.length} journeys held at once`;
  }
  process.stdout.write(`${what}: ${((performance.now() - t) / 1000).toFixed(2)} s in-process; ${summary}\n`);
}

function main(): void {
  const i = process.argv.indexOf('--run');
  if (i >= 0) {
    runChild(process.argv[i + 1] ?? '');
    return;
  }
  ensureThreePoint();
  if (process.argv.includes('--prepare')) return;
  const runs = Number(process.env.JOURNEY_BENCH_RUNS ?? 2);
  const self = [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--run'];
  for (const what of ['correlate', 'analyze']) {
    const r = spawnSync(self[0]!, [...self.slice(1), what], { cwd: root, encoding: 'utf8' });
    process.stdout.write(r.stdout + (r.status === 0 ? '' : r.stderr));
  }
  const corr = best('correlate 3 points x 1M (streamed)', [...self, 'correlate'], runs);
  const held = best('correlate, all journeys held', [...self, 'correlate-held'], 1);
  const an3 = best('analyze the same 3M packets', [...self, 'analyze'], runs);
  const an1 = best('analyze the 1M source packets', [...self, 'analyze-1m'], runs);
  for (const m of [corr, held, an3, an1]) process.stdout.write(`${fmt(m)}\n`);
  const ratio = corr.cpuSec / an3.cpuSec;
  process.stdout.write(
    `  ${ratio <= 2.5 ? 'ok  ' : 'MISS'} correlate / analyze, same 3M packets (cpu): ${ratio.toFixed(2)}x (target <= 2.5x)\n`,
  );
  process.stdout.write(
    `  info correlate with all journeys held / analyze (cpu): ${(held.cpuSec / an3.cpuSec).toFixed(2)}x\n`,
  );
  process.stdout.write(
    `  info correlate (3M) / analyze of the 1M source (cpu): ${(corr.cpuSec / an1.cpuSec).toFixed(2)}x\n`,
  );
  process.exitCode = ratio <= 2.5 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
