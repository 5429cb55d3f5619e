import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VlanLayer } from './layers.ts';
import { arp, cat, eth, fill, ip4, ip6, sll2, udpHdr, vlanTag } from './test-support/l3-build.ts';
import { tsharkCorpusSuite, tsharkFramesSuite } from './test-support/l3-diff.ts';
import { decodeL3, field, issueCodes, protos } from './test-support/l3-dissector.ts';
import { vlanFields } from './vlan.ts';

const p4 = ip4({ proto: 17 }, udpHdr(1, 2, [1, 2, 3, 4]));

describe('802.1Q / 802.1ad VLAN tags', () => {
  test('one 802.1Q tag: PCP, DEI, VID, the inner EtherType, and the payload decoded', () => {
    const p = decodeL3(eth(0x8100, cat(vlanTag(100, 0x0800, 5, 1), p4)));
    assert.equal(protos(p), 'eth/vlan/ip');
    const v = p.layers[1] as VlanLayer;
    assert.deepEqual(
      [v.offset, v.hlen, v.tpid, v.pcp, v.dei, v.id, v.type],
      [14, 4, 0x8100, 5, 1, 100, 0x0800],
    );
    assert.equal(field(p, 'vlan.id'), '100');
    assert.equal(field(p, 'vlan.priority'), '5');
    assert.equal(field(p, 'vlan.dei'), '1');
    assert.equal(field(p, 'vlan.etype'), '0x0800');
    assert.equal(field(p, 'vlan.len'), '');
    assert.equal(field(p, 'ip.src'), '10.0.0.1');
  });

  test('QinQ 802.1ad: one layer per tag with its TPID; vlan.* shows only the 802.1Q tag, as tshark', () => {
    const p = decodeL3(eth(0x88a8, cat(vlanTag(200, 0x8100), vlanTag(300, 0x0800), p4)));
    assert.equal(protos(p), 'eth/vlan/vlan/ip');
    const [s, c] = [p.layers[1] as VlanLayer, p.layers[2] as VlanLayer];
    assert.deepEqual([s.tpid, s.id, c.tpid, c.id], [0x88a8, 200, 0x8100, 300]);
    assert.equal(field(p, 'vlan.id'), '300');
    assert.equal(field(p, 'vlan.etype'), '0x0800');
  });

  test('pre-standard 0x9100 stacking is vlan in Wireshark too: both tags show', () => {
    const p = decodeL3(eth(0x9100, cat(vlanTag(200, 0x8100), vlanTag(300, 0x86dd), ip6({ nxt: 59 }))));
    assert.equal(protos(p), 'eth/vlan/vlan/ipv6');
    assert.equal((p.layers[1] as VlanLayer).tpid, 0x9100);
    assert.equal(field(p, 'vlan.id'), '200,300');
    assert.equal(field(p, 'vlan.etype'), '0x8100,0x86dd');
  });

  test('four stacked tags, outer first', () => {
    const tags = cat(vlanTag(1, 0x8100), vlanTag(2, 0x8100), vlanTag(3, 0x88a8), vlanTag(4, 0x0800));
    const p = decodeL3(eth(0x8100, cat(tags, p4)));
    assert.equal(protos(p), 'eth/vlan/vlan/vlan/vlan/ip');
    assert.deepEqual(
      p.layers.slice(1, 5).map((l) => (l as VlanLayer).tpid),
      [0x8100, 0x8100, 0x8100, 0x88a8],
    );
    assert.equal(field(p, 'vlan.id'), '1,2,3');
  });

  test('an 802.3 length after the tag: vlan.len, no vlan.etype, no further decode', () => {
    const p = decodeL3(eth(0x8100, cat(vlanTag(7, 38), fill(38, 0x42))));
    assert.equal(protos(p), 'eth/vlan');
    assert.equal(field(p, 'vlan.len'), '38');
    assert.equal(field(p, 'vlan.etype'), '');
    assert.equal(p.issues, undefined);
  });

  test('ARP behind an S-tag', () => {
    const p = decodeL3(eth(0x88a8, cat(vlanTag(4095, 0x0806, 7), arp())));
    assert.equal(protos(p), 'eth/vlan/arp');
    assert.equal(field(p, 'vlan.id'), '');
    assert.equal((p.layers[1] as VlanLayer).id, 4095);
  });

  test('the TPID comes from the layer before: a tag behind Linux cooked v2', () => {
    const p = decodeL3(sll2(0x8100, cat(vlanTag(9, 0x0800), p4)), 276);
    assert.equal(protos(p), 'sll/vlan/ip');
    assert.equal((p.layers[1] as VlanLayer).tpid, 0x8100);
  });

  test('a tag cut short: truncated, no layer', () => {
    for (let n = 0; n < 4; n++) {
      const p = decodeL3(eth(0x8100, vlanTag(5, 0x0800).slice(0, n)));
      assert.equal(protos(p), 'eth', `${n} bytes`);
      assert.deepEqual(issueCodes(p), ['truncated:vlan']);
      assert.equal(p.issues![0]!.offset, 14);
    }
  });
});

const VLAN_FIELDS = Object.keys(vlanFields);

tsharkCorpusSuite(
  'vlan fields equal tshark 4.0 on corpus captures',
  [
    'tcpdump/802.1ad_QinQ.pcap',
    'tcpdump/arp-too-long-tha.pcap',
    'pcapplusplus/QinQ_802.1_AD.pcapng',
    'pcapplusplus/VlanPackets.pcap',
    'pcapplusplus/ArpRequestWithVlan.pcap',
    'zeek/http-qinq-0.pcap',
    'zeek/icmp_dot1q.pcap',
  ],
  [...VLAN_FIELDS, 'eth.type'],
);

tsharkFramesSuite(
  'vlan fields equal tshark 4.0 on built frames',
  [
    eth(0x8100, cat(vlanTag(100, 0x0800, 3, 1), p4)),
    eth(0x88a8, cat(vlanTag(200, 0x8100), vlanTag(300, 0x0800), p4)),
    eth(0x9100, cat(vlanTag(200, 0x8100), vlanTag(300, 0x86dd), ip6({ nxt: 59 }))),
    eth(0x8100, cat(vlanTag(7, 0x0026), fill(38, 0x42))),
    eth(0x8100, cat(vlanTag(7, 0x05dd), fill(38, 0x42))),
    eth(0x88a8, cat(vlanTag(4095, 0x0806, 7), arp())),
    eth(0x8100, cat(vlanTag(1, 0x8100), vlanTag(2, 0x8100), vlanTag(3, 0x88a8), vlanTag(4, 0x0800), p4)),
  ],
  1,
  [...VLAN_FIELDS, 'ip.src', 'ipv6.src', 'arp.opcode'],
);
