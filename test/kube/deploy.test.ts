// `nettrace lab deploy | undeploy` through client-node against the test API server in front of a lab:
// server-side apply of every lab object (Routes only where route.openshift.io is served); a missing
// namespace is created (POST), labelled, and removed again by undeploy; a namespace someone else
// made — before deploy, or between its read and its create — is neither labelled nor deleted;
// undeploy deletes a namespace only when it holds no other pods and is still the one it read
// (preconditions); a refused namespace creation or read says what to do; a Pod Security refusal of
// the lab pod says what the namespace needs; the CLI prints each line as it is done; --dry-run lists
// the namespace calls. The server refuses objects in a namespace that does not exist, as a cluster
// does, so a deploy that forgot the namespace fails here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PatchStrategy } from '@kubernetes/client-node';
import { isNettraceError } from '../../src/errors.ts';
import { AgentPool } from '../../src/kube/agent.ts';
import { KubeApi, loadKubeConfig } from '../../src/kube/client.ts';
import { deployLab, undeployLab } from '../../src/kube/deploy.ts';
import { callsFor, dryRunText, rulesFor } from '../../src/kube/rbac.ts';
import type { FakeKubeApi } from '../kube-api/server.ts';
import { labWithApi } from './fixture.ts';

const NS = 'network-trace';
const MANAGED = 'app.kubernetes.io/managed-by';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const f = labWithApi('d');
const apiOf = (kubeconfig: string) => new KubeApi(loadKubeConfig({ kubeconfig }));

const cli = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, encoding: 'utf8' },
    );
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout: string; stderr: string };
    return { status: x.code ?? 1, stdout: x.stdout, stderr: x.stderr };
  }
};

const labels = async (api: FakeKubeApi, ns: string) =>
  ((await api.namespaces.get(ns))?.metadata as { labels?: Record<string, string> } | undefined)?.labels;

const uidOf = async (api: FakeKubeApi, ns: string) =>
  ((await api.namespaces.get(ns))?.metadata as { uid?: string } | undefined)?.uid;

/** The lab objects' paths in NS, as server-side apply writes them. */
const objectPaths = (ns: string, routes: string[]) =>
  [
    `/api/v1/namespaces/${ns}/configmaps/nginx-config`,
    `/api/v1/namespaces/${ns}/configmaps/static-content`,
    `/api/v1/namespaces/${ns}/pods/nettools-dual-pod`,
    `/api/v1/namespaces/${ns}/services/static-server`,
    `/apis/apps/v1/namespaces/${ns}/deployments/static-server`,
    ...routes.map((r) => `/apis/route.openshift.io/v1/namespaces/${ns}/routes/${r.slice('route/'.length)}`),
  ].sort();

describe('lab deploy/undeploy: the objects', () => {
  test('server-side apply of every lab object; Routes only where route.openshift.io is served', async () => {
    const { api: ocp, kubeconfig: ocpConfig } = await f.extra({ openshift: true });
    const plain = await f.extra({});
    const onPlain = await deployLab(apiOf(plain.kubeconfig), { image: 'example/nettools:1' });
    assert.equal(onPlain.routes, false);
    assert.ok(!onPlain.applied.some((a) => a.startsWith('route/')));
    const onOcp = await deployLab(apiOf(ocpConfig), {});
    assert.equal(onOcp.routes, true);
    const routes = onOcp.applied.filter((a) => a.startsWith('route/'));
    assert.ok(routes.length >= 1);
    assert.deepEqual([...ocp.applied.keys()].sort(), objectPaths(NS, routes));
    assert.ok(ocp.applyManagers.every((m) => m === 'nettrace'));
    const undo = await undeployLab(apiOf(ocpConfig), {});
    assert.equal(undo.deleted.length, onOcp.applied.length);
    assert.equal(ocp.applied.size, 0);
  });

  test('the manifests keep their image option: --image reaches the dual pod', async () => {
    const { api, kubeconfig } = await f.extra({});
    await deployLab(apiOf(kubeconfig), { image: 'example/nettools:1' });
    const pod = api.applied.get(`/api/v1/namespaces/${NS}/pods/nettools-dual-pod`) as {
      spec: { containers: { image: string }[] };
    };
    assert.ok(pod.spec.containers.every((c) => c.image === 'example/nettools:1'));
  });
});

describe('lab deploy/undeploy: the namespace', () => {
  test('a new namespace is made first, labelled managed-by=nettrace; undeploy deletes objects and it', async () => {
    const { api, kubeconfig } = await f.extra({ openshift: true });
    const ns = 'nt-fresh';
    assert.equal(await api.namespaces.get(ns), undefined);
    // The server refuses objects in a missing namespace, so deploy can only succeed by making it.
    const k = apiOf(kubeconfig);
    await assert.rejects(
      k.call('patch', 'configmaps/probe', ns, () =>
        k.objects.patch(
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace: ns } },
          undefined,
          undefined,
          'nettrace',
          true,
          PatchStrategy.ServerSideApply,
        ),
      ),
      /namespaces "nt-fresh" not found/,
    );
    const mark = api.requests.length;
    const r = await deployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(r.namespaceCreated, true);
    assert.equal((await labels(api, ns))?.[MANAGED], 'nettrace');
    const routes = r.applied.filter((a) => a.startsWith('route/'));
    assert.deepEqual([...api.applied.keys()].sort(), objectPaths(ns, routes));
    const writes = api.requests
      .slice(mark)
      .filter((q) => q.method === 'PATCH' || q.method === 'POST')
      .map((q) => `${q.method} ${q.path}`);
    assert.equal(writes[0], 'POST /api/v1/namespaces', 'the namespace, created, before any object');
    assert.equal(writes.filter((w) => w === 'POST /api/v1/namespaces').length, 1);
    assert.ok(!writes.includes(`PATCH /api/v1/namespaces/${ns}`), 'never applied to: it is created');
    assert.ok(api.applyManagers.every((m) => m === 'nettrace'));

    // Re-running converges and leaves the namespace alone.
    const again = await deployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(again.namespaceCreated, false);
    assert.equal(
      api.requests.filter((q) => q.method === 'POST' && q.path === '/api/v1/namespaces').length,
      1,
    );
    assert.ok(!api.requests.some((q) => q.path === `/api/v1/namespaces/${ns}` && q.method === 'PATCH'));

    const undo = await undeployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(undo.namespace, 'deleted');
    assert.deepEqual(undo.deleted.sort(), [...r.applied].sort());
    assert.deepEqual(undo.absent, []);
    assert.equal(api.applied.size, 0);
    assert.equal(await api.namespaces.get(ns), undefined);
    const deletes = api.requests.filter((q) => q.method === 'DELETE').map((q) => q.path);
    assert.equal(deletes.at(-1), `/api/v1/namespaces/${ns}`, 'the namespace after the objects');

    // Nothing left: a second undeploy finds neither objects nor namespace.
    const twice = await undeployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(twice.namespace, 'absent');
    assert.deepEqual(twice.deleted, []);
    assert.equal(twice.absent.length, r.applied.length);
  });

  test('an existing namespace the user made is not labelled, and undeploy keeps it', async () => {
    const { api, kubeconfig } = await f.extra({});
    const before = structuredClone(await labels(api, NS));
    assert.ok(before, 'the lab namespace exists from the start');
    assert.equal(before[MANAGED], undefined);
    const r = await deployLab(apiOf(kubeconfig), { namespace: NS });
    assert.equal(r.namespaceCreated, false);
    assert.ok(!api.requests.some((q) => q.method === 'PATCH' && q.path === `/api/v1/namespaces/${NS}`));
    assert.ok(!api.requests.some((q) => q.method === 'POST' && q.path === '/api/v1/namespaces'));
    assert.deepEqual(await labels(api, NS), before);
    const undo = await undeployLab(apiOf(kubeconfig), { namespace: NS });
    assert.equal(undo.namespace, 'kept');
    assert.equal(undo.keptBecause, 'not made by nettrace');
    assert.equal(undo.deleted.length, r.applied.length);
    assert.equal(api.applied.size, 0);
    assert.ok(await api.namespaces.get(NS), 'still there');
    assert.ok(!api.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${NS}`));
  });

  test('403 on creating the namespace: says it is missing and what to do; nothing is applied', async () => {
    const { api, kubeconfig } = await f.extra({ forbidNamespaceCreate: true });
    const ns = 'nt-denied';
    await assert.rejects(deployLab(apiOf(kubeconfig), { namespace: ns }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.forbidden');
      assert.equal(
        e.message,
        'namespace nt-denied does not exist and you may not create it: create it first (oc new-project nt-denied, or kubectl create namespace nt-denied) or ask for create on namespaces',
      );
      return true;
    });
    assert.equal(api.applied.size, 0);
    assert.equal(await api.namespaces.get(ns), undefined);
    // An existing namespace needs no create: the same refusal does not stop a deploy into it.
    const ok = await deployLab(apiOf(kubeconfig), { namespace: NS });
    assert.equal(ok.namespaceCreated, false);
    assert.ok(api.applied.size >= 5);
  });

  test('403 on reading the namespace: deploy says what to do; undeploy deletes the objects and keeps it', async () => {
    const { api, kubeconfig } = await f.extra({});
    const ns = 'nt-hidden';
    const r = await deployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(r.namespaceCreated, true);
    // From now on the user may not read namespaces (Kubernetes answers 403, not 404).
    api.o.forbidNamespaceGet = true;
    const writes = () => api.requests.filter((q) => q.method !== 'GET').length;
    const n = writes();
    await assert.rejects(deployLab(apiOf(kubeconfig), { namespace: 'nt-unseen' }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.forbidden');
      assert.match(e.message, /^you may not read namespace nt-unseen \(get namespaces\)/);
      assert.match(e.message, /oc new-project nt-unseen, or kubectl create namespace nt-unseen/);
      return true;
    });
    assert.equal(writes(), n, 'deploy changed nothing');
    // Undeploy needs only delete on the objects: it deletes them, and keeps the namespace it may not read.
    const undo = await undeployLab(apiOf(kubeconfig), { namespace: ns });
    assert.deepEqual(undo.deleted.sort(), [...r.applied].sort());
    assert.equal(undo.namespace, 'kept');
    assert.equal(undo.keptBecause, 'you may not read it');
    assert.equal(api.applied.size, 0);
    assert.ok(await api.namespaces.get(ns), 'still there');
    assert.ok(!api.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`));
  });

  test("a namespace someone makes between deploy's read and its create: not ours, untouched, kept", async () => {
    const ns = 'nt-race';
    let raced = 0;
    const { api, kubeconfig } = await f.extra({
      // Someone else creates it right after deploy's GET answered 404.
      afterNamespaceGet: (name, status, store) => {
        if (name === ns && status === 404 && raced++ === 0) store.make(ns, { owner: 'someone-else' });
      },
    });
    assert.equal(await api.namespaces.get(ns), undefined, 'missing before deploy');
    const r = await deployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(raced, 1, 'the GET answered 404, then the namespace appeared');
    assert.equal(r.namespaceCreated, false, 'the create got 409: not created by us');
    assert.deepEqual(await labels(api, ns), { owner: 'someone-else', 'kubernetes.io/metadata.name': ns });
    assert.ok(!api.requests.some((q) => q.method === 'PATCH' && q.path === `/api/v1/namespaces/${ns}`));
    assert.ok(r.applied.length >= 5, 'the objects go into their namespace, used as it is');
    const undo = await undeployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal(undo.namespace, 'kept');
    assert.equal(undo.keptBecause, 'not made by nettrace');
    assert.ok(await api.namespaces.get(ns), 'their namespace stays');
    assert.ok(!api.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`));
  });

  test("undeploy keeps a namespace holding other pods; the lab's pods and nettrace agents do not count", async () => {
    const { api, kubeconfig } = await f.extra({});
    const ns = 'nt-busy';
    const k = apiOf(kubeconfig);
    await deployLab(k, { namespace: ns });
    const pod = (name: string, meta: Record<string, unknown> = {}) =>
      k.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, ...meta },
          spec: { nodeName: 'worker-0', containers: [{ name: 'c', image: 'x' }] },
        },
      });
    // A pod of the lab Deployment that garbage collection has not removed yet, a node agent, and a
    // pod someone else put there.
    await pod('static-server-5d8f9c7b6d-x2k4q', {
      labels: { app: 'static-server' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'static-server-5d8f9c7b6d',
          uid: 'u1',
          controller: true,
        },
      ],
    });
    const agents = new AgentPool(k, { namespace: ns, pollMs: 20 });
    await agents.forNode('worker-0');
    await pod('user-db', { labels: { app: 'static-server' } });
    const undo = await undeployLab(k, { namespace: ns });
    assert.equal(undo.namespace, 'kept');
    assert.equal(undo.keptBecause, 'it holds other pods: user-db');
    assert.deepEqual(undo.otherPods, ['user-db']);
    assert.ok(await api.namespaces.get(ns), 'still there');
    assert.ok(!api.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`));
    assert.ok(api.created.has(`${ns}/user-db`), 'their pod is untouched');
    // Once their pod is gone, what is left is ours: the namespace goes, and the agent with it.
    await k.core.deleteNamespacedPod({ name: 'user-db', namespace: ns });
    assert.equal((await undeployLab(k, { namespace: ns })).namespace, 'deleted');
    assert.equal(await api.namespaces.get(ns), undefined);
    assert.deepEqual(await agents.deleteAll(), []);
  });

  test('undeploy deletes only the namespace it read: one made again or changed meanwhile is kept', async () => {
    const swapped = 'nt-swap';
    const relabelled = 'nt-relabel';
    let armed = false;
    const { api, kubeconfig } = await f.extra({
      afterNamespaceGet: (name, status, store) => {
        if (!armed || status !== 200) return;
        // Right after undeploy read it: someone deletes and makes it again (same labels, new uid),
        // or changes it (new resourceVersion).
        if (name === swapped) store.replace(name);
        if (name === relabelled) store.relabel(name, { team: 'payments' });
      },
    });
    await deployLab(apiOf(kubeconfig), { namespace: swapped });
    await deployLab(apiOf(kubeconfig), { namespace: relabelled });
    const uid = await uidOf(api, swapped);
    assert.ok(uid);
    armed = true;
    for (const ns of [swapped, relabelled]) {
      const undo = await undeployLab(apiOf(kubeconfig), { namespace: ns });
      assert.equal(undo.namespace, 'kept', ns);
      assert.equal(undo.keptBecause, 'it changed after undeploy read it: not deleted');
      const now = await api.namespaces.get(ns);
      assert.ok(now, `${ns} is still there`);
      assert.equal((now.status as { phase: string }).phase, 'Active');
      assert.ok(
        api.requests.some((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`),
        'the delete was tried, with preconditions the server refused',
      );
    }
    assert.notEqual(await uidOf(api, swapped), uid, 'made again: another uid');
    assert.equal((await labels(api, relabelled))?.team, 'payments');
  });

  test('a namespace still Terminating: deploy says to wait; undeploy does not delete it twice', async () => {
    const { api, kubeconfig } = await f.extra({ namespaceDeletionMs: 60_000 });
    const ns = 'nt-slow';
    await deployLab(apiOf(kubeconfig), { namespace: ns });
    assert.equal((await undeployLab(apiOf(kubeconfig), { namespace: ns })).namespace, 'deleted');
    assert.equal(
      ((await api.namespaces.get(ns))?.status as { phase?: string } | undefined)?.phase,
      'Terminating',
    );
    await assert.rejects(deployLab(apiOf(kubeconfig), { namespace: ns }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.namespace-terminating');
      assert.match(e.message, /namespace nt-slow is being deleted \(Terminating\): wait until it is gone/);
      return true;
    });
    const n = api.requests.filter(
      (q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`,
    ).length;
    assert.equal((await undeployLab(apiOf(kubeconfig), { namespace: ns })).namespace, 'terminating');
    assert.equal(
      api.requests.filter((q) => q.method === 'DELETE' && q.path === `/api/v1/namespaces/${ns}`).length,
      n,
    );
  });
});

describe('lab deploy/undeploy through the CLI', () => {
  test('a new namespace: "namespace/NS created" first, "namespace/NS deleted" last', async () => {
    const { api, kubeconfig } = await f.extra({ openshift: true });
    const d = await cli(
      'lab',
      'deploy',
      '-n',
      'nt-cli',
      '--kubeconfig',
      kubeconfig,
      '--image',
      'example/nt:2',
    );
    assert.equal(d.status, 0, d.stderr);
    const lines = d.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'namespace/nt-cli created');
    assert.ok(lines.includes('pod/nettools-dual-pod serverside-applied'));
    assert.match(d.stdout, /^route\/.* serverside-applied$/m);
    assert.equal((await labels(api, 'nt-cli'))?.[MANAGED], 'nettrace');
    const u = await cli('lab', 'undeploy', '-n', 'nt-cli', '--kubeconfig', kubeconfig);
    assert.equal(u.status, 0, u.stderr);
    assert.match(u.stdout, /^deployment\/static-server deleted$/m);
    assert.equal(u.stdout.trimEnd().split('\n').at(-1), 'namespace/nt-cli deleted');
    assert.equal(api.applied.size, 0);
    assert.equal(await api.namespaces.get('nt-cli'), undefined);
  });

  test('an existing namespace: no namespace line on deploy; undeploy says it is kept', async () => {
    const { api, kubeconfig } = await f.extra({});
    const d = await cli('lab', 'deploy', '--kubeconfig', kubeconfig);
    assert.equal(d.status, 0, d.stderr);
    assert.doesNotMatch(d.stdout, /^namespace\//m);
    assert.match(d.stdout, /^no route\.openshift\.io on this cluster: Routes skipped$/m);
    const u = await cli('lab', 'undeploy', '--kubeconfig', kubeconfig);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(u.stdout.trimEnd().split('\n').at(-1), `namespace/${NS} kept (not made by nettrace)`);
    assert.ok(await api.namespaces.get(NS));
  });

  test('403 on the namespace: exit 1 and the message on stderr, nothing applied', async () => {
    const { api, kubeconfig } = await f.extra({ forbidNamespaceCreate: true });
    const d = await cli('lab', 'deploy', '-n', 'nt-no', '--kubeconfig', kubeconfig);
    assert.equal(d.status, 1);
    assert.equal(d.stdout, '');
    assert.match(
      d.stderr,
      /^nettrace: namespace nt-no does not exist and you may not create it: create it first \(oc new-project nt-no, or kubectl create namespace nt-no\) or ask for create on namespaces$/m,
    );
    assert.equal(api.applied.size, 0);
  });

  test('Pod Security refuses the privileged lab pod: each line done is printed, and the message says what the namespace needs', async () => {
    const { api, kubeconfig } = await f.extra({ podSecurity: { 'nt-psa': 'restricted' } });
    const d = await cli('lab', 'deploy', '-n', 'nt-psa', '--kubeconfig', kubeconfig);
    assert.equal(d.status, 1);
    // What was done before the refusal is on stdout, in order; the pod is not.
    assert.deepEqual(d.stdout.trimEnd().split('\n'), [
      'namespace/nt-psa created',
      'configmap/static-content serverside-applied',
      'configmap/nginx-config serverside-applied',
      'deployment/static-server serverside-applied',
      'service/static-server serverside-applied',
    ]);
    const msg = d.stderr.replace(/\s+/g, ' ');
    assert.match(
      msg,
      /namespace nt-psa enforces Pod Security "restricted:latest" and refused pod\/nettools-dual-pod: pod\/nettools-dual-pod is privileged/,
    );
    assert.match(
      msg,
      /must admit privileged pods: label it pod-security\.kubernetes\.io\/enforce=privileged/,
    );
    assert.match(msg, /namespace nt-psa was created by this deploy; undeploy removes it/);
    assert.match(
      msg,
      /containers "nettools-container-1", "nettools-container-2" must not set securityContext\.privileged=true/,
    );
    assert.doesNotMatch(msg, /agent/, 'not the node agent advice');
    assert.ok(!api.applied.has('/api/v1/namespaces/nt-psa/pods/nettools-dual-pod'));
    // As it says: undeploy removes what was done, namespace included.
    const undo = await undeployLab(apiOf(kubeconfig), { namespace: 'nt-psa' });
    assert.equal(undo.namespace, 'deleted');
    assert.equal(api.applied.size, 0);
  });

  test('Pod Security in an existing namespace: the same advice, without "created by this deploy"', async () => {
    const { kubeconfig } = await f.extra({ podSecurity: { [NS]: 'baseline' } });
    await assert.rejects(deployLab(apiOf(kubeconfig), { namespace: NS }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'kube.pod-security');
      assert.match(e.message, /namespace network-trace enforces Pod Security "baseline:latest"/);
      assert.match(
        e.message,
        /kubectl label namespace network-trace pod-security\.kubernetes\.io\/enforce=privileged/,
      );
      assert.doesNotMatch(e.message, /created by this deploy/);
      assert.doesNotMatch(e.message, /agent/);
      return true;
    });
  });

  test('undeploy of a namespace holding another pod: the last line names it', async () => {
    const { api, kubeconfig } = await f.extra({});
    const k = apiOf(kubeconfig);
    await deployLab(k, { namespace: 'nt-cli-busy' });
    await k.core.createNamespacedPod({
      namespace: 'nt-cli-busy',
      body: { metadata: { name: 'user-db' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    const u = await cli('lab', 'undeploy', '-n', 'nt-cli-busy', '--kubeconfig', kubeconfig);
    assert.equal(u.status, 0, u.stderr);
    assert.match(u.stdout, /^pod\/nettools-dual-pod deleted$/m);
    assert.equal(
      u.stdout.trimEnd().split('\n').at(-1),
      'namespace/nt-cli-busy kept (it holds other pods: user-db)',
    );
    assert.ok(await api.namespaces.get('nt-cli-busy'));
  });

  test('--dry-run lists the namespace calls and their ClusterRole rule, and calls nothing', async () => {
    const n = f.api.requests.length;
    const d = await cli('lab', 'deploy', '-n', 'nt-dry', '--kubeconfig', f.kubeconfig, '--dry-run');
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /^ +get +namespaces\/nt-dry\t# /m);
    assert.match(
      d.stdout,
      /^ +create +namespaces\t# create nt-dry when missing.*cannot be restricted by resourceNames/m,
    );
    assert.doesNotMatch(d.stdout, /^ +patch +namespaces/m);
    assert.match(d.stdout, /^ +patch +deployments\.apps -n nt-dry\t/m);
    assert.match(d.stdout, /- namespaces\n\s+verbs:\n\s+- get\n\s+resourceNames:\n\s+- nt-dry/);
    assert.match(d.stdout, /- namespaces\n\s+verbs:\n\s+- create\n\s+- apiGroups/);
    const u = await cli('lab', 'undeploy', '-n', 'nt-dry', '--kubeconfig', f.kubeconfig, '--dry-run');
    assert.equal(u.status, 0, u.stderr);
    assert.match(u.stdout, /^ +get +namespaces\/nt-dry\t# /m);
    assert.match(u.stdout, /^ +list +pods -n nt-dry\t# /m);
    assert.match(u.stdout, /^ +delete +namespaces\/nt-dry\t# .*deploy made it/m);
    assert.doesNotMatch(u.stdout, /^ +(patch|create) +namespaces/m);
    assert.equal(f.api.requests.length, n, 'no API call');
    // The same rows as data: the namespace rule is cluster-scoped and names only that namespace.
    const rule = rulesFor(callsFor('lab-undeploy', 'nt-dry')).find((r) => r.resources[0] === 'namespaces');
    assert.deepEqual(rule, {
      apiGroups: [''],
      resources: ['namespaces'],
      verbs: ['get', 'delete'],
      resourceNames: ['nt-dry'],
    });
    assert.match(dryRunText('lab-deploy', callsFor('lab-deploy', NS)), /kind: ClusterRole/);
  });

  test('--help says deploy makes the namespace and undeploy removes only that one, with examples', async () => {
    const d = await cli('lab', 'deploy', '--help');
    assert.equal(d.status, 0, d.stderr);
    // commander wraps the option texts: compare with the line breaks folded.
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    assert.match(flat(d.stdout), /creates the namespace when missing/);
    assert.match(flat(d.stdout), /labelled app\.kubernetes\.io\/managed-by=nettrace so undeploy removes it/);
    assert.match(d.stdout, /\nExamples:\n {2}nettrace lab deploy/);
    assert.doesNotMatch(d.stdout, /must exist/);
    const u = await cli('lab', 'undeploy', '--help');
    assert.match(flat(u.stdout), /deleted only when labelled app\.kubernetes\.io\/managed-by=nettrace/);
    assert.match(flat(u.stdout), /same uid/);
    assert.match(flat(u.stdout), /holds no pods but the lab's and nettrace's node agents/);
    assert.match(flat(u.stdout), /deleting a namespace deletes everything in it/);
    assert.match(u.stdout, /\nExamples:\n {2}nettrace lab undeploy/);
  });
});
