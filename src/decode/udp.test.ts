import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  concat,
  dnsHeader,
  dnsName,
  eth,
  geneve,
  ipv4,
  ipv6,
  tcp,
  udp,
  udp4Frame,
} from './test-support/l4-build.ts';
import { assertNeverThrows, decodeFrame, f, issueCodes, layer, protos } from './test-support/l4-decode.ts';
import { corpusDiffTests, type KnownDiff } from './test-support/l4-diff.ts';
import { udpFields } from './udp.ts';

const query = Uint8Array.from([...dnsHeader(), ...dnsName('example.com'), 0, 1, 0, 1]);

describe('udp', () => {
  test('a datagram to port 53 is handed to DNS, bounded by the UDP length', () => {
    const p = decodeFrame(udp4Frame(40000, 53, query));
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'dns']);
    assert.equal(p.issues, undefined);
    const u = layer(p, 'udp');
    assert.equal(u.length, 8 + query.length);
    assert.equal(u.payloadOffset, 14 + 20 + 8);
    assert.equal(u.payloadLen, query.length);
    assert.equal(f(p, 'udp.srcport'), '40000');
    assert.equal(f(p, 'udp.dstport'), '53');
    assert.equal(f(p, 'udp.length'), String(8 + query.length));
    assert.equal(f(p, 'udp.checksum'), '0x0000');
  });

  test('the lower port is tried first (Wireshark order)', () => {
    const p = decodeFrame(udp4Frame(53, 6081, query));
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'dns']);
  });

  test('a length below 8: bad length, no checksum field, nothing decoded after', () => {
    const p = decodeFrame(eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 53, length: 4 }, query))));
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp']);
    assert.deepEqual(issueCodes(p), ['bad-length udp']);
    assert.equal(f(p, 'udp.length'), '4');
    assert.equal(f(p, 'udp.checksum'), '');
  });

  test('a length past the IP payload: bad length, and the IP payload is decoded', () => {
    const p = decodeFrame(eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 53, length: 200 }, query))));
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'dns']);
    assert.deepEqual(issueCodes(p), ['bad-length udp']);
    assert.equal(layer(p, 'udp').payloadLen, query.length);
    assert.equal(f(p, 'dns.qry.name'), 'example.com');
  });

  test('a length shorter than the IP payload bounds what is handed on', () => {
    // the question's class is outside the UDP length: DNS sees a cut message
    const p = decodeFrame(
      eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 53, length: 8 + query.length - 2 }, query))),
    );
    assert.equal(layer(p, 'udp').payloadLen, query.length - 2);
    assert.deepEqual(issueCodes(p), ['malformed dns']);
    assert.equal(f(p, 'dns.qry.name'), '');
  });

  test('every cut inside the header: one truncated issue, no layer', () => {
    const frame = udp4Frame(1, 53, query);
    for (let n = 0; n < 8; n++) {
      const p = decodeFrame(frame.subarray(0, 34 + n), frame.length);
      assert.deepEqual(protos(p), ['eth', 'ip'], `cut at ${n}`);
      assert.deepEqual(issueCodes(p), ['truncated udp'], `cut at ${n}`);
    }
  });

  test('a snaplen cut payload is handed on as captured; DNS reports it truncated', () => {
    const frame = udp4Frame(1, 53, query);
    const p = decodeFrame(frame.subarray(0, frame.length - 3), frame.length);
    assert.equal(layer(p, 'udp').payloadLen, query.length);
    assert.deepEqual(issueCodes(p), ['truncated dns']);
  });

  test('BIG TCP: length 0 under a length-0 IPv4 header runs to the end of the frame', () => {
    const inner = eth(
      0x0800,
      ipv4({ proto: 6, totalLen: 0 }, tcp({ sport: 1, dport: 2, flags: 0x18 }, new Uint8Array(70000))),
    );
    const frame = eth(
      0x0800,
      ipv4(
        { proto: 17, totalLen: 0 },
        udp({ sport: 5000, dport: 6081, length: 0 }, geneve({ vni: 5 }, inner)),
      ),
    );
    const p = decodeFrame(frame);
    assert.deepEqual(protos(p), ['eth', 'ip', 'udp', 'geneve', 'eth', 'ip', 'tcp']);
    assert.deepEqual(issueCodes(p), []);
    assert.equal(layer(p, 'udp').payloadLen, frame.length - 14 - 20 - 8);
    assert.equal(f(p, 'tcp.len'), '70000');
  });

  test('IPv6 length 0 without GSO or a jumbogram: flagged, the IP payload is used', () => {
    const p = decodeFrame(eth(0x86dd, ipv6({ nxt: 17 }, udp({ sport: 1, dport: 53, length: 0 }, query))));
    assert.deepEqual(issueCodes(p), ['bad-length udp']);
    assert.equal(layer(p, 'udp').payloadLen, query.length);
    assert.equal(f(p, 'udp.checksum'), '0x0000');
    assert.equal(f(p, 'dns.qry.name'), 'example.com');
  });

  test('inside an ICMP error a length past the quoted bytes is expected', () => {
    const quoted = ipv4({ proto: 17 }, udp({ sport: 5555, dport: 53 }, query)).subarray(0, 28);
    const p = decodeFrame(eth(0x0800, ipv4({ proto: 1 }, concat([3, 3, 0, 0, 0, 0, 0, 0], quoted))));
    assert.deepEqual(protos(p), ['eth', 'ip', 'icmp', 'ip', 'udp']);
    assert.equal((p.issues ?? []).filter((i) => i.layer === 'udp').length, 0, JSON.stringify(p.issues));
    assert.equal(f(p, 'udp.dstport'), '53');
  });

  test('random bytes after the header on UDP ports never throw', () => {
    assertNeverThrows('udp', [53, 4789, 8472, 6081, 12345]);
  });
});

const UDP_FIELDS = Object.keys(udpFields);
const CORPUS: [string, KnownDiff[]][] = [
  ['tcpdump/dns_udp.pcap', []],
  ['tcpdump/vxlan.pcap', []],
  ['tcpdump/geneve.pcap', []],
  ['tcpdump/gso-ipv4-geneve-ipv4.pcap', []],
  ['tcpdump/gso-ipv6-geneve-ipv6.pcap', []],
  [
    'tcpdump/bigtcp-ipv4-geneve-ipv4.pcap',
    [
      {
        field: 'udp.checksum',
        reason: 'tshark refuses UDP length 0 (< 8); nettrace accepts it under a BIG TCP IPv4 header',
      },
    ],
  ],
  [
    'tcpdump/bigtcp-ipv6-geneve-ipv6.pcap',
    [
      {
        field: /^udp\./,
        reason: 'tshark stops at an IPv6 payload length of 0; nettrace takes BIG TCP from the frame',
      },
    ],
  ],
  [
    'tcpdump/udp-length-heapoverflow.pcap',
    [
      {
        field: /^udp\.(src|dst)?port$/,
        reason: 'a cut header: tshark shows the ports it could read, nettrace no layer',
      },
    ],
  ],
  ['zeek/tunnels__geneve-vxlan-dns-truncated.pcap', []],
  ['zeek/dns__dns-corrupt.pcap', []],
];

describe('udp: differential against tshark', () => {
  corpusDiffTests(CORPUS, UDP_FIELDS);
});
