// `nettrace inspect` and `nettrace topo` on a lab node carrying 200 pods, end to end as CLI
// processes (target: at most 2 s each). `node --import tsx bench/topology.ts [ROUNDS]` (root).
// Builds its own lab (own prefix and state dir, so a lab that is up is left alone), adds bench pods
// to worker-0 until it carries 200 (the lab's own included), measures, and tears everything down.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addBenchPods } from '../src/lab/bench-pods.ts';
import { upLab } from '../src/lab/builder.ts';
import { Lab } from '../src/lab/lab.ts';
import { defaultSpec } from '../src/lab/spec.ts';
import { StateStore } from '../src/lab/state.ts';
import { teardown } from '../src/lab/teardown.ts';

const TARGET_MS = 2000;
const rounds = Number(process.argv[2] ?? 3);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/topology.ts builds the lab: run it as root\n');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'nettrace-topobench-'));
const stateDir = join(work, 'lab');
const spec = defaultSpec({ prefix: `ntp${process.pid}` });

interface Run {
  ms: number;
  stdout: string;
}

function cli(args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args, '--state-dir', stateDir],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nettrace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

let ok = true;
try {
  const up = await upLab({ spec, stateDir });
  const lab = Lab.open({ stateDir });
  const own = lab.pods().filter((p) => p.node === 'worker-0').length;
  const added = await addBenchPods(lab, 200 - own, { node: 'worker-0' });
  const onNode = Object.values(Lab.open({ stateDir }).state.pods ?? {}).filter((p) => p.node === 'worker-0');
  process.stdout.write(
    `lab up in ${(up.durationMs / 1000).toFixed(2)} s; ${added.pods.length} bench pods added in ` +
      `${(added.durationMs / 1000).toFixed(2)} s: worker-0 carries ${onNode.length} pods\n`,
  );
  // Sanity: the measured commands really see 200 pod ports and the pod's veth.
  const topo = JSON.parse(cli(['topo', 'node/worker-0', '-o', 'json']).stdout) as {
    nodes: { bridges: { name: string; ports: { role: string }[] }[] }[];
  };
  const podPorts = topo.nodes[0]!.bridges.flatMap((b) => b.ports).filter((p) => p.role === 'pod').length;
  const insp = JSON.parse(cli(['inspect', 'pod/nettools-dual-pod', '-o', 'json']).stdout) as {
    hostVeth: { ofport?: number } | null;
  };
  process.stdout.write(
    `topo sees ${podPorts} pod ports on worker-0; inspect found ofport ${insp.hostVeth?.ofport}\n`,
  );
  if (podPorts !== onNode.length || !insp.hostVeth) {
    process.stdout.write('MISS the commands do not see what the bench built\n');
    ok = false;
  }

  const cases: [string, string[]][] = [
    ['inspect pod/nettools-dual-pod', ['inspect', 'pod/nettools-dual-pod']],
    ['inspect ... --to svc/static-server', ['inspect', 'pod/nettools-dual-pod', '--to', 'svc/static-server']],
    ['topo node/worker-0', ['topo', 'node/worker-0']],
    ['topo node/worker-0 -o json', ['topo', 'node/worker-0', '-o', 'json']],
  ];
  const floor = stats(Array.from({ length: rounds }, () => cli(['--version']).ms));
  process.stdout.write(
    `\nnode + tsx start-up floor (nettrace --version): median ${floor.median.toFixed(0)} ms\n`,
  );
  for (const [what, args] of cases) {
    const s = stats(Array.from({ length: rounds }, () => cli(args).ms));
    const hit = s.max <= TARGET_MS;
    ok &&= hit;
    process.stdout.write(
      `  ${hit ? 'ok  ' : 'MISS'} ${what}: min ${s.min.toFixed(0)} ms, median ${s.median.toFixed(0)} ms, ` +
        `max ${s.max.toFixed(0)} ms (target <= ${TARGET_MS} ms)\n`,
    );
  }
} finally {
  const store = new StateStore(stateDir);
  if (store.load()) {
    const down = await teardown(store);
    process.stdout.write(
      `\nlab down in ${(down.durationMs / 1000).toFixed(2)} s (${down.namespaces.length} namespaces)` +
        `${down.warnings.length ? `; warnings: ${down.warnings.join('; ')}` : ''}\n`,
    );
  }
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
