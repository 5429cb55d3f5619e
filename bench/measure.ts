// Measures a command's CPU time (user + sys) and peak RSS. Node's spawn gives neither, so a tiny
// python3 wrapper runs the command and reads getrusage(RUSAGE_CHILDREN), which covers exactly
// that one child and its descendants.
import { spawnSync } from 'node:child_process';

export interface Measurement {
  name: string;
  argv: string[];
  userSec: number;
  sysSec: number;
  cpuSec: number;
  wallSec: number;
  maxRssMiB: number;
  code: number;
}

const WRAPPER = `
import json, resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
w = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(r.stderr.decode('utf-8', 'replace')[-2000:] if r.returncode else '')
print(json.dumps({"user": u.ru_utime, "sys": u.ru_stime, "maxrss_kib": u.ru_maxrss, "wall": w, "code": r.returncode}))
`;

export function measure(name: string, argv: string[], env?: NodeJS.ProcessEnv): Measurement {
  const r = spawnSync('python3', ['-c', WRAPPER, ...argv], { encoding: 'utf8', env: env ?? process.env });
  if (r.status !== 0 || !r.stdout) {
    throw new Error(`could not measure ${name}: ${r.stderr || r.error?.message}`);
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    user: number;
    sys: number;
    maxrss_kib: number;
    wall: number;
    code: number;
  };
  if (j.code !== 0) throw new Error(`${name} exited with ${j.code}: ${r.stderr.slice(-500)}`);
  return {
    name,
    argv,
    userSec: j.user,
    sysSec: j.sys,
    cpuSec: j.user + j.sys,
    wallSec: j.wall,
    maxRssMiB: j.maxrss_kib / 1024,
    code: j.code,
  };
}

/** The run with the least CPU time of `n` (the machine is shared and noisy: the minimum is the signal). */
export function best(name: string, argv: string[], n: number, env?: NodeJS.ProcessEnv): Measurement {
  let b: Measurement | undefined;
  for (let i = 0; i < n; i++) {
    const m = measure(name, argv, env);
    if (!b || m.cpuSec < b.cpuSec) b = m;
  }
  return b!;
}

export function fmt(m: Measurement): string {
  return `${m.name.padEnd(34)} cpu ${m.cpuSec.toFixed(2).padStart(6)} s (user ${m.userSec.toFixed(2)} sys ${m.sysSec.toFixed(2)})  wall ${m.wallSec.toFixed(2).padStart(6)} s  peak RSS ${m.maxRssMiB.toFixed(0).padStart(5)} MiB`;
}
