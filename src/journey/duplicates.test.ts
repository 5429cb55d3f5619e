import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Correlator } from './correlate.ts';
import { BASE_SEC, correlate, decodeFrame, frame, LAB, P, type PktSpec, TO_EXTERNAL } from './testkit.ts';

const echo: PktSpec = {
  ethSrc: LAB.podMac,
  ethDst: LAB.gw0Mac,
  src: LAB.podIp,
  dst: LAB.externalIp,
  id: 0x3a01,
  proto: 'icmp',
  icmpType: 8,
  ident: 7,
  icmpSeq: 1,
  payload: 'nettrace-probe-0001-payload-0123456789abcdef',
};

describe('duplicates', () => {
  test('a copy made at the NIC is reported there once, not again downstream', () => {
    const syn: PktSpec = { ...echo, dst: LAB.externalIp };
    const out: PktSpec = { ...syn, src: LAB.node0Ip, ttl: 62, ethSrc: LAB.node0Mac, ethDst: LAB.externalMac };
    const r = correlate(TO_EXTERNAL, [
      { point: P.pod0, t: 0, pkt: syn },
      { point: P.veth0, t: 2_000, pkt: syn },
      { point: P.nic0, t: 50_000, pkt: out },
      { point: P.nic0, t: 50_800, pkt: out },
      { point: P.ext, t: 90_000, pkt: out },
      { point: P.ext, t: 90_900, pkt: out },
    ]);
    assert.equal(r.journeys.length, 1, 'copies are not journeys of their own');
    const j = r.journeys[0]!;
    assert.deepEqual(
      j.findings.filter((f) => f.kind === 'duplicate'),
      [{ kind: 'duplicate', at: P.nic0, count: 1, delta_ns: 800 }],
    );
    assert.equal(j.sightings[2]!.duplicates, 1);
    assert.equal(j.sightings[3]!.duplicates, 1);
    assert.equal(j.retransmission, undefined);
    assert.match(j.summary, /duplicated at worker-0\/ens2f0np0 \(2 copies\)/);
  });

  test('the same bytes again after the duplicate window are a second passage', () => {
    const r = correlate(TO_EXTERNAL, [
      { point: P.pod0, t: 0, pkt: echo },
      { point: P.veth0, t: 2_000, pkt: echo },
      { point: P.pod0, t: 1_000_000_000, pkt: echo },
      { point: P.veth0, t: 1_000_002_000, pkt: echo },
    ]);
    assert.equal(r.journeys.length, 2);
    assert.ok(r.journeys.every((j) => !j.findings.some((f) => f.kind === 'duplicate')));
    assert.equal(r.journeys[1]!.retransmission, true);
    assert.equal(r.journeys[1]!.retransmits, 0);
  });
});

describe('Correlator input checks', () => {
  test('unknown points and duplicate ids are refused with a NettraceError', () => {
    assert.throws(() => new Correlator([...TO_EXTERNAL, TO_EXTERNAL[0]!]), {
      name: 'NettraceError',
      code: 'duplicate-point',
    });
    const c = new Correlator(TO_EXTERNAL);
    assert.throws(() => c.add('worker-9/eth0', 0, 0, decodeFrame(frame(echo))), { code: 'unknown-point' });
    assert.throws(() => c.add(17, 0, 0, decodeFrame(frame(echo))), { code: 'unknown-point' });
  });

  test('frames without IP are counted, not correlated; an empty run gives an empty result', () => {
    const c = new Correlator(TO_EXTERNAL);
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x58, 0x0a, 0x80, 0x02, 0x2b, 0x08, 0x06]);
    c.add(P.pod0, BASE_SEC, 0, decodeFrame(arp));
    const r = c.result();
    assert.equal(r.unmatched.nonIp, 1);
    assert.deepEqual(r.journeys, []);
    assert.equal(JSON.parse(JSON.stringify(r)).unmatched.nonIp, 1, 'the result is plain JSON');
  });
});
