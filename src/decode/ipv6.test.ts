import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipv6At } from './bytes.ts';
import { ipv6Fields } from './ipv6.ts';
import type { Ipv6Layer } from './layers.ts';
import type { Decoder } from './packet.ts';
import { be32, cat, eth, fill, ip4, ip6, ip6Frag, ip6Opts, ip6Routing, v6 } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, l3Dissector, protos } from './test-support/l3-dissector.ts';

/** A dissector whose IP protocols 253, 6 and 17 record the payload bounds they are handed. */
function spying() {
  const d = l3Dissector();
  const seen: [number, number, number][] = [];
  for (const proto of [253, 6, 17]) {
    const spy: Decoder = (_p, off, end) => {
      seen.push([proto, off, end]);
    };
    d.tables['ip.proto'].set(proto, spy);
  }
  return { seen, decode: (f: Uint8Array, origLen = f.length) => d.decode(f, origLen, 1) };
}

const v6Of = (p: ReturnType<typeof decodeL3>) => p.layers.find((l) => l.proto === 'ipv6') as Ipv6Layer;

describe('IPv6', () => {
  test('the fixed header: every field in tshark text form, payload handed on, padding excluded', () => {
    const s = spying();
    const frame = eth(
      0x86dd,
      ip6(
        { nxt: 253, tclass: 0xb8, flow: 0x12345, hlim: 9, src: v6('2001:db8::1'), dst: v6('fe80::1:0:0:1') },
        fill(4),
      ),
    );
    const p = s.decode(cat(frame, fill(8)));
    assert.equal(protos(p), 'eth/ipv6');
    const l = v6Of(p);
    assert.deepEqual(
      [l.offset, l.hlen, l.tclass, l.flowLabel, l.payloadLen, l.nextHeader, l.hopLimit, l.upperProto, l.gso],
      [14, 40, 0xb8, 0x12345, 4, 253, 9, 253, false],
    );
    assert.deepEqual(l.extensions, []);
    const want: Record<string, string> = {
      'ipv6.version': '6',
      'ipv6.tclass': '0x000000b8',
      'ipv6.tclass.dscp': '46',
      'ipv6.tclass.ecn': '0',
      'ipv6.flow': '0x012345',
      'ipv6.plen': '4',
      'ipv6.nxt': '253',
      'ipv6.hlim': '9',
      'ipv6.src': '2001:db8::1',
      'ipv6.dst': 'fe80::1:0:0:1',
      'ipv6.addr': '2001:db8::1,fe80::1:0:0:1',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(field(p, k), v, k);
    assert.deepEqual(s.seen, [[253, 54, 58]]);
    assert.equal(p.issues, undefined);
  });

  test('an extension header chain is walked to the upper protocol', () => {
    const s = spying();
    const chain = cat(ip6Opts(60), ip6Opts(43, [1, 0]), ip6Routing(51, [v6('fd00::9')]), [
      253,
      4,
      0,
      0,
      ...be32(0x100),
      ...be32(1),
      ...fill(12),
    ]);
    const p = s.decode(eth(0x86dd, ip6({ nxt: 0 }, cat(chain, [1, 2, 3]))));
    const l = v6Of(p);
    assert.deepEqual(
      l.extensions.map((e) => [e.type, e.offset, e.length]),
      [
        [0, 54, 8],
        [60, 62, 8],
        [43, 70, 24],
        [51, 94, 24],
      ],
    );
    assert.deepEqual([l.hlen, l.nextHeader, l.upperProto], [104, 0, 253]);
    assert.equal(field(p, 'ipv6.nxt'), '0');
    assert.deepEqual(s.seen, [[253, 118, 121]]);
  });

  test('fragments: the first is decoded on, later ones are not', () => {
    const s = spying();
    let p = s.decode(eth(0x86dd, ip6({ nxt: 44 }, cat(ip6Frag(253, 0, true, 0xabcd), fill(16)))));
    assert.deepEqual(v6Of(p).fragment, { offset: 0, more: true, id: 0xabcd });
    p = s.decode(eth(0x86dd, ip6({ nxt: 44 }, cat(ip6Frag(253, 10, false, 0xabcd), fill(16)))));
    assert.deepEqual(v6Of(p).fragment, { offset: 10, more: false, id: 0xabcd });
    assert.equal(v6Of(p).upperProto, 253);
    assert.deepEqual(s.seen, [[253, 62, 78]]);
  });

  test('No Next Header ends the packet', () => {
    const s = spying();
    const p = s.decode(eth(0x86dd, ip6({ nxt: 59 }, [1, 2, 3, 4])));
    assert.equal(v6Of(p).upperProto, 59);
    assert.equal(s.seen.length, 0);
    assert.equal(p.issues, undefined);
  });

  test('payload length 0: Jumbo option length, or GSO from the frame for TCP/UDP only', () => {
    const s = spying();
    let p = s.decode(
      eth(0x86dd, ip6({ nxt: 0, plen: 0 }, cat(ip6Opts(253, [0xc2, 4, ...be32(8 + 12)]), fill(20)))),
    );
    assert.equal(v6Of(p).gso, false);
    assert.deepEqual(s.seen.at(-1), [253, 62, 74]);
    p = s.decode(eth(0x86dd, ip6({ nxt: 6, plen: 0 }, fill(3000))));
    assert.equal(v6Of(p).gso, true);
    assert.equal(field(p, 'ipv6.plen'), '0');
    assert.deepEqual(s.seen.at(-1), [6, 54, 3054]);
    p = s.decode(eth(0x86dd, ip6({ nxt: 17, plen: 0 }, fill(100))), 9000);
    assert.deepEqual(s.seen.at(-1), [17, 54, 154]);
    assert.equal(p.issues, undefined);
    const n = s.seen.length;
    p = s.decode(eth(0x86dd, ip6({ nxt: 253, plen: 0 }, fill(24))));
    assert.equal(v6Of(p).gso, false);
    assert.deepEqual(issueCodes(p), ['bad-length:ipv6']);
    assert.equal(s.seen.length, n);
  });

  test('payload length beyond the packet is bad-length; beyond only the snap length is not flagged', () => {
    const s = spying();
    const frame = eth(0x86dd, ip6({ nxt: 253, plen: 100 }, fill(20)));
    assert.deepEqual(issueCodes(s.decode(frame)), ['bad-length:ipv6']);
    assert.equal(s.decode(frame, 200).issues, undefined);
    assert.deepEqual(s.seen, [
      [253, 54, 74],
      [253, 54, 74],
    ]);
  });

  test('extension headers longer than the payload length: bad-length, not decoded on', () => {
    const s = spying();
    const p = s.decode(eth(0x86dd, ip6({ nxt: 0, plen: 4 }, cat(ip6Opts(253), fill(8)))));
    assert.deepEqual(issueCodes(p), ['bad-length:ipv6']);
    assert.equal(s.seen.length, 0);
  });

  test('a version other than 6: malformed, no layer', () => {
    const p = decodeL3(eth(0x86dd, ip6({ version: 4, nxt: 59 })));
    assert.equal(protos(p), 'eth');
    assert.deepEqual(issueCodes(p), ['malformed:ipv6']);
  });

  test('cut inside the fixed header: truncated, no layer', () => {
    const frame = eth(0x86dd, ip6({ nxt: 59 }));
    for (let n = 14; n < 54; n++) {
      const p = decodeL3(frame.subarray(0, n));
      assert.equal(protos(p), 'eth', `${n} bytes`);
      assert.deepEqual(issueCodes(p), ['truncated:ipv6']);
    }
  });

  test('cut inside an extension header: the layer, truncated, not decoded on', () => {
    const s = spying();
    const frame = eth(0x86dd, ip6({ nxt: 44 }, cat(ip6Frag(253, 0, false, 1), fill(8))));
    for (const n of [54, 55, 60]) {
      const p = s.decode(frame.subarray(0, n), frame.length);
      assert.equal(protos(p), 'eth/ipv6');
      assert.deepEqual(issueCodes(p), ['truncated:ipv6'], `${n} bytes`);
    }
    const hbh = eth(0x86dd, ip6({ nxt: 0 }, cat(ip6Opts(253, fill(10)), fill(8))));
    assert.deepEqual(issueCodes(s.decode(hbh.subarray(0, 60), hbh.length)), ['truncated:ipv6']);
    assert.equal(s.seen.length, 0);
  });

  test('IPv6 in IPv4 (protocol 41) and linktype 229', () => {
    assert.equal(protos(decodeL3(eth(0x0800, ip4({ proto: 41 }, ip6({ nxt: 59 }))))), 'eth/ip/ipv6');
    assert.equal(protos(decodeL3(ip6({ nxt: 59 }), 229)), 'ipv6');
  });
});

// Each pair checked against tshark 4.0.17 output on the same bytes.
const cases: [string, string][] = [
  ['::2', '::2'],
  ['::1', '::1'],
  ['::', '::'],
  ['::0102:0304', '::1.2.3.4'],
  ['::ffff:0102:0304', '::ffff:1.2.3.4'],
  ['::ffff:0:0', '::ffff:0.0.0.0'],
  ['::ffff:1:2', '::ffff:0.1.0.2'],
  ['1::', '1::'],
  ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
  ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
  ['0:0:1::', '0:0:1::'],
  ['::1:0:0:0', '::1:0:0:0'],
  ['0:0:0:0:0:1:0:0', '::1:0:0'],
  ['64:ff9b::102:304', '64:ff9b::102:304'],
  ['0:0:0:0:1:ffff:0102:0304', '::1:ffff:102:304'],
  ['::fffe:102:304', '::fffe:102:304'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
  ['2604:1380:4091:ce00::d', '2604:1380:4091:ce00::d'],
  ['fe80::b299:28ff:fec8:d66c', 'fe80::b299:28ff:fec8:d66c'],
];

describe('IPv6 address text (bytes.ts ipv6At), as tshark 4.0 prints it', () => {
  for (const [input, want] of cases) {
    test(`${input} -> ${want}`, () => {
      assert.equal(ipv6At(cat(fill(3), v6(input)), 3), want);
    });
  }
});

const IPV6_FIELDS = Object.keys(ipv6Fields);

tsharkCorpusSuite(
  'ipv6 fields equal tshark 4.0 on corpus captures',
  [
    'tcpdump/bigtcp-ipv6-geneve-ipv6.pcap',
    'tcpdump/gso-ipv6-geneve-ipv6.pcap',
    'tcpdump/ipv6-bad-version.pcap',
    'tcpdump/ipv6_invalid_length.pcap',
    'tcpdump/ip6_frag_asan.pcap',
    'tcpdump/ipv6-routing-header.pcap',
    'tcpdump/ipv6_no_next_header.pcap',
    'tcpdump/icmpv6.pcap',
    'zeek/icmp__icmp6-destunreach-ip6ext-trunc.pcap',
    'zeek/icmp__icmp6-toobig.pcap',
    'pcapplusplus/SllPacket.pcap',
  ],
  IPV6_FIELDS,
  [
    {
      file: /bigtcp-ipv6/,
      field: /^ipv6\./,
      reason:
        'payload length 0 without a Jumbo option: tshark stops there as malformed, nettrace (as tcpdump) takes the length from the frame for TCP/UDP, so the tunnelled IPv6 adds occurrences',
    },
    {
      file: /ipv6-bad-version/,
      field: /^ipv6\.version$/,
      frames: [2, 4],
      reason:
        'version 0 behind EtherType 0x86dd: tshark shows ipv6.version alone, nettrace makes no ipv6 layer',
    },
    {
      file: /ipv6_invalid_length/,
      field: /^ipv6\./,
      frames: [1],
      reason:
        'an IPv6 header cut inside its 40 bytes: tshark shows the fields up to the cut, nettrace no ipv6 layer',
    },
  ],
);

tsharkCorpusSuite(
  'ip.version on IPv6 packets',
  ['tcpdump/ipv6_no_next_header.pcap'],
  ['ip.version'],
  [
    {
      file: /./,
      field: /^ip\.version$/,
      reason:
        "Wireshark's IPv6 dissector also adds ip.version (6); nettrace's ip.* fields come only from IPv4 layers",
    },
  ],
);

describe('ipv6 fields equal tshark 4.0 on built frames', () => {
  const u = fill(12, 5);
  tsharkFramesSuite(
    'extension headers, fragments, lengths',
    [
      eth(0x86dd, ip6({ nxt: 44 }, cat(ip6Frag(17, 0, true, 0xabcd), u))),
      eth(0x86dd, ip6({ nxt: 44 }, cat(ip6Frag(17, 10, false, 0xabcd), u))),
      eth(0x86dd, ip6({ nxt: 0 }, cat(ip6Opts(60), ip6Opts(17), u))),
      eth(0x86dd, ip6({ nxt: 43 }, cat(ip6Routing(17, [v6('fd00::9')]), u))),
      eth(0x86dd, ip6({ nxt: 17, plen: 100 }, u)),
      { data: eth(0x86dd, ip6({ nxt: 17, plen: 100 }, u)), origLen: 200 },
      eth(0x86dd, ip6({ nxt: 44 }, [17, 0, 0])),
      eth(0x86dd, ip6({ nxt: 59 }, [1, 2, 3, 4])),
      eth(0x86dd, ip6({ nxt: 51 }, cat([17, 4, 0, 0, ...be32(0x100), ...be32(1), ...fill(12)], u))),
      eth(0x86dd, ip6({ nxt: 0 }, cat(ip6Opts(0), ip6Opts(17), u))),
      eth(0x86dd, ip6({ nxt: 58, plen: 0 }, fill(24))),
      eth(0x0800, ip4({ proto: 41 }, ip6({ nxt: 59 }))),
    ],
    1,
    IPV6_FIELDS,
  );
  tsharkFramesSuite(
    'address text',
    cases.map(([a]) => eth(0x86dd, ip6({ nxt: 59, src: v6(a), dst: v6(a), tclass: 0x2f, flow: 0xfffff }))),
    1,
    ['ipv6.src', 'ipv6.dst', 'ipv6.tclass', 'ipv6.flow'],
  );
});
