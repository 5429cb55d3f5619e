import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { exitCodeOf } from '../hosts/kube-exec.ts';
import { agentPod } from './agent.ts';
import { apiError } from './client.ts';
import { callsFor, clusterRoleYaml, rulesFor } from './rbac.ts';

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
