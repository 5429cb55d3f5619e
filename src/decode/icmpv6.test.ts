import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { icmpv6Fields } from './icmpv6.ts';
import type { Icmpv6Layer } from './layers.ts';
import {
  be16,
  be32,
  cat,
  eth,
  fill,
  icmp6,
  ip6,
  ip6Opts,
  ndOpt,
  udpHdr,
  v6,
} from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

const frame = (msg: Uint8Array, plen?: number) => eth(0x86dd, ip6({ nxt: 58, plen }, msg));
const icmp6Of = (p: ReturnType<typeof decodeL3>) => p.layers.find((l) => l.proto === 'icmpv6') as Icmpv6Layer;
const sllOpt = ndOpt(1, [2, 0, 0, 0, 0, 0x0a]);
const quoted = ip6(
  { nxt: 17, src: v6('2001:db8::1'), dst: v6('2001:db8::2'), plen: 1200 },
  udpHdr(1000, 53, fill(12)),
);

describe('ICMPv6', () => {
  test('echo: identifier in hex and sequence in decimal (as tshark)', () => {
    const p = decodeL3(frame(icmp6(128, 0, cat(be16(0xbeef), be16(3), [9, 9]))));
    assert.equal(protos(p), 'eth/ipv6/icmpv6');
    const l = icmp6Of(p);
    assert.deepEqual(
      [l.offset, l.hlen, l.type, l.code, l.checksum, l.ident, l.seq],
      [54, 8, 128, 0, 0, 0xbeef, 3],
    );
    assert.equal(field(p, 'icmpv6.type'), '128');
    assert.equal(field(p, 'icmpv6.code'), '0');
    assert.equal(field(p, 'icmpv6.checksum'), '0x0000');
    assert.equal(field(p, 'icmpv6.echo.identifier'), '0xbeef');
    assert.equal(field(p, 'icmpv6.echo.sequence_number'), '3');
    assert.equal(p.issues, undefined);
  });

  test('an echo cut after the identifier shows it and is truncated', () => {
    const p = decodeL3(frame(icmp6(129, 0, [1, 2])));
    assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    assert.equal(field(p, 'icmpv6.echo.identifier'), '0x0102');
    assert.equal(field(p, 'icmpv6.echo.sequence_number'), '');
  });

  test('errors quote the offending packet as further layers; its length is not held against it', () => {
    for (const [type, word] of [
      [1, 0],
      [2, 1280],
      [3, 0],
      [4, 6],
    ] as const) {
      const p = decodeL3(frame(icmp6(type, 0, cat(be32(word), quoted.subarray(0, 56)))));
      assert.equal(protos(p), 'eth/ipv6/icmpv6/ipv6', `type ${type}`);
      assert.equal(icmp6Of(p).embedded, true);
      assert.equal(field(p, 'ipv6.src'), 'fd00::1,2001:db8::1');
      assert.equal(field(p, 'ipv6.plen'), `${56 + 8},1200`);
      assert.equal(p.issues, undefined);
    }
    assert.equal(field(decodeL3(frame(icmp6(2, 0, cat(be32(1280), quoted)))), 'icmpv6.mtu'), '1280');
    assert.equal(field(decodeL3(frame(icmp6(4, 0, cat(be32(6), quoted)))), 'icmpv6.pointer'), '6');
  });

  test('a quote cut short is normal: no issue (as tshark), and no inner layer for a cut header', () => {
    let p = decodeL3(frame(icmp6(3, 0, cat(fill(4), quoted.subarray(0, 20)))));
    assert.equal(protos(p), 'eth/ipv6/icmpv6');
    assert.equal(p.issues, undefined);
    const withHbh = ip6({ nxt: 0, plen: 8 }, ip6Opts(17, fill(6)));
    p = decodeL3(frame(icmp6(1, 0, cat(fill(4), withHbh.subarray(0, 44)))));
    assert.equal(protos(p), 'eth/ipv6/icmpv6/ipv6');
    assert.equal(p.issues, undefined);
  });

  test('router solicitation and advertisement with options', () => {
    let p = decodeL3(frame(icmp6(133, 0, cat(fill(4), sllOpt))));
    assert.equal(field(p, 'icmpv6.opt.type'), '1');
    assert.equal(field(p, 'icmpv6.opt.length'), '1');
    const prefix = ndOpt(3, [64, 0xc0, ...be32(2592000), ...be32(604800), 0, 0, 0, 0, ...v6('2001:db8::')]);
    const ra = cat(
      [64, 0xc8],
      be16(1800),
      be32(30000),
      be32(1000),
      sllOpt,
      ndOpt(5, [0, 0, ...be32(1500)]),
      prefix,
    );
    p = decodeL3(frame(icmp6(134, 0, ra)));
    const l = icmp6Of(p);
    assert.deepEqual(l.ra, { curHopLimit: 64, flags: 0xc8, lifetime: 1800, reachable: 30000, retrans: 1000 });
    assert.deepEqual(
      l.options?.map((o) => [o.type, o.length, o.offset]),
      [
        [1, 8, 70],
        [5, 8, 78],
        [3, 32, 86],
      ],
    );
    assert.equal(field(p, 'icmpv6.nd.ra.cur_hop_limit'), '64');
    assert.equal(field(p, 'icmpv6.nd.ra.flag'), '0xc8');
    assert.equal(field(p, 'icmpv6.nd.ra.router_lifetime'), '1800');
    assert.equal(field(p, 'icmpv6.nd.ra.reachable_time'), '30000');
    assert.equal(field(p, 'icmpv6.nd.ra.retrans_timer'), '1000');
    assert.equal(field(p, 'icmpv6.opt.type'), '1,5,3');
    assert.equal(field(p, 'icmpv6.opt.length'), '1,1,4');
    assert.equal(p.issues, undefined);
  });

  test('an RA cut after the lifetime still shows what is there', () => {
    const p = decodeL3(frame(icmp6(134, 0, cat([64, 0xc8], be16(1800)))));
    assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    assert.equal(field(p, 'icmpv6.nd.ra.router_lifetime'), '1800');
    assert.equal(field(p, 'icmpv6.nd.ra.reachable_time'), '');
  });

  test('neighbor solicitation, advertisement and redirect targets', () => {
    let p = decodeL3(frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), sllOpt))));
    assert.equal(field(p, 'icmpv6.nd.ns.target_address'), 'fe80::1');
    assert.equal(field(p, 'icmpv6.nd.na.target_address'), '');
    p = decodeL3(frame(icmp6(136, 0, cat(be32(0xe0000000), v6('fe80::2'), ndOpt(2, [2, 0, 0, 0, 0, 0x0b])))));
    assert.equal(field(p, 'icmpv6.nd.na.target_address'), 'fe80::2');
    assert.equal(field(p, 'icmpv6.nd.na.flag'), '0xe0000000');
    assert.equal(field(p, 'icmpv6.opt.type'), '2');
    p = decodeL3(frame(icmp6(137, 0, cat(fill(4), v6('fe80::1'), v6('2001:db8::5'), sllOpt))));
    assert.equal(field(p, 'icmpv6.nd.rd.target_address'), 'fe80::1');
    assert.equal(field(p, 'icmpv6.rd.na.destination_address'), '2001:db8::5');
    assert.equal(p.issues, undefined);
  });

  test('an option of length 0 is malformed and ends the walk; one running past the end is truncated', () => {
    let p = decodeL3(frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), [1, 0, 1, 2, 3, 4, 5, 6], sllOpt))));
    assert.deepEqual(issueCodes(p), ['malformed:icmpv6']);
    assert.equal(field(p, 'icmpv6.opt.type'), '1');
    assert.equal(field(p, 'icmpv6.opt.length'), '0');
    p = decodeL3(frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), [1, 2, 1, 2, 3, 4, 5, 6]))));
    assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    p = decodeL3(frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), sllOpt, [1]))));
    assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    assert.equal(field(p, 'icmpv6.opt.type'), '1');
  });

  test('a message cut inside its fixed part: truncated, header fields only', () => {
    const p = decodeL3(frame(icmp6(135, 0, cat(fill(4), v6('fe80::1').slice(0, 10)))));
    assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    assert.equal(field(p, 'icmpv6.type'), '135');
    assert.equal(field(p, 'icmpv6.nd.ns.target_address'), '');
  });

  test('cut inside the 4-byte header: truncated, no layer', () => {
    // (0 bytes is payload length 0: the case below.)
    for (let n = 1; n < 4; n++) {
      const p = decodeL3(frame(icmp6(128, 0, []).subarray(0, n)));
      assert.equal(protos(p), 'eth/ipv6');
      assert.deepEqual(issueCodes(p), ['truncated:icmpv6']);
    }
  });

  test('payload length 0 (not GSO for ICMPv6): nothing handed on, as tshark shows no icmpv6 fields', () => {
    const p = decodeL3(frame(icmp6(136, 0, cat(be32(0), v6('fe80::1'))), 0));
    assert.equal(protos(p), 'eth/ipv6');
    assert.deepEqual(issueCodes(p), ['bad-length:ipv6']);
  });
});

const ICMPV6_FIELDS = [...Object.keys(icmpv6Fields), 'ipv6.src', 'ipv6.plen', 'ipv6.nxt'];

tsharkCorpusSuite(
  'icmpv6 fields equal tshark 4.0 on corpus captures',
  [
    'tcpdump/icmpv6.pcap',
    'tcpdump/icmpv6-length-zero.pcapng',
    'tcpdump/icmpv6-ns-nonce.pcap',
    'tcpdump/icmpv6-ra-pref64.pcap',
    'pcapplusplus/ICMPv6_echos.cap',
    'zeek/icmp__icmp6-destunreach-ip6ext-trunc.pcap',
    'zeek/icmp__icmp6-nd-options.pcap',
    'zeek/icmp__icmp6-neighbor-advert.pcap',
    'zeek/icmp__icmp6-neighbor-solicit.pcap',
    'zeek/icmp__icmp6-ping.pcap',
    'zeek/icmp__icmp6-router-advert.pcap',
    'zeek/icmp__icmp6-toobig.pcap',
  ],
  ICMPV6_FIELDS,
);

tsharkFramesSuite(
  'icmpv6 fields equal tshark 4.0 on built frames',
  [
    frame(icmp6(128, 0, cat(be16(0xbeef), be16(3), [9, 9]))),
    frame(icmp6(129, 0, cat(be16(0x0001), be16(65535)))),
    frame(icmp6(128, 0, [1, 2])),
    frame(icmp6(1, 4, cat(fill(4), quoted))),
    frame(icmp6(2, 0, cat(be32(1280), quoted.subarray(0, 48)))),
    frame(icmp6(4, 1, cat(be32(6), quoted))),
    frame(icmp6(1, 0, fill(4))),
    frame(icmp6(133, 0, cat(fill(4), sllOpt))),
    frame(
      icmp6(
        134,
        0,
        cat(
          [64, 0xc8],
          be16(1800),
          be32(30000),
          be32(1000),
          sllOpt,
          ndOpt(5, [0, 0, ...be32(1500)]),
          ndOpt(3, fill(30)),
        ),
      ),
    ),
    frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), sllOpt))),
    frame(icmp6(136, 0, cat(be32(0xe0000000), v6('fe80::1'), ndOpt(2, [2, 0, 0, 0, 0, 0x0b])))),
    frame(icmp6(137, 0, cat(fill(4), v6('fe80::1'), v6('2001:db8::5'), sllOpt))),
    frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), [1, 0, 1, 2, 3, 4, 5, 6]))),
    frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), [1, 2, 1, 2, 3, 4, 5, 6]))),
    frame(icmp6(135, 0, cat(fill(4), v6('fe80::1').slice(0, 10)))),
    frame(icmp6(135, 0, cat(fill(4), v6('fe80::1'), sllOpt, [1]))),
    frame(icmp6(134, 0, cat([64, 0xc8], be16(1800)))),
    frame(icmp6(134, 0, cat([64, 0xc8], be16(1800), be32(7)))),
    frame(icmp6(1, 0, cat(fill(4), ip6({ nxt: 58 }, icmp6(128, 0, cat(be16(7), be16(8))))))),
    frame(icmp6(3, 0, cat(fill(4), quoted.subarray(0, 20)))),
  ],
  1,
  ICMPV6_FIELDS,
  [
    {
      file: /./,
      field: /^ipv6\./,
      frames: [20],
      reason:
        'a quoted IPv6 header cut inside its 40 bytes: tshark shows the fields up to the cut, nettrace no inner ipv6 layer',
    },
  ],
);
