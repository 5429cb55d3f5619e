import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { northboundCommands } from './ovn.ts';
import { brExFlows, ovsBridgeCommands } from './ovs.ts';
import { planLab, planNamespaces, tunnelPortName, validateSpec } from './plan.ts';
import { defaultSpec, type LabSpec } from './spec.ts';

const plan = planLab(defaultSpec());
const w0 = plan.nodes[0]!;
const dual = plan.pods.find((p) => p.name === 'nettools-dual-pod')!;

describe('planLab: names and addresses', () => {
  test('node plan: OVN-K names, gateway .1, management port .2, NIC MAC = br-ex MAC', () => {
    assert.equal(w0.netns, 'nettrace-worker-0');
    assert.equal(w0.gatewayIp, '10.128.2.1');
    assert.equal(w0.gatewayMac, '0a:58:0a:80:02:01');
    assert.equal(w0.mp0Ip, '10.128.2.2');
    assert.equal(w0.mgmtPort, 'k8s-worker-0');
    assert.equal(w0.gatewayRouter, 'GR_worker-0');
    assert.equal(w0.externalSwitch, 'ext_worker-0');
    assert.equal(w0.localnetPort, 'br-ex_worker-0');
    assert.equal(w0.patchPortOnBrEx, 'patch-br-ex_worker-0-to-br-int');
    assert.equal(w0.patchPortOnBrInt, 'patch-br-int-to-br-ex_worker-0');
    assert.equal(w0.mac, '02:00:c6:12:00:09');
    assert.notEqual(w0.chassis, plan.nodes[1]!.chassis);
  });
  test('the Geneve port name ovn-controller uses: ovn-<6 chars of the remote chassis>-0', () => {
    assert.equal(tunnelPortName('ca76e9ca-1a49-4414-b2a1-afccfc9c817c'), 'ovn-ca76e9-0');
  });
  test('pod plan: sandbox, veth, MAC, OVN port, netns, container ids', () => {
    assert.equal(dual.key, 'network-trace/nettools-dual-pod');
    assert.equal(dual.mac, '0a:58:0a:80:02:2b');
    assert.equal(dual.veth, dual.sandboxId.slice(0, 15));
    assert.equal(dual.ovnPort, 'network-trace_nettools-dual-pod');
    assert.equal(dual.netns, 'nettrace-pod-network-trace-nettools-dual-pod');
    assert.equal(dual.gatewayIp, '10.128.2.1');
    assert.equal(dual.prefixLength, 23);
    assert.equal(new Set(dual.containers.map((c) => c.id)).size, 2);
  });
  test('service plan: OVN-K load balancer name and endpoints from the selector', () => {
    const s = plan.services[0]!;
    assert.equal(s.loadBalancer, 'Service_network-trace/static-server_TCP_cluster');
    assert.deepEqual(s.endpoints, [{ pod: 'network-trace/static-server', ip: '10.129.0.12' }]);
  });
  test('namespaces: every one carries the prefix, none repeats', () => {
    const ns = planNamespaces(planLab(defaultSpec({ prefix: 'ntt7' })));
    assert.equal(ns.length, 7);
    assert.equal(new Set(ns).size, ns.length);
    assert.ok(ns.every((n) => n.startsWith('ntt7-')));
  });
  test('every address of the plan is unique', () => {
    const addrs = [
      plan.spec.underlayGatewayIp,
      plan.external.ip,
      plan.external.gatewayIp,
      plan.joinRouterIp,
      ...plan.nodes.flatMap((n) => [n.ip, n.gatewayIp, n.mp0Ip, n.joinIp]),
      ...plan.pods.map((p) => p.ip),
      ...plan.services.map((s) => s.clusterIP),
    ];
    assert.equal(new Set(addrs).size, addrs.length);
    const macs = [
      plan.underlayGatewayMac,
      plan.external.mac,
      ...plan.nodes.flatMap((n) => [n.mac, n.gatewayMac, n.mp0Mac]),
      ...plan.pods.map((p) => p.mac),
    ];
    assert.equal(new Set(macs).size, macs.length);
  });
});

describe('validateSpec', () => {
  const broken = (f: (s: LabSpec) => void): string[] => {
    const s = structuredClone(defaultSpec());
    f(s);
    return validateSpec(s).map((i) => `${i.path}: ${i.message}`);
  };
  test('the default spec is valid', () => {
    assert.deepEqual(validateSpec(defaultSpec()), []);
  });
  test('a pod IP outside its node subnet, or reserved, is reported', () => {
    assert.match(
      broken((s) => (s.pods[0]!.ip = '10.129.0.50')).join(),
      /pods\[0\]\.ip: 10\.129\.0\.50 is not in worker-0's/,
    );
    assert.match(broken((s) => (s.pods[0]!.ip = '10.128.2.1')).join(), /reserved/);
    assert.match(broken((s) => (s.pods[0]!.ip = '10.128.2.2')).join(), /reserved/);
  });
  test('duplicate addresses, overlapping subnets, a ClusterIP outside the service network', () => {
    assert.match(broken((s) => (s.nodes[1]!.ip = '198.18.0.9')).join(), /already used/);
    assert.match(broken((s) => (s.nodes[1]!.podSubnet = '10.128.2.0/24')).join(), /overlaps/);
    assert.match(broken((s) => (s.services[0]!.clusterIP = '10.0.0.1')).join(), /not in 172\.30\.0\.0\/16/);
    assert.match(broken((s) => (s.external.ip = '10.128.9.9')).join(), /must be outside 10\.128\.0\.0\/14/);
  });
  test('unknown node, empty selector match, files outside /tmp, long NIC names', () => {
    assert.match(broken((s) => (s.pods[1]!.node = 'worker-9')).join(), /no node named worker-9/);
    assert.match(broken((s) => (s.services[0]!.selector = { app: 'nope' })).join(), /no pod/);
    assert.match(
      broken((s) => (s.pods[0]!.containers[0]!.files = { '/etc/x': '' })).join(),
      /not under \/tmp/,
    );
    assert.match(broken((s) => (s.nodes[0]!.nic = 'a-very-long-nic-name')).join(), /longer than 15/);
  });
  test('planLab refuses an invalid spec with lab.bad-spec listing the issues', () => {
    const s = structuredClone(defaultSpec());
    s.pods[0]!.ip = '1.2.3.4';
    assert.throws(
      () => planLab(s),
      (e: unknown) => isNettraceError(e) && e.code === 'lab.bad-spec' && /pods\[0\]\.ip/.test(e.message),
    );
  });
});

describe('what the builder writes', () => {
  const nb = northboundCommands(plan);
  const text = nb.join(' ');
  test('one ovn-nbctl transaction with the OVN-K logical topology', () => {
    assert.equal(nb[0], 'ovn-nbctl');
    for (const piece of [
      'lr-add ovn_cluster_router',
      'ls-add join',
      'ls-add worker-0',
      'lr-add GR_worker-0',
      'set Logical_Router GR_worker-0 options:chassis=' + w0.chassis,
      'lr-nat-add GR_worker-0 snat 198.18.0.9 10.128.2.0/23',
      'lr-nat-add GR_worker-1 snat 198.18.0.7 10.129.0.0/23',
      'lsp-add ext_worker-0 br-ex_worker-0 -- lsp-set-type br-ex_worker-0 localnet',
      'lsp-set-options br-ex_worker-0 network_name=physnet',
      'lr-route-add GR_worker-0 0.0.0.0/0 198.18.0.1 rtoe-GR_worker-0',
      '--policy=src-ip lr-route-add ovn_cluster_router 10.128.2.0/23 100.64.0.2',
      'lsp-set-addresses network-trace_nettools-dual-pod 0a:58:0a:80:02:2b 10.128.2.43',
      'lb-add Service_network-trace/static-server_TCP_cluster 172.30.112.80:80 10.129.0.12:8080 tcp',
      'ls-lb-add worker-0 Service_network-trace/static-server_TCP_cluster',
    ]) {
      assert.ok(text.includes(piece), `has "${piece}"`);
    }
    // Commands are separated by a lone "--", never glued to a word.
    assert.ok(!nb.includes('') && nb[1] !== '--');
  });
  test('ovs-vsctl: netdev bridges, the NIC on br-ex, mp0 and the pod veth with OVN-K external_ids', () => {
    const v = ovsBridgeCommands(plan, w0, [dual], '/run/x/ovnsb_db.sock').join(' ');
    for (const piece of [
      'external_ids:system-id=' + w0.chassis,
      'external_ids:ovn-encap-ip=198.18.0.9',
      'external_ids:ovn-bridge-mappings="physnet:br-ex"',
      'external_ids:ovn-remote="unix:/run/x/ovnsb_db.sock"',
      'add-br br-int -- set Bridge br-int datapath_type=netdev',
      'add-port br-ex ens2f0np0',
      'add-port br-int ovn-k8s-mp0',
      'external_ids:iface-id=k8s-worker-0',
      `add-port br-int ${dual.veth}`,
      'external_ids:iface-id=network-trace_nettools-dual-pod',
      `external_ids:sandbox=${dual.sandboxId}`,
      'external_ids:attached_mac="0a:58:0a:80:02:2b"',
    ]) {
      assert.ok(v.includes(piece), `has "${piece}"`);
    }
  });
  test('br-ex flows steer by conntrack mark to the patch port or the host', () => {
    const f = brExFlows(w0, 7);
    assert.match(f, /in_port=1,udp,nw_dst=198\.18\.0\.9,tp_dst=6081 actions=LOCAL/);
    assert.match(f, /in_port=7,ip actions=ct\(commit,zone=64000,exec\(set_field:0x1->ct_mark\)\),output:1/);
    assert.match(f, /ct_state=\+est\+trk,ct_mark=0x1,ip actions=output:7/);
    assert.equal(f.trim().split('\n').length, 12);
  });
});
