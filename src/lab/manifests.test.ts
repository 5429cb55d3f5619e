import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { labCommand } from '../cli/lab.ts';
import { DEFAULT_NETTOOLS_IMAGE, MANIFEST_FILES, renderManifests } from './manifests.ts';

// biome-ignore lint/suspicious/noExplicitAny: YAML parsed back into plain objects for checks
type Obj = any;
const docs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS());
const committed = (f: string) => readFileSync(new URL(`../../manifests/${f}`, import.meta.url), 'utf8');

const tmp = mkdtempSync(join(tmpdir(), 'nettrace-manifests-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('lab manifests', () => {
  test('manifests/ holds exactly what `nettrace lab manifests` renders', () => {
    const files = renderManifests();
    for (const f of MANIFEST_FILES)
      assert.equal(
        committed(f),
        files[f],
        `manifests/${f} is stale: run nettrace lab manifests --out manifests`,
      );
  });

  test('`lab manifests --out DIR` writes the same two files', async () => {
    const cmd = labCommand();
    cmd.exitOverride();
    const errWrite = process.stderr.write;
    process.stderr.write = () => true;
    try {
      await cmd.parseAsync(['manifests', '--out', tmp], { from: 'user' });
    } finally {
      process.stderr.write = errWrite;
    }
    for (const f of MANIFEST_FILES) assert.equal(readFileSync(join(tmp, f), 'utf8'), committed(f));
  });

  test('http-svc.yaml: two ConfigMaps, an nginx Deployment mounting both, a Service, HTTP and edge-TLS Routes', () => {
    const d = docs(renderManifests()['http-svc.yaml']);
    assert.deepEqual(
      d.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'ConfigMap/static-content',
        'ConfigMap/nginx-config',
        'Deployment/static-server',
        'Service/static-server',
        'Route/static-server',
        'Route/static-server-tls',
      ],
    );
    assert.ok(d.every((o) => o.metadata.namespace === 'network-trace'));
    assert.equal(d[0].data['hello.txt'], 'Hello World\n');
    assert.match(d[1].data['default.conf'], /listen\s+8080;/);
    const pod = d[2].spec.template.spec;
    assert.match(pod.containers[0].image, /nginx/);
    assert.deepEqual(
      pod.volumes.map((v: Obj) => v.configMap.name),
      ['static-content', 'nginx-config'],
    );
    assert.deepEqual(
      pod.containers[0].volumeMounts.map((m: Obj) => m.mountPath),
      ['/usr/share/nginx/html', '/etc/nginx/conf.d'],
    );
    assert.deepEqual(d[2].spec.selector.matchLabels, d[3].spec.selector);
    assert.deepEqual(d[3].spec.ports[0], { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' });
    assert.equal(d[4].spec.tls, undefined);
    assert.equal(d[5].spec.tls.termination, 'edge');
    assert.ok(
      d.slice(4).every((r) => r.apiVersion === 'route.openshift.io/v1' && r.spec.to.name === 'static-server'),
    );
  });

  test('dual-container.yaml: one privileged pod, an HTTP server on 8080 in /tmp and a sleeper', () => {
    const [pod, ...rest] = docs(renderManifests()['dual-container.yaml']);
    assert.equal(rest.length, 0);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.name, 'nettools-dual-pod');
    const [c1, c2] = pod.spec.containers;
    assert.equal(c1.name, 'nettools-container-1');
    assert.match(
      c1.args.join(' '),
      /echo "Hello World" > \/tmp\/hello\.txt && exec python3 -m http\.server 8080/,
    );
    assert.equal(c1.workingDir, '/tmp');
    assert.equal(c2.name, 'nettools-container-2');
    assert.deepEqual(c2.command, ['sleep', 'infinity']);
    for (const c of [c1, c2]) {
      assert.equal(c.image, DEFAULT_NETTOOLS_IMAGE);
      assert.equal(c.securityContext.privileged, true);
    }
  });

  test('--namespace and --image change every object', () => {
    const f = renderManifests({ namespace: 'other', image: 'quay.io/me/nettools:1' });
    const all = [...docs(f['http-svc.yaml']), ...docs(f['dual-container.yaml'])];
    assert.ok(all.every((o) => o.metadata.namespace === 'other'));
    assert.ok(all.at(-1).spec.containers.every((c: Obj) => c.image === 'quay.io/me/nettools:1'));
  });
});
