// The flat decoder's contract (see flat.ts): whatever it takes, the Dissector decodes without an
// issue into the same protocols, and the analysis reads the same key and tunnel from the layers.
// Checked on every capture we have, on random bytes, on generated frames of every shape it reads
// (valid, corrupted, cut by a snap length; on Ethernet and Linux cooked v1/v2 links), under
// `--decode-as` rules and a shallow Dissector, and once more at the level of the whole analysis
// (flat and layer paths give the same result).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { analyzeFiles, makeDissector } from '../analyze.ts';
import { CORPORA, TESTDATA } from '../pcap/test-support/captures.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { defaultDissector, LINKTYPE } from './bindings.ts';
import type { Dissector } from './dissector.ts';
import { FlatDecoder } from './flat.ts';
import { FlatPacket } from './flat-packet.ts';
import {
  captures,
  contract,
  count,
  type FlatTally,
  flatMismatch,
  flatTally,
  newStats,
} from './test-support/flat-check.ts';
import { bytes, u8 } from './test-support/flat-frames.ts';
import { syntheticTraffic } from './test-support/flat-frames-traffic.ts';
import { captured, frames2, onEthernet, structured } from './test-support/flat-frames-tunnel.ts';
import { arp, ip4, sll1, sll2 } from './test-support/l3-build.ts';
import { ascii, concat, eth, geneve, ovnOption, tcp, udp, vxlan } from './test-support/l4-build.ts';

function assertAgrees(t: FlatTally, path: string): void {
  const shown = t.mismatches
    .slice(0, 5)
    .map((m) => `frame ${m.frame} (origLen ${m.origLen}): ${m.why}\n  ${m.hex}`);
  assert.equal(t.mismatches.length, 0, `${path}:\n${shown.join('\n')}`);
}

function checkCaptures(files: string[], d: Dissector): Map<string, FlatTally> {
  const flat = new FlatDecoder(d);
  const all = new Map<string, FlatTally>();
  for (const f of files) {
    const t = flatTally(f, d, flat);
    assertAgrees(t, f);
    all.set(f, t);
  }
  return all;
}

const testdataFiles = captures(TESTDATA);

describe('flat decoder: captures', () => {
  test('every testdata capture: the flat decoder agrees with the layers', () => {
    assert.ok(testdataFiles.length > 50, `only ${testdataFiles.length} captures under ${TESTDATA}`);
    const tallies = checkCaptures(testdataFiles, defaultDissector());
    // The fast path must keep taking the common shapes (else it silently stops being fast).
    const tally = (rel: string): FlatTally => {
      const t = tallies.get(join(TESTDATA, rel));
      assert.ok(t !== undefined && t.packets > 0, `${rel} missing or empty`);
      return t;
    };
    const share = (rel: string): number => tally(rel).taken / tally(rel).packets;
    for (const rel of [
      'journey/lab-trace.pcapng', // Ethernet/IPv4/TCP, HTTP, some Geneve and ICMP
      'tcpdump/tfo-5c1fa7f9ae91.pcap', // Ethernet/IPv4/TCP with options
      'tcpdump/geneve.pcap', // Geneve with inner Ethernet/IPv4
      'zeek/tunnels__geneve-47101.pcap',
      'tcpdump/vxlan.pcap',
    ]) {
      assert.ok(share(rel) > 0.5, `${rel}: flat decoder took only ${(share(rel) * 100).toFixed(0)}%`);
    }
    // Linux cooked captures (`tcpdump -i any`), counted by the link type of the packets taken.
    for (const [rel, linktype] of [
      // v2, of a pod-network scenario: TCP, DNS, ICMP, ARP and VXLAN on veths and a bridge
      ['generated-here/netns-scenario/any-sll2.pcap', LINKTYPE.LINUX_SLL2],
      ['tcpdump/mptcp-v1.pcap', LINKTYPE.LINUX_SLL], // v1, TCP
      ['zeek/linuxsll-arp.pcap', LINKTYPE.LINUX_SLL], // v1, ARP
    ] as const) {
      const t = tally(rel);
      const taken = t.links[linktype] ?? 0;
      assert.ok(
        taken > t.packets * 0.3,
        `${rel}: flat decoder took ${taken} of ${t.packets} on link ${linktype}`,
      );
    }
  });

  const corpora = existsSync(CORPORA) ? captures(CORPORA) : [];
  test('every shared corpus capture: the flat decoder agrees with the layers', {
    skip: corpora.length === 0 ? `${CORPORA} is absent` : false,
  }, () => {
    checkCaptures(corpora, defaultDissector());
  });
});

/** Runs per property (the generated-frames one makes four times as many). */
const RUNS = 5000;
/** Runs of a property on `structured`: a fifth are Linux cooked frames, so RUNS are Ethernet ones. */
const STRUCTURED_RUNS = (RUNS * 5) / 4;

describe('flat decoder: properties', () => {
  test('arbitrary bytes never throw and never disagree', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const stats = newStats();
    const run = contract(d, flat, stats);
    fc.assert(
      fc.property(bytes(0, 200), fc.nat(3000), (data, extra) =>
        run({ data, origLen: data.length + extra, linktype: LINKTYPE.ETHERNET }),
      ),
      { numRuns: RUNS },
    );
    // The same, behind an Ethernet/IPv4 start so that the bytes reach the deeper readers.
    fc.assert(
      fc.property(bytes(0, 200), fc.nat(3000), u8, (tail, extra, proto) => {
        const data = concat(new Uint8Array(12), [0x08, 0x00, 0x45, 0], tail);
        if (data.length > 23) data[23] = proto % 3 === 0 ? 6 : proto % 3 === 1 ? 17 : 1;
        run({ data, origLen: data.length + extra, linktype: LINKTYPE.ETHERNET });
      }),
      { numRuns: RUNS },
    );
    // And behind a Linux cooked header (v1 or v2) naming IPv4 (with a version nibble), ARP or anything.
    fc.assert(
      fc.property(
        fc.constantFrom(LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2),
        bytes(0, 200),
        fc.nat(3000),
        fc.constantFrom(0x0800, 0x0806, -1),
        (linktype, raw, extra, protocol) => {
          const data = raw.slice();
          const [at, hlen] = linktype === LINKTYPE.LINUX_SLL ? [14, 16] : [0, 20];
          if (protocol >= 0 && data.length >= at + 2) data.set([protocol >> 8, protocol & 0xff], at);
          if (protocol === 0x0800 && data.length > hlen) data[hlen] = 0x45;
          run({ data, origLen: data.length + extra, linktype });
        },
      ),
      { numRuns: RUNS },
    );
    assert.equal(stats.runs, 3 * RUNS);
  });

  test('generated frames (valid, corrupted, cut): the flat decoder agrees, and takes many', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const stats = newStats();
    fc.assert(fc.property(structured, contract(d, flat, stats)), { numRuns: 4 * STRUCTURED_RUNS });
    // Not vacuous: a good share is taken, of every shape the flat decoder reads.
    assert.ok(stats.taken > stats.runs * 0.15, `taken ${stats.taken} of ${stats.runs}`);
    const all = JSON.stringify([...stats.kinds]);
    const kinds = (match: (kind: string) => boolean): number => count(stats.kinds, match);
    for (const kind of ['tcp', 'udp', 'udp+dns', 'icmp', 'none', 'arp']) {
      assert.ok(kinds((k) => k === kind) >= 20, `kind ${kind} seldom taken: ${all}`);
    }
    for (const tunnel of ['+geneve', '+vxlan']) {
      assert.ok(kinds((k) => k.includes(tunnel)) >= 20, `${tunnel} seldom taken: ${all}`);
      assert.ok(kinds((k) => k === `tcp${tunnel}`) >= 5, `tcp${tunnel} seldom taken: ${all}`);
    }
    assert.ok(kinds((k) => k.startsWith('udp+') && !k.startsWith('udp+dns')) >= 5, `UDP in tunnels: ${all}`);
    // VLAN-tagged frames: on every link, around tunnels and inside them, ARP too.
    const tagged = JSON.stringify([...stats.tagged]);
    const tags = (match: (key: string) => boolean): number => count(stats.tagged, match);
    for (const link of [LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2]) {
      assert.ok(tags((k) => k.startsWith(`${link} `)) >= 5, `tagged frames on link ${link}: ${tagged}`);
    }
    for (const kind of ['tcp', 'udp', 'arp']) {
      assert.ok(tags((k) => k.endsWith(` ${kind}`)) >= 5, `tagged ${kind} seldom taken: ${tagged}`);
    }
    assert.ok(tags((k) => k.includes('+geneve') || k.includes('+vxlan')) >= 10, `tagged tunnels: ${tagged}`);
    // Linux cooked frames of both versions are taken: IPv4 (plain and tunnelled) and ARP.
    const links = JSON.stringify([...stats.links]);
    for (const link of [LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2]) {
      const on = (match: (kind: string) => boolean): number =>
        count(stats.links, (k) => k.startsWith(`${link} `) && match(k.slice(k.indexOf(' ') + 1)));
      assert.ok(on(() => true) >= 20, `link type ${link} seldom taken: ${links}`);
      for (const kind of ['tcp', 'udp', 'arp']) {
        assert.ok(on((k) => k === kind) >= 5, `${kind} on link type ${link} seldom taken: ${links}`);
      }
      assert.ok(on((k) => k.includes('+')) >= 5, `tunnels on link type ${link} seldom taken: ${links}`);
      // Ethernet, loopback and IP-in-GRE devices, and addresses longer than the 8-byte slot.
      const cooked = JSON.stringify([...stats.cooked]);
      for (const what of ['hatype 1', 'hatype 772', 'hatype 778', 'halen>8']) {
        assert.ok((stats.cooked.get(`${link} ${what}`) ?? 0) >= 5, `${link} ${what} seldom taken: ${cooked}`);
      }
    }
  });
});

const RULES = [
  'udp.port==6081:none',
  'tcp.port==8080:none',
  'udp.port==4789:geneve',
  'ethertype==0x0800:none',
  'ip.proto==6:udp',
  'tcp.port==9999:http',
  // 1536 is an ethertype after an Ethernet header, a Linux protocol number after a cooked one.
  'ethertype==0x0600:ip',
  'linktype==276:none',
];

describe('flat decoder: --decode-as', () => {
  for (const rule of RULES) {
    test(`${rule}: captures and generated frames`, () => {
      const d = makeDissector([rule]);
      const tallies = checkCaptures(testdataFiles, d);
      fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), {
        numRuns: STRUCTURED_RUNS,
      });
      if (rule === 'ethertype==0x0800:none') {
        // No IPv4 is decoded, so only ARP and IPv6 are taken.
        let arps = 0;
        let v6 = 0;
        for (const t of tallies.values()) {
          assert.deepEqual(
            Object.keys(t.kinds).filter((k) => k !== 'arp' && !k.startsWith('v6 ')),
            [],
          );
          arps += t.kinds.arp ?? 0;
          for (const [k, n] of Object.entries(t.kinds)) if (k.startsWith('v6 ')) v6 += n;
        }
        assert.ok(arps > 0, 'ARP is still taken');
        assert.ok(v6 > 0, 'IPv6 is still taken');
      }
      if (rule === 'ethertype==0x0600:ip') {
        const flat = new FlatDecoder(d);
        const packet = ip4({ proto: 6 }, tcp({ sport: 40000, dport: 5432, flags: 0x10 }));
        for (const [linktype, frame] of [
          [LINKTYPE.ETHERNET, eth(0x0600, packet)],
          [LINKTYPE.LINUX_SLL, sll1(0x0600, packet)],
          [LINKTYPE.LINUX_SLL2, sll2(0x0600, packet)],
        ] as const) {
          assert.equal(flatMismatch(d, flat, frame, frame.length, linktype), undefined, `link ${linktype}`);
        }
        const frame = eth(0x0600, packet);
        assert.equal(flat.decode(frame, frame.length, LINKTYPE.ETHERNET, new FlatPacket()), true);
      }
      if (rule === 'linktype==276:none') {
        const t = tallies.get(join(TESTDATA, 'generated-here/netns-scenario/any-sll2.pcap'))!;
        assert.equal(t.taken, 0);
      }
      if (rule === 'udp.port==6081:none') {
        // Geneve's port unbound: its packets are plain UDP now, and still the flat decoder's.
        const t = tallies.get(join(TESTDATA, 'tcpdump/geneve.pcap'))!;
        assert.ok(t.taken > t.packets / 2, `taken ${t.taken} of ${t.packets}`);
      }
    });
  }

  test('all the rules at once', () => {
    const d = makeDissector(RULES.filter((r) => !r.startsWith('ethertype')));
    checkCaptures(testdataFiles, d);
    fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), {
      numRuns: STRUCTURED_RUNS,
    });
  });
});

describe('flat decoder: tunnels in tunnels, shallow dissectors', () => {
  const tcpFrame = eth(
    0x0800,
    ip4(
      { proto: 6, src: [10, 1, 0, 1], dst: [10, 1, 0, 2] },
      tcp({ sport: 40000, dport: 5432, flags: 0x18 }, ascii('data')),
    ),
  );
  const wrap = (kind: 'geneve' | 'vxlan', inner: Uint8Array, outer: number): Uint8Array =>
    eth(
      0x0800,
      ip4(
        { proto: 17, src: [172, 16, 0, outer], dst: [172, 16, 1, outer] },
        kind === 'geneve'
          ? udp({ sport: 50000, dport: 6081 }, geneve({ vni: outer, options: [ovnOption(3, 4)] }, inner))
          : udp({ sport: 50000, dport: 4789 }, vxlan(outer, inner)),
      ),
    );

  test('Geneve/VXLAN in Geneve/VXLAN: declined or agreeing', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const out = new FlatPacket();
    for (const [a, b] of [
      ['geneve', 'geneve'],
      ['vxlan', 'geneve'],
      ['geneve', 'vxlan'],
      ['vxlan', 'vxlan'],
    ] as const) {
      const frame = wrap(b, wrap(a, tcpFrame, 1), 2);
      assert.equal(
        d.decode(frame, frame.length, 1).layers.length,
        11,
        `${a} in ${b}: the frame holds both tunnels`,
      );
      assert.equal(flatMismatch(d, flat, frame, frame.length, 1), undefined, `${a} in ${b}`);
    }
    // ARP inside a tunnel: the packet belongs to the outer IP header's flow, not to non-IP.
    for (const kind of ['geneve', 'vxlan'] as const) {
      const frame = wrap(kind, eth(0x0806, arp()), 3);
      assert.equal(flatMismatch(d, flat, frame, frame.length, 1), undefined, `ARP in ${kind}`);
      if (flat.decode(frame, frame.length, 1, out)) assert.equal(out.ipVersion, 4, `ARP in ${kind}`);
    }
    // One tunnel is taken, with the tunnel around the inner flow.
    const one = wrap('geneve', tcpFrame, 9);
    assert.equal(flat.decode(one, one.length, 1, out), true);
    assert.equal(flatMismatch(d, flat, one, one.length, 1), undefined);
    assert.deepEqual([out.vni, out.sport, out.dport, out.outerSrc >>> 0], [9, 40000, 5432, 0xac100009]);
    // Generated: two tunnels deep, with everything else the generator varies.
    const stats = newStats();
    fc.assert(fc.property(captured(frames2.frame.map(onEthernet)), contract(d, flat, stats)), {
      numRuns: RUNS,
    });
  });

  for (const depth of [6, 7, 8, 9, 10]) {
    test(`a Dissector with maxDepth ${depth}`, () => {
      const d = defaultDissector();
      d.maxDepth = depth;
      checkCaptures(testdataFiles, d);
      fc.assert(fc.property(structured, contract(d, new FlatDecoder(d), newStats())), {
        numRuns: depth === 6 ? STRUCTURED_RUNS : Math.floor(STRUCTURED_RUNS / 3),
      });
    });
  }
});

describe('flat decoder: the whole analysis', () => {
  test('every testdata capture: the same result with and without the flat decoder', () => {
    for (const f of testdataFiles)
      assert.deepStrictEqual(analyzeFiles([f]), analyzeFiles([f], { flat: false }), f);
    // All at once: protocols and flows carried across files.
    assert.deepStrictEqual(analyzeFiles(testdataFiles), analyzeFiles(testdataFiles, { flat: false }));
    // And under the --decode-as rules.
    const some = [
      'journey/lab-trace.pcapng',
      'tcpdump/geneve.pcap',
      'tcpdump/vxlan.pcap',
      'zeek/http__get.pcap',
      'generated-here/netns-scenario/any-sll2.pcap',
    ].map((r) => join(TESTDATA, r));
    for (const rule of RULES) {
      assert.deepStrictEqual(
        analyzeFiles(some, { decodeAs: [rule] }),
        analyzeFiles(some, { decodeAs: [rule], flat: false }),
        rule,
      );
    }
  });

  test('a synthetic capture of mixed traffic, plain and in Geneve: the same result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat-'));
    try {
      const path = join(dir, 'mixed.pcapng');
      const pkts = syntheticTraffic(150);
      writePcapngFile(path, (w) => {
        const ifc = w.addInterface({ linktype: 1, name: 'eth0' });
        const base = 1_718_000_000;
        for (const p of pkts)
          w.writePacket(ifc, { tsSec: base, tsNsec: p.tNs, data: p.data, origLen: p.origLen });
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const fast = analyzeFiles([path]);
      const slow = analyzeFiles([path], { flat: false });
      assert.deepStrictEqual(fast, slow);
      // The capture holds what it should, so the comparison means something.
      const c = slow.conversations;
      assert.ok(pkts.length > 2000, `${pkts.length} packets`);
      assert.equal(slow.packets, pkts.length);
      assert.equal(slow.issues.packets, 0, JSON.stringify(slow.issues.samples.slice(0, 3)));
      assert.ok(c.http.length >= 70, `${c.http.length} HTTP transactions`);
      assert.ok(c.dns.length >= 150, `${c.dns.length} DNS transactions`);
      assert.ok(
        c.flows.some((f) => f.tunnel?.type === 'geneve' && f.proto === 'tcp'),
        'a flow first seen in Geneve',
      );
      assert.ok(
        c.flows.some((f) => f.tunnel === undefined && f.proto === 'tcp' && f.packetsAB >= 12),
        'a plain flow also seen wrapped',
      );
      assert.ok(c.flows.some((f) => f.proto === 'icmp'));
      assert.ok((c.nonIp.arp?.packets ?? 0) > 0, JSON.stringify(c.nonIp));
      const d = defaultDissector();
      const t = flatTally(path, d, new FlatDecoder(d));
      assertAgrees(t, path);
      assert.ok(t.taken > t.packets * 0.7, `flat decoder took ${t.taken} of ${t.packets}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
