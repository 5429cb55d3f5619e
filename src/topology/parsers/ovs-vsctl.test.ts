import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatIssue, ToolOutputError } from './errors.ts';
import { parseOvsOfctlShow } from './ovs-ofctl.ts';
import {
  type OvsInterface,
  parseOvsBridges,
  parseOvsdbJsonTable,
  parseOvsInterfaces,
  parseOvsPorts,
  parseOvsVsctlListText,
} from './ovs-vsctl.ts';
import { type OvsShow, parseOvsVsctlShow } from './ovs-vsctl-show.ts';
import { parseOvsdbText } from './ovsdb.ts';

const data = (p: string) => readFileSync(new URL(`../../../testdata/outputs/${p}`, import.meta.url), 'utf8');
const OVS = 'generated-here/ovs-userspace/';

function toolError(fn: () => unknown): ToolOutputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ToolOutputError, `expected ToolOutputError, got ${String(e)}`);
    return e;
  }
  assert.fail('did not throw');
}

const iface = (list: OvsInterface[], name: string): OvsInterface => {
  const i = list.find((x) => x.name === name);
  assert.ok(i, `no interface ${name}`);
  return i;
};

describe('ovs-vsctl --format=json list', () => {
  test('Bridge rows', () => {
    const bridges = parseOvsBridges(data(`${OVS}ovs-vsctl-format-json-list-Bridge.json`));
    assert.deepEqual(
      bridges.map((b) => [b.name, b.datapathType, b.failMode, b.ports?.length]),
      [
        ['breth0', 'netdev', undefined, 4],
        ['br-int', 'netdev', 'secure', 7],
      ],
    );
    assert.equal(bridges[1]?.uuid, '702ee6e7-a4c8-457d-953e-40352efa8689');
    assert.deepEqual(bridges[1]?.otherConfig, { 'disable-in-band': 'true' });
    assert.equal(bridges[1]?.datapathId, '0000e6e62e707d45');
  });

  test('Port rows: a tag is an integer, an empty tag is absent', () => {
    const ports = parseOvsPorts(data(`${OVS}ovs-vsctl-format-json-list-Port.json`));
    assert.equal(ports.length, 11);
    const trunk = ports.find((p) => p.name === 'vlan-trunk');
    assert.equal(trunk?.tag, 100);
    assert.deepEqual(trunk?.interfaces, ['fa734eb2-df7b-4276-99d1-3296de13a6b3']);
    assert.equal(ports.find((p) => p.name === 'eth0')?.tag, undefined);
  });

  test('Interface rows: patch peers, Geneve tunnels, OVN bindings, ofports', () => {
    const ifs = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    assert.equal(ifs.length, 11);
    const patch = iface(ifs, 'patch-br-int-to-breth0_node1');
    assert.equal(patch.type, 'patch');
    assert.equal(patch.options?.peer, 'patch-breth0_node1-to-br-int');
    assert.equal(patch.ofport, 2);
    assert.equal(patch.ifindex, 0);
    const gen = iface(ifs, 'ovn-d4e5f6-0');
    assert.equal(gen.type, 'geneve');
    assert.equal(gen.ofport, 4);
    assert.deepEqual(gen.options, {
      csum: 'true',
      key: 'flow',
      local_ip: '192.0.2.11',
      remote_ip: '192.0.2.13',
    });
    assert.equal(iface(ifs, 'ovn-a1b2c3-0').options?.remote_ip, '192.0.2.12');
    const pod = iface(ifs, '3f1c9e2b7a4d5e6');
    assert.equal(pod.type, '');
    assert.equal(pod.ofport, 5);
    assert.equal(pod.ifindex, 5);
    assert.equal(pod.externalIds?.['iface-id'], 'default_web-0');
    assert.equal(pod.externalIds?.attached_mac, '0a:58:0a:f4:01:05');
    assert.equal(pod.macInUse, 'da:ba:a5:31:d5:89');
    assert.equal(pod.linkState, 'down');
    assert.equal(pod.adminState, 'up');
    assert.equal(
      iface(ifs, '8b2d4f6a1c3e5a7').externalIds?.ip_addresses,
      '10.244.1.6/24,fd00:10:244:1::6/64',
    );
    const mp = iface(ifs, 'ovn-k8s-mp0');
    assert.equal(mp.mtuRequest, 1400);
    assert.equal(mp.statistics?.rx_packets !== undefined, true);
    assert.equal(iface(ifs, 'br-int').ofport, 65534);
  });

  test('bridge → port → interface uuids resolve', () => {
    const bridges = parseOvsBridges(data(`${OVS}ovs-vsctl-format-json-list-Bridge.json`));
    const ports = parseOvsPorts(data(`${OVS}ovs-vsctl-format-json-list-Port.json`));
    const ifs = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    const brInt = bridges.find((b) => b.name === 'br-int');
    const names = (brInt?.ports ?? [])
      .map((u) => ports.find((p) => p.uuid === u))
      .flatMap((p) => p?.interfaces ?? [])
      .map((u) => ifs.find((i) => i.uuid === u)?.name)
      .sort();
    assert.deepEqual(names, [
      '3f1c9e2b7a4d5e6',
      '8b2d4f6a1c3e5a7',
      'br-int',
      'ovn-a1b2c3-0',
      'ovn-d4e5f6-0',
      'ovn-k8s-mp0',
      'patch-br-int-to-breth0_node1',
    ]);
  });

  test('ofports agree with ovs-ofctl show of the same bridge', () => {
    const ifs = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    const { ports } = parseOvsOfctlShow(data(`${OVS}ovs-ofctl-show-br-int.txt`));
    for (const p of ports) {
      if (p.ofport === 'LOCAL') continue;
      // ovs-ofctl show truncates names to 15 characters (OpenFlow 1.0 port names).
      const match = ifs.filter((i) => i.name?.startsWith(p.name) && i.ofport === p.ofport);
      assert.equal(match.length >= 1, true, `${p.ofport}(${p.name})`);
    }
  });

  test('--data=json prints the same; --columns gives only those columns', () => {
    const a = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    const b = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-data-json-list-Interface.json`));
    assert.deepEqual(a, b);
    const cols = parseOvsInterfaces(data(`${OVS}ovs-vsctl-columns-format-json-list-Interface.json`));
    assert.equal(cols.length, 11);
    assert.deepEqual(cols[0], {
      name: 'patch-breth0_node1-to-br-int',
      ofport: 2,
      type: 'patch',
      externalIds: {},
      options: { peer: 'patch-br-int-to-breth0_node1' },
    });
    const generic = parseOvsdbJsonTable(data(`${OVS}ovs-vsctl-columns-format-json-list-Interface.json`));
    assert.deepEqual(generic.headings, ['name', 'ofport', 'type', 'external_ids', 'options']);
    assert.deepEqual(generic.rows[4]?.external_ids, ['map', [['iface-id', 'k8s-node1']]]);
  });

  test('a wrong type names command, row and column', () => {
    const text = data(`${OVS}ovs-vsctl-columns-format-json-list-Interface.json`).replace(
      '"ovn-d4e5f6-0",4,',
      '"ovn-d4e5f6-0","abc",',
    );
    const e = toolError(() => parseOvsInterfaces(text));
    assert.equal(e.message, 'ovs-vsctl list Interface: row 11: column "ofport": expected integer, got "abc"');
    assert.deepEqual(e.issues[0]?.path, [10, 'ofport']);
    const map = data(`${OVS}ovs-vsctl-format-json-list-Bridge.json`).replace(
      '["map",[["disable-in-band","true"]]]',
      '"x"',
    );
    assert.equal(
      toolError(() => parseOvsBridges(map)).message,
      'ovs-vsctl list Bridge: row 2: column "other_config": expected a map (["map", [[key, value], ...]]), got "x"',
    );
  });

  test('truncated output and short rows', () => {
    const text = data(`${OVS}ovs-vsctl-format-json-list-Port.json`);
    assert.match(
      toolError(() => parseOvsPorts(text.slice(0, 300))).message,
      /^ovs-vsctl list Port: output is cut short/,
    );
    const short =
      '{"data":[["a",1,"",["map",[]]]],"headings":["name","ofport","type","external_ids","options"]}';
    assert.equal(
      toolError(() => parseOvsInterfaces(short)).message,
      'ovs-vsctl list Interface: row 1: has 4 cells for 5 headings (output cut short?)',
    );
    const notCell = '{"data":[[{"a":1}]],"headings":["name"]}';
    assert.match(
      toolError(() => parseOvsdbJsonTable(notCell)).message,
      /row 1: column "name": expected an OVSDB value/,
    );
  });
});

describe('ovs-vsctl show', () => {
  const ports = (s: OvsShow, bridge: string) => s.bridges.find((b) => b.name === bridge)?.ports ?? [];
  const ifaceOf = (s: OvsShow, bridge: string, port: string) =>
    ports(s, bridge).find((p) => p.name === port)?.interfaces[0];

  test('userspace OVS (3.1.0): agrees with the JSON listing taken at the same time', () => {
    const { show, issues } = parseOvsVsctlShow(data(`${OVS}ovs-vsctl-show.txt`));
    assert.deepEqual(issues, []);
    assert.equal(show.uuid, '74488b8d-c193-4629-88a9-bc7cd5262e17');
    assert.equal(show.ovsVersion, '3.1.0');
    assert.deepEqual(
      show.bridges.map((b) => [b.name, b.failMode, b.datapathType, b.ports.length]),
      [
        ['breth0', undefined, 'netdev', 4],
        ['br-int', 'secure', 'netdev', 7],
      ],
    );
    assert.equal(ports(show, 'breth0').find((p) => p.name === 'vlan-trunk')?.tag, 100);
    assert.equal(ifaceOf(show, 'br-int', '3f1c9e2b7a4d5e6')?.type, '');
    const json = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    for (const b of show.bridges) {
      for (const p of b.ports) {
        for (const i of p.interfaces) {
          const j = iface(json, i.name);
          assert.equal(i.type, j.type, i.name);
          assert.deepEqual(i.options, j.options, i.name);
        }
      }
    }
  });

  test('multi-vtep doc: Geneve remote_ip/local_ip/tos on three tunnel ports (partial paste, no uuid)', () => {
    const { show, issues } = parseOvsVsctlShow(
      data('ovn-kubernetes/ovs-vsctl-show.multi-vtep-geneve.PARTIAL.txt'),
    );
    assert.deepEqual(issues, []);
    assert.equal(show.uuid, undefined);
    assert.deepEqual(
      ports(show, 'br-int').map((p) => [
        p.name,
        p.interfaces[0]?.type,
        p.interfaces[0]?.options.local_ip,
        p.interfaces[0]?.options.remote_ip,
      ]),
      [
        ['ovn0-5e3e5-0', 'geneve', '10.0.0.1', '10.0.0.10'],
        ['ovn0-e815c-1', 'geneve', '10.0.0.2', '10.0.0.10'],
        ['ovn-33f2e5-0', 'geneve', '10.0.0.3', '10.0.0.10'],
      ],
    );
    assert.equal(ifaceOf(show, 'br-int', 'ovn-33f2e5-0')?.options.tos, 'inherit');
  });

  test('multi-vtep doc: "..." elisions are issues, the remark after a tag is dropped', () => {
    const { show, issues } = parseOvsVsctlShow(data('ovn-kubernetes/ovs-vsctl-show.multi-vtep.PARTIAL.txt'));
    assert.deepEqual(
      issues.map(formatIssue),
      [3, 9, 15].map((n) => `ovs-vsctl show: line ${n}: not part of ovs-vsctl show: "..."`),
    );
    assert.deepEqual(
      show.bridges.map((b) => [b.name, b.ports[0]?.name, b.ports[0]?.tag, b.ports[0]?.interfaces[0]?.type]),
      [
        ['brenp1s0f1', 'vtep0', 25, 'internal'],
        ['brenp2s0f0', 'vtep1', 25, 'internal'],
        ['brenp3s0f0', 'vtep2', 25, 'internal'],
      ],
    );
  });

  test('BlueField DPU doc: misindented ovs_version still lands on the root', () => {
    const { show, issues } = parseOvsVsctlShow(data('ovn-kubernetes/ovs-vsctl-show.dpu-bluefield.txt'));
    assert.deepEqual(issues, []);
    assert.equal(show.ovsVersion, '3.2.1005');
    assert.deepEqual(
      show.bridges.map((b) => b.ports.map((p) => p.name)),
      [
        ['en3f1pf1sf0', 'p1', 'pf1hpf', 'ovsbr2'],
        ['p0', 'ovsbr1', 'pf0hpf', 'en3f0pf0sf0'],
      ],
    );
    assert.equal(show.bridges[1]?.other.ovs_version, undefined);
  });

  test('kubeadm doc: br-ex with an explicit type: system', () => {
    const { show } = parseOvsVsctlShow(data('ovn-kubernetes/ovs-vsctl-show.kubeadm-node1-br-ex.txt'));
    assert.equal(show.ovsVersion, '2.13.4');
    assert.equal(ifaceOf(show, 'br-ex', 'enp7s0')?.type, 'system');
    assert.equal(ifaceOf(show, 'br-ex', 'br-ex')?.type, 'internal');
  });

  test('insights-core OpenStack node (OVS 2.3.2): quoted names, VXLAN options, patch peers, tags', () => {
    const { show, issues } = parseOvsVsctlShow(data('insights-core/ovs-vsctl-show.openstack-ovs-2.3.2.txt'));
    assert.deepEqual(issues, []);
    assert.equal(show.ovsVersion, '2.3.2');
    assert.deepEqual(
      show.bridges.map((b) => [b.name, b.failMode, b.ports.length]),
      [
        ['br-ex', undefined, 4],
        ['br-int', 'secure', 7],
        ['br-tun', 'secure', 6],
      ],
    );
    assert.equal(ifaceOf(show, 'br-ex', 'qg-dacc6089-be')?.name, 'qg-dacc6089-be');
    assert.equal(ifaceOf(show, 'br-ex', 'phy-br-ex')?.options.peer, 'int-br-ex');
    assert.equal(ifaceOf(show, 'br-int', 'int-br-ex')?.options.peer, 'phy-br-ex');
    assert.equal(ports(show, 'br-int').find((p) => p.name === 'ha-1f423581-cd')?.tag, 3);
    assert.deepEqual(ifaceOf(show, 'br-tun', 'vxlan-aca80118')?.options, {
      df_default: 'true',
      in_key: 'flow',
      local_ip: '172.168.1.26',
      out_key: 'flow',
      remote_ip: '172.168.1.24',
    });
    const missing = parseOvsVsctlShow(data('insights-core/ovs-vsctl-show.missing-lines.txt'));
    assert.deepEqual(missing.issues, []);
    assert.deepEqual(
      missing.show.bridges.map((b) => [b.name, b.ports.length]),
      [['br-ex', 0]],
    );
  });

  test('managers, controllers, trunks, errors, and misplaced lines (hand-written in the 3.x layout)', () => {
    const text = [
      'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      '    Manager "ptcp:6640"',
      '        is_connected: true',
      '    Bridge br-int',
      '        Controller "unix:/var/run/openvswitch/br-int.mgmt"',
      '            is_connected: false',
      '        Port bond0',
      '            trunks: [10, 20]',
      '            tag: x',
      '            Interface eth9',
      '                error: "could not open network device eth9 (No such device)"',
      '        Interface orphan',
      '    ovs_version: "3.3.0"',
    ].join('\n');
    const { show, issues } = parseOvsVsctlShow(text);
    assert.deepEqual(show.managers, [{ target: 'ptcp:6640', isConnected: true, other: {} }]);
    assert.equal(show.bridges[0]?.controllers[0]?.isConnected, false);
    const bond = show.bridges[0]?.ports[0];
    assert.deepEqual(bond?.trunks, [10, 20]);
    assert.equal(bond?.interfaces[0]?.error, 'could not open network device eth9 (No such device)');
    assert.deepEqual(issues.map(formatIssue), [
      'ovs-vsctl show: line 9: "tag": expected a VLAN number, got "x"',
      'ovs-vsctl show: line 12: Interface outside a Port',
    ]);
    assert.equal(show.ovsVersion, '3.3.0');
  });
});

describe('ovs-vsctl list (text) and OVSDB text values', () => {
  test('list Interface text agrees with the JSON listing', () => {
    const { records, issues } = parseOvsVsctlListText(data(`${OVS}ovs-vsctl-list-Interface.txt`));
    assert.deepEqual(issues, []);
    assert.equal(records.length, 11);
    const json = parseOvsInterfaces(data(`${OVS}ovs-vsctl-format-json-list-Interface.json`));
    assert.deepEqual(
      records.map((r) => [r.name, r.ofport, r.type, r.options]),
      json.map((j) => [j.name, String(j.ofport), j.type, j.options]),
    );
    assert.equal(records[0]?.mac_in_use, '4e:56:d4:10:23:d3');
    assert.deepEqual(records[0]?.cfm_fault, []);
  });

  test('insights-core list Bridge: sets, maps with quoted values, grep-filtered records', () => {
    const { records, issues } = parseOvsVsctlListText(data('insights-core/ovs-vsctl-list-Bridge.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      records.map((r) => r.name),
      ['br-int', 'br-tun'],
    );
    assert.deepEqual(records[0]?.other_config, { 'disable-in-band': 'true', 'mac-table-size': '2048' });
    assert.deepEqual(records[0]?.protocols, ['OpenFlow11', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13']);
    assert.equal(records[0]?.datapath_type, 'enp0s9');
    assert.equal(records[1]?.datapath_type, '');
    const filtered = parseOvsVsctlListText(
      'name                : br-int\nother_config        : {}\nname                : br-tun\nother_config        : {a="1"}\n',
    );
    assert.deepEqual(filtered.records, [
      { name: 'br-int', other_config: {} },
      { name: 'br-tun', other_config: { a: '1' } },
    ]);
  });

  test('OVSDB text grammar', () => {
    assert.deepEqual(parseOvsdbText('{csum="true", key=flow, remote_ip="192.0.2.12"}'), {
      csum: 'true',
      key: 'flow',
      remote_ip: '192.0.2.12',
    });
    assert.deepEqual(parseOvsdbText('[]'), []);
    assert.deepEqual(parseOvsdbText('[1, 2]'), ['1', '2']);
    assert.equal(parseOvsdbText('"a \\"quoted\\" #1"'), 'a "quoted" #1');
    assert.equal(parseOvsdbText('{a=1'), undefined);
    assert.equal(parseOvsdbText('"open'), undefined);
    const bad = parseOvsVsctlListText('options             : {peer=x\n');
    assert.equal(
      formatIssue(bad.issues[0]!),
      'ovs-vsctl list: line 1: column "options": unbalanced value "{peer=x"',
    );
  });

  test('text parsers never throw on arbitrary input', () => {
    const piece = fc.constantFrom(
      '    Bridge br0',
      '        Port "p',
      '            Interface x',
      '  tag: 1',
      'options: {a=',
      '{',
      '"',
      '[1,',
      'k : v',
      '...',
    );
    const text = fc
      .array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 30 })), { maxLength: 12 })
      .map((a) => a.join('\n'));
    fc.assert(
      fc.property(text, (t) => {
        parseOvsVsctlShow(t);
        parseOvsVsctlListText(t);
        parseOvsdbText(t);
      }),
      { numRuns: 200 },
    );
  });
});
