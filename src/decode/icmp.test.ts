import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { icmpFields } from './icmp.ts';
import type { IcmpLayer, Ipv4Layer } from './layers.ts';
import {
  be16,
  be32,
  cat,
  eth,
  fill,
  icmpEcho,
  icmpError,
  ip4,
  ip6,
  udpHdr,
} from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

const icmpOf = (p: ReturnType<typeof decodeL3>) => p.layers.find((l) => l.proto === 'icmp') as IcmpLayer;
const inner = ip4(
  { proto: 17, src: [192, 168, 1, 1], dst: [8, 8, 8, 8], ttl: 1, totalLen: 540 },
  udpHdr(5353, 53),
);

describe('ICMP', () => {
  test('echo request: type, code, checksum, identifier and sequence in decimal (as tshark)', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpEcho(8, 0x1234, 0xfffe, [1, 2, 3]))));
    assert.equal(protos(p), 'eth/ip/icmp');
    const l = icmpOf(p);
    assert.deepEqual(
      [l.offset, l.hlen, l.type, l.code, l.ident, l.seq, l.embedded],
      [34, 8, 8, 0, 0x1234, 0xfffe, false],
    );
    assert.equal(field(p, 'icmp.type'), '8');
    assert.equal(field(p, 'icmp.code'), '0');
    assert.equal(field(p, 'icmp.checksum'), `0x${l.checksum.toString(16).padStart(4, '0')}`);
    assert.equal(field(p, 'icmp.ident'), '4660');
    assert.equal(field(p, 'icmp.seq'), '65534');
    assert.equal(field(p, 'icmp.ident_le'), '13330');
    assert.equal(field(p, 'icmp.seq_le'), '65279');
    assert.equal(p.issues, undefined);
  });

  test('timestamp, information and mask messages carry ident/seq; extended echo only ident', () => {
    for (const type of [0, 13, 14, 15, 16, 17, 18]) {
      assert.equal(
        field(decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpEcho(type, 9, 10, fill(12))))), 'icmp.seq'),
        '10',
      );
    }
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, cat([42, 0, 0, 0], be16(9), be16(10)))));
    assert.deepEqual([field(p, 'icmp.ident'), field(p, 'icmp.seq')], ['9', '']);
  });

  test('an echo cut after the identifier still shows it (as tshark), and is truncated', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, [8, 0, 0, 0, 1, 2])));
    assert.deepEqual(issueCodes(p), ['truncated:icmp']);
    assert.deepEqual([field(p, 'icmp.ident'), field(p, 'icmp.seq')], ['258', '']);
  });

  test('cut inside the 4-byte header: truncated, no layer', () => {
    for (let n = 0; n < 4; n++) {
      const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, [8, 0, 0, 0].slice(0, n))));
      assert.equal(protos(p), 'eth/ip');
      assert.deepEqual(issueCodes(p), ['truncated:icmp']);
    }
  });

  test('an error quotes the datagram: it is decoded as further layers, fields twice as in tshark', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, inner.subarray(0, 28)))));
    assert.equal(protos(p), 'eth/ip/icmp/ip');
    assert.equal(icmpOf(p).embedded, true);
    assert.equal(field(p, 'ip.src'), '10.0.0.1,192.168.1.1');
    assert.equal(field(p, 'ip.len'), '56,540');
    assert.equal(field(p, 'ip.ttl'), '64,1');
    // The quote is short by design: no bad-length for the quoted total length.
    assert.equal(p.issues, undefined);
    assert.equal((p.layers[3] as Ipv4Layer).payloadLen, 520);
  });

  test('every error type quotes; redirect and parameter problem too', () => {
    for (const type of [3, 4, 5, 11, 12]) {
      const p = decodeL3(
        eth(0x0800, ip4({ proto: 1 }, icmpError(type, 1, inner.subarray(0, 28), 0x0a000001))),
      );
      assert.equal(protos(p), 'eth/ip/icmp/ip', `type ${type}`);
    }
  });

  test('a quoted ICMP echo is decoded too (two icmp layers)', () => {
    const quoted = ip4({ proto: 1, src: [192, 168, 1, 1] }, icmpEcho(8, 5, 6, fill(20)));
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(3, 4, quoted))));
    assert.equal(protos(p), 'eth/ip/icmp/ip/icmp');
    assert.equal(field(p, 'icmp.type'), '3,8');
    assert.equal(field(p, 'icmp.ident'), '5');
  });

  test('a quoted IPv6 packet (version 6) is decoded as IPv6, as Wireshark does', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, ip6({ nxt: 17 }, udpHdr(1, 2))))));
    assert.equal(protos(p), 'eth/ip/icmp/ipv6');
  });

  test('an error with nothing quoted, or a quote cut short', () => {
    let p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(3, 1, []))));
    assert.equal(protos(p), 'eth/ip/icmp');
    assert.equal(icmpOf(p).embedded, false);
    assert.equal(p.issues, undefined);
    // A quote cut short is normal (tshark flags nothing either): no inner layer, no issue.
    p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(3, 1, inner.subarray(0, 12)))));
    assert.equal(protos(p), 'eth/ip/icmp');
    assert.equal(p.issues, undefined);
    p = decodeL3(
      eth(0x0800, ip4({ proto: 1 }, icmpError(3, 1, ip4({ options: [1, 1, 1, 1] }).subarray(0, 22)))),
    );
    assert.equal(protos(p), 'eth/ip/icmp/ip');
    assert.equal(p.issues, undefined);
    // A bogus value in the quote is still reported.
    p = decodeL3(eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, ip4({ totalLen: 10 }, fill(8))))));
    assert.deepEqual(issueCodes(p), ['bad-length:ip']);
    p = decodeL3(eth(0x0800, ip4({ proto: 1 }, [3, 1, 0, 0, 0, 0])));
    assert.deepEqual(issueCodes(p), ['truncated:icmp']);
  });

  test('an unknown type: the header only', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 1 }, cat([200, 7, 0, 0], be32(1)))));
    assert.equal(field(p, 'icmp.type'), '200');
    assert.equal(field(p, 'icmp.ident'), '');
    assert.equal(p.issues, undefined);
  });
});

const ICMP_FIELDS = [...Object.keys(icmpFields), 'ip.src', 'ip.dst', 'ip.len', 'ip.proto', 'ipv6.src'];

tsharkCorpusSuite(
  'icmp fields equal tshark 4.0 on corpus captures',
  ['tcpdump/icmp-cksum-oobr-1.pcap', 'tcpdump/icmp-length-zero.pcapng', 'zeek/icmp_dot1q.pcap'],
  ICMP_FIELDS,
);

const udp = udpHdr(1000, 53, fill(12, 1));
tsharkFramesSuite(
  'icmp fields equal tshark 4.0 on built frames',
  [
    eth(0x0800, ip4({ proto: 1 }, icmpEcho(8, 0x1234, 7, [1, 2, 3]))),
    eth(0x0800, ip4({ proto: 1 }, icmpEcho(0, 0xfffe, 65535))),
    eth(0x0800, ip4({ proto: 1 }, [8, 0, 0, 0, 1, 2])),
    eth(0x0800, ip4({ proto: 1 }, [8, 0])),
    eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, inner.subarray(0, 28)))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(3, 3, ip4({ proto: 17, src: [192, 168, 1, 1] }, udp)))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(3, 1, []))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(5, 1, inner.subarray(0, 28), 0x0a000001))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(12, 0, inner.subarray(0, 28), 0x14000000))),
    eth(0x0800, ip4({ proto: 1 }, cat([13, 0, 0, 0], be16(9), be16(10), fill(12)))),
    eth(0x0800, ip4({ proto: 1 }, cat([42, 0, 0, 0], be16(9), be16(10), fill(12)))),
    eth(
      0x0800,
      ip4(
        { proto: 1 },
        icmpError(3, 4, ip4({ proto: 1, src: [192, 168, 1, 1] }, icmpEcho(8, 5, 6, fill(20)))),
      ),
    ),
    eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, ip4({ proto: 17, totalLen: 500 }, udp)))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, ip4({ proto: 17, totalLen: 10 }, udp)))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(11, 0, ip6({ nxt: 17 }, udp)))),
    eth(0x0800, ip4({ proto: 1 }, icmpError(3, 1, inner.subarray(0, 12)))),
  ],
  1,
  ICMP_FIELDS,
  [
    {
      file: /./,
      field: /^ip\./,
      frames: [16],
      reason:
        'a quoted IPv4 header cut inside its first 20 bytes: tshark shows the fields up to the cut, nettrace no inner ip layer',
    },
  ],
);
