// Frame generators for the flat decoder's IPv6 contract test (flat-ipv6.test.ts): IPv6 headers
// (addresses that print in every form, any traffic class and flow label, a payload length right,
// short, long or 0) around TCP, UDP (DNS, Geneve, VXLAN), no next header, ICMPv6, extension headers
// (whole and cut) and unknown protocols; and IPv6 inside a Geneve or VXLAN tunnel of an IPv4
// packet. Each frame is tagged with what it is, so the test can count what was taken and check that
// what must be declined (extension headers, ICMPv6, payload length 0) never is.
import fc from 'fast-check';
import {
  bytes,
  dnsMessage,
  ephemeral,
  type L3,
  port,
  rarely,
  tcpSegment,
  u8,
  u16,
  u24,
  u32,
} from './flat-frames.ts';
import { captured, type Linked, linked } from './flat-frames-tunnel.ts';
import { icmp6, ip6Frag, ip6Opts, ip6Routing, ndOpt } from './l3-build.ts';
import { be16, be32, concat, eth, geneve, ipv4, ovnOption, udp, vxlan } from './l4-build.ts';

/** What a generated IPv6 packet carries (before any corruption or cut). */
export type Kind =
  | 'tcp'
  | 'udp'
  | 'dns'
  | 'geneve-in-v6'
  | 'vxlan-in-v6'
  | 'none'
  | 'icmp6'
  | 'ext'
  | 'ext-cut'
  | 'other';

/** Kinds whose packets the flat decoder must decline whatever their bytes after the header. */
export const DECLINED_KINDS: ReadonlySet<string> = new Set(['icmp6', 'ext', 'ext-cut']);

interface L4 {
  kind: Kind;
  nxt: number;
  bytes: Uint8Array;
}

/** 16 address bytes from 8 words. */
const words = (w: number[]): number[] => w.flatMap((x) => be16(x));

/** Addresses that print differently: all zero, loopback, link-local, v4-mapped, `::` anywhere. */
export const addr6: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom<number[]>(
    words([0, 0, 0, 0, 0, 0, 0, 0]), // ::
    words([0, 0, 0, 0, 0, 0, 0, 1]), // ::1
    words([0xfe80, 0, 0, 0, 0, 0, 0, 0]), // fe80::
    words([0xfe80, 0, 0, 0, 0x200, 0, 0, 0xa]), // fe80::200:0:0:a (the longer run wins)
    words([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), // 2001:db8::1:0:0:1 (the first of equal runs)
    words([0x2001, 0xdb8, 1, 2, 3, 4, 5, 0]), // a single zero word is not compressed
    words([1, 2, 3, 4, 5, 6, 7, 8]),
    words([0, 0, 0, 0, 0, 0, 0xa00, 1]), // ::10.0.0.1 (v4-compatible)
    words([0, 0, 0, 0, 0, 1, 0, 0]), // ::1:0:0
    words([0xfd00, 0, 0, 0, 0, 0, 0, 0x10]),
  ),
  // ::ffff:a.b.c.d and ::a.b.c.d
  fc
    .tuple(fc.boolean(), fc.array(u8, { minLength: 4, maxLength: 4 }))
    .map(([mapped, v4]) => [...new Array<number>(10).fill(0), mapped ? 0xff : 0, mapped ? 0xff : 0, ...v4]),
  // words that are mostly zero, so `::` falls in different places
  fc
    .array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: u16 }), {
      minLength: 8,
      maxLength: 8,
    })
    .map(words),
  fc.array(u8, { minLength: 16, maxLength: 16 }),
);

/** UDP over IPv6: plain, DNS to or from 53, Geneve or VXLAN (declined around IPv6); any length field. */
function udp6(tunnelInner: fc.Arbitrary<Uint8Array>): fc.Arbitrary<L4> {
  const body = fc.oneof(
    {
      weight: 3,
      arbitrary: bytes(0, 60).map((payload) => ({ kind: 'udp' as Kind, sport: 0, dport: 0, payload })),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(ephemeral, dnsMessage, fc.boolean()).map(([p, payload, toServer]) => ({
        kind: 'dns' as Kind,
        sport: toServer ? p : 53,
        dport: toServer ? 53 : p,
        payload,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(ephemeral, u24, tunnelInner).map(([p, vni, inner]) => ({
        kind: 'geneve-in-v6' as Kind,
        sport: p,
        dport: 6081,
        payload: geneve({ vni }, inner),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(ephemeral, u24, tunnelInner).map(([p, vni, inner]) => ({
        kind: 'vxlan-in-v6' as Kind,
        sport: p,
        dport: 4789,
        payload: vxlan(vni, inner),
      })),
    },
  );
  return fc
    .record({
      body,
      sport: port(53, 6081, 4789, 8080),
      dport: port(53, 6081, 4789, 8080),
      // the length field 0, short of the header, or off by a little
      length: rarely(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), u16), 10),
      lengthDelta: rarely(fc.integer({ min: -8, max: 8 }), 8),
    })
    .map((o) => {
      const natural = 8 + o.body.payload.length;
      const length =
        o.length ?? (o.lengthDelta === undefined ? undefined : Math.max(0, natural + o.lengthDelta));
      const plain = o.body.kind === 'udp';
      return {
        kind: o.body.kind,
        nxt: 17,
        bytes: udp(
          { sport: plain ? o.sport : o.body.sport, dport: plain ? o.dport : o.body.dport, length },
          o.body.payload,
        ),
      };
    });
}

/** ICMPv6: echo request/reply and neighbour discovery, with options; anything. */
const icmpv6: fc.Arbitrary<L4> = fc
  .oneof(
    fc
      .tuple(fc.constantFrom(128, 129), u16, u16, bytes(0, 32))
      .map(([t, id, seq, data]) => icmp6(t, 0, concat(be16(id), be16(seq), data))),
    // neighbour solicitation/advertisement: flags word, target, source/target link-layer address
    fc
      .tuple(fc.constantFrom(135, 136), u32, addr6, fc.array(u8, { minLength: 6, maxLength: 6 }))
      .map(([t, flags, target, mac]) =>
        icmp6(t, 0, concat(be32(flags), target, ndOpt(t === 135 ? 1 : 2, mac))),
      ),
    // router solicitation/advertisement
    fc.constant(icmp6(133, 0, [0, 0, 0, 0])),
    fc.tuple(u8, u8, bytes(0, 24)).map(([t, c, b]) => icmp6(t, c, b)),
  )
  .map((b) => ({ kind: 'icmp6' as Kind, nxt: 58, bytes: b }));

/** An extension header (hop-by-hop, routing, fragment, destination options, AH) before TCP or UDP. */
const extension: fc.Arbitrary<L4> = fc
  .record({
    type: fc.constantFrom(0, 43, 44, 60, 51),
    inner: fc.oneof(
      tcpSegment,
      bytes(0, 30).map((b) => ({ proto: 17, bytes: udp({ sport: 4000, dport: 53 }, b) })),
    ),
    routes: fc.array(addr6, { maxLength: 2 }),
    frag: fc.tuple(fc.integer({ min: 0, max: 0x1fff }), fc.boolean(), u32),
    spi: u32,
    cut: rarely(fc.nat(), 4),
  })
  .map((o) => {
    const nxt = o.inner.proto;
    const header =
      o.type === 0 || o.type === 60
        ? ip6Opts(nxt, [5, 2, 0, 0]) // a router alert
        : o.type === 43
          ? ip6Routing(nxt, o.routes)
          : o.type === 44
            ? ip6Frag(nxt, o.frag[0], o.frag[1], o.frag[2])
            : // AH: 12 fixed bytes and a 12-byte ICV (length in 4-byte words, minus 2)
              [nxt, 4, 0, 0, ...be32(o.spi), ...be32(1), ...new Array<number>(12).fill(0xab)];
    const whole = concat(header, o.inner.bytes);
    if (o.cut === undefined) return { kind: 'ext' as Kind, nxt: o.type, bytes: whole };
    return { kind: 'ext-cut' as Kind, nxt: o.type, bytes: whole.slice(0, o.cut % header.length) };
  });

/** What follows an IPv6 header; `tunnelInner` is a tunnel's inner frame (for tunnels around IPv6). */
function l4v6(tunnelInner: fc.Arbitrary<Uint8Array>): fc.Arbitrary<L4> {
  return fc.oneof(
    { weight: 5, arbitrary: tcpSegment.map((t) => ({ kind: 'tcp' as Kind, nxt: 6, bytes: t.bytes })) },
    { weight: 5, arbitrary: udp6(tunnelInner) },
    { weight: 1, arbitrary: bytes(0, 30).map((b) => ({ kind: 'none' as Kind, nxt: 59, bytes: b })) },
    { weight: 2, arbitrary: icmpv6 },
    { weight: 2, arbitrary: extension },
    {
      weight: 1,
      // IP in IPv6, GRE, ESP, SCTP, experimental, anything
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(4, 41, 47, 50, 132, 253, 255), u8), bytes(0, 40))
        .map(([nxt, b]) => ({ kind: 'other' as Kind, nxt, bytes: b })),
    },
  );
}

export interface Ip6Spec {
  version: number | undefined;
  tclass: number;
  flow: number;
  hlim: number;
  src: number[];
  dst: number[];
  plenDelta: number | undefined;
  plenAbs: number | undefined;
}

export const ip6Spec: fc.Arbitrary<Ip6Spec> = fc.record({
  version: rarely(fc.constantFrom(0, 4, 7, 15), 40),
  tclass: fc.oneof(fc.constant(0), u8),
  flow: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xfffff })),
  hlim: fc.oneof(fc.constantFrom(1, 64, 255), u8),
  src: addr6,
  dst: addr6,
  // short or long by a little (where off-by-one errors show) or by a lot
  plenDelta: rarely(fc.oneof(fc.integer({ min: -10, max: 4 }), fc.integer({ min: -60, max: 200 })), 6),
  // 0 (GSO or a jumbogram) or anything
  plenAbs: rarely(fc.oneof(fc.constant(0), fc.constant(0), u16), 12),
});

export interface Tagged {
  kind: Kind;
  /** The payload length field was 0. */
  plen0: boolean;
  bytes: Uint8Array;
}

export function buildIp6(s: Ip6Spec, l4: L4): Tagged {
  const natural = l4.bytes.length;
  const plen =
    s.plenAbs ?? (s.plenDelta === undefined ? natural : Math.max(0, Math.min(0xffff, natural + s.plenDelta)));
  const w0 = (((s.version ?? 6) << 28) | (s.tclass << 20) | s.flow) >>> 0;
  return {
    kind: l4.kind,
    plen0: plen === 0,
    bytes: concat(be32(w0), be16(plen), [l4.nxt, s.hlim], s.src, s.dst, l4.bytes),
  };
}

/** A plain Ethernet/IPv6 frame without tunnels: what goes inside a tunnel over IPv6. */
const plainInner: fc.Arbitrary<Uint8Array> = fc
  .tuple(ip6Spec, tcpSegment)
  .map(([s, t]) => eth(0x86dd, buildIp6(s, { kind: 'tcp', nxt: 6, bytes: t.bytes }).bytes));

/** IPv6 packets of every shape, tagged. */
export const ipv6Packet: fc.Arbitrary<Tagged> = fc
  .tuple(ip6Spec, l4v6(plainInner))
  .map(([s, l]) => buildIp6(s, l));

export interface TaggedL3 extends L3 {
  tag: Tagged;
  /** The IPv6 packet sits in a Geneve or VXLAN tunnel of an IPv4 packet. */
  tunnel: 'none' | 'geneve' | 'vxlan';
}

const padding = fc.oneof({ weight: 3, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 40) });

/** IPv6 under a link header (with Ethernet padding sometimes), or in a tunnel of IPv4. */
export const taggedL3: fc.Arbitrary<TaggedL3> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(ipv6Packet, padding)
      .map(([tag, pad]) => ({ type: 0x86dd, payload: concat(tag.bytes, pad), tag, tunnel: 'none' as const })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        tag: ipv6Packet,
        pad: padding,
        sport: ephemeral,
        vni: u24,
        ovn: rarely(fc.tuple(u16, u16), 2),
        // the inner Ethernet frame (taken), or IPv6 right after the Geneve header (declined)
        direct: fc.oneof(
          { weight: 5, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
        src: fc.array(u8, { minLength: 4, maxLength: 4 }),
        dst: fc.array(u8, { minLength: 4, maxLength: 4 }),
      })
      .map((g) => {
        const inner = g.direct ? g.tag.bytes : eth(0x86dd, concat(g.tag.bytes, g.pad));
        const options = g.ovn === undefined ? [] : [ovnOption(g.ovn[0], g.ovn[1])];
        const gen = geneve({ vni: g.vni, options, proto: g.direct ? 0x86dd : 0x6558 }, inner);
        const outer = ipv4({ proto: 17, src: g.src, dst: g.dst }, udp({ sport: g.sport, dport: 6081 }, gen));
        return { type: 0x0800, payload: outer, tag: g.tag, tunnel: 'geneve' as const };
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(ipv6Packet, padding, ephemeral, u24, fc.constantFrom(4789, 8472))
      .map(([tag, pad, sport, vni, dport]) => {
        const outer = ipv4(
          { proto: 17 },
          udp({ sport, dport }, vxlan(vni, eth(0x86dd, concat(tag.bytes, pad)))),
        );
        return { type: 0x0800, payload: outer, tag, tunnel: 'vxlan' as const };
      }),
  },
);

export interface TaggedCapture {
  tag: Tagged;
  tunnel: TaggedL3['tunnel'];
  /** The frame as built, before corruption and cuts. */
  clean: Linked;
  data: Uint8Array;
  origLen: number;
  linktype: number;
}

/** Tagged IPv6 frames on Ethernet or a Linux cooked link, as a capture might hold them. */
export const ipv6Frames: fc.Arbitrary<TaggedCapture> = taggedL3.chain((t) =>
  linked(fc.constant(t)).chain((clean) =>
    captured(fc.constant(clean)).map((c) => ({ tag: t.tag, tunnel: t.tunnel, clean, ...c })),
  ),
);
