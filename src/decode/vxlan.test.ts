import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultDissector } from './bindings.ts';
import { ascii, eth, ipv4, tcp, udp, vxlan } from './test-support/l4-build.ts';
import { decodeFrame, f, issueCodes, layer, protos } from './test-support/l4-decode.ts';
import { corpusDiffTests, type KnownDiff } from './test-support/l4-diff.ts';
import { vxlanFields } from './vxlan.ts';

const inner = eth(
  0x0800,
  ipv4(
    { proto: 6, src: [192, 168, 0, 1] },
    tcp({ sport: 33000, dport: 80, flags: 0x18 }, ascii('GET / HTTP/1.1\r\n\r\n')),
  ),
);
const over = (port: number, body: Uint8Array) =>
  eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 5000, dport: port }, body)));

describe('vxlan', () => {
  test('UDP 4789: flags, VNI and the inner Ethernet frame', () => {
    const p = decodeFrame(over(4789, vxlan(100, inner)));
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'vxlan', 'eth', 'ip', 'tcp', 'http']);
    assert.equal(p.issues, undefined);
    const v = layer(p, 'vxlan');
    assert.deepEqual(v, { proto: 'vxlan', offset: 42, hlen: 8, flags: 0x0800, vni: 100 });
    assert.equal(f(p, 'vxlan.flags'), '0x0800');
    assert.equal(f(p, 'vxlan.vni'), '100');
    assert.equal(f(p, 'ip.src'), '10.0.0.1,192.168.0.1');
  });

  test("UDP 8472 (Linux's default) is VXLAN too; the largest VNI prints in decimal", () => {
    const p = decodeFrame(over(8472, vxlan(0xffffff, inner)));
    assert.equal(f(p, 'vxlan.vni'), '16777215');
    assert.equal(layer(p, 'tcp', 0).dstPort, 80);
  });

  test('the I flag clear or GBP bits set: still decoded, flags shown as they are', () => {
    assert.equal(f(decodeFrame(over(4789, vxlan(5, inner, 0x0000))), 'vxlan.flags'), '0x0000');
    const gbp = decodeFrame(over(4789, vxlan(5, inner, 0x8800)));
    assert.equal(f(gbp, 'vxlan.flags'), '0x8800');
    assert.equal(f(gbp, 'tcp.dstport'), '80');
  });

  test('a header with nothing after it, and every cut inside the header', () => {
    const bare = decodeFrame(over(4789, vxlan(7, new Uint8Array(0))));
    assert.deepEqual(protos(bare), ['eth', 'ip', 'udp', 'vxlan']);
    assert.equal(bare.issues, undefined);
    const frame = over(4789, vxlan(7, inner));
    // (with no byte of it captured UDP hands nothing on: a snap length is not the packet's fault)
    for (let n = 1; n < 8; n++) {
      const p = decodeFrame(frame.subarray(0, 42 + n), frame.length);
      assert.deepEqual(protos(p), ['eth', 'ip', 'udp'], `cut at ${n}`);
      assert.deepEqual(issueCodes(p), ['truncated vxlan'], `cut at ${n}`);
    }
  });

  test('VXLAN-GPE (UDP 4790) is not taken for VXLAN unless decoded-as', () => {
    const frame = over(4790, vxlan(9, inner, 0x0c00));
    assert.deepEqual(protos(decodeFrame(frame)), ['eth', 'ip', 'udp']);
    const d = defaultDissector();
    d.decodeAs('udp.port==4790:vxlan');
    assert.equal(f(decodeFrame(frame, frame.length, d), 'vxlan.vni'), '9');
  });
});

const FIELDS = [
  ...Object.keys(vxlanFields),
  'eth.src',
  'ip.src',
  'tcp.srcport',
  'udp.srcport',
  'arp.opcode',
  'icmp.type',
];
const CORPUS: [string, KnownDiff[], string[]?][] = [
  ['tcpdump/vxlan.pcap', []],
  ['tcpdump/vxlan_port_8472.pcap', [], ['-d', 'udp.port==8472,vxlan']],
  ['tcpdump/gso-ipv4-vxlan-ipv4.pcap', []],
  [
    'tcpdump/nsh-over-vxlan-gpe.pcap',
    [
      {
        field: /^(vxlan\.|ip\.src|udp\.srcport)/,
        reason: 'tshark decodes VXLAN-GPE on UDP 4790; nettrace binds only plain VXLAN',
      },
    ],
  ],
  ['zeek/tunnels__vxlan.pcap', []],
  ['zeek/tunnels__vxlan-encapsulated-http.pcap', []],
  ['zeek/tunnels__vxlan-inner-tcp-bad-checksum.pcap', []],
  ['zeek/tunnels__vxlan-triple-v2.pcap', []],
  ['zeek/tunnels__geneve-vxlan-dns-truncated.pcap', []],
  ['pcapplusplus/Vxlan1.pcap', []],
  ['generated-here/netns-scenario/eth1-vlan-vxlan.pcap', []],
];

describe('vxlan: differential against tshark', () => {
  corpusDiffTests(CORPUS, FIELDS);
});
