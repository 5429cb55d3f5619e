// `npm run bench [-- NAME...]`: every benchmark, each measured against its anchors in the same run,
// printing the ratios and whether each target holds. Names: analyze, journey, lab, topology, trace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { best, fmt, type Measurement, measure } from './measure.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(root, '.bench');
const GENPCAP = process.env.NETTRACE_GENPCAP ?? join(root, '..', 'shared', 'bench', 'genpcap.py');

interface Target {
  what: string;
  value: number;
  limit: number;
  unit: string;
}

function check(t: Target): string {
  const ok = t.value <= t.limit;
  return `  ${ok ? 'ok  ' : 'MISS'} ${t.what}: ${t.value.toFixed(3)}${t.unit} (target <= ${t.limit}${t.unit})`;
}

function build(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

function genCapture(packets: number): string {
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, `mix-${packets}.pcap`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  if (!existsSync(GENPCAP)) {
    throw new Error(`${GENPCAP} not found (set NETTRACE_GENPCAP to shared/bench/genpcap.py)`);
  }
  process.stdout.write(`generating ${packets.toLocaleString('en-US')} packets with genpcap.py ...\n`);
  const r = spawnSync('python3', [GENPCAP, file + '.tmp', String(packets), '1'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('genpcap.py failed');
  spawnSync('mv', [file + '.tmp', file]);
  return file;
}

function benchAnalyze(): boolean {
  build();
  const file = genCapture(1_000_000);
  const mb = statSync(file).size / 2 ** 20;
  process.stdout.write(`\n## analyze: ${file} (1,000,000 packets, ${mb.toFixed(0)} MiB)\n`);
  const node = process.execPath;
  const ours = best(
    'nettrace analyze -o json',
    [node, join(root, 'dist/cli/main.js'), 'analyze', file, '-o', 'json'],
    3,
  );
  const floor = best('tcpdump -r -w /dev/null (read floor)', ['tcpdump', '-r', file, '-w', '/dev/null'], 3);
  const tcpdumpNn = measure('tcpdump -nn -r', ['tcpdump', '-nn', '-r', file]);
  const tshark = measure('tshark -n -q -z conv,tcp', ['tshark', '-n', '-r', file, '-q', '-z', 'conv,tcp']);
  const all: Measurement[] = [ours, floor, tcpdumpNn, tshark];
  for (const m of all) process.stdout.write(fmt(m) + '\n');
  const targets: Target[] = [
    { what: 'nettrace / read floor (cpu)', value: ours.cpuSec / floor.cpuSec, limit: 4, unit: 'x' },
    { what: 'nettrace / tcpdump -nn (cpu)', value: ours.cpuSec / tcpdumpNn.cpuSec, limit: 1 / 3, unit: 'x' },
    { what: 'nettrace / tshark conv (cpu)', value: ours.cpuSec / tshark.cpuSec, limit: 1 / 15, unit: 'x' },
    { what: 'nettrace peak RSS', value: ours.maxRssMiB, limit: 150, unit: ' MiB' },
  ];
  for (const t of targets) process.stdout.write(check(t) + '\n');
  // A display filter makes every packet take the layer-by-layer decoder: what that costs, beside
  // tshark doing the same filtering (no target: the issue sets none).
  const filter = 'ip.addr == 10.128.0.0/16 && tcp.port == 8080';
  const filtered = best(
    'nettrace analyze -Y FILTER -o json',
    [node, join(root, 'dist/cli/main.js'), 'analyze', file, '-o', 'json', '-Y', filter],
    2,
  );
  const tsharkY = measure('tshark -Y FILTER', [
    'tshark',
    '-n',
    '-r',
    file,
    '-Y',
    filter,
    '-T',
    'fields',
    '-e',
    'frame.number',
  ]);
  for (const m of [filtered, tsharkY]) process.stdout.write(fmt(m) + '\n');
  process.stdout.write(
    `  info nettrace -Y / nettrace: ${(filtered.cpuSec / ours.cpuSec).toFixed(2)}x, ` +
      `nettrace -Y / tshark -Y: ${(filtered.cpuSec / tsharkY.cpuSec).toFixed(3)}x (filter: ${filter})\n`,
  );
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/analyze-phases.ts'), file], {
    cwd: root,
    stdio: 'inherit',
  });
  return targets.every((t) => t.value <= t.limit);
}

function benchLab(): boolean {
  process.stdout.write('\n## lab up/down\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/lab.ts')], {
    cwd: root,
    stdio: 'inherit',
  });
  return r.status === 0;
}

function benchTopology(): boolean {
  process.stdout.write('\n## inspect and topo on a node with 200 pods\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/topology.ts'), '3'], {
    cwd: root,
    stdio: 'inherit',
  });
  return r.status === 0;
}

function benchScript(title: string, script: string, args: string[] = []): () => boolean {
  return () => {
    process.stdout.write(`\n## ${title}\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, script), ...args], {
      cwd: root,
      stdio: 'inherit',
    });
    return r.status === 0;
  };
}

const BENCHES: Record<string, () => boolean> = {
  analyze: benchAnalyze,
  journey: benchScript('journey: correlation of 3 points x 1,000,000 packets vs analyze', 'bench/journey.ts'),
  lab: benchLab,
  topology: benchTopology,
  trace: () => {
    build();
    return benchScript('trace --icmp on the lab, end to end', 'bench/trace.ts', ['3'])();
  },
};

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(BENCHES);
let allOk = true;
for (const n of names) {
  const b = BENCHES[n];
  if (!b) {
    process.stderr.write(`unknown bench "${n}" (one of ${Object.keys(BENCHES).join(', ')})\n`);
    process.exit(2);
  }
  try {
    allOk = b() && allOk;
  } catch (e) {
    process.stderr.write(`bench ${n} failed: ${(e as Error).message}\n`);
    allOk = false;
  }
}
process.stdout.write(`\n${allOk ? 'all targets met' : 'some targets missed (see MISS above)'}\n`);
