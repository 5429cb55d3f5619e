import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NettraceError } from '../../errors.ts';
import { formatIssue, ToolOutputError } from './errors.ts';
import { type IpInterface, parseIpAddr, parseIpLink, parseIpRoute } from './ip.ts';
import { parseIpLinkLine, parseIpNetnsListId, parseIpText } from './ip-text.ts';

const data = (p: string) => readFileSync(new URL(`../../../testdata/outputs/${p}`, import.meta.url), 'utf8');
const byName = (list: IpInterface[], name: string): IpInterface => {
  const i = list.find((x) => x.ifname === name);
  assert.ok(i, `no interface ${name}`);
  return i;
};

function toolError(fn: () => unknown): ToolOutputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ToolOutputError, `expected ToolOutputError, got ${String(e)}`);
    assert.equal(e.code, 'topology.bad-output');
    return e;
  }
  assert.fail('did not throw');
}

describe('ip -j link', () => {
  test('netns scenario root namespace: veth peers in other namespaces, vxlan, bridge slave', () => {
    const links = parseIpLink(data('generated-here/netns-scenario/ip-j-d-link.root-ns.json'));
    assert.deepEqual(
      links.map((l) => l.ifname),
      ['lo', 'veth-pod-a', 'veth-pod-b', 'eth1', 'vxlan0', 'br-test', 'vb1', 'vb0'],
    );
    const a = byName(links, 'veth-pod-a');
    assert.equal(a.ifindex, 2);
    assert.equal(a.linkIndex, 2);
    assert.equal(a.linkNetnsid, 0);
    assert.equal(a.kind, 'veth');
    assert.equal(a.mtu, 1500);
    assert.equal(a.address, '5e:42:f5:6e:6e:68');
    assert.equal(a.operstate, 'UP');
    assert.equal(byName(links, 'veth-pod-b').linkNetnsid, 1);
    assert.equal(byName(links, 'eth1').linkNetnsid, 2);
    assert.deepEqual(byName(links, 'vxlan0').tunnel, {
      kind: 'vxlan',
      id: 4242,
      remote: '192.0.2.2',
      local: '192.0.2.1',
      port: 4789,
      dev: 'eth1',
    });
    const vb0 = byName(links, 'vb0');
    assert.equal(vb0.master, 'br-test');
    assert.equal(vb0.slaveKind, 'bridge');
    assert.equal(vb0.link, 'vb1'); // peer in the same namespace: by name, no link_index
    assert.equal(vb0.linkIndex, undefined);
    assert.equal(vb0.operstate, 'LOWERLAYERDOWN');
    assert.equal(byName(links, 'br-test').kind, 'bridge');
    assert.equal(byName(links, 'lo').kind, undefined);
  });

  test('the two ends of a veth pair name each other across namespaces', () => {
    const root = parseIpLink(data('generated-here/netns-scenario/ip-j-d-link.root-ns.json'));
    const node2 = parseIpLink(data('generated-here/netns-scenario/ip-j-d-link.node2.json'));
    const hostEnd = byName(root, 'eth1');
    const farEnd = byName(node2, 'eth1');
    assert.equal(hostEnd.linkIndex, farEnd.ifindex); // 2
    assert.equal(farEnd.linkIndex, hostEnd.ifindex); // 4
    assert.equal(farEnd.linkNetnsid, 0);
    const pod = byName(parseIpLink(data('generated-here/netns-scenario/ip-j-d-link.pod-a.json')), 'eth0');
    assert.equal(pod.linkIndex, byName(root, 'veth-pod-a').ifindex);
    assert.equal(byName(node2, 'vxlan0').tunnel?.remote, '192.0.2.1');
  });

  test('userspace OVS host: same-namespace veth peers by name, OVS ports as tap devices', () => {
    const links = parseIpLink(data('generated-here/ovs-userspace/ip-j-d-link.ovs-netdev.json'));
    const host = byName(links, '3f1c9e2b7a4d5e6');
    assert.equal(host.link, 'pod0-eth0');
    assert.equal(byName(links, 'pod0-eth0').link, '3f1c9e2b7a4d5e6');
    assert.equal(byName(links, 'br-int').kind, 'tun');
    assert.equal(byName(links, 'br-int').mtu, 1400);
    assert.equal(byName(links, 'ovn-k8s-mp0').address, '1a:f8:b6:b3:1c:e7');
  });

  test('root namespace of this machine (ifb kind, no linkinfo on eth0)', () => {
    const links = parseIpLink(data('generated-here/root-ns/ip-j-d-link.json'));
    assert.equal(byName(links, 'ifb0').kind, 'ifb');
    const eth0 = byName(links, 'eth0');
    assert.equal(eth0.mtu, 1400);
    assert.equal(eth0.kind, undefined);
    assert.equal(eth0.address, '02:fc:00:00:00:01');
  });

  test('truncated JSON names the command and says it is cut short', () => {
    const text = data('generated-here/netns-scenario/ip-j-d-link.root-ns.json');
    const e = toolError(() => parseIpLink(text.slice(0, 500)));
    assert.match(e.message, /^ip -j link show: output is cut short/);
    assert.equal(e.issues[0]?.code, 'invalid-json');
    assert.doesNotMatch(e.message, /ZodError|"code":/);
  });

  test('a wrong type names the interface and the field', () => {
    const text = data('generated-here/netns-scenario/ip-j-d-link.root-ns.json').replace(
      '"mtu":1450',
      '"mtu":"1450"',
    );
    const e = toolError(() => parseIpLink(text));
    assert.equal(
      e.message,
      'ip -j link show: interface 5 (vxlan0): field "mtu": expected integer, got "1450"',
    );
    assert.deepEqual(e.issues[0]?.path, [4, 'mtu']);
  });

  test('every issue is collected, missing fields included', () => {
    const e = toolError(() => parseIpLink('[{"ifindex":"1","ifname":"lo"},{"ifindex":2}]'));
    assert.deepEqual(e.issues.map(formatIssue), [
      'ip -j link show: interface 1 (lo): field "ifindex": expected integer, got "1"',
      'ip -j link show: interface 2: field "ifname": missing (expected string)',
    ]);
    assert.equal(e.issues[1]?.code, 'missing-field');
    assert.match(
      toolError(() => parseIpLink('{"ifindex":1}')).message,
      /^ip -j link show: expected array, got an object$/,
    );
    assert.match(toolError(() => parseIpLink('')).message, /empty output/);
  });
});

describe('ip -j addr', () => {
  test('pod and root namespace addresses', () => {
    const pod = parseIpAddr(data('generated-here/netns-scenario/ip-j-addr.pod-a.json'));
    assert.deepEqual(byName(pod, 'eth0').addresses, [
      { family: 'inet', local: '10.244.1.2', prefixlen: 24, scope: 'global', label: 'eth0' },
      { family: 'inet6', local: 'fd00:10:244:1::2', prefixlen: 64, scope: 'global' },
    ]);
    assert.equal(byName(pod, 'eth0').linkIndex, 2);
    const root = parseIpAddr(data('generated-here/netns-scenario/ip-j-addr.root-ns.json'));
    const link = byName(root, 'veth-pod-a').addresses?.find((a) => a.scope === 'link');
    assert.equal(link?.local, 'fe80::5c42:f5ff:fe6e:6e68');
    assert.equal(parseIpLink(data('generated-here/root-ns/ip-j-d-link.json'))[0]?.addresses, undefined);
  });
});

describe('ip -j route', () => {
  test('table all on this machine: main-table routes carry no table, local ones do', () => {
    const routes = parseIpRoute(data('generated-here/root-ns/ip-j-route-table-all.json'));
    assert.deepEqual(routes[0], { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: [] });
    assert.deepEqual(routes[1], {
      dst: '192.0.2.0/24',
      dev: 'eth0',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '192.0.2.2',
      flags: [],
    });
    const local = routes.find((r) => r.dst === '127.0.0.0/8');
    assert.equal(local?.type, 'local');
    assert.equal(local?.table, 'local');
    const v6 = parseIpRoute(data('generated-here/root-ns/ip-j-6-route.json'));
    const dflt = v6.find((r) => r.dst === 'default');
    assert.equal(dflt?.gateway, 'fd00::1');
    assert.equal(dflt?.metric, 1024);
    assert.equal(dflt?.pref, 'medium');
    assert.equal(parseIpRoute(data('generated-here/root-ns/ip-j-route.json')).length, 2);
  });

  test('multipath and `via` next hops (hand-written in iproute2 6.1 JSON shape)', () => {
    const r = parseIpRoute(
      '[{"dst":"10.0.0.0/8","flags":[],"multipath":[{"gateway":"192.0.2.1","dev":"eth0","weight":1,"flags":[]},' +
        '{"gateway":"192.0.2.254","dev":"eth0","weight":2,"flags":["onlink"]}]},' +
        '{"dst":"10.1.0.0/16","via":{"family":"inet6","host":"fe80::1"},"dev":"eth0","flags":[]}]',
    );
    assert.equal(r[0]?.nexthops?.length, 2);
    assert.deepEqual(r[0]?.nexthops?.[1], {
      gateway: '192.0.2.254',
      dev: 'eth0',
      weight: 2,
      flags: ['onlink'],
    });
    assert.equal(r[1]?.gateway, 'fe80::1');
    assert.equal(
      toolError(() => parseIpRoute('[{"dst":"default","metric":"x"}]')).message,
      'ip -j route show: route 1: field "metric": expected integer, got "x"',
    );
  });
});

describe('ip link/addr text', () => {
  test('the seed line: eth0@if4615 in a pod, master ovs-system', () => {
    const i = parseIpLinkLine(
      '4: eth0@if4615: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 qdisc noqueue master ovs-system state UP mode DEFAULT group default',
    );
    assert.deepEqual(i, {
      ifindex: 4,
      ifname: 'eth0',
      linkIndex: 4615,
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      mtu: 1400,
      master: 'ovs-system',
      operstate: 'UP',
    });
    const e = toolError(() => parseIpLinkLine('    link/ether 0a:58:0a:80:02:2b'));
    assert.match(e.message, /^ip link\/addr \(text\): not an interface line/);
  });

  test('ip -d link text agrees with ip -j -d link taken at the same moment', () => {
    const text = parseIpText(data('generated-here/root-ns/ip-d-link.txt'));
    const json = parseIpLink(data('generated-here/root-ns/ip-j-d-link.json'));
    assert.deepEqual(text.issues, []);
    const essentials = (l: IpInterface) => [
      l.ifindex,
      l.ifname,
      l.linkIndex,
      l.mtu,
      l.operstate,
      l.address,
      l.kind,
      l.master,
    ];
    assert.deepEqual(text.interfaces.map(essentials), json.map(essentials));
  });

  test('ip addr text agrees with ip -j addr', () => {
    const text = parseIpText(data('generated-here/root-ns/ip-addr.txt'));
    const json = parseIpAddr(data('generated-here/root-ns/ip-j-addr.json'));
    const addrs = (l: IpInterface) => (l.addresses ?? []).map((a) => `${a.local}/${a.prefixlen} ${a.scope}`);
    assert.deepEqual(text.interfaces.map(addrs), json.map(addrs));
    assert.deepEqual(addrs(byName(text.interfaces, 'eth0')), [
      '192.0.2.2/24 global',
      'fd00::2/64 global',
      'fe80::fc:ff:fe00:1/64 link',
    ]);
  });

  test('ip netns list-id resolves the link_netnsid numbers of the JSON listing', () => {
    const { ids, issues } = parseIpNetnsListId(data('generated-here/netns-scenario/ip-netns-list-id.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(ids, [
      { nsid: 0, name: 'pod-a' },
      { nsid: 1, name: 'pod-b' },
      { nsid: 2, name: 'node2' },
    ]);
    const links = parseIpLink(data('generated-here/netns-scenario/ip-j-d-link.root-ns.json'));
    const nsOf = (l: IpInterface) => ids.find((i) => i.nsid === l.linkNetnsid)?.name;
    assert.equal(nsOf(byName(links, 'veth-pod-b')), 'pod-b');
    assert.equal(nsOf(byName(links, 'eth1')), 'node2');
    assert.deepEqual(parseIpNetnsListId('nsid 3 \nbogus').ids, [{ nsid: 3 }]);
    assert.equal(parseIpNetnsListId('nsid 3 \nbogus').issues[0]?.at, 'line 2');
  });

  test('netns scenario: @ifN peers, link-netns names, vxlan parameters', () => {
    const { interfaces, issues } = parseIpText(data('generated-here/netns-scenario/ip-d-link.root-ns.txt'));
    assert.deepEqual(issues, []);
    const a = byName(interfaces, 'veth-pod-a');
    assert.equal(a.linkIndex, 2);
    assert.equal(a.linkNetns, 'pod-a');
    assert.equal(a.kind, 'veth');
    assert.deepEqual(byName(interfaces, 'vxlan0').tunnel, {
      kind: 'vxlan',
      id: 4242,
      remote: '192.0.2.2',
      local: '192.0.2.1',
      port: 4789,
      dev: 'eth1',
    });
  });

  test('insights-core: OVS kernel datapath ports, flow-based vxlan, -s statistics skipped', () => {
    const { interfaces, issues } = parseIpText(data('insights-core/ip-s-d-link.ovs-vxlan.txt'));
    assert.deepEqual(issues, []);
    assert.equal(interfaces.length, 6);
    const eno1 = byName(interfaces, 'eno1');
    assert.equal(eno1.master, 'ovs-system');
    assert.equal(eno1.slaveKind, 'openvswitch');
    assert.equal(eno1.mtu, 9000);
    const vx = byName(interfaces, 'vxlan_sys_4789');
    assert.equal(vx.kind, 'vxlan');
    assert.equal(vx.slaveKind, 'openvswitch');
    assert.deepEqual(vx.tunnel, { kind: 'vxlan', id: 0, port: 4789, external: true });
    assert.equal(byName(interfaces, 'br-ex').kind, 'openvswitch');
  });

  test('insights-core: geneve, gre@NONE, bond slaves, team + bridge_slave', () => {
    const g = parseIpText(data('insights-core/ip-s-d-link.gre-geneve.txt'));
    assert.deepEqual(g.issues, []);
    assert.deepEqual(byName(g.interfaces, 'geneve0').tunnel, {
      kind: 'geneve',
      id: 10,
      remote: '192.168.43.254',
      port: 6081,
    });
    const gre0 = byName(g.interfaces, 'gre0');
    assert.equal(gre0.link, undefined);
    assert.equal(gre0.kind, 'gre');
    assert.equal(byName(g.interfaces, 'eth0_1').slaveKind, 'bond');
    const t = byName(parseIpText(data('insights-core/ip-s-link.bridge-slave.txt')).interfaces, 'tm0');
    assert.equal(t.kind, 'team');
    assert.equal(t.slaveKind, 'bridge');
    assert.equal(t.master, 'br0');
    const bond = parseIpText(data('insights-core/ip-d-s-link.bond.txt'));
    assert.deepEqual(bond.issues, []);
    assert.equal(byName(bond.interfaces, 'bond0').kind, 'bond');
    const cut = parseIpText(data('insights-core/ip-d-s-link.malformed-bond-slave.txt'));
    assert.equal(cut.interfaces[0]?.slaveKind, 'bond');
  });

  test('insights-core ip addr: garbage lines become issues, the interfaces around them are kept', () => {
    const { interfaces, issues } = parseIpText(data('insights-core/ip-addr.truncated-messages.txt'));
    assert.equal(interfaces.length, 6);
    assert.deepEqual(
      issues.map(formatIssue),
      [1, 2, 3].map((n) => `ip link/addr (text): line ${n}: not an interface line: "Message truncated"`),
    );
    const eth7 = byName(interfaces, 'eth7');
    assert.equal(eth7.master, 'bond1');
    assert.equal(eth7.linkNetnsid, 1);
    assert.deepEqual(eth7.addresses, []);
    assert.equal(byName(interfaces, 'bond1.57').link, 'bond1');
    assert.deepEqual(byName(interfaces, 'tunl1').addresses?.[0], {
      family: 'inet',
      local: '172.30.0.1',
      prefixlen: 32,
      peer: '172.30.0.2',
      scope: 'global',
      label: 'tun0',
    });
    const br = parseIpText(data('ovn-kubernetes/ip-a-ls-dev-br-ex.kubeadm-node1.txt')).interfaces[0];
    assert.equal(br?.ifindex, 6);
    assert.equal(br?.addresses?.[0]?.local, '192.168.123.1');
    assert.equal(br?.addresses?.[0]?.prefixlen, 24);
  });

  test('never throws on arbitrary text; parseIpLinkLine throws only NettraceError', () => {
    const piece = fc.constantFrom(
      '4: eth0@if4615: <UP,LOWER_UP> mtu 1400 master ovs-system state UP',
      '7: x@: <> mtu',
      '1: lo: <',
      '    link/ether 0a:58:0a:80:02:2b brd ff:ff:ff:ff:ff:ff link-netnsid',
      '    inet',
      '    inet6 ::1/abc peer',
      '    vxlan id x remote',
      '    RX: bytes',
      '    1 2 3',
      '    openvswitch_slave',
      '@',
      ':',
      '<>',
    );
    const text = fc
      .array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 12 })
      .map((a) => a.join('\n'));
    fc.assert(
      fc.property(text, (t) => {
        const r = parseIpText(t);
        assert.ok(Array.isArray(r.interfaces) && Array.isArray(r.issues));
        try {
          parseIpLinkLine(t);
        } catch (e) {
          assert.ok(e instanceof NettraceError, `threw ${String(e)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
