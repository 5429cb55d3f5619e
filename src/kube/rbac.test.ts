import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { exitCodeOf } from '../hosts/kube-exec.ts';
import { agentPod } from './agent.ts';
import { apiError } from './client.ts';
import { callsFor, clusterRoleYaml, dryRunText, rulesFor } from './rbac.ts';

describe('RBAC derived from the calls', () => {
  test('trace needs pods/exec create and get, agent pods create/get/delete, nodes, endpointslices', () => {
    const rules = rulesFor(callsFor('trace', 'ns1'));
    const find = (g: string, r: string) => rules.find((x) => x.apiGroups[0] === g && x.resources[0] === r);
    assert.deepEqual(find('', 'pods/exec')?.verbs, ['create', 'get']);
    assert.deepEqual(find('', 'pods')?.verbs.sort(), ['create', 'delete', 'get', 'list']);
    assert.deepEqual(find('', 'nodes')?.verbs.sort(), ['get', 'list']);
    assert.deepEqual(find('discovery.k8s.io', 'endpointslices')?.verbs, ['list']);
    assert.deepEqual(find('security.openshift.io', 'securitycontextconstraints')?.resourceNames, [
      'privileged',
    ]);
  });

  test('the ClusterRole is valid YAML with those rules', () => {
    const role = parse(clusterRoleYaml('inspect', callsFor('inspect', 'ns1'))) as {
      kind: string;
      rules: { resources: string[] }[];
    };
    assert.equal(role.kind, 'ClusterRole');
    assert.ok(role.rules.some((r) => r.resources.includes('pods/exec')));
  });

  test('lab deploy: get/patch/create on the one namespace (cluster-scoped); apply is patch and create', () => {
    const calls = callsFor('lab-deploy', 'ns1');
    const nsCalls = calls.filter((c) => c.resource === 'namespaces');
    assert.deepEqual(
      nsCalls.map((c) => c.verb),
      ['get', 'patch', 'create'],
    );
    for (const c of nsCalls) {
      assert.equal(c.namespace, undefined, 'namespaces are cluster-scoped');
      assert.deepEqual(c.resourceNames, ['ns1']);
      assert.ok(c.why.length > 10);
    }
    // The namespace is looked at before any object is applied.
    assert.ok(calls.indexOf(nsCalls[0]!) < calls.findIndex((c) => c.resource === 'configmaps'));
    const rules = rulesFor(calls);
    assert.deepEqual(
      rules.find((r) => r.resources[0] === 'namespaces'),
      {
        apiGroups: [''],
        resources: ['namespaces'],
        verbs: ['get', 'patch', 'create'],
        resourceNames: ['ns1'],
      },
    );
    for (const [g, r] of [
      ['', 'configmaps'],
      ['', 'services'],
      ['', 'pods'],
      ['apps', 'deployments'],
      ['route.openshift.io', 'routes'],
    ])
      assert.deepEqual(
        rules.find((x) => x.apiGroups[0] === g && x.resources[0] === r)?.verbs,
        ['patch', 'create'],
        `${r}: server-side apply of a new object is also authorized as create`,
      );
    const text = dryRunText('lab-deploy', calls);
    assert.match(text, /^ {2}get +namespaces\/ns1\t# /m);
    assert.match(text, /^ {2}create +namespaces\/ns1\t# /m);
    assert.match(text, /^ {2}patch +configmaps -n ns1\t# /m);
  });

  test('lab undeploy: get and delete on the one namespace, after the objects', () => {
    const calls = callsFor('lab-undeploy', 'ns1');
    const nsCalls = calls.filter((c) => c.resource === 'namespaces');
    assert.deepEqual(
      nsCalls.map((c) => c.verb),
      ['get', 'delete'],
    );
    assert.ok(nsCalls.every((c) => c.namespace === undefined && c.resourceNames?.[0] === 'ns1'));
    assert.equal(calls.at(-1), nsCalls[1], 'the namespace is deleted last');
    assert.ok(
      calls
        .filter((c) => c.resource !== 'namespaces' && !c.resource.startsWith('apis '))
        .every((c) => c.verb === 'delete'),
    );
    assert.match(nsCalls[1]!.why, /deploy made it/);
  });

  test('cleanup needs only pods list/delete', () => {
    assert.deepEqual(rulesFor(callsFor('cleanup', 'x')), [
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] },
    ]);
  });
});

describe('API errors and exec status', () => {
  test('403 names the permission; an SCC refusal names the privileged SCC; 401 says log in', () => {
    const e403 = apiError(
      { code: 403, body: '{"message":"forbidden"}' },
      'create',
      'pods/exec',
      'ns1',
      'https://x',
    );
    assert.equal(e403.code, 'kube.forbidden');
    assert.match(e403.message, /missing permission create pods\/exec in namespace ns1/);
    const scc = apiError(
      { code: 403, body: '{"message":"unable to validate against any security context constraint"}' },
      'create',
      'pods',
      'ns1',
      'https://x',
    );
    assert.match(scc.message, /privileged SCC/);
    assert.match(apiError({ code: 401 }, 'list', 'nodes', undefined, 'https://x').message, /oc login/);
    assert.match(
      apiError(new Error('Unexpected server response: 403'), 'create', 'pods/exec', 'n', 'h').message,
      /pods\/exec/,
    );
  });

  test('exit code from the v5 status channel', () => {
    assert.equal(exitCodeOf({ status: 'Success' }), 0);
    assert.equal(
      exitCodeOf({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '42' }] } }),
      42,
    );
    assert.equal(exitCodeOf({ status: 'Failure', message: 'boom' }), null);
    assert.equal(exitCodeOf(undefined), null);
  });

  test('the agent pod: privileged, host namespaces, /host, any node, a deadline, the label', () => {
    const p = agentPod('worker-0', 'ns1', 'img', 'abc123');
    assert.equal(p.metadata?.labels?.['app.kubernetes.io/managed-by'], 'nettrace');
    assert.equal(p.spec?.nodeName, 'worker-0');
    assert.ok(p.spec?.hostNetwork && p.spec.hostPID);
    assert.ok((p.spec?.activeDeadlineSeconds ?? 0) > 0);
    assert.deepEqual(p.spec?.tolerations, [{ operator: 'Exists' }]);
    assert.equal(p.spec?.containers[0]?.securityContext?.privileged, true);
    assert.equal(p.spec?.containers[0]?.volumeMounts?.[0]?.mountPath, '/host');
    assert.equal(p.spec?.volumes?.[0]?.hostPath?.path, '/');
  });
});
