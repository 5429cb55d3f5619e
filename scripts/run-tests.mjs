#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's own test runner (tsx for TypeScript).
// Node 20's --test does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [PATH-PREFIX...]   (e.g. src/pcap src/decode/dns.test.ts)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
for (const top of ['src', 'test']) {
  try {
    walk(join(root, top));
  } catch {}
}
const prefixes = process.argv.slice(2);
const chosen = files.sort().filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)));
if (chosen.length === 0) {
  console.error(`no test files match ${prefixes.join(' ') || 'src/ test/'}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...chosen], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
