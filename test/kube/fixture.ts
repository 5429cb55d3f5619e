// One lab (own prefix and state dir) and one test API server in front of it, for a test file;
// torn down after, even when a test fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { upLab } from '../../src/lab/builder.ts';
import { defaultSpec } from '../../src/lab/spec.ts';
import { StateStore } from '../../src/lab/state.ts';
import { teardown } from '../../src/lab/teardown.ts';
import { type FakeApiOptions, FakeKubeApi } from '../kube-api/server.ts';

export interface Fixture {
  work: string;
  stateDir: string;
  prefix: string;
  kubeconfig: string;
  api: FakeKubeApi;
  /** Another server on the same lab, with other options; stopped after the file. */
  extra(opts: Omit<FakeApiOptions, 'stateDir'>): Promise<{ api: FakeKubeApi; kubeconfig: string }>;
}

export function labWithApi(tag: string): Fixture {
  const work = mkdtempSync(join(tmpdir(), `nettrace-kube-${tag}-`));
  const prefix = `nk${tag}${process.pid}`.slice(0, 12);
  const f = {
    work,
    stateDir: join(work, 'lab'),
    prefix,
    kubeconfig: join(work, 'kubeconfig'),
  } as Fixture;
  const servers: FakeKubeApi[] = [];
  let n = 0;
  f.extra = async (opts) => {
    const api = new FakeKubeApi({ ...opts, stateDir: f.stateDir });
    await api.start();
    servers.push(api);
    const kubeconfig = join(work, `kubeconfig-${++n}`);
    api.writeKubeconfig(kubeconfig);
    return { api, kubeconfig };
  };
  before(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('test/kube builds the lab and needs root: run the tests as root');
    await upLab({ spec: defaultSpec({ prefix }), stateDir: f.stateDir });
    f.api = new FakeKubeApi({ stateDir: f.stateDir });
    await f.api.start();
    servers.push(f.api);
    f.api.writeKubeconfig(f.kubeconfig);
  });
  after(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    const store = new StateStore(f.stateDir);
    if (store.load()) await teardown(store);
    rmSync(work, { recursive: true, force: true });
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith(`${prefix}-`));
    if (left.length) throw new Error(`lab namespaces left behind: ${left.join(', ')}`);
  });
  return f;
}
