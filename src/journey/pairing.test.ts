import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Capture, CROSS_NODE, correlate, frame, LAB, P, type PktSpec, TO_EXTERNAL } from './testkit.ts';

function dns(id: number, response: boolean): Uint8Array {
  const name = [6, ...'static'.split('').map((c) => c.charCodeAt(0)), 0];
  return new Uint8Array([
    id >>> 8,
    id & 255,
    response ? 0x81 : 0x01,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ...name,
    0,
    1,
    0,
    1,
  ]);
}

describe('request/reply pairing', () => {
  test('DNS: the response with the query’s id answers it, through the service DNAT to port 5353', () => {
    const q: PktSpec = {
      ethSrc: LAB.podMac,
      ethDst: LAB.gw0Mac,
      src: LAB.podIp,
      dst: '172.30.0.10',
      id: 0x0a0a,
      proto: 'udp',
      sport: 41000,
      dport: 53,
      payload: dns(0xbeef, false),
    };
    const qN: PktSpec = { ...q, dst: '10.128.2.9', dport: 5353, ttl: 63 };
    const other: PktSpec = { ...q, id: 0x0a0b, sport: 41001, payload: dns(0x1234, false) };
    const r0: PktSpec = {
      ...qN,
      src: qN.dst,
      dst: q.src,
      sport: 5353,
      dport: 41000,
      id: 0x5000,
      payload: dns(0xbeef, true),
    };
    const r1: PktSpec = { ...r0, src: '172.30.0.10', sport: 53, ethSrc: LAB.gw0Mac, ethDst: LAB.podMac };
    const points = TO_EXTERNAL.slice(0, 3);
    const res = correlate(points, [
      { point: P.pod0, t: 0, pkt: q },
      { point: P.veth0, t: 1_000, pkt: q },
      { point: P.nic0, t: 9_000, pkt: qN },
      { point: P.pod0, t: 5_000, pkt: other },
      { point: P.nic0, t: 100_000, pkt: r0 },
      { point: P.veth0, t: 110_000, pkt: r1 },
      { point: P.pod0, t: 111_000, pkt: r1 },
    ]);
    const reply = res.journeys.find((j) => j.direction === 'reply')!;
    const query = res.journeys.findIndex((j) => j.summary.includes('id 48879') && j.direction === 'request');
    assert.ok(query >= 0);
    assert.equal(reply.answers, query);
    assert.match(reply.summary, /^DNS response 10\.128\.2\.9:5353 → 10\.128\.2\.43:41000 \(id 48879\)/);
    assert.deepEqual(
      reply.findings
        .filter((f) => f.kind === 'snat')
        .map((f) => f.kind === 'snat' && [f.field, f.to, f.reverses]),
      [
        ['ip.src', '172.30.0.10', true],
        ['udp.srcport', 53, true],
      ],
    );
  });

  test('ICMP echo whose identifier NAT rewrites: still one journey each way, paired', () => {
    const req: PktSpec = {
      ethSrc: LAB.podMac,
      ethDst: LAB.gw0Mac,
      src: LAB.podIp,
      dst: LAB.externalIp,
      id: 0x3300,
      proto: 'icmp',
      icmpType: 8,
      ident: 7,
      icmpSeq: 1,
      payload: 'ping-payload-with-a-timestamp-01',
    };
    const reqOut: PktSpec = { ...req, src: LAB.node0Ip, ident: 4242, ttl: 62 };
    const rep: PktSpec = { ...reqOut, src: LAB.externalIp, dst: LAB.node0Ip, icmpType: 0, id: 0x7000 };
    const repIn: PktSpec = { ...rep, dst: LAB.podIp, ident: 7 };
    const caps: Capture[] = [
      { point: P.pod0, t: 0, pkt: req },
      { point: P.veth0, t: 2_000, pkt: req },
      { point: P.nic0, t: 20_000, pkt: reqOut },
      { point: P.nic0, t: 500_000, pkt: rep },
      { point: P.veth0, t: 520_000, pkt: repIn },
      { point: P.pod0, t: 522_000, pkt: repIn },
    ];
    const res = correlate(TO_EXTERNAL.slice(0, 3), caps);
    assert.equal(res.journeys.length, 2);
    const [q, a] = res.journeys;
    assert.deepEqual(
      q!.findings.filter((f) => f.kind === 'snat'),
      [
        { kind: 'snat', at: P.nic0, field: 'ip.src', from: LAB.podIp, to: LAB.node0Ip },
        { kind: 'snat', at: P.nic0, field: 'icmp.ident', from: 7, to: 4242 },
      ],
    );
    assert.equal(a!.answers, 0);
    assert.deepEqual(
      a!.findings
        .filter((f) => f.kind === 'dnat')
        .map((f) => f.kind === 'dnat' && [f.field, f.to, f.reverses]),
      [
        ['ip.dst', LAB.podIp, true],
        ['icmp.ident', 7, true],
      ],
    );
    assert.equal(a!.sightings[0]!['icmp.ident'], 4242);
  });

  test('a flow selector decides the direction of packets seen at one point only', () => {
    const fwd: PktSpec = {
      ethSrc: LAB.podMac,
      ethDst: LAB.gw0Mac,
      src: LAB.podIp,
      dst: LAB.serverIp,
      id: 0x0101,
      proto: 'tcp',
      sport: 45678,
      dport: 8080,
      seq: 100,
      ack: 200,
      flags: 0x10,
    };
    const rev: PktSpec = {
      ...fwd,
      src: fwd.dst,
      dst: fwd.src,
      sport: 8080,
      dport: 45678,
      id: 0x0202,
      seq: 200,
      ack: 100,
    };
    const caps: Capture[] = [
      { point: P.nic1, t: 0, pkt: fwd },
      { point: P.nic1, t: 10_000, pkt: rev },
    ];
    const plain = correlate(CROSS_NODE, caps);
    assert.deepEqual(
      plain.journeys.map((j) => j.direction),
      ['request', 'request'],
      'nothing to tell them apart',
    );
    const sel = correlate(CROSS_NODE, caps, { request: { proto: 'tcp', src: LAB.podIp, dport: 8080 } });
    assert.deepEqual(
      sel.journeys.map((j) => j.direction),
      ['request', 'reply'],
    );
    assert.deepEqual(sel.journeys[0]!.findings, [{ kind: 'lost', at: P.nic1, expected: P.veth1 }]);
    assert.deepEqual(sel.journeys[1]!.findings, [{ kind: 'lost', at: P.nic1, expected: P.nic0 }]);
  });

  test('an ICMP error is one journey across NAT although NAT rewrites the packet it quotes, and answers it', () => {
    const probe: PktSpec = {
      ethSrc: LAB.podMac,
      ethDst: LAB.gw0Mac,
      src: LAB.podIp,
      dst: LAB.externalIp,
      id: 0x6161,
      proto: 'udp',
      sport: 40001,
      dport: 33434,
      payload: 'traceroute-probe',
    };
    const out: PktSpec = {
      ...probe,
      src: LAB.node0Ip,
      sport: 61001,
      ttl: 62,
      ethSrc: LAB.node0Mac,
      ethDst: LAB.externalMac,
    };
    // port unreachable: the IP header and first 8 bytes of what arrived, as the external host saw it
    const quote = (p: PktSpec) => frame(p).subarray(14, 14 + 28);
    const err: PktSpec = {
      ethSrc: LAB.externalMac,
      ethDst: LAB.node0Mac,
      src: LAB.externalIp,
      dst: LAB.node0Ip,
      id: 0x0e0e,
      proto: 'icmp',
      icmpType: 3,
      payload: quote(out),
    };
    // conntrack un-NATs the error and the packet it quotes on the way back in
    const errIn: PktSpec = {
      ...err,
      dst: LAB.podIp,
      ttl: 62,
      ethSrc: LAB.gw0Mac,
      ethDst: LAB.podMac,
      payload: quote(probe),
    };
    const res = correlate(TO_EXTERNAL, [
      { point: P.pod0, t: 0, pkt: probe },
      { point: P.veth0, t: 2_000, pkt: probe },
      { point: P.nic0, t: 30_000, pkt: out },
      { point: P.ext, t: 50_000, pkt: out },
      { point: P.ext, t: 60_000, pkt: err },
      { point: P.nic0, t: 80_000, pkt: err },
      { point: P.veth0, t: 110_000, pkt: errIn },
      { point: P.pod0, t: 112_000, pkt: errIn },
    ]);
    assert.equal(res.journeys.length, 2, res.journeys.map((j) => j.summary).join('\n'));
    const e = res.journeys[1]!;
    assert.equal(e.direction, 'reply');
    assert.equal(e.answers, 0);
    assert.equal(e.sightings.length, 4);
    assert.match(e.summary, /^ICMP destination unreachable 203\.0\.113\.10 → 198\.18\.0\.9: 4 hops/);
    assert.deepEqual(
      e.findings.filter((f) => f.kind === 'dnat'),
      [{ kind: 'dnat', at: P.veth0, field: 'ip.dst', from: LAB.node0Ip, to: LAB.podIp, reverses: true }],
    );
  });
});
