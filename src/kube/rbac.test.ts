import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { exitCodeOf } from '../hosts/kube-exec.ts';
import { agentPod } from './agent.ts';
import { apiError, PodSecurityError } from './client.ts';
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

  test('lab deploy: get on the one namespace, create namespaces (not restrictable by name), no patch', () => {
    const calls = callsFor('lab-deploy', 'ns1');
    const nsCalls = calls.filter((c) => c.resource === 'namespaces');
    assert.deepEqual(
      nsCalls.map((c) => c.verb),
      ['get', 'create'],
      'no patch: patch on a Namespace would let the holder rewrite its Pod Security labels',
    );
    for (const c of nsCalls) {
      assert.equal(c.namespace, undefined, 'namespaces are cluster-scoped');
      assert.ok(c.why.length > 10);
    }
    assert.deepEqual(nsCalls[0]!.resourceNames, ['ns1']);
    // RBAC cannot restrict create by resourceNames (the name is not known at authorization): the
    // rule must not pretend it can, and its why says so.
    assert.equal(nsCalls[1]!.resourceNames, undefined);
    assert.match(nsCalls[1]!.why, /create cannot be restricted by resourceNames/);
    // The namespace is looked at before any object is applied.
    assert.ok(calls.indexOf(nsCalls[0]!) < calls.findIndex((c) => c.resource === 'configmaps'));
    const rules = rulesFor(calls);
    assert.deepEqual(
      rules.filter((r) => r.resources[0] === 'namespaces'),
      [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: ['ns1'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      ],
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
    assert.match(text, /^ {2}create +namespaces\t# /m);
    assert.doesNotMatch(text, /^ {2}patch +namespaces/m);
    assert.match(text, /^ {2}patch +configmaps -n ns1\t# /m);
  });

  test('lab undeploy: get and delete on the one namespace, pods listed before the namespace delete', () => {
    const calls = callsFor('lab-undeploy', 'ns1');
    const nsCalls = calls.filter((c) => c.resource === 'namespaces');
    assert.deepEqual(
      nsCalls.map((c) => c.verb),
      ['get', 'delete'],
    );
    assert.ok(nsCalls.every((c) => c.namespace === undefined && c.resourceNames?.[0] === 'ns1'));
    assert.equal(calls.at(-1), nsCalls[1], 'the namespace is deleted last');
    assert.deepEqual(
      calls.at(-2),
      {
        verb: 'list',
        group: '',
        resource: 'pods',
        namespace: 'ns1',
        why: 'does the namespace hold other pods? then it stays',
      },
      'the pods are listed just before',
    );
    assert.ok(
      calls
        .slice(0, -2)
        .filter((c) => c.resource !== 'namespaces' && !c.resource.startsWith('apis '))
        .every((c) => c.verb === 'delete'),
    );
    assert.match(nsCalls[1]!.why, /deploy made it/);
    assert.deepEqual(rulesFor(calls).find((r) => r.resources[0] === 'pods')?.verbs, ['delete', 'list']);
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

  test('a Pod Security refusal: neutral (namespace, level, refused object, the admission), advice added by the caller', () => {
    const words =
      'pods "nettools-dual-pod" is forbidden: violates PodSecurity "baseline:latest": privileged (containers "nettools-container-1", "nettools-container-2" must not set securityContext.privileged=true)';
    const e = apiError(
      { code: 403, body: JSON.stringify({ message: words }) },
      'patch (server-side apply)',
      'pod/nettools-dual-pod',
      'ns1',
      'https://x',
    );
    assert.ok(e instanceof PodSecurityError);
    assert.equal(e.code, 'kube.pod-security');
    assert.equal(
      e.message,
      `https://x refused patch (server-side apply) pod/nettools-dual-pod in namespace ns1: namespace ns1 enforces Pod Security "baseline:latest" and refused pod/nettools-dual-pod: ${words}`,
    );
    assert.doesNotMatch(e.message, /agent/, 'nothing about node agents: any pod may be refused');
    assert.deepEqual([e.namespace, e.level, e.object], ['ns1', 'baseline:latest', 'pod/nettools-dual-pod']);
    const advised = e.withAdvice('do this');
    assert.equal(advised.code, 'kube.pod-security');
    assert.ok(advised.message.endsWith(`refused pod/nettools-dual-pod: do this: ${words}`));
    assert.equal(advised.cause, e.cause);
    // The SCC refusal names the refused object, not "the node agent".
    const scc = apiError(
      {
        code: 403,
        body: '{"message":"pods \\"nettools-dual-pod\\" is forbidden: unable to validate against any security context constraint"}',
      },
      'patch (server-side apply)',
      'pod/nettools-dual-pod',
      'ns1',
      'https://x',
    );
    assert.match(scc.message, /: pod\/nettools-dual-pod is privileged and needs the privileged SCC/);
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
