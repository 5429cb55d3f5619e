import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseCrictlInspect, parseCrictlInspectp, parseCrictlPods, parseCrictlPs } from './crictl.ts';
import { formatIssue, ToolOutputError } from './errors.ts';

const data = (p: string) => readFileSync(new URL(`../../../testdata/outputs/${p}`, import.meta.url), 'utf8');

function toolError(fn: () => unknown): ToolOutputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ToolOutputError, `expected ToolOutputError, got ${String(e)}`);
    return e;
  }
  assert.fail('did not throw');
}

describe('crictl inspectp', () => {
  test('containerd (kind, coredns): netns path, pid, IP, namespace modes, CNI interfaces', () => {
    const p = parseCrictlInspectp(data('tdihp_anykap/crictl-inspectp.containerd.coredns.json'));
    assert.equal(p.runtime, 'containerd');
    assert.equal(p.id, '3eff2d8d3a4f3d3c0d1c4d4737c21b397bf7cbf77fd8a0fe370f6a59129cd535');
    assert.equal(p.name, 'coredns-5d78c9869d-79bfv');
    assert.equal(p.namespace, 'kube-system');
    assert.equal(p.uid, '44e4b37f-504f-4f1c-80f3-4137bfbec5e4');
    assert.equal(p.state, 'SANDBOX_READY');
    assert.equal(p.ip, '10.244.0.3');
    assert.equal(p.netnsPath, '/var/run/netns/cni-c8f12417-13bc-a776-937a-0d987bcf8a2a');
    assert.equal(p.pid, 1322);
    assert.equal(p.image, 'registry.k8s.io/pause:3.7');
    assert.deepEqual(p.namespaceModes, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    assert.equal(p.labels['k8s-app'], 'kube-dns');
    assert.deepEqual(p.cniInterfaces, [
      {
        name: 'eth0',
        mac: 'da:83:53:a5:9e:9e',
        sandbox: '/var/run/netns/cni-c8f12417-13bc-a776-937a-0d987bcf8a2a',
        ips: ['10.244.0.3'],
      },
      {
        name: 'lo',
        mac: '00:00:00:00:00:00',
        sandbox: '/var/run/netns/cni-c8f12417-13bc-a776-937a-0d987bcf8a2a',
        ips: ['127.0.0.1', '::1'],
      },
      { name: 'vethfac58f1c', mac: '0e:d6:b9:08:62:54', ips: [] },
    ]);
  });

  test('containerd on IBM Cloud (Calico): host-side cali* interface, older runtime spec', () => {
    const p = parseCrictlInspectp(
      data('IBM_core-dump-handler/crictl-inspectp.containerd.ibmcloud-calico.json'),
    );
    assert.equal(p.runtime, 'containerd');
    assert.equal(p.name, 'crashing-app-699c49b4ff-86wrh');
    assert.equal(p.namespace, 'default');
    assert.equal(p.ip, '172.30.72.83');
    assert.equal(p.netnsPath, '/var/run/netns/cni-f6253b67-2766-fcf2-9100-439a32ce7a9b');
    assert.equal(p.pid, 14017);
    assert.deepEqual(
      p.cniInterfaces?.map((i) => [i.name, i.ips]),
      [
        ['cali92b1ab6243b', []],
        ['eth0', ['172.30.72.83']],
      ],
    );
  });

  test('CRI-O form (constructed from CRI-O source): info as an object and as a JSON string read alike', () => {
    const obj = parseCrictlInspectp(data('constructed-crio/crictl-inspectp.cri-o.json'));
    const str = parseCrictlInspectp(data('constructed-crio/crictl-inspectp.cri-o.info-string.json'));
    assert.deepEqual(str, obj);
    assert.equal(obj.runtime, 'cri-o');
    assert.equal(obj.netnsPath, '/var/run/netns/2b8f6d1c-7e3a-4c59-9b0d-5a6e7f8c9d01');
    assert.equal(obj.namespacePaths.ipc, '/var/run/ipcns/2b8f6d1c-7e3a-4c59-9b0d-5a6e7f8c9d01');
    assert.equal(obj.pid, 48213);
    assert.equal(obj.name, 'nettools-dual-pod');
    assert.equal(obj.namespace, 'network-trace');
    assert.equal(obj.ip, '10.128.2.43');
    assert.equal(obj.cniInterfaces, undefined);
  });

  test('raw CRI Info map and the v1alpha1 netns field are understood too', () => {
    const raw = JSON.stringify({
      status: { id: 'abc', linux: { namespaces: { network: '/var/run/netns/old-style' } } },
      info: { info: JSON.stringify({ pid: 7, image: 'pause' }) },
    });
    const p = parseCrictlInspectp(raw);
    assert.equal(p.pid, 7);
    assert.equal(p.runtime, 'cri-o');
    assert.equal(p.netnsPath, '/var/run/netns/old-style');
    const hostNet = parseCrictlInspectp(
      JSON.stringify({ status: { id: 'h', linux: { namespaces: { options: { network: 'NODE' } } } } }),
    );
    assert.equal(hostNet.namespaceModes.network, 'NODE');
    assert.equal(hostNet.netnsPath, undefined);
    assert.equal(hostNet.runtime, 'unknown');
  });

  test('errors name the command and the field', () => {
    const text = data('tdihp_anykap/crictl-inspectp.containerd.coredns.json');
    assert.match(
      toolError(() => parseCrictlInspectp(text.slice(0, 1000))).message,
      /^crictl inspectp: output is cut short/,
    );
    const pid = text.replace('"pid": 1322', '"pid": "1322"');
    assert.equal(
      toolError(() => parseCrictlInspectp(pid)).message,
      'crictl inspectp: field "info.pid": expected integer, got "1322"',
    );
    const e = toolError(() => parseCrictlInspectp('{"status":{"id":5},"info":"{not json"}'));
    assert.deepEqual(e.issues.map(formatIssue).sort(), [
      'crictl inspectp: field "info": is a string but not JSON',
      'crictl inspectp: field "status.id": expected string, got 5',
    ]);
    assert.equal(
      toolError(() => parseCrictlInspectp('{"info":{}}')).message,
      'crictl inspectp: field "status": missing (expected object)',
    );
  });
});

describe('crictl inspect / pods / ps', () => {
  test('containerd container: sandbox id and /proc/<sandbox pid>/ns/net tie it to its pod', () => {
    const pod = parseCrictlInspectp(data('tdihp_anykap/crictl-inspectp.containerd.coredns.json'));
    const c = parseCrictlInspect(data('tdihp_anykap/crictl-inspect.containerd.coredns.json'));
    assert.equal(c.runtime, 'containerd');
    assert.equal(c.id, 'f3a240d625b1e97b859e29f81360fd79538021c46eaafb325dc0fa195c8e4b6a');
    assert.equal(c.name, 'coredns');
    assert.equal(c.state, 'CONTAINER_RUNNING');
    assert.equal(c.image, 'registry.k8s.io/coredns/coredns:v1.10.1');
    assert.equal(c.pid, 1478);
    assert.equal(c.sandboxId, pod.id);
    assert.equal(c.netnsPath, `/proc/${pod.pid}/ns/net`);
    assert.equal(c.namespacePaths.uts, '/proc/1322/ns/uts');
    assert.equal(c.podName, pod.name);
    assert.equal(c.podUid, pod.uid);
    assert.equal(c.exitCode, 0);
  });

  test('CRI-O container (constructed): shares the pinned netns of its sandbox', () => {
    const pod = parseCrictlInspectp(data('constructed-crio/crictl-inspectp.cri-o.json'));
    const c = parseCrictlInspect(data('constructed-crio/crictl-inspect.cri-o.json'));
    assert.equal(c.runtime, 'cri-o');
    assert.equal(c.sandboxId, pod.id);
    assert.equal(c.netnsPath, pod.netnsPath);
    assert.equal(c.name, 'nettools-container-2');
    assert.equal(c.podNamespace, 'network-trace');
  });

  test('pods and ps listings', () => {
    const pods = parseCrictlPods(data('tdihp_anykap/crictl-pods-o-json.json'));
    assert.deepEqual(
      pods.map((p) => [p.name, p.state, p.createdAt]),
      [
        ['coredns-5d78c9869d-79bfv', 'SANDBOX_READY', '1706583754011264177'],
        ['coredns-5d78c9869d-rbg8v', 'SANDBOX_READY', '1706583753794118510'],
      ],
    );
    const ps = parseCrictlPs(data('tdihp_anykap/crictl-ps-o-json.json'));
    assert.equal(ps.length, 2);
    for (const c of ps) assert.equal(pods.find((p) => p.id === c.sandboxId)?.name, c.podName);
    assert.match(
      toolError(() => parseCrictlPs('{"containers":[{"id":1}]}')).message,
      /field "containers\[0\]\.id": expected string, got 1/,
    );
  });
});
