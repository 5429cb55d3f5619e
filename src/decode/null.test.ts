import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NullLayer } from './layers.ts';
import { be32, cat, ip4, ip6, le32, udpHdr } from './test-support/l3-build.ts';
import { tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

const p4 = ip4({ proto: 17 }, udpHdr(1, 2, [1, 2, 3, 4]));
const p6 = ip6({ nxt: 17 }, udpHdr(1, 2, [1, 2, 3, 4]));

// Header bytes -> what tshark 4.0 shows (null.family, or null.type for an EtherType).
const cases: [number[], string, string][] = [
  [[0, 2, 0, 0], '2', ''], // IRIX/UNICOS 16-bit, big-endian
  [[0, 0, 2, 0], '2', ''],
  [[1, 0, 2, 0], '2', ''],
  [[2, 0, 1, 0], '1', ''],
  [[0, 0, 5, 0], '5', ''],
  [[0, 0, 6, 0], '', '0x0600'],
  [[0, 0, 7, 0], '', '0x0700'],
  [[0, 1, 0, 0], '1', ''],
  [[0, 6, 0, 0], '', '0x0600'],
  [[2, 0, 0, 1], '', '0x0001'],
  [[0, 0x18, 0, 0], '', '0x1800'],
  [[0, 0, 0x18, 0], '', '0x1800'],
  [[1, 2, 3, 4], '', '0x0304'],
  [[0, 8, 0, 0], '', '0x0800'],
  [[0xdd, 0x86, 0, 0], '', '0x86dd'],
];

describe('BSD loopback (DLT 0)', () => {
  test('AF_INET in either byte order', () => {
    for (const h of [le32(2), be32(2)]) {
      const p = decodeL3(cat(h, p4), 0);
      assert.equal(protos(p), 'null/ip');
      assert.equal((p.layers[0] as NullLayer).family, 2);
      assert.equal(field(p, 'null.family'), '2');
      assert.equal(field(p, 'null.type'), '');
    }
  });

  test('the three BSD AF_INET6 values; not Linux 10, as Wireshark', () => {
    for (const af of [24, 28, 30])
      assert.equal(protos(decodeL3(cat(le32(af), p6), 0)), 'null/ipv6', `AF ${af}`);
    assert.equal(protos(decodeL3(cat(be32(30), p6), 0)), 'null/ipv6');
    const p = decodeL3(cat(le32(10), p6), 0);
    assert.equal(protos(p), 'null');
    assert.equal(p.issues, undefined);
  });

  for (const [h, family, type] of cases) {
    test(`header ${h.join(' ')}: family ${family || '-'} type ${type || '-'}`, () => {
      const p = decodeL3(cat(h, p4), 0);
      assert.equal(field(p, 'null.family'), family);
      assert.equal(field(p, 'null.type'), type);
    });
  }

  test('an EtherType in the header is dispatched by EtherType', () => {
    assert.equal(protos(decodeL3(cat([0, 8, 0, 0], p4), 0)), 'null/ip');
    assert.equal(protos(decodeL3(cat(be32(0x86dd), p6), 0)), 'null/ipv6');
  });

  test('PPP in HDLC-like framing: IPv4 and IPv6 decoded, no null layer', () => {
    assert.equal(protos(decodeL3(cat([0xff, 3, 0, 0x21], p4), 0)), 'ip');
    assert.equal(protos(decodeL3(cat([0xff, 3, 0, 0x57], p6), 0)), 'ipv6');
    assert.equal(protos(decodeL3(cat([0xff, 3, 0xc0, 0x21], p4), 0)), '');
  });

  test('cut inside the 4-byte header: truncated', () => {
    for (let n = 0; n < 4; n++) {
      const p = decodeL3(le32(2).slice(0, n), 0);
      assert.equal(p.layers.length, 0);
      assert.deepEqual(issueCodes(p), ['truncated:null']);
    }
  });
});

describe('OpenBSD loopback (DLT 108)', () => {
  test('always network byte order', () => {
    let p = decodeL3(cat(be32(2), p4), 108);
    assert.equal(protos(p), 'null/ip');
    assert.equal(field(p, 'null.family'), '2');
    p = decodeL3(cat(be32(24), p6), 108);
    assert.equal(protos(p), 'null/ipv6');
    p = decodeL3(cat(le32(2), p4), 108);
    assert.equal(protos(p), 'null');
    assert.equal(field(p, 'null.family'), String(0x02000000));
    assert.equal(field(p, 'null.type'), '');
  });

  test('cut inside the header: truncated', () => {
    assert.deepEqual(issueCodes(decodeL3([0, 0, 0], 108)), ['truncated:null']);
  });
});

describe('null fields equal tshark 4.0 on built frames', () => {
  const fields = ['null.family', 'null.type', 'ip.src', 'ipv6.src'];
  tsharkFramesSuite(
    'DLT 0',
    [
      ...cases.map(([h]) => cat(h, p4)),
      cat(le32(2), p4),
      cat(be32(2), p4),
      cat(le32(24), p6),
      cat(le32(28), p6),
      cat(le32(30), p6),
      cat(be32(30), p6),
      cat(le32(10), p6),
      cat(be32(0x86dd), p6),
      cat([0xff, 3, 0, 0x21], p4),
      cat([0xff, 3, 0, 0x57], p6),
    ],
    0,
    fields,
  );
  tsharkFramesSuite(
    'DLT 108',
    [cat(be32(2), p4), cat(be32(24), p6), cat(le32(2), p4), cat(be32(0x800), p4)],
    108,
    fields,
  );
});
