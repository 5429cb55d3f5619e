import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Capture,
  CROSS_NODE,
  correlate,
  LAB,
  P,
  type PktSpec,
  pseudoRandomBytes,
  TO_EXTERNAL,
} from './testkit.ts';

const MSS = 1400;

describe('TSO/GSO: one super-packet on the veths, five segments on the NICs', () => {
  const data = pseudoRandomBytes(5 * MSS, 99);
  const sup: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.serverIp,
    id: 0x2000,
    proto: 'tcp',
    sport: 45678,
    dport: 8080,
    seq: 1_000_000,
    ack: 777,
    flags: 0x18,
    payload: data,
  };
  const routed: PktSpec = { ...sup, ttl: 63, ethSrc: LAB.gw1Mac, ethDst: LAB.serverMac };
  const tunnel = {
    outerEthSrc: LAB.node0Mac,
    outerEthDst: LAB.node1Mac,
    outerSrc: LAB.node0Ip,
    outerDst: LAB.node1Ip,
    vni: 4,
  };
  // Segmented in software before the tunnel (GSO): consecutive ranges, incrementing IP IDs, PSH on the last.
  const segs: PktSpec[] = [0, 1, 2, 3, 4].map((k) => ({
    ...routed,
    id: 0x2000 + k,
    seq: 1_000_000 + k * MSS,
    flags: k === 4 ? 0x18 : 0x10,
    payload: data.subarray(k * MSS, (k + 1) * MSS),
    tunnel,
  }));
  function caps(dropAtNic1 = -1): Capture[] {
    return [
      { point: P.pod0, t: 0, pkt: sup },
      // the veth shows it as tcpdump shows a BIG TCP packet: IPv4 total length 0
      { point: P.veth0, t: 4_000, pkt: { ...sup, gsoZeroLen: true } },
      ...segs.map((pkt, k) => ({ point: P.nic0, t: 30_000 + k * 1_000, pkt })),
      ...segs
        .filter((_, k) => k !== dropAtNic1)
        .map((pkt, k) => ({ point: P.nic1, t: 60_000 + k * 1_000, pkt })),
      // GRO on worker-1 merges them again: the first segment's IP ID, the whole length
      { point: P.veth1, t: 80_000, pkt: routed },
      { point: P.pod1, t: 84_000, pkt: routed },
    ];
  }

  test('one journey, one sighting per point, the NIC sightings stand for 5 segments', () => {
    const r = correlate(CROSS_NODE, caps());
    assert.equal(r.journeys.length, 1, r.journeys.map((j) => j.summary).join('\n'));
    const j = r.journeys[0]!;
    assert.deepEqual(
      j.sightings.map((s) => [s.point, s.segments, s.segment_bytes]),
      [
        [P.pod0, undefined, undefined],
        [P.veth0, undefined, undefined],
        [P.nic0, 5, 7000],
        [P.nic1, 5, 7000],
        [P.veth1, undefined, undefined],
        [P.pod1, undefined, undefined],
      ],
    );
    assert.equal(j.sightings[2]!['tcp.seq_raw'], 1_000_000, 'the first segment stands for the rest');
    assert.ok(!j.findings.some((f) => f.kind === 'lost'));
    assert.deepEqual(
      j.findings.filter((f) => f.kind === 'encap' || f.kind === 'decap').map((f) => `${f.kind}@${f.at}`),
      [`encap@${P.nic0}`, `decap@${P.veth1}`],
    );
    assert.match(j.summary, /split into 5 segments/);
  });

  test('a segment missing on worker-1: 1400 bytes lost between the NICs', () => {
    const r = correlate(CROSS_NODE, caps(2));
    assert.equal(r.journeys.length, 1);
    const j = r.journeys[0]!;
    assert.equal(j.sightings[3]!.segments, 4);
    assert.equal(j.sightings[3]!.segment_bytes, 5600);
    assert.deepEqual(
      j.findings.filter((f) => f.kind === 'lost'),
      [{ kind: 'lost', at: P.nic0, expected: P.nic1, bytes: 1400 }],
    );
  });

  test('without the segments the super-packet is lost after the veth', () => {
    const r = correlate(
      CROSS_NODE,
      caps().filter((c) => c.point === P.pod0 || c.point === P.veth0),
    );
    assert.deepEqual(r.journeys[0]!.findings, [{ kind: 'lost', at: P.veth0, expected: P.nic0 }]);
  });
});

describe('TCP retransmission', () => {
  const data: PktSpec = {
    ethSrc: LAB.podMac,
    ethDst: LAB.gw0Mac,
    src: LAB.podIp,
    dst: LAB.externalIp,
    id: 0x0100,
    proto: 'tcp',
    sport: 40000,
    dport: 80,
    seq: 2_000_001,
    ack: 9_000_001,
    flags: 0x18,
    payload: 'GET /hello.txt HTTP/1.1\r\nHost: 203.0.113.10\r\n\r\n',
  };
  const out = (p: PktSpec): PktSpec => ({
    ...p,
    src: LAB.node0Ip,
    sport: 61234,
    ttl: 62,
    ethSrc: LAB.node0Mac,
    ethDst: LAB.externalMac,
  });
  // Linux sends the retransmission with a new IP ID (and here a newer ack): another packet.
  const again: PktSpec = { ...data, id: 0x0105 };
  const ack: PktSpec = {
    ethSrc: LAB.externalMac,
    ethDst: LAB.node0Mac,
    src: LAB.externalIp,
    dst: LAB.node0Ip,
    id: 0x4444,
    proto: 'tcp',
    sport: 80,
    dport: 61234,
    seq: 9_000_001,
    ack: 2_000_001 + 47,
    flags: 0x10,
  };
  const caps: Capture[] = [
    { point: P.pod0, t: 0, pkt: data },
    { point: P.veth0, t: 3_000, pkt: data },
    { point: P.pod0, t: 210_000_000, pkt: again },
    { point: P.veth0, t: 210_003_000, pkt: again },
    { point: P.nic0, t: 210_040_000, pkt: out(again) },
    { point: P.ext, t: 210_060_000, pkt: out(again) },
    { point: P.ext, t: 210_100_000, pkt: ack },
  ];

  test('a new journey flagged retransmission of the first, which was lost; not a duplicate', () => {
    const r = correlate(TO_EXTERNAL, caps);
    assert.equal(r.journeys.length, 3);
    const [first, second, reply] = r.journeys;
    assert.deepEqual(first!.findings, [{ kind: 'lost', at: P.veth0, expected: P.nic0 }]);
    assert.equal(first!.retransmission, undefined);
    assert.equal(second!.retransmission, true);
    assert.equal(second!.retransmits, 0);
    assert.match(
      second!.summary,
      /^retransmission: TCP 10\.128\.2\.43:40000 → 203\.0\.113\.10:80 \[PSH,ACK\] seq 2000001 len 47/,
    );
    assert.ok(!r.journeys.some((j) => j.findings.some((f) => f.kind === 'duplicate')));
    // the ACK seen at the external host only is a reply (its tuple mirrors the request's there)
    assert.equal(reply!.direction, 'reply');
    assert.equal(reply!.answers, 1, 'it answers the retransmission that got through');
    assert.deepEqual(reply!.findings, [{ kind: 'lost', at: P.ext, expected: P.nic0 }]);
    assert.equal(r.unmatched.singleSighting, 1);
  });
});
