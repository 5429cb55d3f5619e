// The Kubernetes hosts against the test API server in front of a lab: exec over WebSocket
// (v5.channel.k8s.io, and v4) passes the shared Host suite in a node agent's container, on the node
// (chroot /host) and in a pod's network namespace (nsenter --net); a lab container is reached too;
// agents are created once per node, reused, and deleted (also one whose create is still in flight
// when the run ends); a 403 names the missing permission.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Cleanup } from '../../src/cleanup.ts';
import { isNettraceError } from '../../src/errors.ts';
import { hostSuite } from '../../src/hosts/host-suite.ts';
import { KubeExecHost } from '../../src/hosts/kube-exec.ts';
import { AGENT_CONTAINER } from '../../src/kube/agent.ts';
import { KubeClusterView } from '../../src/kube/view.ts';
import { labWithApi } from './fixture.ts';

const NS = 'network-trace';
const DUAL = 'nettools-dual-pod';
const f = labWithApi('h');
const views: KubeClusterView[] = [];
const open = (kubeconfig = f.kubeconfig, extra: { context?: string; agentNamespace?: string } = {}) => {
  const v = new KubeClusterView({ kubeconfig, namespace: NS, agentPollMs: 20, ...extra });
  views.push(v);
  return v;
};
after(async () => {
  for (const v of views) await v.close();
});

hostSuite('kube node host (exec in the agent, chroot /host)', {
  interactive: false,
  make: (log) => {
    const v = open();
    (v as { log: unknown }).log = log;
    return v.nodeHost('worker-0');
  },
});
hostSuite('kube pod network host (nsenter --net in the agent)', {
  interactive: false,
  make: async (log) => {
    const v = open();
    (v as { log: unknown }).log = log;
    return v.podNetHost(await v.pod(NS, DUAL));
  },
});
hostSuite('kube exec host (the agent pod container itself)', {
  interactive: false,
  make: async (log) => {
    const v = open();
    const agent = await v.agents.forNode('worker-1');
    return new KubeExecHost({
      name: `pod/${NS}/${agent}`,
      exec: v.api.exec,
      target: { namespace: NS, pod: agent, container: AGENT_CONTAINER },
      log,
    });
  },
});

describe('kube exec', () => {
  test('a lab container through pods/exec: its own pid namespace, binary stdout, stop()', async () => {
    const v = open();
    const h = v.containerHost(await v.pod(NS, DUAL), 'nettools-container-2');
    const ps = await h.run(['ps', '-e', '-o', 'pid=,comm='], { check: true });
    assert.match(ps.stdout, /^\s*1 sleep$/m, 'pid 1 of the container is its sleep');
    const p = h.spawn(['sleep', '30']);
    const t0 = Date.now();
    await p.stop();
    assert.notEqual(await p.exited, 0);
    assert.ok(Date.now() - t0 < 2500);
    const after = await h.run(['ps', '-e', '-o', 'pid='], { check: true });
    assert.ok(
      !after.stdout
        .split('\n')
        .map((x) => x.trim())
        .includes(String(p.pid)),
      `remote pid ${p.pid} is gone`,
    );
  });

  test('v4.channel.k8s.io: exit codes and stdin still work', async () => {
    const { api, kubeconfig } = await f.extra({ protocol: 'v4.channel.k8s.io' });
    const v = open(kubeconfig);
    const h = v.containerHost(await v.pod(NS, DUAL), 'nettools-container-1');
    assert.equal((await h.run(['sh', '-c', 'exit 5'])).code, 5);
    assert.equal((await h.run(['cat', '/tmp/hello.txt'])).stdout, 'Hello World\n');
    assert.ok(api.requests.some((r) => r.method === 'WS'));
  });

  test('one agent per node, reused, labelled, with a deadline; deleted by close()', async () => {
    const { api, kubeconfig } = await f.extra({});
    const v = open(kubeconfig);
    await Promise.all([
      v.nodeHost('worker-0').run(['true']),
      v.nodeHost('worker-0').run(['true']),
      v.nodeHost('worker-1').run(['true']),
    ]);
    assert.equal(api.creations.length, 2, `created: ${api.creations.join(', ')}`);
    const pod = [...api.created.values()][0] as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    assert.equal(pod.metadata.labels['app.kubernetes.io/managed-by'], 'nettrace');
    assert.equal(pod.spec.hostNetwork, true);
    assert.equal(pod.spec.hostPID, true);
    assert.ok(Number(pod.spec.activeDeadlineSeconds) > 0);
    assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(await v.close(), []);
    assert.equal(api.created.size, 0);
    assert.deepEqual([...api.deleted].sort(), [...api.creations].sort());
  });

  test('403 on pods/exec: the error names pods/exec, the verb and the namespace', async () => {
    const { kubeconfig } = await f.extra({ forbidExec: true });
    const v = open(kubeconfig);
    const pod = await open().pod(NS, DUAL);
    const expect = (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.forbidden');
      assert.match(e.message, /missing permission create pods\/exec in namespace network-trace/);
      return true;
    };
    await assert.rejects(v.containerHost(pod, 'nettools-container-1').run(['true']), expect);
    // Reading a pod runs crictl in the node agent: the same message, not a hang.
    await assert.rejects(v.pod(NS, DUAL), expect);
    const p = v.nodeHost('worker-0').spawn(['tcpdump', '-w', '-']);
    await assert.rejects(p.exited, expect);
  });

  test('privileged agent refused by SCC admission: the message says the privileged SCC is needed', async () => {
    const { kubeconfig } = await f.extra({ forbidPrivileged: true });
    const v = open(kubeconfig);
    await assert.rejects(v.nodeHost('worker-0').run(['true']), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.forbidden');
      assert.match(e.message, /privileged SCC/);
      return true;
    });
    assert.deepEqual(v.agents.live, [], 'nothing was created, nothing to delete');
    assert.deepEqual(await v.close(), []);
  });

  test('Pod Security refuses the privileged agent: the message names --agent-namespace, which works', async () => {
    const { api, kubeconfig } = await f.extra({ podSecurity: { [NS]: 'restricted' } });
    const v = open(kubeconfig);
    await assert.rejects(v.nodeHost('worker-0').run(['true']), (e: unknown) => {
      assert.ok(isNettraceError(e), 'a NettraceError');
      assert.equal(e.code, 'kube.pod-security', e.message);
      assert.match(e.message, /namespace network-trace enforces Pod Security "restricted:latest"/);
      assert.match(e.message, /--agent-namespace NS/);
      assert.doesNotMatch(e.message, /SCC/, 'not the SCC advice: another namespace is the remedy');
      return true;
    });
    assert.deepEqual(v.agents.live, [], 'nothing was created');
    // The remedy: agents in a namespace that admits privileged pods; the pods read stay in -n.
    const [code] = await api.namespaces.request('PATCH', 'nettrace-agents', { metadata: {} }, 'test');
    assert.equal(code, 201, 'agent namespace made');
    const w = open(kubeconfig, { agentNamespace: 'nettrace-agents' });
    const r = await w.nodeHost('worker-0').run(['true']);
    assert.equal(r.code, 0, `ran in the agent: ${r.stderr}`);
    assert.deepEqual(
      api.creations.map((c) => c.split('/')[0]),
      ['nettrace-agents'],
      'the agent was created in --agent-namespace',
    );
    assert.ok(
      (await w.pods()).some((p) => p.namespace === NS),
      'pods still read from -n',
    );
    assert.deepEqual(await w.close(), []);
    assert.equal(api.created.size, 0, 'agent deleted');
  });

  test('an agent whose create is still in flight when the run ends is deleted once it lands', async () => {
    const { api, kubeconfig } = await f.extra({ podCreateDelayMs: 300 });
    const posted = async (n: number) => {
      while (api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')).length < n)
        await new Promise((r) => setTimeout(r, 5));
    };
    // deleteAll (KubeClusterView.close) while the POST is held by the server.
    const v = open(kubeconfig);
    const first = v.agents.forNode('worker-0');
    await posted(1);
    assert.equal(api.created.size, 0, 'not landed yet');
    assert.deepEqual(await v.agents.deleteAll(), []);
    assert.equal(api.creations.length, 1, 'the create landed meanwhile');
    assert.equal(api.created.size, 0, 'and was deleted: no agent left');
    await Promise.allSettled([first]);
    assert.equal(api.created.size, 0, 'still none once the create has given up');
    // The same through the run's Cleanup, as on Ctrl-C.
    const cleanup = new Cleanup();
    const w = new KubeClusterView({ kubeconfig, namespace: NS, agentPollMs: 20, cleanup });
    const second = w.agents.forNode('worker-1');
    await posted(2);
    assert.deepEqual(await cleanup.run(), []);
    assert.equal(api.creations.length, 2);
    assert.equal(api.created.size, 0, 'no agent left after the Cleanup');
    await Promise.allSettled([second]);
    assert.deepEqual(api.deleted.sort(), api.creations.sort());
  });

  test('a create not answered in time: delete reports that the agent may still appear', async () => {
    const { api, kubeconfig } = await f.extra({ podCreateDelayMs: 400 });
    const { AgentPool } = await import('../../src/kube/agent.ts');
    const { KubeApi, loadKubeConfig } = await import('../../src/kube/client.ts');
    const pool = new AgentPool(new KubeApi(loadKubeConfig({ kubeconfig })), {
      namespace: NS,
      pollMs: 20,
      settleTimeoutMs: 50,
    });
    const p = pool.forNode('worker-0');
    while (!api.requests.some((r) => r.method === 'POST')) await new Promise((r) => setTimeout(r, 5));
    const failures = await pool.deleteAll();
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0]!, /its create was not answered after 50 ms, so it may still appear/);
    assert.match(failures[0]!, /nettrace cleanup -n network-trace removes it/);
    // It does appear; the pool still knows it and a second deleteAll removes it.
    await p;
    assert.equal(api.created.size, 1);
    assert.deepEqual(await pool.deleteAll(), []);
    assert.equal(api.created.size, 0);
  });

  test('a wrong token is 401: the message says to log in again; --context picks the user', async () => {
    const v = open(f.kubeconfig, { context: 'bad-token' });
    await assert.rejects(v.nodes(), /not logged in or the token expired/);
    assert.throws(
      () => open(f.kubeconfig, { context: 'nope' }),
      /no context nope in kubeconfig .* \(contexts: fake-ctx, bad-token\)/,
    );
  });
});

describe('cleanup through the API', () => {
  test('cleanup deletes agents a run left behind (label selector, every namespace)', async () => {
    const { api, kubeconfig } = await f.extra({});
    const v = new KubeClusterView({ kubeconfig, namespace: NS, agentPollMs: 20 });
    await v.agents.forNode('worker-0');
    await v.agents.forNode('worker-1');
    assert.equal(api.created.size, 2);
    const { deleteLeftoverAgents } = await import('../../src/kube/agent.ts');
    const { KubeApi, loadKubeConfig } = await import('../../src/kube/client.ts');
    const gone = await deleteLeftoverAgents(new KubeApi(loadKubeConfig({ kubeconfig })));
    assert.equal(gone.length, 2);
    assert.equal(api.created.size, 0);
    assert.ok(
      api.requests.some((r) => r.path === '/api/v1/pods'),
      'listed across namespaces',
    );
  });

  test('nettrace cleanup (CLI)', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', `${root}src/cli/main.ts`, ...args], {
        cwd: root,
        encoding: 'utf8',
      });
    const { api, kubeconfig } = await f.extra({});
    const v = new KubeClusterView({ kubeconfig, namespace: NS, agentPollMs: 20 });
    await v.agents.forNode('worker-1');
    const r = await cli('cleanup', '--kubeconfig', kubeconfig);
    assert.match(r.stdout, /^deleted pod network-trace\/nettrace-agent-worker-1-[0-9a-f]{6}\n$/);
    assert.equal(api.created.size, 0);
    assert.equal((await cli('cleanup', '--kubeconfig', kubeconfig)).stdout, 'no nettrace agent pods left\n');
  });
});
