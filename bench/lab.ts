// Lab build and teardown times: `node --import tsx bench/lab.ts [ROUNDS]` (root). Uses its own
// namespace prefix and state dir, so a lab that is already up is left alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upLab } from '../src/lab/builder.ts';
import { defaultSpec } from '../src/lab/spec.ts';
import { StateStore } from '../src/lab/state.ts';
import { teardown } from '../src/lab/teardown.ts';

const rounds = Number(process.argv[2] ?? 3);
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/lab.ts builds the lab: run it as root\n');
  process.exit(1);
}
const root = mkdtempSync(join(tmpdir(), 'nettrace-bench-'));
const spec = defaultSpec({ prefix: `ntb${process.pid}` });
const ups: number[] = [];
const downs: number[] = [];
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${(s[0]! / 1000).toFixed(2)} s, median ${(s[Math.floor(s.length / 2)]! / 1000).toFixed(2)} s`;
};
try {
  for (let i = 1; i <= rounds; i++) {
    const stateDir = join(root, `round-${i}`);
    const up = await upLab({ spec, stateDir });
    const store = new StateStore(stateDir);
    store.load();
    const down = await teardown(store);
    ups.push(up.durationMs);
    downs.push(down.durationMs);
    process.stdout.write(
      `round ${i}: up ${(up.durationMs / 1000).toFixed(2)} s, down ${(down.durationMs / 1000).toFixed(2)} s` +
        `${up.warnings.length ? ` (warnings: ${up.warnings.join('; ')})` : ''}\n`,
    );
  }
  process.stdout.write(`lab up:   ${stats(ups)} (limit 10 s)\nlab down: ${stats(downs)} (limit 3 s)\n`);
} finally {
  // A round that failed half-way has already torn itself down; this catches an interrupted down.
  const store = new StateStore(join(root, `round-${ups.length + 1}`));
  if (store.load()) await teardown(store);
  rmSync(root, { recursive: true, force: true });
}
