// `node --import tsx bench/trace.ts [ROUNDS]`: one `nettrace trace --icmp` on the lab, end to end
// (a CLI process: discovery, tcpdump at every point, 3 pings, bundle, correlation, report),
// against the 5 s target. Builds its own lab instance (own prefix and state dir) and removes it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { upLab } from '../src/lab/builder.ts';
import { defaultSpec } from '../src/lab/spec.ts';
import { StateStore } from '../src/lab/state.ts';
import { teardown } from '../src/lab/teardown.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 3);
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/trace.ts builds a lab: run it as root\n');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'nettrace-bench-trace-'));
const stateDir = join(work, 'lab');
const cli = join(root, 'dist', 'cli', 'main.js');
let ok = true;
try {
  await upLab({ spec: defaultSpec({ prefix: `ntb${process.pid}` }), stateDir });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'trace',
        'pod/nettools-dual-pod',
        '203.0.113.10',
        '--icmp',
        '--state-dir',
        stateDir,
        '--out',
        join(work, `t${i}`),
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`trace failed: ${r.stderr}`);
    const journeys = (JSON.parse(r.stdout) as { journeys: unknown[] }).journeys.length;
    times.push(ms);
    process.stdout.write(`  round ${i + 1}: ${(ms / 1000).toFixed(2)} s wall, ${journeys} journeys\n`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  ok = median <= 5000;
  process.stdout.write(
    `  ${ok ? 'ok  ' : 'MISS'} trace --icmp end to end: median ${(median / 1000).toFixed(2)} s, min ${(times[0]! / 1000).toFixed(2)} s (target <= 5 s)\n`,
  );
} finally {
  const store = new StateStore(stateDir);
  if (store.load()) await teardown(store);
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
