import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { geneveFields } from './geneve.ts';
import {
  ascii,
  eth,
  type GeneveOpts,
  geneve,
  ipv4,
  ipv6,
  ovnOption,
  tcp,
  udp,
} from './test-support/l4-build.ts';
import { decodeFrame, f, issueCodes, layer, protos } from './test-support/l4-decode.ts';
import { corpusDiffTests, type KnownDiff } from './test-support/l4-diff.ts';

const seg = tcp(
  { sport: 33000, dport: 8080, flags: 0x18 },
  ascii('GET /hello.txt HTTP/1.1\r\nHost: pod\r\n\r\n'),
);
const innerIp = ipv4({ proto: 6, src: [10, 128, 2, 43], dst: [10, 129, 0, 5] }, seg);
const innerEth = eth(0x0800, innerIp);
const tunnel = (o: GeneveOpts, inner: Uint8Array) =>
  eth(
    0x0800,
    ipv4(
      { proto: 17, src: [198, 18, 0, 9], dst: [198, 18, 0, 7] },
      udp({ sport: 5000, dport: 6081 }, geneve(o, inner)),
    ),
  );
const GENEVE_OFF = 14 + 20 + 8;

describe('geneve', () => {
  test("OVN's option: ingress and egress logical port keys", () => {
    const p = decodeFrame(
      tunnel({ vni: 0x1389, critical: true, options: [ovnOption(0x1234, 0x5678)] }, innerEth),
    );
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'geneve', 'eth', 'ip', 'tcp', 'http']);
    assert.equal(p.issues, undefined);
    const g = layer(p, 'geneve');
    assert.equal(g.version, 0);
    assert.equal(g.optLen, 8);
    assert.equal(g.hlen, 16);
    assert.equal(g.critical, true);
    assert.equal(g.oam, false);
    assert.equal(g.protocolType, 0x6558);
    assert.equal(g.vni, 0x1389);
    assert.deepEqual(g.options, [{ class: 0x0102, type: 0x80, length: 4, dataOffset: GENEVE_OFF + 12 }]);
    assert.deepEqual(g.ovn, { ingressPort: 0x1234, egressPort: 0x5678 });
    assert.equal(f(p, 'geneve.vni'), '0x001389');
    assert.equal(f(p, 'geneve.flags'), '0x40');
    assert.equal(f(p, 'geneve.flags.critical'), '1');
    assert.equal(f(p, 'geneve.flags.oam'), '0');
    assert.equal(f(p, 'geneve.proto_type'), '0x6558');
    assert.equal(f(p, 'geneve.option.class'), '0x0102');
    assert.equal(f(p, 'geneve.option.type'), '0x80');
    assert.equal(f(p, 'geneve.option.type.critical'), '1');
    assert.equal(f(p, 'geneve.option.length'), '8,8');
    assert.equal(f(p, 'ip.src'), '198.18.0.9,10.128.2.43');
  });

  test('the reserved top bit of the OVN option is not part of the ingress key', () => {
    const o = { cls: 0x0102, type: 0x80, data: [0xff, 0xff, 0x00, 0x02] };
    assert.deepEqual(layer(decodeFrame(tunnel({ vni: 1, options: [o] }, innerEth)), 'geneve').ovn, {
      ingressPort: 0x7fff,
      egressPort: 2,
    });
  });

  test('an OVN-class option of another type or length is listed but is not the port keys', () => {
    const p = decodeFrame(
      tunnel(
        {
          vni: 1,
          options: [
            { cls: 0x0102, type: 0x81, data: [0, 1, 0, 2] },
            { cls: 0x0102, type: 0x80, data: [0, 1, 0, 2, 0, 0, 0, 0] },
          ],
        },
        innerEth,
      ),
    );
    const g = layer(p, 'geneve');
    assert.equal(g.ovn, undefined);
    assert.equal(g.options.length, 2);
    assert.equal(f(p, 'geneve.option.length'), '20,8,12');
    assert.equal(f(p, 'geneve.option.type'), '0x81,0x80');
  });

  test('no options; OAM flag; inner IPv4 and IPv6 without Ethernet; an unknown protocol stops', () => {
    const v4 = decodeFrame(tunnel({ vni: 7, proto: 0x0800, oam: true }, innerIp));
    assert.deepEqual(protos(v4), ['eth', 'ip', 'udp', 'geneve', 'ip', 'tcp', 'http']);
    assert.equal(f(v4, 'geneve.option.length'), '0');
    assert.equal(f(v4, 'geneve.option.class'), '');
    assert.equal(f(v4, 'geneve.flags'), '0x80');
    assert.equal(f(v4, 'geneve.flags.oam'), '1');
    const v6 = decodeFrame(tunnel({ vni: 7, proto: 0x86dd }, ipv6({ nxt: 6 }, seg)));
    assert.deepEqual(protos(v6), ['eth', 'ip', 'udp', 'geneve', 'ipv6', 'tcp', 'http']);
    const other = decodeFrame(tunnel({ vni: 7, proto: 0x1234 }, innerIp));
    assert.deepEqual(protos(other), ['eth', 'ip', 'udp', 'geneve']);
    assert.equal(other.issues, undefined);
  });

  test('an unknown version is flagged and decoded anyway (as tshark does)', () => {
    const p = decodeFrame(tunnel({ vni: 7, version: 1 }, innerEth));
    assert.deepEqual(issueCodes(p), ['malformed geneve']);
    assert.equal(f(p, 'geneve.version'), '1');
    assert.equal(f(p, 'tcp.dstport'), '8080');
  });

  test('an option running past the options: options before it kept, the inner frame still decoded', () => {
    const bad = { cls: 0x0102, type: 0x80, data: [1, 2, 3, 4], words: 5 };
    const p = decodeFrame(
      tunnel({ vni: 7, options: [{ cls: 0x0105, type: 1, data: [9, 9, 9, 9] }, bad] }, innerEth),
    );
    assert.deepEqual(issueCodes(p), ['bad-length geneve']);
    const g = layer(p, 'geneve');
    assert.deepEqual(
      g.options.map((o) => o.class),
      [0x0105],
    );
    assert.equal(g.ovn, undefined);
    assert.equal(f(p, 'geneve.option.length'), '16,8');
    assert.equal(f(p, 'tcp.dstport'), '8080');
  });

  test('options longer than the capture: truncated, no options, nothing inside decoded', () => {
    const p = decodeFrame(tunnel({ vni: 7, optWords: 60, options: [ovnOption(1, 2)] }, new Uint8Array(10)));
    assert.deepEqual(issueCodes(p), ['truncated geneve']);
    assert.deepEqual(layer(p, 'geneve').options, []);
    assert.equal(f(p, 'geneve.option.length'), '240');
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'geneve']);
  });

  test('every cut inside the fixed header: one truncated issue, no layer', () => {
    const frame = tunnel({ vni: 7, options: [ovnOption(1, 2)] }, innerEth);
    // (with no byte of it captured UDP hands nothing on: a snap length is not the packet's fault)
    for (let n = 1; n < 8; n++) {
      const p = decodeFrame(frame.subarray(0, GENEVE_OFF + n), frame.length);
      assert.deepEqual(protos(p), ['eth', 'ip', 'udp'], `cut at ${n}`);
      assert.deepEqual(issueCodes(p), ['truncated geneve'], `cut at ${n}`);
    }
  });
});

const FIELDS = [
  ...Object.keys(geneveFields),
  'eth.src',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'tcp.len',
  'udp.srcport',
  'arp.opcode',
];
const CORPUS: [string, KnownDiff[]][] = [
  ['tcpdump/geneve.pcap', []],
  ['tcpdump/geneve-gcp.pcap', []],
  ['tcpdump/gso-ipv4-geneve-ipv4.pcap', []],
  ['tcpdump/gso-ipv6-geneve-ipv6.pcap', []],
  [
    'tcpdump/bigtcp-ipv4-geneve-ipv4.pcap',
    [
      {
        field: /^(geneve\.|eth\.src|ip\.src|tcp\.)/,
        reason: 'BIG TCP: tshark refuses the outer UDP length 0; nettrace decodes the tunnel as tcpdump does',
      },
    ],
  ],
  [
    'tcpdump/bigtcp-ipv6-geneve-ipv6.pcap',
    [
      {
        field: /^(geneve\.|eth\.src|ipv6\.src|tcp\.|udp\.)/,
        reason:
          'BIG TCP: tshark stops at the outer IPv6 payload length 0; nettrace decodes the tunnel as tcpdump does',
      },
    ],
  ],
  ['zeek/tunnels__geneve.pcap', []],
  ['zeek/tunnels__geneve-47101.pcap', []],
  ['zeek/tunnels__geneve-arp.pcap', []],
  ['zeek/tunnels__geneve-inner-tcp-bad-checksum.pcap', []],
  ['zeek/tunnels__geneve-ipv6.pcap', []],
  ['zeek/tunnels__geneve-many-options.pcap', []],
  ['zeek/tunnels__geneve-tagged-udp-packet.pcap', []],
  ['zeek/tunnels__geneve-truncated.pcapng', []],
  ['zeek/tunnels__geneve-vxlan-dns-truncated.pcap', []],
];

describe('geneve: differential against tshark', () => {
  corpusDiffTests(CORPUS, FIELDS);
});
