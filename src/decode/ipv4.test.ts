import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipFields } from './ipv4.ts';
import type { Ipv4Layer } from './layers.ts';
import type { Decoder } from './packet.ts';
import { cat, eth, fill, ip4, ip6 } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, l3Dissector, protos } from './test-support/l3-dissector.ts';

/** A dissector whose IP protocol 253 records the payload bounds it is handed. */
function spying() {
  const d = l3Dissector();
  const seen: [number, number][] = [];
  const spy: Decoder = (_p, off, end) => {
    seen.push([off, end]);
  };
  d.tables['ip.proto'].set(253, spy);
  return { d, seen, decode: (f: Uint8Array, origLen = f.length) => d.decode(f, origLen, 1) };
}

const ipOf = (p: ReturnType<typeof decodeL3>, i = 0) =>
  p.layers.filter((l) => l.proto === 'ip')[i] as Ipv4Layer;

describe('IPv4', () => {
  test('a plain header: every field in tshark text form, the payload handed on by protocol', () => {
    const s = spying();
    const frame = eth(
      0x0800,
      ip4(
        { proto: 253, tos: 0xb8, id: 0xbeef, flags: 2, ttl: 63, src: [192, 0, 2, 1], dst: [198, 51, 100, 7] },
        fill(12),
      ),
    );
    const p = s.decode(frame);
    assert.equal(protos(p), 'eth/ip');
    const l = ipOf(p);
    assert.deepEqual(
      [l.offset, l.hlen, l.tos, l.totalLen, l.id, l.flags, l.fragOffset, l.ttl, l.protocol, l.payloadLen],
      [14, 20, 0xb8, 32, 0xbeef, 2, 0, 63, 253, 12],
    );
    assert.deepEqual([l.src, l.dst, l.isFragment, l.gso], [0xc0000201, 0xc6336407, false, false]);
    const want: Record<string, string> = {
      'ip.version': '4',
      'ip.hdr_len': '20',
      'ip.dsfield': '0xb8',
      'ip.dsfield.dscp': '46',
      'ip.dsfield.ecn': '0',
      'ip.len': '32',
      'ip.id': '0xbeef',
      'ip.flags': '0x02',
      'ip.flags.rb': '0',
      'ip.flags.df': '1',
      'ip.flags.mf': '0',
      'ip.frag_offset': '0',
      'ip.ttl': '63',
      'ip.proto': '253',
      'ip.checksum': `0x${l.checksum.toString(16).padStart(4, '0')}`,
      'ip.src': '192.0.2.1',
      'ip.dst': '198.51.100.7',
      'ip.addr': '192.0.2.1,198.51.100.7',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(field(p, k), v, k);
    assert.deepEqual(s.seen, [[34, 46]]);
    assert.equal(p.issues, undefined);
  });

  test('Ethernet padding after the datagram is not handed on', () => {
    const s = spying();
    s.decode(eth(0x0800, cat(ip4({ proto: 253 }, [1, 2, 3, 4]), fill(22, 0))));
    assert.deepEqual(s.seen, [[34, 38]]);
  });

  test('options are walked: good ones pass, bad lengths are malformed but decoding goes on', () => {
    const s = spying();
    let p = s.decode(eth(0x0800, ip4({ proto: 253, options: [1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0] }, [9])));
    assert.equal(ipOf(p).hlen, 32);
    assert.equal(p.issues, undefined);
    for (const options of [
      [7, 1, 0, 0],
      [7, 9, 4, 0, 0, 0, 0, 0],
      [1, 1, 1, 0x83],
    ]) {
      p = s.decode(eth(0x0800, ip4({ proto: 253, options }, [9])));
      assert.deepEqual(issueCodes(p), ['malformed:ip'], String(options));
    }
    assert.equal(s.seen.length, 4);
  });

  test('IHL below 5: malformed; only version and header length shown (as tshark); not decoded on', () => {
    const s = spying();
    const p = s.decode(eth(0x0800, ip4({ proto: 253, ihl: 4 }, fill(20))));
    assert.deepEqual(issueCodes(p), ['malformed:ip']);
    assert.equal(ipOf(p).hlen, 16);
    assert.equal(field(p, 'ip.version'), '4');
    assert.equal(field(p, 'ip.hdr_len'), '16');
    assert.equal(field(p, 'ip.len') + field(p, 'ip.src') + field(p, 'ip.dsfield'), '');
    assert.equal(s.seen.length, 0);
  });

  test('total length below the header length: bad-length; fields up to ip.len shown; not decoded on', () => {
    const s = spying();
    const p = s.decode(eth(0x0800, ip4({ proto: 253, totalLen: 19 }, fill(20))));
    assert.deepEqual(issueCodes(p), ['bad-length:ip']);
    assert.equal(field(p, 'ip.len'), '19');
    assert.equal(field(p, 'ip.dsfield'), '0x00');
    assert.equal(field(p, 'ip.id') + field(p, 'ip.src'), '');
    assert.equal(s.seen.length, 0);
  });

  test('total length 0 is a TSO/GSO super-packet: the length comes from the frame', () => {
    const s = spying();
    let p = s.decode(eth(0x0800, ip4({ proto: 253, totalLen: 0 }, fill(2000))));
    let l = ipOf(p);
    assert.deepEqual([l.gso, l.totalLen, l.payloadLen], [true, 0, 2000]);
    assert.equal(field(p, 'ip.len'), '2020');
    assert.deepEqual(s.seen, [[34, 2034]]);
    assert.equal(p.issues, undefined);
    // Cut by the snap length: the wire length counts, the captured bytes are handed on.
    p = s.decode(eth(0x0800, ip4({ proto: 253, totalLen: 0 }, fill(100))), 5000);
    l = ipOf(p);
    assert.equal(l.payloadLen, 5000 - 34);
    assert.deepEqual(s.seen[1], [34, 134]);
  });

  test('total length beyond the packet is bad-length; beyond only the snap length is not flagged', () => {
    const s = spying();
    const frame = eth(0x0800, ip4({ proto: 253, totalLen: 200 }, fill(50)));
    let p = s.decode(frame);
    assert.deepEqual(issueCodes(p), ['bad-length:ip']);
    assert.equal(ipOf(p).payloadLen, 180);
    p = s.decode(frame, 300);
    assert.equal(p.issues, undefined);
    assert.deepEqual(s.seen, [
      [34, 84],
      [34, 84],
    ]);
  });

  test('fragments: the first one is decoded on, later ones are not', () => {
    const s = spying();
    let p = s.decode(eth(0x0800, ip4({ proto: 253, flags: 1 }, fill(16))));
    assert.deepEqual(
      [ipOf(p).isFragment, field(p, 'ip.flags'), field(p, 'ip.flags.mf')],
      [true, '0x01', '1'],
    );
    p = s.decode(eth(0x0800, ip4({ proto: 253, frag: 185 }, fill(16))));
    assert.deepEqual(
      [ipOf(p).isFragment, ipOf(p).fragOffset, field(p, 'ip.frag_offset')],
      [true, 185, '185'],
    );
    p = s.decode(eth(0x0800, ip4({ proto: 253, flags: 1, frag: 2 }, fill(16))));
    assert.equal(ipOf(p).isFragment, true);
    p = s.decode(eth(0x0800, ip4({ proto: 253, flags: 2 }, fill(16))));
    assert.equal(ipOf(p).isFragment, false);
    assert.deepEqual(s.seen, [
      [34, 50],
      [34, 50],
    ]);
  });

  test('version 6 behind 0x0800 is IPv6 (as Wireshark); any other version is malformed', () => {
    let p = decodeL3(eth(0x0800, ip6({ nxt: 59 })));
    assert.equal(protos(p), 'eth/ipv6');
    p = decodeL3(eth(0x0800, ip4({ version: 5 }, fill(8))));
    assert.equal(protos(p), 'eth');
    assert.deepEqual(issueCodes(p), ['malformed:ip']);
  });

  test('IP in IP', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 4 }, ip4({ proto: 253, src: [1, 1, 1, 1] }, fill(4)))));
    assert.equal(protos(p), 'eth/ip/ip');
    assert.equal(field(p, 'ip.src'), '10.0.0.1,1.1.1.1');
  });

  test('cut inside the fixed header: truncated, no layer; cut inside the options: layer, truncated', () => {
    const frame = eth(0x0800, ip4({ proto: 253, options: [1, 1, 1, 1] }, fill(8)));
    for (let n = 14; n < 34; n++) {
      const p = decodeL3(frame.subarray(0, n));
      assert.equal(protos(p), 'eth', `${n} bytes`);
      assert.deepEqual(issueCodes(p), ['truncated:ip'], `${n} bytes`);
    }
    for (let n = 34; n < 38; n++) {
      const p = decodeL3(frame.subarray(0, n), 1, frame.length);
      assert.equal(protos(p), 'eth/ip');
      assert.deepEqual(issueCodes(p), ['truncated:ip']);
    }
  });

  test('linktype 228 is IPv4 without a link layer', () => {
    assert.equal(protos(decodeL3(ip4({ proto: 253 }, fill(4)), 228)), 'ip');
  });
});

const IP_FIELDS = Object.keys(ipFields);
const PARTIAL_V4 =
  'an IPv4 header cut inside its first 20 bytes: tshark shows the fields up to the cut, nettrace no ip layer';
const GSO_INNER =
  'UDP length 0 in a BIG TCP super-packet: tshark stops at UDP, nettrace (as tcpdump) decodes the Geneve inside, so the inner IP adds occurrences';

tsharkCorpusSuite(
  'ip fields equal tshark 4.0 on corpus captures',
  [
    'tcpdump/ipv4_invalid_hdr_length.pcap',
    'tcpdump/ipv4_invalid_length.pcap',
    'tcpdump/ipv4_invalid_total_length.pcap',
    'tcpdump/ipv4_tcp_http_xml_tso.pcap',
    'tcpdump/bigtcp-ipv4-geneve-ipv4.pcap',
    'tcpdump/gso-ipv4-geneve-ipv4.pcap',
    'tcpdump/icmp-cksum-oobr-1.pcap',
    'tcpdump/icmp-length-zero.pcapng',
    'zeek/icmp_dot1q.pcap',
    'zeek/http-qinq-0.pcap',
    'pcapplusplus/sll2.pcap',
  ],
  IP_FIELDS,
  [
    { file: /ipv4_invalid_length/, field: /^ip\./, frames: [1], reason: PARTIAL_V4 },
    { file: /bigtcp-ipv4/, field: /^ip\./, frames: [1], reason: GSO_INNER },
  ],
);

tsharkFramesSuite(
  'ip fields equal tshark 4.0 on built frames',
  [
    eth(0x0800, ip4({ flags: 1 }, fill(12))),
    eth(0x0800, ip4({ frag: 185 }, fill(12))),
    eth(0x0800, ip4({ flags: 3 }, fill(12))),
    eth(0x0800, ip4({ totalLen: 10 }, fill(12))),
    eth(0x0800, ip4({ totalLen: 19 }, fill(12))),
    eth(0x0800, ip4({ totalLen: 0, proto: 1 }, fill(40))),
    eth(0x0800, ip4({ totalLen: 300 }, fill(40))),
    { data: eth(0x0800, ip4({ totalLen: 300 }, fill(40))), origLen: 400 },
    eth(0x0800, ip4({ version: 5 }, fill(12))),
    eth(0x0800, ip4({ ihl: 4 }, fill(12))),
    eth(0x0800, ip4({ options: [7, 1, 0, 0] }, fill(12))),
    eth(0x0800, ip4({ options: [7, 9, 4, 0, 0, 0, 0, 0] }, fill(12))),
    eth(0x0800, ip4({ options: [1, 1, 1, 1] }, fill(12))),
    eth(0x0800, ip4({ ihl: 15 }, fill(12))),
    eth(0x0800, ip4({ flags: 4, tos: 0xbb, ttl: 255, id: 0 }, fill(12))),
    eth(0x0800, cat(ip4({ proto: 253 }, fill(4)), fill(30, 0xee))),
    eth(0x0800, ip4({ proto: 4 }, ip4({ proto: 253, src: [1, 1, 1, 1] }, fill(4)))),
  ],
  1,
  IP_FIELDS,
  [
    {
      file: /./,
      field: /^ip\.version$/,
      frames: [9],
      reason:
        'version 5: tshark shows ip.version alone; nettrace makes no ip layer of a header that is not IPv4',
    },
  ],
);
