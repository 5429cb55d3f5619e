import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ethFields, wireEnd } from './eth.ts';
import type { EthLayer } from './layers.ts';
import { Packet } from './packet.ts';
import { cat, eth, fill, ip4, MAC_A, MAC_B, udpHdr } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';

describe('Ethernet', () => {
  test('an Ethernet II frame: addresses, type, and the payload handed on by EtherType', () => {
    const p = decodeL3(eth(0x0800, ip4({ proto: 17 }, udpHdr(1, 2))));
    assert.equal(protos(p), 'eth/ip');
    const l = p.layers[0] as EthLayer;
    assert.deepEqual([l.offset, l.hlen, l.type], [0, 14, 0x0800]);
    assert.equal(field(p, 'eth.dst'), '02:00:00:00:00:0b');
    assert.equal(field(p, 'eth.src'), '02:00:00:00:00:0a');
    assert.equal(field(p, 'eth.addr'), '02:00:00:00:00:0b,02:00:00:00:00:0a');
    assert.equal(field(p, 'eth.type'), '0x0800');
    assert.equal(field(p, 'eth.len'), '');
    assert.equal(p.issues, undefined);
  });

  test('group and locally administered bits', () => {
    const p = decodeL3(eth(0x0800, ip4({}), [0x01, 0, 0x5e, 0, 0, 1], [0x02, 1, 2, 3, 4, 5]));
    assert.equal(field(p, 'eth.dst.ig'), '1');
    assert.equal(field(p, 'eth.dst.lg'), '0');
    assert.equal(field(p, 'eth.src.ig'), '0');
    assert.equal(field(p, 'eth.src.lg'), '1');
  });

  test('an 802.3 length frame is not decoded further and has eth.len, not eth.type', () => {
    const p = decodeL3(eth(46, fill(46, 0x42)));
    assert.equal(protos(p), 'eth');
    assert.equal(field(p, 'eth.type'), '');
    assert.equal(field(p, 'eth.len'), '46');
    assert.equal(p.issues, undefined);
  });

  test('1501..1535 is neither a length nor a type: no eth.type, no eth.len, no decode', () => {
    const p = decodeL3(eth(0x05dd, fill(46)));
    assert.equal(protos(p), 'eth');
    assert.equal(field(p, 'eth.type'), '');
    assert.equal(field(p, 'eth.len'), '');
    assert.equal(field(p, 'eth.invalid_lentype'), '0x05dd');
  });

  test('an unknown EtherType stops quietly', () => {
    const p = decodeL3(eth(0x88cc, fill(46)));
    assert.equal(protos(p), 'eth');
    assert.equal(field(p, 'eth.type'), '0x88cc');
    assert.equal(p.issues, undefined);
  });

  test('cut anywhere inside the 14-byte header: a truncated issue and no layer', () => {
    const frame = eth(0x0800, ip4({}));
    for (let n = 0; n < 14; n++) {
      const p = decodeL3(frame.subarray(0, n));
      assert.equal(p.layers.length, 0, `${n} bytes`);
      assert.deepEqual(issueCodes(p), ['truncated:eth'], `${n} bytes`);
      assert.equal(p.issues![0]!.offset, 0);
    }
  });

  test('exactly the header: the layer, then the empty payload is truncated for IPv4', () => {
    const p = decodeL3(cat(MAC_B, MAC_A, [8, 0]));
    assert.equal(protos(p), 'eth');
    assert.deepEqual(issueCodes(p), ['truncated:ip']);
  });

  test('wireEnd extends only a frame the snap length cut, and only at the captured end', () => {
    const p = new Packet(new Uint8Array(60), 1514, 1);
    assert.equal(wireEnd(p, 60), 1514);
    assert.equal(wireEnd(p, 50), 50);
    assert.equal(wireEnd(new Packet(new Uint8Array(60), 60, 1), 60), 60);
    // A broken record with orig_len below caplen changes nothing.
    assert.equal(wireEnd(new Packet(new Uint8Array(60), 40, 1), 60), 60);
  });
});

const ETH_FIELDS = Object.keys(ethFields);

tsharkCorpusSuite(
  'eth fields equal tshark 4.0 on corpus captures',
  [
    'zeek/icmp_dot1q.pcap',
    'zeek/http-qinq-0.pcap',
    'zeek/arp-who-has.pcap',
    'pcapplusplus/VlanPackets.pcap',
    'tcpdump/gso-ipv4-geneve-ipv4.pcap',
    'tcpdump/gso-ipv6-geneve-ipv6.pcap',
    'tcpdump/arp-oobr.pcap',
  ],
  ETH_FIELDS,
);

tsharkFramesSuite(
  'eth fields equal tshark 4.0 on built frames',
  [
    eth(0x05dd, fill(46)),
    eth(0x0600, fill(46)),
    eth(46, fill(46)),
    eth(0x88cc, fill(46)),
    eth(0x6558, eth(0x0800, ip4({}))),
  ],
  1,
  ETH_FIELDS,
);
