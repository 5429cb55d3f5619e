// The correlator on a capture recorded in the nettrace lab (testdata/journey/README.md says how).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { correlateCapture } from './correlate.ts';
import type { CapturePoint, Finding, Journey } from './types.ts';

const file = fileURLToPath(new URL('../../testdata/journey/lab-trace.pcapng', import.meta.url));

const POD = 'worker-0/eth0@nettools-dual-pod';
const VETH = 'worker-0/b6814bbdcf83f31';
const NIC0 = 'worker-0/ens2f0np0';
const NIC1 = 'worker-1/ens2f0np0';
const VETH1 = 'worker-1/189cb0c86fb6cc0';
const EXT = 'external/eth0';

const start: CapturePoint[] = [
  { id: POD, node: 'worker-0', interface: 'eth0', role: 'pod', pod: 'nettools-dual-pod', order: 0 },
  { id: VETH, node: 'worker-0', interface: 'b6814bbdcf83f31', role: 'host-veth', order: 1 },
  { id: NIC0, node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2 },
];
const toExternal: CapturePoint[] = [
  ...start,
  { id: EXT, node: 'external', interface: 'eth0', role: 'external', order: 3 },
];
const crossNode: CapturePoint[] = [
  ...start,
  { id: NIC1, node: 'worker-1', interface: 'ens2f0np0', role: 'nic', order: 3 },
  { id: VETH1, node: 'worker-1', interface: '189cb0c86fb6cc0', role: 'host-veth', order: 4 },
  { id: 'worker-1/eth0@static-server', node: 'worker-1', interface: 'eth0', role: 'pod', order: 5 },
];

const brief = (fs: Finding[]) =>
  fs.map(
    (f) => `${f.kind}@${f.at}${'from' in f ? ` ${f.from}>${f.to}` : ''}${'vni' in f ? ` vni ${f.vni}` : ''}`,
  );

function find(js: Journey[], re: RegExp): [Journey, number] {
  const i = js.findIndex((j) => re.test(j.summary));
  assert.ok(i >= 0, `no journey matches ${re}`);
  return [js[i]!, i];
}

describe('recorded lab capture: pod to the external host (SNAT)', () => {
  const r = correlateCapture(file, toExternal);

  test('the echo request keeps IP ID and ICMP id through SNAT; every change named at its hop', () => {
    const [q, qi] = find(r.journeys, /^ICMP echo request 10\.128\.2\.43 → 203\.0\.113\.10/);
    assert.deepEqual(
      q.sightings.map((s) => s.point),
      [POD, VETH, NIC0, EXT],
    );
    assert.equal(new Set(q.sightings.map((s) => s['ip.id'])).size, 1);
    assert.equal(new Set(q.sightings.map((s) => s['icmp.ident'])).size, 1);
    assert.deepEqual(brief(q.findings), [
      `snat@${NIC0} 10.128.2.43>198.18.0.9`,
      `routed@${NIC0} 64>62`,
      `mac-rewrite@${NIC0} 0a:58:0a:80:02:2b>02:00:c6:12:00:09`,
      `mac-rewrite@${NIC0} 0a:58:0a:80:02:01>02:00:c6:12:00:01`,
      `routed@${EXT} 62>61`,
      `mac-rewrite@${EXT} 02:00:c6:12:00:09>02:00:cb:00:71:01`,
      `mac-rewrite@${EXT} 02:00:c6:12:00:01>02:00:cb:00:71:0a`,
    ]);
    const [a] = find(r.journeys, /^ICMP echo reply 203\.0\.113\.10 → 198\.18\.0\.9/);
    assert.equal(a.direction, 'reply');
    assert.equal(a.answers, qi);
    assert.deepEqual(
      a.sightings.map((s) => s.point),
      [EXT, NIC0, VETH, POD],
    );
    assert.ok(
      a.findings.some((f) => f.kind === 'dnat' && f.at === VETH && f.to === '10.128.2.43' && f.reverses),
    );
  });

  test('the POST: every segment seen at all four points, none lost, each ACK paired with its segment', () => {
    const post = r.journeys.filter((j) => / 10\.128\.2\.43:44460 → 203\.0\.113\.10:80 /.test(j.summary));
    const data = post.filter((j) => (j.sightings[0]!['tcp.len'] ?? 0) > 0);
    assert.equal(data.length, 30, 'tshark counts 30 data segments at the pod');
    assert.ok(post.every((j) => j.sightings.length === 4 && !j.findings.some((f) => f.kind === 'lost')));
    // OVN's SNAT here kept the source port: only the address is rewritten
    assert.ok(
      data.every(
        (j) =>
          brief(j.findings.filter((f) => f.kind === 'snat')).join() === `snat@${NIC0} 10.128.2.43>198.18.0.9`,
      ),
    );
    const acks = r.journeys.filter((j) => j.direction === 'reply' && j.answers !== undefined);
    assert.ok(acks.length >= 15);
    for (const a of acks) {
      const q = r.journeys[a.answers!]!;
      assert.equal(q.direction, 'request');
    }
  });

  test('RSTs sent with IP ID 0 and identical bytes are one journey of identical packets, not a duplicate', () => {
    const [rst] = find(r.journeys, /\[RST\] seq 390753959 .*identical packets/);
    assert.ok(!rst.findings.some((f) => f.kind === 'duplicate'));
    assert.ok((rst.sightings[0]!.duplicates ?? 0) > 0);
  });

  test('one host clock really: the estimated offset to the "external" node is below 50 µs', () => {
    assert.equal(r.clockOffsets.length, 1);
    assert.ok(Math.abs(r.clockOffsets[0]!.offset_ns) < 50_000, JSON.stringify(r.clockOffsets));
    assert.equal(r.unmatched.unknownPoint, 36, 'worker-1 interfaces are not points of this path');
  });
});

describe('recorded lab capture: pod to static-server across nodes (Geneve, service DNAT)', () => {
  const r = correlateCapture(file, crossNode);

  test('echo: Geneve VNI 4 with OVN port keys at worker-0’s NIC, decap at worker-1’s veth; back on VNI 1', () => {
    const [q, qi] = find(r.journeys, /^ICMP echo request 10\.128\.2\.43 → 10\.129\.0\.12/);
    assert.equal(q.sightings.length, 6);
    assert.deepEqual(brief(q.findings.filter((f) => f.kind === 'encap' || f.kind === 'decap')), [
      `encap@${NIC0} vni 4`,
      `decap@${VETH1} vni 4`,
    ]);
    const encap = q.findings[0]!;
    assert.ok(encap.kind === 'encap');
    assert.equal(encap['outer.ip.src'], '198.18.0.9');
    assert.equal(encap['outer.ip.dst'], '198.18.0.7');
    assert.deepEqual(encap.ovn, { ingress: 3, egress: 2 });
    assert.equal(q.sightings[3]!.comparable, false);
    const [a] = find(r.journeys, /^ICMP echo reply 10\.129\.0\.12 → 10\.128\.2\.43/);
    assert.equal(a.answers, qi);
    assert.deepEqual(brief(a.findings.filter((f) => f.kind === 'encap' || f.kind === 'decap')), [
      `encap@${NIC1} vni 1`,
      `decap@${VETH} vni 1`,
    ]);
  });

  test('service: DNAT of the VIP to the backend at worker-0’s NIC, undone for the SYN-ACK at the veth', () => {
    const [syn, si] = find(r.journeys, /^TCP 10\.128\.2\.43:39370 → 172\.30\.112\.80:80 \[SYN\]/);
    assert.deepEqual(brief(syn.findings.filter((f) => f.kind === 'dnat')), [
      `dnat@${NIC0} 172.30.112.80>10.129.0.12`,
      `dnat@${NIC0} 80>8080`,
    ]);
    const [synAck] = find(r.journeys, /^TCP 10\.129\.0\.12:8080 → 10\.128\.2\.43:39370 \[SYN,ACK\]/);
    assert.equal(synAck.answers, si);
    assert.deepEqual(brief(synAck.findings.filter((f) => f.kind === 'snat')), [
      `snat@${VETH} 10.129.0.12>172.30.112.80`,
      `snat@${VETH} 8080>80`,
    ]);
    assert.ok(synAck.findings.every((f) => f.kind !== 'snat' || f.reverses === true));
  });
});
