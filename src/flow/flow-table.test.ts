import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ipv6At } from '../decode/bytes.ts';
import type { Ipv4Layer } from '../decode/layers.ts';
import { Packet } from '../decode/packet.ts';
import { FlowTable } from './flow-table.ts';
import { flowRecord, largestFlows, sortFlows } from './records.ts';
import {
  ACK,
  arpPacket,
  dnsPacket,
  geneveTcpPacket,
  icmpEchoPacket,
  ip4,
  PSH,
  SYN,
  type TcpSpec,
  tcpPacket,
} from './test-packets.ts';

const reverse = (s: TcpSpec): TcpSpec => ({ ...s, src: s.dst, dst: s.src, sport: s.dport, dport: s.sport });

describe('flow table', () => {
  test('A→B and B→A are one flow, in any interleaving (property)', () => {
    const ipArb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const v6Arb = fc.constantFrom('fd00::1', 'fd00::2', '2001:db8::a', '::1');
    const specArb = fc.oneof(
      fc.record({ src: ipArb, dst: ipArb, sport: fc.nat(65535), dport: fc.nat(65535) }),
      fc.record({ src: v6Arb, dst: v6Arb, sport: fc.nat(65535), dport: fc.nat(65535) }),
    );
    fc.assert(
      fc.property(
        fc.array(specArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }),
        (conns, order) => {
          const t = new FlowTable();
          const seen = new Map<number, number>();
          for (const [k, rev] of order) {
            const base: TcpSpec = { ...conns[k % conns.length]!, flags: ACK };
            const f = t.add(tcpPacket(rev ? reverse(base) : base), 0, 60)!;
            // The same connection always lands on the same flow, whichever way the packet goes.
            const key = k % conns.length;
            const prev = seen.get(key);
            if (prev !== undefined) assert.equal(f.id, prev);
            seen.set(key, f.id);
            const fromA =
              f.aAddr === (rev ? base.dst : base.src) && f.aPort === (rev ? base.dport : base.sport);
            assert.equal(t.dir, fromA ? 0 : 1);
          }
          // As many flows as distinct unordered endpoint pairs used.
          const used = new Set(
            [...seen.keys()].map((k) => {
              const c = conns[k]!;
              const x = `${c.src}|${c.sport}`;
              const y = `${c.dst}|${c.dport}`;
              return x < y ? `${x}-${y}` : `${y}-${x}`;
            }),
          );
          assert.equal(t.size, used.size);
          const total = t.flows().reduce((n, f) => n + f.packetsAB + f.packetsBA, 0);
          assert.equal(total, order.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('records ids, addresses, per-direction counts and times', () => {
    const t = new FlowTable();
    const c: TcpSpec = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 80, flags: SYN };
    t.add(tcpPacket(c), 5, 74);
    t.add(tcpPacket({ ...reverse(c), flags: SYN | ACK }), 9, 74);
    t.add(tcpPacket({ ...c, flags: ACK | PSH, payload: 'x'.repeat(100) }), 12, 154);
    t.add(
      dnsPacket({ src: '10.0.0.1', dst: '10.0.0.53', sport: 5353, dport: 53, id: 1, qname: 'a' }),
      20,
      82,
    );
    const [f, d] = t.flows();
    assert.equal(f!.id, 1);
    assert.equal(f!.protoName, 'tcp');
    assert.deepEqual([f!.aAddr, f!.aPort, f!.bAddr, f!.bPort], ['10.0.0.1', 1234, '10.0.0.2', 80]);
    assert.deepEqual([f!.packetsAB, f!.bytesAB, f!.packetsBA, f!.bytesBA], [2, 228, 1, 74]);
    assert.deepEqual([f!.firstNs, f!.lastNs], [5, 12]);
    assert.equal(f!.tunnel, undefined);
    assert.equal(d!.id, 2);
    assert.equal(d!.protoName, 'udp');
    assert.equal(d!.tcp, undefined);
  });

  test('a Geneve-carried connection is keyed by the inner 5-tuple and records the outer tunnel', () => {
    const t = new FlowTable();
    const c: TcpSpec = {
      src: '10.128.2.43',
      dst: '10.129.0.7',
      sport: 40001,
      dport: 8080,
      flags: SYN,
      seq: 1,
    };
    t.add(geneveTcpPacket('198.18.0.9', '198.18.0.7', 7, c), 1, 124);
    // The reply, unencapsulated (as seen inside the pod), joins the same flow.
    t.add(tcpPacket({ ...reverse(c), flags: SYN | ACK, seq: 50, ack: 2 }), 2, 74);
    t.add(geneveTcpPacket('198.18.0.9', '198.18.0.7', 7, { ...c, flags: ACK, seq: 2, ack: 51 }), 3, 124);
    assert.equal(t.size, 1);
    const f = t.flows()[0]!;
    assert.deepEqual([f.aAddr, f.aPort, f.bAddr, f.bPort], ['10.128.2.43', 40001, '10.129.0.7', 8080]);
    assert.deepEqual(f.tunnel, { type: 'geneve', vni: 7, outerSrc: '198.18.0.9', outerDst: '198.18.0.7' });
    assert.equal(f.tcp!.stateName, 'ESTABLISHED');
    assert.deepEqual([f.packetsAB, f.packetsBA], [2, 1]);
  });

  test('ICMP echo: requests and replies share a flow per identifier; a reply seen first is from B', () => {
    const t = new FlowTable();
    t.add(icmpEchoPacket('203.0.113.10', '10.128.2.43', 15, 1, true), 1, 98);
    t.add(icmpEchoPacket('10.128.2.43', '203.0.113.10', 15, 2), 2, 98);
    t.add(icmpEchoPacket('203.0.113.10', '10.128.2.43', 15, 2, true), 3, 98);
    t.add(icmpEchoPacket('10.128.2.43', '203.0.113.10', 16, 1), 4, 98);
    const [a, b] = t.flows();
    assert.equal(t.size, 2);
    assert.deepEqual([a!.aAddr, a!.aPort, a!.bAddr, a!.bPort], ['10.128.2.43', 15, '203.0.113.10', 15]);
    assert.deepEqual([a!.packetsAB, a!.packetsBA], [1, 2]);
    assert.equal(b!.aPort, 16);
    assert.equal(a!.protoName, 'icmp');
  });

  test('an ICMP error belongs to the outer ICMP flow, not to the packet it quotes', () => {
    const t = new FlowTable();
    const p = icmpEchoPacket('10.0.0.9', '10.0.0.1', 0, 0);
    const icmp = p.layers[2]!;
    if (icmp.proto !== 'icmp') throw new Error('test setup');
    Object.assign(icmp, { type: 3, code: 3, ident: undefined, seq: undefined, embedded: true });
    const quoted = dnsPacket({ src: '10.0.0.1', dst: '10.0.0.9', sport: 5353, dport: 53, id: 1, qname: 'q' });
    p.layers.push(...quoted.layers.slice(1, 3));
    const f = t.add(p, 0, 70)!;
    assert.deepEqual(
      [f.protoName, f.aAddr, f.aPort, f.bAddr, f.bPort],
      ['icmp', '10.0.0.9', 0, '10.0.0.1', 0],
    );
  });

  test('non-IP packets are counted by protocol or ethertype, not made into flows', () => {
    const t = new FlowTable();
    assert.equal(t.add(arpPacket('10.128.2.43', '10.128.2.1'), 1, 42), undefined);
    assert.equal(t.add(arpPacket('10.128.2.43', '10.128.2.1'), 2, 60), undefined);
    const lldp = new Packet(new Uint8Array(60), 60, 1);
    lldp.layers.push({ proto: 'eth', offset: 0, hlen: 14, type: 0x88cc });
    t.add(lldp, 3, 60);
    t.add(new Packet(new Uint8Array(4), 4, 147), 4, 4);
    assert.equal(t.size, 0);
    assert.equal(t.nonIpPackets, 4);
    assert.deepEqual(t.nonIp(), {
      arp: { packets: 2, bytes: 102 },
      undecoded: { packets: 1, bytes: 4 },
      'ethertype 0x88cc': { packets: 1, bytes: 60 },
    });
  });

  test('packets without a transport header (later fragments) form a port-0 flow', () => {
    const t = new FlowTable();
    const p = new Packet(new Uint8Array(34), 1500, 1);
    const ip: Ipv4Layer = {
      proto: 'ip',
      offset: 14,
      hlen: 20,
      tos: 0,
      totalLen: 1480,
      id: 9,
      flags: 0,
      fragOffset: 1480,
      ttl: 64,
      protocol: 17,
      checksum: 0,
      src: ip4('10.0.0.1'),
      dst: ip4('10.0.0.2'),
      payloadLen: 1460,
      isFragment: true,
      gso: false,
    };
    p.layers.push({ proto: 'eth', offset: 0, hlen: 14, type: 0x800 }, ip);
    const f = t.add(p, 0, 1500)!;
    assert.deepEqual([f.protoName, f.aPort, f.bPort], ['udp', 0, 0]);
  });

  test('memory: 200k packets over 10 flows keep 10 flows and no per-packet state', () => {
    const t = new FlowTable();
    const conns: TcpSpec[] = Array.from({ length: 10 }, (_, i) => ({
      src: `10.0.0.${i + 1}`,
      dst: '10.0.1.1',
      sport: 30000 + i,
      dport: 443,
      flags: ACK | PSH,
      payload: 'y'.repeat(10),
    }));
    const seq = new Array(10).fill(0);
    const feed = (n: number) => {
      for (let k = 0; k < n; k++) {
        const i = k % 10;
        t.add(tcpPacket({ ...conns[i]!, seq: seq[i] }), k, 84);
        seq[i] += 10;
      }
    };
    feed(1000);
    const transitions = t.flows().reduce((n, f) => n + f.tcp!.transitions.length, 0);
    const aux = t.auxObjects;
    feed(200_000);
    assert.equal(t.size, 10);
    assert.equal(
      t.flows().reduce((n, f) => n + f.tcp!.transitions.length, 0),
      transitions,
    );
    assert.equal(t.auxObjects, aux);
    assert.equal(
      t.flows().reduce((n, f) => n + f.packetsAB, 0),
      201_000,
    );
  });

  test('IPv6 addresses interned by their bytes (the flat path) and by their text: one id each', () => {
    // Many addresses that differ only in their last bytes, some first seen as text (keyFromLayers),
    // some as bytes at an offset in a buffer (the flat decoder): each pair is one flow either way.
    fc.assert(
      fc.property(
        // Mostly a few addresses, sometimes a thousand (the byte table grows).
        fc.oneof(
          fc.array(fc.tuple(fc.nat(300), fc.nat(300), fc.boolean(), fc.boolean()), {
            minLength: 1,
            maxLength: 400,
          }),
          fc
            .tuple(fc.boolean(), fc.boolean())
            .map(([x, y]) =>
              Array.from({ length: 1000 }, (_, i): [number, number, boolean, boolean] => [i, 1000 - i, x, y]),
            ),
        ),
        (pkts) => {
          const t = new FlowTable();
          const bytesOf = (n: number) => {
            const b = new Uint8Array(16);
            b.set([0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n >> 8, n & 0xff]);
            return b;
          };
          const text = (n: number) => ipv6At(bytesOf(n), 0);
          const ids = new Map<string, number>();
          for (const [a, b, aBytes, bBytes] of pkts) {
            const key = t.key;
            key.ipVersion = 6;
            key.proto = 17;
            key.l4 = 2;
            key.sport = 1000;
            key.dport = 53;
            key.swap = false;
            const buf = new Uint8Array(40);
            buf.set(bytesOf(a), 3);
            buf.set(bytesOf(b), 21);
            key.buf = buf;
            key.src6Off = aBytes ? 3 : -1;
            key.dst6Off = bBytes ? 21 : -1;
            key.src6 = aBytes ? 'stale' : text(a);
            key.dst6 = bBytes ? 'stale' : text(b);
            const id = t.addKey(key, 0, 60);
            const f = t.flow(id);
            assert.deepEqual([f.aAddr, f.bAddr], [text(a), text(b)]);
            const k = `${a} ${b}`;
            assert.equal(ids.get(k) ?? id, id, `one flow for ${k}`);
            ids.set(k, id);
          }
          assert.equal(t.size, ids.size);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('the table grows past its initial size and still finds every flow', () => {
    const t = new FlowTable();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      t.add(
        tcpPacket({ src: '10.1.0.1', dst: '10.2.0.1', sport: i % 60000, dport: 80 + (i >> 15), flags: SYN }),
        i,
        60,
      );
    }
    for (let i = 0; i < n; i++) {
      const f = t.add(
        tcpPacket({
          src: '10.2.0.1',
          dst: '10.1.0.1',
          dport: i % 60000,
          sport: 80 + (i >> 15),
          flags: SYN | ACK,
        }),
        n + i,
        60,
      )!;
      assert.equal(f.id, i + 1);
      assert.equal(t.dir, 1);
    }
    assert.equal(t.size, n);
  });

  test('largestFlows(n): the flows a summary lists, in sortFlows order, without a view of each (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(300), fc.boolean(), fc.integer({ min: 40, max: 60 }), fc.nat(20)), {
          maxLength: 400,
        }),
        // A summary's few, and --top in the hundreds (another way of choosing them).
        fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 65, max: 250 })),
        fc.constantFrom('bytes' as const, 'packets' as const, 'duration' as const),
        (packets, n, by) => {
          const t = new FlowTable();
          let time = 0;
          for (const [k, tcp, len, dt] of packets) {
            const p = tcp
              ? tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + k, dport: 80, flags: ACK })
              : icmpEchoPacket('10.0.0.1', '10.0.0.2', k, 1);
            time += dt;
            t.add(p, time, len);
          }
          const records = t.flows().map(flowRecord);
          const want = (tcpOnly: boolean) =>
            sortFlows(records, by)
              .filter((r) => !tcpOnly || r.proto === 'tcp')
              .slice(0, n)
              .map((r) => r.id);
          assert.deepEqual(largestFlows(t, n, false, by), want(false));
          assert.deepEqual(largestFlows(t, n, true, by), want(true));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a view's TCP tracker, updated, adds to the table's own transitions", () => {
    const t = new FlowTable();
    t.add(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1024, dport: 80, flags: SYN }), 1, 60);
    t.flow(1).tcp!.update(1, SYN | ACK, 5000, 1, 0, 65535, 2);
    assert.deepEqual(
      t.flow(1).tcp!.transitions.map((x) => [x.state, x.tNs, x.by]),
      [
        ['SYN_SENT', 1, 'A'],
        ['SYN_RECV', 2, 'B'],
      ],
    );
  });

  test('flows are views of the table: made anew, equal, no object kept per flow', () => {
    const t = new FlowTable();
    for (let i = 0; i < 5000; i++) {
      t.add(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1024 + i, dport: 80, flags: SYN }), i, 60);
    }
    const a = t.flow(4000);
    const b = t.flow(4000);
    assert.notEqual(a, b);
    assert.deepEqual(flowRecord(a), flowRecord(b));
    assert.equal(a.aPort, 1024 + 3999);
    assert.deepEqual(
      a.tcp!.transitions.map((x) => [x.state, x.tNs, x.by]),
      [['SYN_SENT', 3999, 'A']],
    );
    // Interned addresses and tunnels only: nothing per flow besides the table's arrays.
    assert.equal(t.auxObjects, 2);
    assert.equal(t.transitions, 5000);
  });

  test('past a million entries the table fills to 3/4 and still finds every flow, both ways', () => {
    const t = new FlowTable();
    const key = t.key;
    // 2^20 entries hold 524,288 flows at 1/2 and 786,432 at 3/4: 700,000 fit only at 3/4.
    const n = 700_000;
    const put = (i: number, reverse: boolean): number => {
      key.ipVersion = 4;
      key.proto = 17;
      key.l4 = 2;
      key.src = reverse ? 0xcb00710a : (0x0a800000 + (i >>> 16)) >>> 0;
      key.dst = reverse ? (0x0a800000 + (i >>> 16)) >>> 0 : 0xcb00710a;
      key.sport = reverse ? 53 : i & 0xffff;
      key.dport = reverse ? i & 0xffff : 53;
      key.swap = false;
      return t.addKey(key, i, 60);
    };
    for (let i = 0; i < n; i++) assert.equal(put(i, false), i + 1);
    for (let i = 0; i < n; i += 7) {
      assert.equal(put(i, true), i + 1);
      assert.equal(t.dir, 1);
    }
    assert.equal(t.size, n);
    assert.equal(t.words.length, (1 << 20) * 32, 'entries of 32 int32 words, 2^20 of them');
    assert.deepEqual(
      [t.flow(n).packetsAB, t.flow(8).packetsBA, t.flow(8).aAddr, t.flow(n).aPort],
      [1, 1, '10.128.0.0', (n - 1) & 0xffff],
    );
  });
});
