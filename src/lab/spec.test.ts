import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  containerId,
  defaultSpec,
  hostMac,
  inCidr,
  intToIp,
  ipToInt,
  nthAddress,
  podMac,
  sandboxId,
  stableUuid,
  vethName,
} from './spec.ts';

describe('lab spec defaults (design.md, "The lab\'s defaults")', () => {
  const spec = defaultSpec();
  test('two nodes with the seed names, IPs, NIC and pod subnets', () => {
    assert.deepEqual(
      spec.nodes.map((n) => [n.name, n.ip, n.nic, n.podSubnet]),
      [
        ['worker-0', '198.18.0.9', 'ens2f0np0', '10.128.2.0/23'],
        ['worker-1', '198.18.0.7', 'ens2f0np0', '10.129.0.0/23'],
      ],
    );
    assert.equal(spec.clusterNetwork, '10.128.0.0/14');
  });
  test('pods in network-trace: the dual-container pod on worker-0 at 10.128.2.43, static-server on worker-1', () => {
    const dual = spec.pods.find((p) => p.name === 'nettools-dual-pod')!;
    assert.deepEqual([dual.namespace, dual.node, dual.ip], ['network-trace', 'worker-0', '10.128.2.43']);
    assert.deepEqual(
      dual.containers.map((c) => c.name),
      ['nettools-container-1', 'nettools-container-2'],
    );
    assert.deepEqual(dual.containers[0]!.command, ['python3', '-m', 'http.server', '8080']);
    assert.equal(dual.containers[0]!.files!['/tmp/hello.txt'], 'Hello World\n');
    assert.equal(dual.containers[0]!.workdir, '/tmp');
    assert.deepEqual(dual.containers[1]!.command, ['sleep', 'infinity']);
    const st = spec.pods.find((p) => p.name === 'static-server')!;
    assert.equal(st.node, 'worker-1');
    assert.ok(inCidr(st.ip, '10.129.0.0/23'));
  });
  test('service static-server has a ClusterIP in 172.30.0.0/16; external host 203.0.113.10', () => {
    const svc = spec.services[0]!;
    assert.equal(svc.name, 'static-server');
    assert.ok(inCidr(svc.clusterIP, '172.30.0.0/16'));
    assert.equal(svc.targetPort, 8080);
    assert.equal(spec.external.ip, '203.0.113.10');
  });
  test('the prefix only renames namespaces', () => {
    const other = defaultSpec({ prefix: 'ntt1' });
    assert.equal(other.prefix, 'ntt1');
    assert.deepEqual({ ...other, prefix: 'nettrace' }, spec);
  });
});

describe('lab spec helpers', () => {
  test('podMac follows OVN-Kubernetes: 0a:58 + the IPv4 bytes', () => {
    assert.equal(podMac('10.128.2.43'), '0a:58:0a:80:02:2b');
    assert.equal(podMac('10.129.0.1'), '0a:58:0a:81:00:01');
    assert.equal(podMac('100.64.0.2'), '0a:58:64:40:00:02');
  });
  test('hostMac is locally administered and carries the address', () => {
    assert.equal(hostMac('198.18.0.9'), '02:00:c6:12:00:09');
  });
  test('sandbox ids are 64 hex, deterministic, distinct per pod', () => {
    const a = sandboxId('network-trace', 'nettools-dual-pod');
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(a, sandboxId('network-trace', 'nettools-dual-pod'));
    assert.equal(a, createHash('sha256').update('sandbox/network-trace/nettools-dual-pod').digest('hex'));
    assert.notEqual(a, sandboxId('network-trace', 'static-server'));
    assert.notEqual(a, sandboxId('other', 'nettools-dual-pod'));
  });
  test('the host veth is the first 15 hex characters of the sandbox id (an interface name fits 15)', () => {
    const sb = sandboxId('network-trace', 'nettools-dual-pod');
    const v = vethName(sb);
    assert.equal(v.length, 15);
    assert.ok(sb.startsWith(v));
    assert.match(v, /^[0-9a-f]{15}$/);
  });
  test('container ids are 64 hex and differ per container', () => {
    const sb = sandboxId('ns', 'p');
    assert.match(containerId(sb, 'a'), /^[0-9a-f]{64}$/);
    assert.notEqual(containerId(sb, 'a'), containerId(sb, 'b'));
  });
  test('stableUuid has the v4 layout and is deterministic', () => {
    const u = stableUuid('chassis/worker-0');
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(u, stableUuid('chassis/worker-0'));
    assert.notEqual(u, stableUuid('chassis/worker-1'));
  });
  test('IPv4 arithmetic', () => {
    assert.equal(ipToInt('10.128.2.43'), 0x0a80022b);
    assert.equal(intToIp(0xcb00710a), '203.0.113.10');
    assert.equal(nthAddress('10.128.2.0/23', 1), '10.128.2.1');
    assert.equal(nthAddress('10.128.2.0/23', 300), '10.128.3.44');
    assert.ok(inCidr('10.131.255.255', '10.128.0.0/14'));
    assert.ok(!inCidr('10.132.0.0', '10.128.0.0/14'));
    assert.ok(inCidr('1.2.3.4', '0.0.0.0/0'));
    assert.throws(() => ipToInt('10.0.0.256'), RangeError);
    assert.throws(() => ipToInt('10.0.0'), RangeError);
  });
});
