import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Capture, CROSS_NODE, correlate, LAB, P, type PktSpec } from './testkit.ts';
import type { Finding } from './types.ts';

function kinds(fs: Finding[]): string[] {
  return fs.map((f) => `${f.kind}@${f.at}`);
}

describe('DNAT of a service VIP', () => {
  // The pod connects to the static-server Service; OVN's load balancer on the pod's node switch
  // rewrites 172.30.41.17:80 to the backend 10.129.0.5:8080 before the packet is tunnelled.
  const syn: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.serviceIp,
    id: 0x7777,
    proto: 'tcp',
    sport: 50505,
    dport: 80,
    seq: 42,
    flags: 0x02,
  };
  const dnated: PktSpec = {
    ...syn,
    dst: LAB.serverIp,
    dport: 8080,
    ttl: 63,
    ethSrc: LAB.gw1Mac,
    ethDst: LAB.serverMac,
  };
  const tunnel = {
    outerEthSrc: LAB.node0Mac,
    outerEthDst: LAB.node1Mac,
    outerSrc: LAB.node0Ip,
    outerDst: LAB.node1Ip,
    vni: 4,
  };
  const reply: PktSpec = {
    ethSrc: LAB.serverMac,
    ethDst: LAB.gw1Mac,
    src: LAB.serverIp,
    dst: LAB.podIp,
    id: 0,
    proto: 'tcp',
    sport: 8080,
    dport: 50505,
    seq: 9000,
    ack: 43,
    flags: 0x12,
  };
  const replyBack: PktSpec = {
    ...reply,
    src: LAB.serviceIp,
    sport: 80,
    ttl: 63,
    ethSrc: LAB.gw0Mac,
    ethDst: LAB.podMac,
  };
  const back = {
    ...tunnel,
    outerSrc: LAB.node1Ip,
    outerDst: LAB.node0Ip,
    outerEthSrc: LAB.node1Mac,
    outerEthDst: LAB.node0Mac,
  };
  const caps: Capture[] = [
    { point: P.pod0, t: 0, pkt: syn },
    { point: P.veth0, t: 3_000, pkt: syn },
    { point: P.nic0, t: 40_000, pkt: { ...dnated, tunnel } },
    { point: P.nic1, t: 60_000, pkt: { ...dnated, tunnel } },
    { point: P.veth1, t: 80_000, pkt: dnated },
    { point: P.pod1, t: 83_000, pkt: dnated },
    { point: P.pod1, t: 120_000, pkt: reply },
    { point: P.veth1, t: 123_000, pkt: reply },
    { point: P.nic1, t: 140_000, pkt: { ...replyBack, tunnel: back } },
    { point: P.nic0, t: 170_000, pkt: { ...replyBack, tunnel: back } },
    { point: P.veth0, t: 200_000, pkt: replyBack },
    { point: P.pod0, t: 203_000, pkt: replyBack },
  ];

  test('dnat of address and port at worker-0’s NIC; the reply’s snat back is at worker-1’s NIC', () => {
    const r = correlate(CROSS_NODE, caps);
    assert.equal(r.journeys.length, 2);
    const [q, a] = r.journeys;
    assert.deepEqual(
      q!.findings.filter((f) => f.kind === 'dnat'),
      [
        { kind: 'dnat', at: P.nic0, field: 'ip.dst', from: '172.30.41.17', to: '10.129.0.5' },
        { kind: 'dnat', at: P.nic0, field: 'tcp.dstport', from: 80, to: 8080 },
      ],
    );
    assert.match(q!.summary, /DNAT 172\.30\.41\.17:80→10\.129\.0\.5:8080 at worker-0\/ens2f0np0/);
    assert.equal(a!.direction, 'reply');
    assert.equal(a!.answers, 0);
    assert.deepEqual(
      a!.findings.filter((f) => f.kind === 'snat'),
      [
        { kind: 'snat', at: P.nic1, field: 'ip.src', from: '10.129.0.5', to: '172.30.41.17', reverses: true },
        { kind: 'snat', at: P.nic1, field: 'tcp.srcport', from: 8080, to: 80, reverses: true },
      ],
    );
    assert.deepEqual(kinds(a!.findings.filter((f) => f.kind === 'encap' || f.kind === 'decap')), [
      `encap@${P.nic1}`,
      `decap@${P.veth0}`,
    ]);
  });
});
