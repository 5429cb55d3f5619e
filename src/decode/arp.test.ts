import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../pcap/reader.ts';
import { arpFields } from './arp.ts';
import { defaultDissector } from './bindings.ts';
import type { ArpLayer } from './layers.ts';
import { arp, cat, eth, fill } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

const arpOf = (p: ReturnType<typeof decodeL3>) => p.layers.find((l) => l.proto === 'arp') as ArpLayer;

describe('ARP', () => {
  test('an Ethernet/IPv4 request: every field and the IPv4 addresses as numbers', () => {
    const p = decodeL3(eth(0x0806, arp({ op: 1, spa: [192, 168, 1, 10], tpa: [192, 168, 1, 1] })));
    assert.equal(protos(p), 'eth/arp');
    const a = arpOf(p);
    assert.deepEqual(
      [a.offset, a.hlen, a.htype, a.ptype, a.hsize, a.psize, a.opcode],
      [14, 28, 1, 0x0800, 6, 4, 1],
    );
    assert.deepEqual([a.shaOffset, a.spaOffset, a.thaOffset, a.tpaOffset], [22, 28, 32, 38]);
    assert.equal(a.senderIp, 0xc0a8010a);
    assert.equal(a.targetIp, 0xc0a80101);
    const want: Record<string, string> = {
      'arp.hw.type': '1',
      'arp.proto.type': '0x0800',
      'arp.hw.size': '6',
      'arp.proto.size': '4',
      'arp.opcode': '1',
      'arp.src.hw_mac': '02:00:00:00:00:0a',
      'arp.src.proto_ipv4': '192.168.1.10',
      'arp.dst.hw_mac': '00:00:00:00:00:00',
      'arp.dst.proto_ipv4': '192.168.1.1',
      'arp.src.hw': '',
      'arp.src.proto': '',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(field(p, k), v, k);
    assert.equal(p.issues, undefined);
  });

  test('Ethernet padding after the 28 bytes is ignored', () => {
    const p = decodeL3(eth(0x0806, cat(arp(), fill(18, 0xee))));
    assert.equal(arpOf(p).hlen, 28);
    assert.equal(p.issues, undefined);
  });

  test('other sizes are raw bytes; a size of 0 shows no address', () => {
    let p = decodeL3(eth(0x0806, arp({ ptype: 0x86dd, spa: fill(16, 1), tpa: fill(16, 2) })));
    assert.equal(field(p, 'arp.src.proto'), '01'.repeat(16));
    assert.equal(field(p, 'arp.src.proto_ipv4'), '');
    assert.equal(arpOf(p).senderIp, undefined);
    p = decodeL3(eth(0x0806, arp({ hsize: 0, sha: [], tha: [] })));
    assert.equal(field(p, 'arp.src.hw_mac') + field(p, 'arp.src.hw'), '');
    assert.equal(field(p, 'arp.src.proto_ipv4'), '10.0.0.1');
    p = decodeL3(eth(0x0806, arp({ hsize: 14, sha: fill(14, 0xab), tha: fill(14, 0xcd) })));
    assert.equal(field(p, 'arp.src.hw'), 'ab'.repeat(14));
    assert.equal(field(p, 'arp.dst.hw'), 'cd'.repeat(14));
  });

  test('IEEE 802 hardware and AX.25 protocol 0xcc count as MAC and IPv4', () => {
    let p = decodeL3(eth(0x0806, arp({ htype: 6 })));
    assert.equal(field(p, 'arp.src.hw_mac'), '02:00:00:00:00:0a');
    p = decodeL3(eth(0x0806, arp({ ptype: 0xcc })));
    assert.equal(field(p, 'arp.src.proto_ipv4'), '10.0.0.1');
    assert.equal(arpOf(p).senderIp, undefined);
    // AX.25 call signs are not shown (Wireshark prints them as text).
    p = decodeL3(eth(0x0806, arp({ htype: 3, sha: fill(7, 0x41), tha: fill(7, 0x42) })));
    assert.equal(field(p, 'arp.src.hw') + field(p, 'arp.src.hw_mac'), '');
  });

  test('addresses beyond the packet: bad-length, only the fixed header shown', () => {
    const p = decodeL3(eth(0x0806, arp({ hsize: 134 })));
    assert.deepEqual(issueCodes(p), ['bad-length:arp']);
    const a = arpOf(p);
    assert.equal(a.hlen, 8);
    assert.equal(field(p, 'arp.hw.size'), '134');
    assert.equal(field(p, 'arp.opcode'), '1');
    assert.equal(field(p, 'arp.src.hw') + field(p, 'arp.src.proto_ipv4') + field(p, 'arp.dst.hw'), '');
  });

  test('addresses cut by the snap length: truncated, and (as tshark) none of them shown', () => {
    const frame = eth(0x0806, arp()).subarray(0, 34);
    const p = decodeL3(frame, 1, 60);
    assert.deepEqual(issueCodes(p), ['truncated:arp']);
    assert.equal(field(p, 'arp.src.hw_mac'), '');
    assert.equal(arpOf(p).senderIp, undefined);
  });

  test('cut inside the 8-byte header: truncated, no layer', () => {
    for (let n = 0; n < 8; n++) {
      const p = decodeL3(eth(0x0806, arp().subarray(0, n)));
      assert.equal(protos(p), 'eth');
      assert.deepEqual(issueCodes(p), ['truncated:arp']);
    }
  });

  test('ATM ARP (hardware 19): common fields when its addresses fit, none when not', () => {
    const ok = cat(
      [0, 19, 8, 0, 0x46, 0, 0, 1, 4, 6, 0, 4],
      fill(6, 1),
      [10, 0, 0, 1],
      fill(6, 2),
      [10, 0, 0, 2],
    );
    let p = decodeL3(eth(0x0806, ok));
    assert.equal(field(p, 'arp.hw.type'), '19');
    assert.equal(field(p, 'arp.opcode'), '1');
    assert.equal(field(p, 'arp.hw.size'), '');
    assert.equal(arpOf(p).hlen, 32);
    p = decodeL3(eth(0x0806, cat([0, 19, 8, 0, 6, 4, 0, 1, 0, 0x1f, 0x29, 0xda], fill(20))));
    assert.equal(field(p, 'arp.hw.type') + field(p, 'arp.opcode'), '');
    assert.deepEqual(issueCodes(p), ['bad-length:arp']);
  });

  test("tcpdump's 2282 fuzzed ARP frames: no throw, no internal issue", () => {
    const d = defaultDissector();
    let n = 0;
    readCaptureFile(fileURLToPath(new URL('../../testdata/tcpdump/arp-oobr.pcap', import.meta.url)), {
      onPacket(rec) {
        const p = d.decode(rec.data, rec.origLen, rec.linktype);
        assert.ok(!p.issues?.some((i) => i.code === 'internal'), `frame ${rec.number}`);
        n++;
      },
    });
    assert.equal(n, 2282);
  });
});

const ARP_FIELDS = Object.keys(arpFields);

tsharkCorpusSuite(
  'arp fields equal tshark 4.0 on corpus captures',
  [
    'tcpdump/arp-oobr.pcap',
    'tcpdump/arp-too-long-tha.pcap',
    'zeek/arp-who-has.pcap',
    'zeek/linuxsll-arp.pcap',
    'zeek/linux_dlt_sll2.pcap',
    'pcapplusplus/ArpRequestWithVlan.pcap',
  ],
  ARP_FIELDS,
  [],
);

tsharkFramesSuite(
  'arp fields equal tshark 4.0 on built frames',
  [
    eth(0x0806, arp()),
    eth(0x0806, arp({ op: 2, tha: [1, 2, 3, 4, 5, 6], htype: 6 })),
    eth(0x0806, arp({ htype: 3, sha: fill(7, 0x41), tha: fill(7, 0x42) })),
    eth(0x0806, arp({ ptype: 0xcc })),
    eth(0x0806, arp({ ptype: 0x86dd, spa: fill(16, 1), tpa: fill(16, 2) })),
    eth(0x0806, arp({ hsize: 0, sha: [], tha: [] })),
    eth(0x0806, arp({ hsize: 134 })),
    eth(0x0806, arp().subarray(0, 20)),
    { data: eth(0x0806, arp().subarray(0, 20)), origLen: 60 },
    eth(0x0806, cat(arp(), fill(18))),
    eth(
      0x0806,
      cat([0, 19, 8, 0, 0x46, 0, 0, 1, 4, 6, 0, 4], fill(6, 1), [10, 0, 0, 1], fill(6, 2), [10, 0, 0, 2]),
    ),
    eth(0x0806, cat([0, 19, 8, 0, 6, 4, 0, 1, 0, 0x1f, 0x29, 0xda], fill(20))),
  ],
  1,
  ARP_FIELDS,
);
