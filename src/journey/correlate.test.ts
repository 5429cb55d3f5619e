import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Correlator, correlateCapture } from './correlate.ts';
import {
  BASE_SEC,
  type Capture,
  CROSS_NODE,
  correlate,
  decodeFrame,
  frame,
  LAB,
  P,
  type PktSpec,
  THREE_POINTS,
  TO_EXTERNAL,
  writeCapture,
} from './testkit.ts';
import type { CapturePoint, Finding } from './types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nettrace-journey-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function kinds(fs: Finding[]): string[] {
  return fs.map((f) => `${f.kind}@${f.at}`);
}

const echo: PktSpec = {
  ethSrc: LAB.podMac,
  ethDst: LAB.gw0Mac,
  src: LAB.podIp,
  dst: '10.128.2.50',
  id: 0x3a01,
  proto: 'icmp',
  icmpType: 8,
  ident: 7,
  icmpSeq: 1,
  payload: 'nettrace-probe-0001-payload-0123456789abcdef',
};

describe('same-node path', () => {
  // Two pods on worker-0 on one logical switch: eth0 -> veth -> br-int -> veth -> eth0, nothing rewritten.
  const points: CapturePoint[] = [
    // The pod and its veth of THREE_POINTS, then the other pod's veth and eth0.
    ...THREE_POINTS.slice(0, 2),
    {
      id: 'worker-0/5be0c4d29a1f3e8',
      node: 'worker-0',
      interface: '5be0c4d29a1f3e8',
      role: 'host-veth',
      order: 2,
    },
    { id: 'worker-0/eth0@client-b', node: 'worker-0', interface: 'eth0', role: 'pod', order: 3 },
  ];
  const req: PktSpec = { ...echo, ethDst: '0a:58:0a:80:02:32' };
  const rep: PktSpec = {
    ...req,
    src: req.dst,
    dst: req.src,
    ethSrc: req.ethDst,
    ethDst: req.ethSrc,
    id: 0x9100,
    icmpType: 0,
  };
  const caps: Capture[] = [
    ...points.map((p, i) => ({ point: p.id, t: 1000 + i * 3000, pkt: req })),
    ...points.map((p, i) => ({ point: p.id, t: 50_000 + (3 - i) * 2500, pkt: rep })),
  ];

  test('an echo request and its reply, each seen at four points in path order, nothing changed', () => {
    const r = correlate(points, caps);
    assert.equal(r.journeys.length, 2);
    const [q, a] = r.journeys;
    assert.equal(q!.direction, 'request');
    assert.deepEqual(
      q!.sightings.map((s) => s.point),
      points.map((p) => p.id),
    );
    assert.deepEqual(q!.findings, []);
    assert.deepEqual(
      q!.sightings.map((s) => s.delta_ns),
      [undefined, 3000, 3000, 3000],
    );
    assert.equal(q!.latency_ns, 9000);
    assert.equal(q!.comparable, true);
    assert.equal(q!.sightings[0]!['icmp.ident'], 7);
    assert.equal(q!.sightings[0]!['ip.id'], 0x3a01);
    assert.equal(q!.sightings[0]!['eth.src'], LAB.podMac);
    assert.equal(a!.direction, 'reply');
    assert.deepEqual(
      a!.sightings.map((s) => s.point),
      [...points].reverse().map((p) => p.id),
    );
    assert.equal(a!.answers, 0);
    assert.equal(q!.answers, undefined);
    assert.deepEqual(r.clockWarnings, []);
    assert.match(
      q!.summary,
      /^ICMP echo request 10\.128\.2\.43 → 10\.128\.2\.50 \(id 7 seq 1\): 4 hops, 9 µs$/,
    );
  });

  test('the order packets arrive in does not matter (per-interface blocks, not interleaved)', () => {
    const c = new Correlator(points);
    const byPoint = [...caps].sort(
      (x, y) => points.findIndex((p) => p.id === y.point) - points.findIndex((p) => p.id === x.point),
    );
    for (const x of byPoint) c.add(x.point, BASE_SEC, x.t, decodeFrame(frame(x.pkt)));
    const r = c.result();
    assert.equal(r.journeys.length, 2);
    assert.equal(r.journeys[0]!.direction, 'request');
    assert.equal(r.journeys[0]!.sightings.length, 4);
    assert.equal(r.journeys[1]!.answers, 0);
  });
});

describe('SNAT to the node IP at the NIC', () => {
  // TCP SYN from the pod to the external host: OVN's gateway router rewrites source address and
  // port to 198.18.0.9:61234, routes twice (TTL 64 -> 62) and the frame leaves with the NIC's MAC.
  const syn: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.externalIp,
    id: 0x5c1d,
    proto: 'tcp',
    sport: 40000,
    dport: 80,
    seq: 0x11223344,
    flags: 0x02,
  };
  const synOut: PktSpec = {
    ...syn,
    src: LAB.node0Ip,
    sport: 61234,
    ttl: 62,
    ethSrc: LAB.node0Mac,
    ethDst: LAB.externalMac,
  };
  const synAck: PktSpec = {
    ethSrc: LAB.externalMac,
    ethDst: LAB.node0Mac,
    src: LAB.externalIp,
    dst: LAB.node0Ip,
    id: 0,
    proto: 'tcp',
    sport: 80,
    dport: 61234,
    seq: 0xaabbccdd,
    ack: 0x11223345,
    flags: 0x12,
  };
  const synAckIn: PktSpec = {
    ...synAck,
    dst: LAB.podIp,
    dport: 40000,
    ttl: 62,
    ethSrc: LAB.gw0Mac,
    ethDst: LAB.podMac,
  };
  const caps: Capture[] = [
    { point: P.pod0, t: 0, pkt: syn },
    { point: P.veth0, t: 4_000, pkt: syn },
    { point: P.nic0, t: 61_000, pkt: synOut },
    { point: P.ext, t: 90_000, pkt: synOut },
    { point: P.ext, t: 120_000, pkt: synAck },
    { point: P.nic0, t: 180_000, pkt: synAck },
    { point: P.veth0, t: 230_000, pkt: synAckIn },
    { point: P.pod0, t: 233_000, pkt: synAckIn },
  ];

  test('snat of address and port, routed and MAC rewrite, all at the NIC; the reply undoes it there', () => {
    const r = correlate(TO_EXTERNAL, caps);
    assert.equal(r.journeys.length, 2);
    const [q, a] = r.journeys;
    assert.equal(q!.direction, 'request');
    const nat = q!.findings.filter((f) => f.kind === 'snat');
    assert.deepEqual(nat, [
      { kind: 'snat', at: P.nic0, field: 'ip.src', from: '10.128.2.43', to: '198.18.0.9' },
      { kind: 'snat', at: P.nic0, field: 'tcp.srcport', from: 40000, to: 61234 },
    ]);
    assert.deepEqual(
      q!.findings.find((f) => f.kind === 'routed'),
      { kind: 'routed', at: P.nic0, field: 'ip.ttl', from: 64, to: 62 },
    );
    assert.deepEqual(
      q!.findings
        .filter((f) => f.kind === 'mac-rewrite')
        .map((f) => f.kind === 'mac-rewrite' && [f.field, f.to]),
      [
        ['eth.src', LAB.node0Mac],
        ['eth.dst', LAB.externalMac],
      ],
    );
    assert.ok(!q!.findings.some((f) => f.kind === 'lost'));
    assert.match(q!.summary, /SNAT 10\.128\.2\.43:40000→198\.18\.0\.9:61234 at worker-0\/ens2f0np0/);
    // the reply: DNAT back to the pod at the hop after the NIC (the veth), marked as the reverse
    assert.equal(a!.direction, 'reply');
    assert.equal(a!.answers, 0);
    const back = a!.findings.filter((f) => f.kind === 'dnat');
    assert.deepEqual(back, [
      { kind: 'dnat', at: P.veth0, field: 'ip.dst', from: '198.18.0.9', to: '10.128.2.43', reverses: true },
      { kind: 'dnat', at: P.veth0, field: 'tcp.dstport', from: 61234, to: 40000, reverses: true },
    ]);
    // the external host is another clock: that hop's delta is flagged
    assert.equal(q!.sightings[3]!.comparable, false);
    assert.equal(q!.sightings[2]!.comparable, undefined);
    assert.equal(q!.comparable, false);
    assert.equal(r.clockWarnings.length, 1);
    assert.match(r.clockWarnings[0]!, /between external and worker-0 are not comparable/);
  });

  test('a drop after the veth: lost at the veth, the NIC expected', () => {
    const r = correlate(
      TO_EXTERNAL,
      caps.filter((c) => c.pkt === syn),
    );
    assert.equal(r.journeys.length, 1);
    const j = r.journeys[0]!;
    assert.deepEqual(j.findings, [{ kind: 'lost', at: P.veth0, expected: P.nic0 }]);
    assert.match(j.summary, /lost after worker-0\/a3f5c2b19e0d4c7 \(expected at worker-0\/ens2f0np0\)/);
  });

  test('a reply lost on its way in: lost at the NIC, the veth expected (reverse order)', () => {
    const r = correlate(
      TO_EXTERNAL,
      caps.filter((c) => c.pkt !== synAckIn),
    );
    const a = r.journeys.find((j) => j.direction === 'reply')!;
    assert.deepEqual(a.findings, [{ kind: 'lost', at: P.nic0, expected: P.veth0 }]);
    assert.ok(!r.journeys[0]!.findings.some((f) => f.kind === 'lost'));
  });

  test('through a pcapng file: interfaces named by point id, unknown interfaces counted', () => {
    const file = join(tmp, 'snat.pcapng');
    writeCapture(
      file,
      [...TO_EXTERNAL.map((p) => p.id), 'worker-0/br-ex'],
      [...caps, { point: 'worker-0/br-ex', t: 70_000, pkt: synOut }],
    );
    const r = correlateCapture(file, TO_EXTERNAL);
    assert.equal(r.packets, 9);
    assert.equal(r.unmatched.unknownPoint, 1);
    assert.equal(r.journeys.length, 2);
    assert.deepEqual(kinds(r.journeys[0]!.findings.filter((f) => f.kind === 'snat')), [
      `snat@${P.nic0}`,
      `snat@${P.nic0}`,
    ]);
    assert.deepEqual(
      r.journeys[0]!.sightings.map((s) => s.frame),
      [1, 2, 3, 5],
    );
    assert.equal(r.t0, `${BASE_SEC}.000000000`);
  });
});

describe('Geneve between the nodes', () => {
  const syn: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.serverIp,
    id: 0x0bad,
    proto: 'tcp',
    sport: 45678,
    dport: 8080,
    seq: 5000,
    flags: 0x02,
  };
  // Routed by ovn_cluster_router on worker-0, then tunnelled to worker-1 (VNI = the destination
  // switch's tunnel key; the OVN option carries the logical ingress/egress port keys).
  const routed: PktSpec = { ...syn, ttl: 63, ethSrc: LAB.gw1Mac, ethDst: LAB.serverMac };
  const tunnel = {
    outerEthSrc: LAB.node0Mac,
    outerEthDst: LAB.node1Mac,
    outerSrc: LAB.node0Ip,
    outerDst: LAB.node1Ip,
    vni: 4,
    ovn: { ingress: 1, egress: 3 },
    udpSport: 51234,
  };
  const caps: Capture[] = [
    { point: P.pod0, t: 0, pkt: syn },
    { point: P.veth0, t: 5_000, pkt: syn },
    { point: P.nic0, t: 30_000, pkt: { ...routed, tunnel } },
    { point: P.nic1, t: 55_000, pkt: { ...routed, tunnel } },
    { point: P.veth1, t: 70_000, pkt: routed },
    { point: P.pod1, t: 74_000, pkt: routed },
  ];

  test('encap at worker-0’s NIC with VNI, outer addresses and OVN keys; decap at worker-1’s veth', () => {
    const r = correlate(CROSS_NODE, caps);
    assert.equal(r.journeys.length, 1);
    const j = r.journeys[0]!;
    assert.equal(j.sightings.length, 6);
    assert.deepEqual(kinds(j.findings), [
      `encap@${P.nic0}`,
      `routed@${P.nic0}`,
      `mac-rewrite@${P.nic0}`,
      `mac-rewrite@${P.nic0}`,
      `decap@${P.veth1}`,
    ]);
    assert.deepEqual(j.findings[0], {
      kind: 'encap',
      at: P.nic0,
      tunnel: 'geneve',
      vni: 4,
      'outer.ip.src': '198.18.0.9',
      'outer.ip.dst': '198.18.0.7',
      ovn: { ingress: 1, egress: 3 },
    });
    assert.equal(j.findings[4]!.kind === 'decap' && j.findings[4]!.vni, 4);
    assert.deepEqual(j.sightings[2]!.encap, {
      tunnel: 'geneve',
      vni: 4,
      'outer.ip.src': '198.18.0.9',
      'outer.ip.dst': '198.18.0.7',
      ovn: { ingress: 1, egress: 3 },
    });
    assert.equal(j.sightings[2]!['ip.src'], LAB.podIp, 'sightings show the inner packet');
    assert.equal(j.sightings[4]!.encap, undefined);
    assert.equal(j.sightings[3]!.comparable, false, 'worker-0 -> worker-1 crosses clocks');
    assert.match(
      j.summary,
      /Geneve VNI 4 198\.18\.0\.9→198\.18\.0\.7 at worker-0\/ens2f0np0, decap at worker-1\//,
    );
    assert.match(j.summary, /\(across node clocks\)$/);
  });

  test('VXLAN is named as such', () => {
    const vx = { ...tunnel, kind: 'vxlan' as const, ovn: undefined };
    const r = correlate(
      CROSS_NODE,
      caps.map((c) => (c.pkt.tunnel ? { ...c, pkt: { ...c.pkt, tunnel: vx } } : c)),
    );
    const f = r.journeys[0]!.findings[0]!;
    assert.equal(f.kind, 'encap');
    assert.ok(f.kind === 'encap' && f.tunnel === 'vxlan' && f.vni === 4 && f.ovn === undefined);
  });
});

describe('IPv6', () => {
  test('an ICMPv6 echo across a routed hop: flow label in the fingerprint, hop limit as ip.ttl, paired reply', () => {
    const points = TO_EXTERNAL.slice(0, 3);
    const req: PktSpec = {
      ethSrc: LAB.podMac,
      ethDst: LAB.gw0Mac,
      src: 'fd00:10:128:2::2b',
      dst: '2001:db8::10',
      id: 0x5a5a5,
      proto: 'icmp',
      ident: 9,
      icmpSeq: 4,
      payload: 'v6-probe-payload',
    };
    const routed: PktSpec = { ...req, ttl: 63, ethSrc: LAB.node0Mac, ethDst: LAB.externalMac };
    const rep: PktSpec = { ...routed, src: req.dst, dst: req.src, icmpType: 129, id: 0x0a0a0, ttl: 64 };
    const repIn: PktSpec = { ...rep, ttl: 63, ethSrc: LAB.gw0Mac, ethDst: LAB.podMac };
    const r = correlate(points, [
      { point: P.pod0, t: 0, pkt: req },
      { point: P.veth0, t: 2_000, pkt: req },
      { point: P.nic0, t: 20_000, pkt: routed },
      { point: P.nic0, t: 90_000, pkt: rep },
      { point: P.veth0, t: 110_000, pkt: repIn },
      { point: P.pod0, t: 111_000, pkt: repIn },
      // the same echo with another flow label is another packet
      { point: P.pod0, t: 200_000, pkt: { ...req, id: 0x5a5a6 } },
    ]);
    assert.equal(r.journeys.length, 3);
    const [q, a, other] = r.journeys;
    assert.equal(q!.protocol, 'icmpv6');
    assert.equal(q!.sightings[0]!['ip.src'], 'fd00:10:128:2::2b');
    assert.equal(q!.sightings[0]!['ip.id'], undefined, 'no IP ID in IPv6');
    assert.deepEqual(
      q!.findings.find((f) => f.kind === 'routed'),
      { kind: 'routed', at: P.nic0, field: 'ip.ttl', from: 64, to: 63 },
    );
    assert.equal(a!.direction, 'reply');
    assert.equal(a!.answers, 0);
    assert.match(q!.summary, /^ICMPv6 echo request fd00:10:128:2::2b → 2001:db8::10 \(id 9 seq 4\): 3 hops/);
    assert.equal(other!.sightings.length, 1);
  });
});
