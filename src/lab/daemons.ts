// Starting a self-daemonizing OVS/OVN daemon inside a lab namespace: its pidfile goes into the state
// before it starts, its pid (with start time) right after `--detach` returned, i.e. once it is ready.
import { readFile } from 'node:fs/promises';
import { NettraceError } from '../errors.ts';
import type { NetnsHost } from '../hosts/netns.ts';
import { checkAborted, type LabContext } from './context.ts';
import { processRef } from './state.ts';

export async function startDaemon(
  ctx: LabContext,
  host: NetnsHost,
  netns: string,
  name: string,
  pidfile: string,
  argv: string[],
): Promise<number> {
  checkAborted(ctx);
  ctx.store.add({ kind: 'daemon', name, netns, pidfile });
  await host.run([...argv, `--pidfile=${pidfile}`, '--detach', '--no-chdir'], {
    check: true,
    timeoutMs: 15_000,
  });
  const pid = Number((await readFile(pidfile, 'utf8')).trim());
  const ref = Number.isInteger(pid) && pid > 0 ? processRef(pid) : undefined;
  if (!ref)
    throw new NettraceError(
      'lab.daemon-died',
      `${name} in ${netns} exited right after starting (see its log)`,
    );
  ctx.store.update((s) => {
    const r = s.resources.find((x) => x.kind === 'daemon' && x.pidfile === pidfile);
    if (r && r.kind === 'daemon') Object.assign(r, ref);
  });
  return pid;
}
