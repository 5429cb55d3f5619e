import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SllLayer } from './layers.ts';
import { sllFields } from './sll.ts';
import { arp, fill, ip4, ip6, sll1, sll2, udpHdr } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

const p4 = ip4({ proto: 17 }, udpHdr(1, 2));

describe('Linux cooked capture v1 (DLT 113)', () => {
  test('an IPv4 packet: header fields and the payload by EtherType', () => {
    const p = decodeL3(sll1(0x0800, p4, { pkttype: 4, hatype: 1 }), 113);
    assert.equal(protos(p), 'sll/ip');
    const l = p.layers[0] as SllLayer;
    assert.deepEqual(
      [l.version, l.hlen, l.pkttype, l.hatype, l.addrLen, l.addrOffset, l.protocol],
      [1, 16, 4, 1, 6, 6, 0x0800],
    );
    assert.equal(l.ifindex, undefined);
    assert.equal(field(p, 'sll.pkttype'), '4');
    assert.equal(field(p, 'sll.hatype'), '1');
    assert.equal(field(p, 'sll.halen'), '6');
    assert.equal(field(p, 'sll.src.eth'), '02:00:00:00:00:0a');
    assert.equal(field(p, 'sll.unused'), '0000');
    assert.equal(field(p, 'sll.etype'), '0x0800');
    assert.equal(field(p, 'sll.ltype'), '');
    assert.equal(field(p, 'sll.ifindex'), '');
  });

  test('address forms by length: 4 bytes as IPv4 (GRE tunnels), 0 none, 8 raw bytes', () => {
    let p = decodeL3(sll1(0x0800, p4, { hatype: 778, addr: [10, 0, 0, 1] }), 113);
    assert.equal(field(p, 'sll.src.ipv4'), '10.0.0.1');
    assert.equal(field(p, 'sll.gretype'), '0x0800');
    assert.equal(field(p, 'sll.etype'), '');
    assert.equal(protos(p), 'sll/ip');
    p = decodeL3(sll1(0x0800, p4, { hatype: 512, addr: [] }), 113);
    assert.equal(field(p, 'sll.src.eth') + field(p, 'sll.src.other') + field(p, 'sll.src.ipv4'), '');
    assert.equal(field(p, 'sll.unused'), '0000000000000000');
    p = decodeL3(sll1(0x0800, p4, { addr: [1, 2, 3, 4, 5, 6, 7, 8] }), 113);
    assert.equal(field(p, 'sll.src.other'), '0102030405060708');
    assert.equal(field(p, 'sll.unused'), '');
    // A length beyond the 8-byte slot shows the slot only.
    p = decodeL3(sll1(0x0800, p4, { addr: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }), 113);
    assert.equal(field(p, 'sll.halen'), '10');
    assert.equal(field(p, 'sll.src.other'), '0102030405060708');
  });

  test('Linux protocol numbers (<= 1536) are sll.ltype and are not decoded (0x0004 is LLC)', () => {
    for (const proto of [0x0004, 0x0001, 0x0600]) {
      const p = decodeL3(sll1(proto, fill(20, 0x42)), 113);
      assert.equal(protos(p), 'sll');
      assert.equal(field(p, 'sll.ltype'), `0x${proto.toString(16).padStart(4, '0')}`);
      assert.equal(field(p, 'sll.etype'), '');
      assert.equal(p.issues, undefined);
    }
    assert.equal(field(decodeL3(sll1(0x0601, fill(20)), 113), 'sll.etype'), '0x0601');
  });

  test('netlink (ARPHRD 824) frames are left alone: no layer, no issue', () => {
    const p = decodeL3(sll1(0x0010, fill(20), { hatype: 824, addr: [] }), 113);
    assert.equal(p.layers.length, 0);
    assert.equal(p.issues, undefined);
  });

  test('cut inside the 16-byte header: truncated, no layer', () => {
    const frame = sll1(0x0800, p4);
    for (let n = 0; n < 16; n++) {
      const p = decodeL3(frame.subarray(0, n), 113);
      assert.equal(p.layers.length, 0);
      assert.deepEqual(issueCodes(p), ['truncated:sll'], `${n} bytes`);
    }
  });
});

describe('Linux cooked capture v2 (DLT 276)', () => {
  test('interface index, packet type and protocol', () => {
    const p = decodeL3(sll2(0x86dd, ip6({ nxt: 59 }), { ifindex: 0xfffffffe, pkttype: 4 }), 276);
    assert.equal(protos(p), 'sll/ipv6');
    const l = p.layers[0] as SllLayer;
    assert.deepEqual(
      [l.version, l.hlen, l.ifindex, l.pkttype, l.addrOffset, l.protocol],
      [2, 20, 0xfffffffe, 4, 12, 0x86dd],
    );
    assert.equal(field(p, 'sll.ifindex'), '4294967294');
    assert.equal(field(p, 'sll.etype'), '0x86dd');
    assert.equal(field(p, 'sll.src.eth'), '02:00:00:00:00:0a');
  });

  test('ARP and LLC', () => {
    assert.equal(protos(decodeL3(sll2(0x0806, arp()), 276)), 'sll/arp');
    const p = decodeL3(sll2(0x0004, fill(20, 0x42)), 276);
    assert.equal(protos(p), 'sll');
    assert.equal(field(p, 'sll.ltype'), '0x0004');
  });

  test('cut inside the 20-byte header: truncated, no layer', () => {
    const frame = sll2(0x0800, p4);
    for (let n = 0; n < 20; n++) {
      const p = decodeL3(frame.subarray(0, n), 276);
      assert.equal(p.layers.length, 0);
      assert.deepEqual(issueCodes(p), ['truncated:sll'], `${n} bytes`);
    }
  });
});

const SLL_FIELDS = Object.keys(sllFields);

tsharkCorpusSuite(
  'sll fields equal tshark 4.0 on corpus captures',
  [
    'zeek/linux_dlt_sll2.pcap',
    'zeek/linuxsll-arp.pcap',
    'pcapplusplus/SllPacket.pcap',
    'pcapplusplus/Sll2Packet.pcap',
    'pcapplusplus/Sll2PacketLLC.pcap',
    'pcapplusplus/sll2.pcap',
    'tcpdump/mptcp-v1.pcap',
    'tcpdump/icmp-cksum-oobr-1.pcap',
  ],
  SLL_FIELDS,
);

describe('sll fields equal tshark 4.0 on built frames', () => {
  tsharkFramesSuite(
    'v1',
    [
      sll1(0x0800, p4),
      sll1(0x0800, p4, { hatype: 772, addr: fill(6) }),
      sll1(0x0800, p4, { hatype: 512, addr: [] }),
      sll1(0x0800, p4, { hatype: 778, addr: [10, 0, 0, 1] }),
      sll1(0x0004, fill(20, 0x42)),
      sll1(0x0600, fill(20)),
      sll1(0x0601, fill(20)),
      sll1(0x0800, p4, { addr: [1, 2, 3, 4, 5, 6, 7, 8] }),
      sll1(0x0800, p4, { addr: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }),
      sll1(0x0010, fill(20), { hatype: 824, addr: [] }),
      sll1(0x86dd, ip6({ nxt: 59 }), { addr: [1, 2, 3, 4] }),
    ],
    113,
    [...SLL_FIELDS, 'ip.src', 'ipv6.src'],
  );
  tsharkFramesSuite(
    'v2',
    [
      sll2(0x0800, p4),
      sll2(0x0800, p4, { hatype: 772, addr: fill(6), ifindex: 1 }),
      sll2(0x0800, p4, { hatype: 778, addr: [10, 0, 0, 1] }),
      sll2(0x0004, fill(20, 0x42)),
      sll2(0x86dd, ip6({ nxt: 59 }), { ifindex: 0xfffffffe }),
      sll2(0x0806, arp(), { pkttype: 4 }),
    ],
    276,
    [...SLL_FIELDS, 'ip.src', 'ipv6.src', 'arp.opcode'],
  );
});
