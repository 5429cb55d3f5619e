import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultDissector } from './bindings.ts';
import {
  arp,
  be16,
  be32,
  cat,
  eth,
  fill,
  icmp6,
  icmpEcho,
  icmpError,
  ip4,
  ip6,
  ip6Frag,
  ip6Opts,
  le32,
  ndOpt,
  sll1,
  sll2,
  udpHdr,
  v6,
  vlanTag,
} from './test-support/l3-build.ts';
import { tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, issueCodes, protos } from './test-support/l3-dissector.ts';

const p4 = ip4({ proto: 17 }, udpHdr(1000, 2000, [1, 2, 3, 4]));
const p6 = ip6({ nxt: 17 }, udpHdr(1000, 2000, [1, 2, 3, 4]));

describe('raw IP (DLT 101)', () => {
  test('the version nibble picks IPv4 or IPv6; raw has no layer of its own', () => {
    assert.equal(protos(decodeL3(p4, 101)), 'ip');
    assert.equal(protos(decodeL3(p6, 101)), 'ipv6');
  });

  test('another version is malformed; an empty frame is truncated', () => {
    let p = decodeL3(cat([0x50], p4.subarray(1)), 101);
    assert.equal(p.layers.length, 0);
    assert.deepEqual(issueCodes(p), ['malformed:raw']);
    p = decodeL3([], 101);
    assert.deepEqual(issueCodes(p), ['truncated:raw']);
  });

  test('a cut IPv4 header is the IPv4 decoder’s truncation', () => {
    assert.deepEqual(issueCodes(decodeL3(p4.subarray(0, 10), 101)), ['truncated:ip']);
  });

  tsharkFramesSuite(
    'raw frames: ip and ipv6 fields equal tshark',
    [p4, p6, cat([0x50], p4.subarray(1))],
    101,
    ['ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.plen'],
  );
});

// Frames that reach deep into each decoder, to be mutated below: random bytes alone rarely get
// past an Ethernet header into a valid IPv4 one.
const udp = udpHdr(1000, 53, fill(12, 7));
const quoted4 = ip4({ proto: 17, totalLen: 300 }, udp);
const quoted6 = ip6({ nxt: 17, plen: 300 }, udp);
const ethFrames = [
  eth(0x0800, ip4({ proto: 1 }, icmpEcho(8, 1, 2, fill(8)))),
  eth(0x0800, ip4({ proto: 1 }, icmpError(3, 3, quoted4))),
  eth(0x0800, ip4({ proto: 17, options: [7, 7, 4, 0, 0, 0, 0, 1, 1] }, udp)),
  eth(0x0800, ip4({ proto: 4 }, ip4({ proto: 41 }, quoted6))),
  eth(0x0800, ip4({ proto: 6, totalLen: 0 }, fill(40))),
  eth(
    0x86dd,
    ip6(
      { nxt: 0 },
      cat(ip6Opts(44, [0xc2, 4, ...be32(100)]), ip6Frag(58, 0, true, 1), icmp6(1, 0, cat(fill(4), quoted6))),
    ),
  ),
  eth(
    0x86dd,
    ip6({ nxt: 58 }, icmp6(134, 0, cat([64, 0], be16(1800), fill(8), ndOpt(1, fill(6)), ndOpt(3, fill(30))))),
  ),
  eth(0x86dd, ip6({ nxt: 58 }, icmp6(136, 0, cat(fill(4), v6('fe80::1'), ndOpt(2, fill(6)))))),
  eth(0x86dd, ip6({ nxt: 43 }, cat([51, 2, 0, 1, 0, 0, 0, 0], v6('fd00::9'), [17, 4, 0, 0], fill(20), udp))),
  eth(0x88a8, cat(vlanTag(1, 0x8100), vlanTag(2, 0x0806), arp())),
  eth(0x9100, cat(vlanTag(1, 0x86dd), p6)),
  eth(0x6558, eth(0x0800, p4)),
];
const TEMPLATES: Record<number, Uint8Array[]> = {
  0: [cat(le32(2), p4), cat(le32(30), p6), cat([0, 8, 0, 0], p4), cat([0xff, 3, 0, 0x21], p4)],
  1: ethFrames,
  101: [p4, p6],
  108: [cat(be32(2), p4), cat(be32(24), p6)],
  113: [sll1(0x0800, p4), sll1(0x86dd, p6), sll1(0x0806, arp()), sll1(0x8100, cat(vlanTag(3, 0x0800), p4))],
  228: [p4, ip4({ proto: 1 }, icmpError(11, 0, quoted4))],
  229: [p6, ip6({ nxt: 58 }, icmp6(2, 0, cat(be32(1280), quoted6)))],
  276: [sll2(0x0800, p4), sll2(0x86dd, p6), sll2(0x0806, arp())],
};
const LINKTYPES = [0, 1, 101, 108, 113, 228, 229, 276];

const frameArb = fc.oneof(
  // Pure noise.
  fc.record({ linktype: fc.constantFrom(...LINKTYPES), data: fc.uint8Array({ maxLength: 200 }) }),
  // A real frame with random bytes overwritten, then cut anywhere.
  fc
    .constantFrom(...LINKTYPES)
    .chain((linktype) =>
      fc.record({
        linktype: fc.constant(linktype),
        base: fc.constantFrom(...(TEMPLATES[linktype] ?? [])),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        cut: fc.nat(),
      }),
    )
    .map(({ linktype, base, edits, cut }) => {
      const data = base.slice();
      for (const [at, v] of edits) data[at % data.length] = v;
      return { linktype, data: data.subarray(0, cut % (data.length + 1)) };
    }),
);

describe('any bytes on any link type', () => {
  test('decode never throws and never reports an internal error', () => {
    const d = defaultDissector();
    fc.assert(
      fc.property(frameArb, fc.nat({ max: 4000 }), ({ linktype, data }, extra) => {
        const p = d.decode(data, data.length + (extra % 3 === 0 ? extra : 0), linktype);
        const internal = p.issues?.find((i) => i.code === 'internal');
        assert.equal(internal, undefined, internal?.message);
        for (const l of p.layers) {
          assert.ok(l.offset >= 0 && l.offset <= data.length, `${l.proto} offset ${l.offset}`);
          assert.ok(l.hlen >= 0, `${l.proto} hlen ${l.hlen}`);
        }
      }),
      { numRuns: 20000 },
    );
  });
});
