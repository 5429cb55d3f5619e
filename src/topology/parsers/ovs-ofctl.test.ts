import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatIssue } from './errors.ts';
import { parseOfFlowLine, parseOvsOfctlDumpFlows, parseOvsOfctlShow, splitTopLevel } from './ovs-ofctl.ts';

const data = (p: string) => readFileSync(new URL(`../../../testdata/outputs/${p}`, import.meta.url), 'utf8');
const OVS = 'generated-here/ovs-userspace/';

describe('ovs-ofctl dump-flows', () => {
  test('OpenFlow 1.0 dump of breth0 (userspace OVS 3.1.0)', () => {
    const { flows, issues } = parseOvsOfctlDumpFlows(data(`${OVS}ovs-ofctl-dump-flows-breth0.txt`));
    assert.deepEqual(issues, []);
    assert.equal(flows.length, 6);
    assert.deepEqual(flows[0], {
      cookie: '0xdeff105',
      duration: 2.385,
      table: 0,
      nPackets: 0,
      nBytes: 0,
      idleAge: 2,
      flags: [],
      priority: 100,
      match: { ip: '', in_port: 'LOCAL' },
      actions: 'ct(commit,zone=64000,exec(load:0x2->NXM_NX_CT_MARK[])),output:1',
      actionList: ['ct(commit,zone=64000,exec(load:0x2->NXM_NX_CT_MARK[]))', 'output:1'],
    });
    const normal = flows[3];
    assert.equal(normal?.cookie, '0x0');
    assert.equal(normal?.nPackets, 5);
    assert.equal(normal?.nBytes, 426);
    assert.equal(normal?.priority, 0);
    assert.deepEqual(normal?.match, {});
    assert.deepEqual(flows[4]?.match, { ct_state: '+est+trk', ct_mark: '0x2', ip: '' });
    assert.equal(flows[4]?.table, 1);
  });

  test('OpenFlow 1.3 dump: reset_counts flag, no idle_age, same flows', () => {
    const o13 = parseOvsOfctlDumpFlows(data(`${OVS}ovs-ofctl-O13-dump-flows-breth0.txt`));
    const o10 = parseOvsOfctlDumpFlows(data(`${OVS}ovs-ofctl-dump-flows-breth0.txt`));
    assert.deepEqual(o13.issues, []);
    assert.deepEqual(o13.flows[0]?.flags, ['reset_counts']);
    assert.equal(o13.flows[0]?.idleAge, undefined);
    assert.deepEqual(o13.flows[3]?.flags, []); // the NORMAL flow was not added with reset_counts
    const key = (f: { table: number | string; priority: number; match: object; actions: string }) =>
      JSON.stringify([f.table, f.priority, f.match, f.actions]);
    assert.deepEqual(o13.flows.map(key), o10.flows.map(key));
    assert.deepEqual(parseOvsOfctlDumpFlows(data(`${OVS}ovs-ofctl-dump-flows-br-int.txt`)), {
      flows: [],
      issues: [],
    });
  });

  test('OVN-Kubernetes doc flows: quoted port names, nat(), big counters, empty match, doc remarks', () => {
    const { flows, issues } = parseOvsOfctlDumpFlows(data('ovn-kubernetes/ovs-ofctl-dump-flows.lines.txt'));
    assert.deepEqual(issues, []);
    assert.equal(flows.length, 64);
    assert.equal(flows[0]?.match.in_port, 'pf0vf1_r');
    assert.equal(flows[0]?.duration, 505314.637);
    assert.deepEqual(flows[1]?.actionList, ['ct(commit,table=2,zone=64001,nat(src=169.254.0.2))']);
    assert.equal(flows[2]?.nPackets, 359877855);
    assert.equal(flows[2]?.nBytes, 531033264511);
    assert.equal(flows[2]?.match.tp_dst, '6081');
    assert.deepEqual(flows[5]?.actionList, ['output:"patch-brp0_c-23"', 'output:"pf0vf1_r"']);
    const t3 = flows[10];
    assert.equal(t3?.table, 3);
    assert.equal(t3?.priority, 32768);
    assert.deepEqual(t3?.match, {});
    assert.equal(t3?.actionList.length, 3);
    // `... nat(dst=172.18.0.3)) #primary case`: the remark is not part of the actions.
    const primary = flows.find((f) => f.duration === 2877.527 && f.match.nw_dst === '169.254.169.2');
    assert.equal(primary?.actions, 'ct(commit,table=4,zone=64001,nat(dst=172.18.0.3))');
    const svc = flows.find(
      (f) => f.cookie === '0x790ba3355d0c209b' && f.table === 0 && f.match.in_port === '1',
    );
    assert.equal(svc?.idleAge, 100);
    assert.equal(svc?.match.tp_dst, '<nodePort>');
    assert.equal(flows.find((f) => f.table === 4 && f.nPackets === 11)?.match.ip, '');
  });

  test('insights-core mininet flows: idle_timeout, arp fields, table 10', () => {
    const { flows, issues } = parseOvsOfctlDumpFlows(data('insights-core/ovs-ofctl-dump-flows.mininet.txt'));
    assert.deepEqual(issues, []);
    assert.equal(flows.length, 8);
    assert.equal(flows[0]?.idleTimeout, 60);
    assert.equal(flows[0]?.priority, 65535);
    assert.deepEqual(flows[0]?.match, {
      arp: '',
      in_port: 's1-eth2',
      vlan_tci: '0x0000',
      dl_src: '62:ee:31:2b:35:7c',
      dl_dst: 'a2:72:e7:06:75:2e',
      arp_spa: '10.0.0.2',
      arp_tpa: '10.0.0.3',
      arp_op: '2',
    });
    assert.equal(flows[4]?.match.icmp_type, '8');
    const t10 = parseOvsOfctlDumpFlows(data('insights-core/ovs-ofctl-dump-flows.table10.txt')).flows[0];
    assert.equal(t10?.table, 10);
    assert.equal(t10?.cookie, '0x1');
    assert.equal(t10?.nBytes, 1196);
  });

  test('garbage and malformed stats are issues naming the line', () => {
    const err = parseOvsOfctlDumpFlows(data('insights-core/ovs-ofctl-dump-flows.error.txt'));
    assert.deepEqual(err.flows, []);
    assert.deepEqual(err.issues.map(formatIssue), [
      'ovs-ofctl dump-flows: line 1: not a flow (no "actions="): "Error: Invalid cmd"',
    ]);
    const bad = parseOvsOfctlDumpFlows(
      'NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=abc, table=0, n_packets=0, n_bytes=0, priority=1 actions=drop\n' +
        ' cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, priority=1 actions=drop\n',
    );
    assert.equal(bad.flows.length, 1);
    assert.match(
      formatIssue(bad.issues[0]!),
      /^ovs-ofctl dump-flows: line 2: not a flow \(stat "duration" is not a number: "abc"\)/,
    );
    assert.equal(typeof parseOfFlowLine('priority=x,ip actions=drop'), 'string');
  });

  test('splitTopLevel keeps nested parentheses, brackets and quotes whole', () => {
    assert.deepEqual(
      splitTopLevel('learn(table=1,NXM_OF_VLAN_TCI[0..11],output:NXM_OF_IN_PORT[]),output:"a,b",3'),
      ['learn(table=1,NXM_OF_VLAN_TCI[0..11],output:NXM_OF_IN_PORT[])', 'output:"a,b"', '3'],
    );
  });

  test('never throws on arbitrary text', () => {
    const piece = fc.constantFrom(
      'cookie=0x0, ',
      'duration=1s, ',
      'priority=5,',
      'ip,',
      ' actions=',
      'ct(',
      ')',
      '"',
      ',',
      ' #x',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 15 }),
        (a) => {
          parseOvsOfctlDumpFlows(a.join(''));
          parseOvsOfctlShow(a.join('\n'));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ovs-ofctl show', () => {
  test('br-int ports of the userspace OVS scenario', () => {
    const { dpid, ports, issues } = parseOvsOfctlShow(data(`${OVS}ovs-ofctl-show-br-int.txt`));
    assert.deepEqual(issues, []);
    assert.equal(dpid, '0000e6e62e707d45');
    assert.deepEqual(
      ports.map((p) => [p.ofport, p.name]),
      [
        [1, 'ovn-k8s-mp0'],
        [2, 'patch-br-int-to'],
        [3, 'ovn-a1b2c3-0'],
        [4, 'ovn-d4e5f6-0'],
        [5, '3f1c9e2b7a4d5e6'],
        [6, '8b2d4f6a1c3e5a7'],
        ['LOCAL', 'br-int'],
      ],
    );
    assert.deepEqual(ports[0], {
      ofport: 1,
      name: 'ovn-k8s-mp0',
      addr: '1a:f8:b6:b3:1c:e7',
      config: ['PORT_DOWN'],
      state: ['LINK_DOWN'],
      speedMbps: 10000,
    });
    assert.deepEqual(ports[2]?.state, []);
  });
});
