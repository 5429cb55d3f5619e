import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extract, PacketView, payloadHash, TUNNEL_GENEVE, TUNNEL_NONE } from './fingerprint.ts';
import { decodeFrame, frame, type PktSpec } from './testkit.ts';

const POD_MAC = '0a:58:0a:80:02:2b';
const GW_MAC = '0a:58:0a:80:02:01';

const syn: PktSpec = {
  ethSrc: POD_MAC,
  ethDst: GW_MAC,
  src: '10.128.2.43',
  dst: '203.0.113.10',
  id: 0x1234,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  seq: 1000,
  flags: 0x02,
};

function view(s: PktSpec): PacketView {
  const v = new PacketView();
  assert.ok(extract(decodeFrame(frame(s)), v));
  return v;
}

describe('fingerprint', () => {
  test('NAT, routing and MAC rewrites leave it unchanged, and the per-hop fields show them', () => {
    const a = view(syn);
    const b = view({
      ...syn,
      src: '198.18.0.9',
      sport: 61234,
      ttl: 62,
      ethSrc: '52:54:00:00:00:09',
      ethDst: '52:54:00:00:00:01',
    });
    assert.equal(a.hash, b.hash);
    assert.equal(a.ipId, 0x1234);
    assert.equal(a.seq, 1000);
    assert.equal(a.flags, 0x02);
    assert.equal(a.src, (10 << 24) + (128 << 16) + (2 << 8) + 43);
    assert.equal(b.src, ((198 << 24) >>> 0) + (18 << 16) + 9);
    assert.equal(a.sport, 40000);
    assert.equal(b.sport, 61234);
    assert.equal(b.ttl, 62);
    assert.equal(a.macSrc, 0x0a580a80022b);
    assert.equal(a.tunnel, TUNNEL_NONE);
  });

  test('a new IP ID, sequence, flag or payload byte makes another packet', () => {
    const base = view({ ...syn, flags: 0x18, payload: 'GET / HTTP/1.1\r\n\r\n' }).hash;
    assert.notEqual(view({ ...syn, flags: 0x18, payload: 'GET / HTTP/1.1\r\n\r\n', id: 0x1235 }).hash, base);
    assert.notEqual(view({ ...syn, flags: 0x18, payload: 'GET / HTTP/1.1\r\n\r\n', seq: 1001 }).hash, base);
    assert.notEqual(view({ ...syn, flags: 0x10, payload: 'GET / HTTP/1.1\r\n\r\n' }).hash, base);
    assert.notEqual(view({ ...syn, flags: 0x18, payload: 'GET /x HTTP/1.1\r\n\r\n' }).hash, base);
  });

  test('the innermost packet of a Geneve frame is the one fingerprinted', () => {
    const inner = view(syn);
    const v = view({
      ...syn,
      tunnel: {
        outerEthSrc: '52:54:00:00:00:09',
        outerEthDst: '52:54:00:00:00:07',
        outerSrc: '198.18.0.9',
        outerDst: '198.18.0.7',
        vni: 3,
        ovn: { ingress: 2, egress: 5 },
      },
    });
    assert.equal(v.hash, inner.hash);
    assert.equal(v.tunnel, TUNNEL_GENEVE);
    assert.equal(v.vni, 3);
    assert.equal(v.ovnIn, 2);
    assert.equal(v.ovnOut, 5);
    assert.equal(v.outerSrc, ((198 << 24) >>> 0) + (18 << 16) + 9);
    assert.equal(v.src, inner.src);
    assert.equal(v.macSrc, inner.macSrc, 'MACs are the inner frame’s');
  });

  test('an ICMP echo identifier rewritten by NAT does not change it; the sequence does', () => {
    const echo: PktSpec = { ...syn, proto: 'icmp', icmpType: 8, ident: 7, icmpSeq: 1, payload: 'abcdefgh' };
    const a = view(echo);
    assert.equal(view({ ...echo, ident: 4242, src: '198.18.0.9' }).hash, a.hash);
    assert.notEqual(view({ ...echo, icmpSeq: 2 }).hash, a.hash);
    assert.equal(a.sport, 7, 'the identifier is kept per hop in sport');
    assert.equal(a.flags >>> 8, 8);
  });

  test('DNS id and QR bit are read from the UDP payload', () => {
    const q = new Uint8Array([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const v = view({ ...syn, proto: 'udp', sport: 5353, dport: 53, payload: q });
    assert.equal(v.app, 0xbeef);
    const r = q.slice();
    r[2] = 0x81;
    assert.equal(view({ ...syn, proto: 'udp', sport: 53, dport: 40000, payload: r }).app, 0xbeef | 0x10000);
  });

  test('a GSO super-packet with IPv4 total length 0 gets its length from the frame', () => {
    const pay = new Uint8Array(7000).fill(7);
    const a = view({ ...syn, flags: 0x18, payload: pay });
    const b = view({ ...syn, flags: 0x18, payload: pay, gsoZeroLen: true });
    assert.equal(a.len, 7000);
    assert.equal(b.len, 7000);
    assert.equal(a.hash, b.hash);
  });

  test('frames without IP are refused', () => {
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x58, 0x0a, 0x80, 0x02, 0x2b, 0x08, 0x06]);
    assert.equal(extract(decodeFrame(arp), new PacketView()), false);
  });

  test('payloadHash depends on every byte and on the length', () => {
    const b = new Uint8Array(64).map((_, i) => i);
    const h = payloadHash(b, 0, 64);
    for (const i of [0, 3, 31, 63]) {
      const c = b.slice();
      c[i] = c[i]! ^ 1;
      assert.notEqual(payloadHash(c, 0, 64), h, `byte ${i}`);
    }
    assert.notEqual(payloadHash(b, 0, 63), h);
    assert.notEqual(payloadHash(b, 1, 63), payloadHash(b, 0, 63));
  });
});
