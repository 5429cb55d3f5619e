// The correlator's fast path (flat-view.ts) against its path of record (fingerprint.ts `extract`):
// whenever the flat decoder takes a frame, extractFlat must fill the PacketView exactly as extract
// fills it from the Dissector's layers of the same frame, wherever the frame sits in its buffer
// (alone, or at an offset with other bytes before and after it, as the capture reader hands it
// out). Checked on every capture we have, on generated frames (valid, corrupted, cut; Ethernet and
// Linux cooked; in Geneve and VXLAN), and on whole correlations with and without the flat path.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultDissector, LINKTYPE } from '../decode/bindings.ts';
import { FlatDecoder } from '../decode/flat.ts';
import { flatTally } from '../decode/test-support/flat-check.ts';
import { syntheticTraffic } from '../decode/test-support/flat-frames-traffic.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { CORPORA, TESTDATA } from '../pcap/test-support/captures.ts';
import { type CorrelateCaptureOptions, correlateCapture, journeyDissector } from './correlate.ts';
import { captures, checkCapture, checkers, describeFrame, tally } from './test-support/flat-view-check.ts';
import { frames, writeThreePoints } from './test-support/flat-view-frames.ts';
import { THREE_POINTS } from './testkit.ts';
import type { CapturePoint } from './types.ts';

const testdataFiles = captures(TESTDATA);

describe('extractFlat = extract: captures', () => {
  test('every testdata capture, with the journey and the default Dissector', () => {
    assert.ok(testdataFiles.length > 50, `only ${testdataFiles.length} captures under ${TESTDATA}`);
    const cs = checkers();
    const all = new Map(testdataFiles.map((f) => [f, checkCapture(f, cs)]));
    const share = (rel: string, name: string, kind = 'taken'): number => {
      const t = all.get(join(TESTDATA, rel));
      assert.ok(t !== undefined && t.packets > 0, `${rel} missing or empty`);
      return (t.counts.get(name)!.get(kind) ?? 0) / t.packets;
    };
    // Not vacuous: the flat path takes most of what the correlator reads.
    for (const name of ['journeyDissector', 'defaultDissector']) {
      for (const rel of [
        'journey/lab-trace.pcapng',
        'tcpdump/geneve.pcap',
        'zeek/tunnels__geneve-47101.pcap',
      ]) {
        const s = share(rel, name);
        assert.ok(s > 0.5, `${rel} (${name}): the flat decoder took only ${(s * 100).toFixed(0)}%`);
      }
      assert.ok(share('journey/lab-trace.pcapng', name, 'geneve+ovn') > 0.02, 'lab trace: Geneve with OVN');
      assert.ok(share('tcpdump/geneve.pcap', name, 'geneve') > 0.3, 'geneve.pcap: Geneve frames taken');
    }
    // The journey Dissector has no DNS decoder: DNS is plain UDP to the flat decoder, app still read.
    const total = (name: string, kind: string): number =>
      [...all.values()].reduce((n, t) => n + (t.counts.get(name)!.get(kind) ?? 0), 0);
    assert.ok(
      total('journeyDissector', 'udp 53 app') > total('defaultDissector', 'udp 53 app'),
      'the journey Dissector leaves DNS responses to the flat decoder',
    );
    for (const kind of ['tcp', 'udp', 'udp 53 app', 'icmp echo', 'vxlan', `link ${LINKTYPE.LINUX_SLL}`]) {
      assert.ok(total('journeyDissector', kind) >= 10, `${kind}: ${total('journeyDissector', kind)} taken`);
    }
  });

  const corpora = existsSync(CORPORA) ? captures(CORPORA) : [];
  test('every shared corpus capture, with the journey and the default Dissector', {
    skip: corpora.length === 0 ? `${CORPORA} is absent` : false,
  }, () => {
    const cs = checkers();
    let taken = 0;
    for (const f of corpora) taken += checkCapture(f, cs).counts.get('journeyDissector')!.get('taken') ?? 0;
    assert.ok(taken > 1000, `${taken} frames taken in ${corpora.length} captures`);
  });
});

// ---- Generated frames --------------------------------------------------------------------------

/** Property runs: each frame is checked with both Dissectors, read three ways. */
const RUNS = 12000;

describe('extractFlat = extract: generated frames', () => {
  test(`${RUNS} frames (Ethernet and Linux cooked, tunnels, ICMP, DNS ports, cut, corrupted)`, () => {
    const cs = checkers();
    const counts = new Map(cs.map((c) => [c.name, new Map<string, number>()]));
    let runs = 0;
    fc.assert(
      fc.property(frames, (f) => {
        runs++;
        const home =
          f.data.byteOffset > 0 || f.data.buffer.byteLength > f.data.length
            ? { buf: new Uint8Array(f.data.buffer), off: f.data.byteOffset }
            : undefined;
        for (const c of cs) {
          const r = c.check(f.data, f.origLen, f.linktype, home);
          if (r.mismatch !== undefined) {
            throw new Error(`${r.mismatch}\n${describeFrame(c, f.data, f.origLen, f.linktype)}`);
          }
          if (r.taken) tally(counts.get(c.name)!, c, f.data, f.origLen, f.linktype);
        }
      }),
      { numRuns: RUNS },
    );
    assert.equal(runs >= RUNS, true);
    // Not vacuous: every shape extractFlat has a branch for was taken, with both Dissectors. The
    // minimums are about half what a run takes (the default Dissector's DNS decoder keeps all but
    // plain queries on port 53 from the flat decoder, and it takes fewer frames in all).
    const min: Record<string, [journey: number, dflt: number]> = {
      taken: [1500, 1100],
      tcp: [400, 350],
      udp: [450, 200],
      'udp 53': [300, 40],
      'udp 53 app': [300, 30],
      'udp 5353': [60, 50],
      'udp 5353 app': [50, 40],
      icmp: [300, 300],
      'icmp echo': [25, 25],
      'icmp ext-echo': [40, 40],
      'icmp short': [60, 60],
      'other IP': [150, 150],
      geneve: [30, 20],
      'geneve+ovn': [100, 70],
      vxlan: [40, 30],
      'tunnel, no inner IP': [15, 15],
      'no IP': [70, 70],
      mac: [1200, 900],
      'no mac': [180, 130],
      'snaplen cut': [250, 180],
      [`link ${LINKTYPE.LINUX_SLL}`]: [80, 60],
      [`link ${LINKTYPE.LINUX_SLL2}`]: [80, 60],
    };
    for (const [name, m] of counts) {
      const seen = JSON.stringify(Object.fromEntries(m));
      for (const [kind, [journey, dflt]] of Object.entries(min)) {
        const n = name === 'journeyDissector' ? journey : dflt;
        assert.ok(
          (m.get(kind) ?? 0) >= n,
          `${name}: ${kind} taken ${m.get(kind) ?? 0} times (< ${n}): ${seen}`,
        );
      }
    }
  });
});

// ---- Whole correlations ------------------------------------------------------------------------

/** correlateCapture with and without the flat path must give the same result, and that not empty. */
function sameBothWays(path: string, points: CapturePoint[], opts: CorrelateCaptureOptions = {}): number {
  const fast = correlateCapture(path, points, opts);
  const slow = correlateCapture(path, points, { ...opts, flat: false });
  assert.deepEqual(fast, slow, path);
  assert.ok(fast.journeys.length > 0, `${path}: no journeys`);
  return fast.journeys.length;
}

/** A capture's interfaces as points, in file order (nameless ones mapped by "#<index>"). */
function pointsOf(path: string): { points: CapturePoint[]; interfaces: Record<string, string> } {
  const points: CapturePoint[] = [];
  const interfaces: Record<string, string> = {};
  readCaptureFile(path, {
    onInterface(i) {
      const id = i.name ?? `if${i.globalId}`;
      if (i.name === undefined) interfaces[`#${i.globalId}`] = id;
      if (points.some((p) => p.id === id)) return;
      const slash = id.indexOf('/');
      points.push({
        id,
        node: slash > 0 ? id.slice(0, slash) : 'node',
        interface: slash > 0 ? id.slice(slash + 1) : id,
        role: 'nic',
        order: points.length,
      });
    },
    onPacket() {},
  });
  return { points, interfaces };
}

const LAB = join(TESTDATA, 'journey/lab-trace.pcapng');
const START_POINTS: CapturePoint[] = [
  {
    id: 'worker-0/eth0@nettools-dual-pod',
    node: 'worker-0',
    interface: 'eth0',
    role: 'pod',
    pod: 'nettools-dual-pod',
    order: 0,
  },
  {
    id: 'worker-0/b6814bbdcf83f31',
    node: 'worker-0',
    interface: 'b6814bbdcf83f31',
    role: 'host-veth',
    order: 1,
  },
  { id: 'worker-0/ens2f0np0', node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2 },
];
const TO_EXTERNAL: CapturePoint[] = [
  ...START_POINTS,
  { id: 'external/eth0', node: 'external', interface: 'eth0', role: 'external', order: 3 },
];
const CROSS_NODE: CapturePoint[] = [
  ...START_POINTS,
  { id: 'worker-1/ens2f0np0', node: 'worker-1', interface: 'ens2f0np0', role: 'nic', order: 3 },
  {
    id: 'worker-1/189cb0c86fb6cc0',
    node: 'worker-1',
    interface: '189cb0c86fb6cc0',
    role: 'host-veth',
    order: 4,
  },
  { id: 'worker-1/eth0@static-server', node: 'worker-1', interface: 'eth0', role: 'pod', order: 5 },
];

describe('extractFlat = extract: whole correlations, flat path on and off', () => {
  test('the lab trace, to the external host and across nodes, with both Dissectors', () => {
    for (const points of [TO_EXTERNAL, CROSS_NODE]) {
      assert.ok(sameBothWays(LAB, points) > 50);
      sameBothWays(LAB, points, { dissector: defaultDissector() });
    }
  });

  test('every multi-interface pcapng under testdata, its interfaces as points', () => {
    let files = 0;
    for (const f of testdataFiles.filter((p) => p.endsWith('.pcapng'))) {
      const { points, interfaces } = pointsOf(f);
      if (points.length < 2) continue;
      files++;
      sameBothWays(f, points, { interfaces });
      sameBothWays(f, points, { interfaces, dissector: defaultDissector() });
    }
    assert.ok(files >= 3, `${files} multi-interface captures`);
  });

  test('a synthetic capture at three points, SNAT at the third, some in Geneve', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat-view-'));
    try {
      const path = join(dir, 'three-points.pcapng');
      const points = THREE_POINTS;
      const pkts = syntheticTraffic(120);
      writeThreePoints(path, points, pkts);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const r = correlateCapture(path, points);
      assert.deepEqual(r, correlateCapture(path, points, { flat: false }));
      // Not vacuous: the flat path read most of it, and the journeys are there.
      assert.ok(pkts.length > 1500, `${pkts.length} packets per point`);
      assert.equal(r.packets, 3 * pkts.length);
      const jd = journeyDissector();
      const t = flatTally(path, jd, new FlatDecoder(jd));
      assert.ok(t.taken > t.packets * 0.8, `flat decoder took ${t.taken} of ${t.packets}`);
      assert.ok((t.kinds['tcp+geneve'] ?? 0) > 300, JSON.stringify(t.kinds));
      const full = r.journeys.filter((j) => new Set(j.sightings.map((s) => s.point)).size === 3);
      assert.ok(
        full.length > r.journeys.length / 2,
        `${full.length} of ${r.journeys.length} at all three points`,
      );
      const nic = points[2]!.id;
      const snat = full.filter((j) => j.findings.some((f) => f.kind === 'snat' && f.at === nic));
      assert.ok(snat.length > full.length / 2, `${snat.length} of ${full.length} SNATed at the NIC`);
      assert.ok(
        full.some((j) => j.sightings.some((s) => s.encap?.tunnel === 'geneve' && s.encap.ovn !== undefined)),
        'a journey seen in Geneve with the OVN option',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
