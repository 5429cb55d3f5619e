import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Capture, CROSS_NODE, correlate, LAB, P, type PktSpec } from './testkit.ts';

// An echo from the pod on worker-0 to the static-server pod on worker-1 and back, through Geneve.
// True one-way latencies: 20 µs between the NICs each way; worker-1's clock is off by `skew`.
function caps(skew: number): Capture[] {
  const req: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.serverIp,
    id: 0x1111,
    proto: 'icmp',
    icmpType: 8,
    ident: 3,
    icmpSeq: 9,
    payload: 'clock-offset-probe',
  };
  const reqR: PktSpec = { ...req, ttl: 63, ethSrc: LAB.gw1Mac, ethDst: LAB.serverMac };
  const rep: PktSpec = {
    ...req,
    src: LAB.serverIp,
    dst: LAB.podIp,
    id: 0x2222,
    icmpType: 0,
    ethSrc: LAB.serverMac,
    ethDst: LAB.gw1Mac,
  };
  const repR: PktSpec = { ...rep, ttl: 63, ethSrc: LAB.gw0Mac, ethDst: LAB.podMac };
  const there = {
    outerEthSrc: LAB.node0Mac,
    outerEthDst: LAB.node1Mac,
    outerSrc: LAB.node0Ip,
    outerDst: LAB.node1Ip,
    vni: 4,
  };
  const back = {
    outerEthSrc: LAB.node1Mac,
    outerEthDst: LAB.node0Mac,
    outerSrc: LAB.node1Ip,
    outerDst: LAB.node0Ip,
    vni: 2,
  };
  const w1 = (t: number) => t + skew;
  return [
    { point: P.pod0, t: 1_000_000, pkt: req },
    { point: P.veth0, t: 1_004_000, pkt: req },
    { point: P.nic0, t: 1_030_000, pkt: { ...reqR, tunnel: there } },
    { point: P.nic1, t: w1(1_050_000), pkt: { ...reqR, tunnel: there } },
    { point: P.veth1, t: w1(1_060_000), pkt: reqR },
    { point: P.pod1, t: w1(1_064_000), pkt: reqR },
    { point: P.pod1, t: w1(1_100_000), pkt: rep },
    { point: P.veth1, t: w1(1_104_000), pkt: rep },
    { point: P.nic1, t: w1(1_120_000), pkt: { ...rep, tunnel: back } },
    { point: P.nic0, t: 1_140_000, pkt: { ...repR, tunnel: back } },
    { point: P.veth0, t: 1_160_000, pkt: repR },
    { point: P.pod0, t: 1_164_000, pkt: repR },
  ];
}

describe('clock offset between nodes', () => {
  test('worker-1 3 ms ahead: cross-node deltas flagged, directions still right, offset estimated', () => {
    const r = correlate(CROSS_NODE, caps(3_000_000));
    assert.equal(r.journeys.length, 2);
    const [q, a] = r.journeys;
    assert.equal(q!.direction, 'request');
    assert.equal(a!.direction, 'reply');
    assert.equal(a!.answers, 0);
    assert.deepEqual(
      q!.sightings.map((s) => s.comparable),
      [undefined, undefined, undefined, false, undefined, undefined],
    );
    assert.equal(q!.sightings[3]!.delta_ns, 3_020_000, 'the raw delta is kept');
    assert.equal(q!.sightings[4]!.delta_ns, 10_000, 'same-node deltas stay reliable');
    assert.equal(a!.sightings[3]!.delta_ns, 20_000 - 3_000_000);
    assert.equal(a!.sightings[3]!.comparable, false);
    assert.equal(q!.comparable, false);
    assert.deepEqual(r.clockOffsets, [
      { from: 'worker-0', to: 'worker-1', offset_ns: 3_000_000, samples: 2 },
    ]);
    assert.equal(r.clockWarnings.length, 1);
    assert.match(r.clockWarnings[0]!, /2 hop deltas between worker-0 and worker-1 are not comparable/);
    assert.match(r.clockWarnings[0]!, /1 are negative \(down to -2\.98 ms\)/);
    assert.match(r.clockWarnings[0]!, /estimated offset worker-1 - worker-0: 3 ms/);
  });

  test('worker-1 5 ms behind: the estimate is negative', () => {
    const r = correlate(CROSS_NODE, caps(-5_000_000));
    assert.equal(r.journeys[0]!.direction, 'request');
    assert.equal(r.journeys[1]!.direction, 'reply');
    assert.equal(r.clockOffsets[0]!.offset_ns, -5_000_000);
  });

  test('one node only: no warnings, no offsets, every delta comparable', () => {
    const r = correlate(
      CROSS_NODE,
      caps(0).filter((c) => c.point.startsWith('worker-0/')),
    );
    assert.deepEqual(r.clockWarnings, []);
    assert.deepEqual(r.clockOffsets, []);
    assert.ok(r.journeys.every((j) => j.comparable === true));
  });
});
