// Frame generators for the flat decoder's contract test (flat.test.ts), put together: UDP payloads
// (plain, DNS, Geneve and VXLAN with inner frames, `depth` tunnels deep), IPv4 and ARP under an
// Ethernet or Linux cooked (v1/v2) header, and frames as a capture holds them (corrupted, cut).
import fc from 'fast-check';
import { LINKTYPE } from '../bindings.ts';
import {
  arpMessage,
  buildIp4,
  bytes,
  dnsMessage,
  ephemeral,
  icmpMessage,
  ip4Spec,
  type L3,
  port,
  rarely,
  tcpSegment,
  u8,
  u16,
  u24,
  u32,
} from './flat-frames.ts';
import { be16, be32, concat, eth, geneve, ovnOption, udp, vxlan } from './l4-build.ts';

/**
 * Generators for IPv4 packets, link payloads (IPv4 or ARP, with their ethertype) and Ethernet
 * frames that may hold up to `depth` tunnels.
 */
export function shapes(depth: number): {
  ip: fc.Arbitrary<Uint8Array>;
  l3: fc.Arbitrary<L3>;
  frame: fc.Arbitrary<Uint8Array>;
} {
  const inner = depth > 0 ? shapes(depth - 1) : undefined;
  const plain = bytes(0, 60).map((payload) => ({ payload }));
  const dnsQuery = fc.tuple(ephemeral, dnsMessage).map(([sport, payload]) => ({ sport, dport: 53, payload }));
  const udpPayload: fc.Arbitrary<{ sport?: number; dport?: number; payload: Uint8Array }> =
    inner === undefined
      ? fc.oneof({ weight: 2, arbitrary: plain }, { weight: 2, arbitrary: dnsQuery })
      : fc.oneof(
          { weight: 2, arbitrary: plain },
          { weight: 2, arbitrary: dnsQuery },
          {
            weight: 3,
            arbitrary: fc
              .record({
                sport: ephemeral,
                version: fc.oneof(
                  { weight: 8, arbitrary: fc.constant(0) },
                  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
                ),
                oam: fc.boolean(),
                critical: fc.boolean(),
                vni: u24,
                options: fc.array(
                  fc.oneof(
                    fc.tuple(u16, u16).map(([i, e]) => ovnOption(i, e)),
                    fc.record({ cls: u16, type: u8, data: fc.array(u8, { maxLength: 12 }) }),
                    fc.record({
                      cls: u16,
                      type: u8,
                      data: fc.array(u8, { maxLength: 8 }),
                      words: fc.integer({ min: 0, max: 31 }),
                    }),
                  ),
                  { maxLength: 3 },
                ),
                optWords: rarely(fc.integer({ min: 0, max: 63 }), 10),
                inner: fc.oneof(
                  { weight: 6, arbitrary: inner.frame.map((b) => ({ proto: 0x6558, b })) },
                  { weight: 2, arbitrary: inner.ip.map((b) => ({ proto: 0x0800, b })) },
                  { weight: 1, arbitrary: fc.tuple(u16, bytes(0, 40)).map(([proto, b]) => ({ proto, b })) },
                ),
              })
              .map((g) => ({
                sport: g.sport,
                dport: 6081,
                payload: geneve({ ...g, proto: g.inner.proto }, g.inner.b),
              })),
          },
          {
            weight: 2,
            arbitrary: fc
              .record({
                sport: ephemeral,
                dport: fc.constantFrom(4789, 8472),
                flags: fc.oneof(fc.constant(0x0800), u16),
                vni: u24,
                inner: fc.oneof(
                  { weight: 5, arbitrary: inner.frame },
                  { weight: 1, arbitrary: bytes(0, 20) },
                ),
              })
              .map((v) => ({ sport: v.sport, dport: v.dport, payload: vxlan(v.vni, v.inner, v.flags) })),
          },
        );
  const udpDatagram = fc
    .record({
      sport: fc.oneof(
        { weight: 2, arbitrary: ephemeral },
        { weight: 1, arbitrary: port(53, 6081, 4789, 8472, 8080) },
      ),
      dport: port(53, 6081, 4789, 8472, 8080),
      body: udpPayload,
      length: rarely(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), u16), 10),
      lengthDelta: rarely(fc.integer({ min: -8, max: 8 }), 10),
    })
    .map((o) => {
      const length =
        o.length ??
        (o.lengthDelta === undefined ? undefined : Math.max(0, 8 + o.body.payload.length + o.lengthDelta));
      return {
        proto: 17,
        bytes: udp(
          { sport: o.body.sport ?? o.sport, dport: o.body.dport ?? o.dport, length },
          o.body.payload,
        ),
      };
    });
  const l4 = fc.oneof(
    { weight: 4, arbitrary: tcpSegment },
    { weight: inner === undefined ? 4 : 7, arbitrary: udpDatagram },
    { weight: 2, arbitrary: icmpMessage.map((b) => ({ proto: 1, bytes: b })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(4, 41, 47, 50, 132, 253), bytes(0, 40))
        .map(([proto, b]) => ({ proto, bytes: b })),
    },
  );
  const ip = fc.tuple(ip4Spec, l4).map(([s, t]) => buildIp4(s, t));
  const onIp = fc
    .record({
      type: fc.oneof(
        { weight: 30, arbitrary: fc.constant(0x0800) },
        { weight: 1, arbitrary: fc.constantFrom(0x86dd, 0x0806, 0x8100, 0x6558, 0x05dc, 0x0600) },
        { weight: 1, arbitrary: u16 },
      ),
      ip,
      padding: fc.oneof({ weight: 3, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 40) }),
    })
    .map((f) => ({ type: f.type, payload: concat(f.ip, f.padding) }));
  const l3 = fc.oneof({ weight: 20, arbitrary: onIp }, { weight: 1, arbitrary: arpMessage });
  return { ip, l3, frame: tagged(l3).map((p) => eth(p.type, p.payload)) };
}

/**
 * `l3` behind VLAN tags (802.1Q, 802.1ad, the old 0x9100), mostly none, up to three: the link
 * header names the first tag's TPID, each tag the next one's, the last the payload's ethertype.
 */
export function tagged(l3: fc.Arbitrary<L3>): fc.Arbitrary<L3> {
  const tag = fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100), tci: u16 });
  return fc
    .tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant([]) },
        { weight: 2, arbitrary: fc.array(tag, { minLength: 1, maxLength: 2 }) },
        { weight: 1, arbitrary: fc.array(tag, { minLength: 3, maxLength: 3 }) },
      ),
      l3,
    )
    .map(([tags, p]) => {
      if (tags.length === 0) return p;
      const heads = tags.map((t, i) => concat(be16(t.tci), be16(tags[i + 1]?.tpid ?? p.type)));
      return { type: tags[0]!.tpid, payload: concat(...heads, p.payload) };
    });
}

/** A frame and the link type of the capture holding it. */
export interface Linked {
  linktype: number;
  frame: Uint8Array;
}

export const onEthernet = (frame: Uint8Array): Linked => ({ linktype: LINKTYPE.ETHERNET, frame });

/** A Linux cooked header's fields (sll.ts has the layout of both versions). */
interface SllSpec {
  pkttype: number;
  hatype: number;
  addrLen: number;
  addr: Uint8Array;
  ifindex: number;
  /** v2's must-be-zero field. */
  reserved: number | undefined;
  /** The protocol, when not the payload's own ethertype. */
  protocol: number | undefined;
  /** The frame cut inside the header (modulo the header's length). */
  cut: number | undefined;
}

const sllSpec: fc.Arbitrary<SllSpec> = fc.record({
  // to us, broadcast, multicast, to another host, outgoing; anything
  pkttype: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4), u16),
  // Ethernet, loopback, an IP-in-GRE device (its protocol is a GRE type), netlink (no sll layer)
  hatype: fc.oneof(
    { weight: 4, arbitrary: fc.constant(1) },
    { weight: 2, arbitrary: fc.constant(772) },
    { weight: 1, arbitrary: fc.constant(778) },
    { weight: 1, arbitrary: fc.constant(824) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(0, 776, 65534, 65535), u16) },
  ),
  // v2 keeps the low byte: beyond the 8-byte slot is up to 255 there
  addrLen: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 9, max: 16 }), u16) },
  ),
  addr: bytes(8, 8),
  ifindex: u32,
  reserved: rarely(u16, 10),
  // Linux's own protocol numbers (up to 1536 itself), IPv6, the other's ethertype, anything
  protocol: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(0x0800, 0x0806, 0x86dd) },
    { weight: 2, arbitrary: fc.constantFrom(0, 1, 3, 4, 0x05dc, 1535, 1536, 1537) },
    { weight: 1, arbitrary: u16 },
  ),
  cut: rarely(fc.nat(), 12),
});

/** `p` under a Linux cooked header, version 1 (16 bytes) or 2 (20 bytes). */
function cooked(version: 1 | 2, s: SllSpec, p: L3): Linked {
  const protocol = s.protocol ?? p.type;
  const header =
    version === 1
      ? concat(be16(s.pkttype), be16(s.hatype), be16(s.addrLen), s.addr, be16(protocol))
      : concat(
          be16(protocol),
          be16(s.reserved ?? 0),
          be32(s.ifindex),
          be16(s.hatype),
          [s.pkttype & 0xff, s.addrLen & 0xff],
          s.addr,
        );
  const frame = concat(header, p.payload);
  return {
    linktype: version === 1 ? LINKTYPE.LINUX_SLL : LINKTYPE.LINUX_SLL2,
    frame: s.cut === undefined ? frame : frame.slice(0, s.cut % header.length),
  };
}

/** `l3` under a link header: Ethernet mostly, else a Linux cooked one (`tcpdump -i any`). */
export function linked(untagged: fc.Arbitrary<L3>): fc.Arbitrary<Linked> {
  const l3 = tagged(untagged);
  return fc.oneof(
    { weight: 8, arbitrary: l3.map((p) => onEthernet(eth(p.type, p.payload))) },
    { weight: 1, arbitrary: fc.tuple(sllSpec, l3).map(([s, p]) => cooked(1, s, p)) },
    { weight: 1, arbitrary: fc.tuple(sllSpec, l3).map(([s, p]) => cooked(2, s, p)) },
  );
}

export interface Captured {
  data: Uint8Array;
  origLen: number;
  linktype: number;
}

/** A frame as a capture might hold it: maybe corrupted, maybe cut by a snap length, maybe a view. */
export function captured(link: fc.Arbitrary<Linked>): fc.Arbitrary<Captured> {
  return fc
    .record({
      link,
      flips: fc.oneof(
        { weight: 5, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }) },
      ),
      // a snap length: a usual one, or anywhere
      cut: rarely(fc.oneof(fc.constantFrom(54, 64, 68, 96, 128, 150), fc.nat()), 5),
      // or the frame itself was short (its wire length is what was captured)
      short: rarely(fc.nat(), 12),
      extra: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3000 })) },
      ),
      shortOrig: rarely(fc.nat(), 40),
      view: fc.boolean(),
    })
    .map((o) => {
      const full = o.link.frame.slice();
      const linktype = o.link.linktype;
      for (const [pos, v] of o.flips) if (full.length > 0) full[pos % full.length] = v;
      if (o.short !== undefined) {
        const data = full.slice(0, o.short % (full.length + 1));
        return { data, origLen: data.length, linktype };
      }
      const capLen = o.cut === undefined ? full.length : o.cut % (full.length + 1);
      let data = full.slice(0, capLen);
      if (o.view) {
        // Capture readers hand out views into a bigger buffer.
        const big = new Uint8Array(capLen + 11).fill(0xee);
        big.set(data, 5);
        data = big.subarray(5, 5 + capLen);
      }
      const origLen = o.shortOrig !== undefined ? o.shortOrig % (capLen + 1) : full.length + o.extra;
      return { data, origLen, linktype };
    });
}

export const frames0 = shapes(0);
export const frames1 = shapes(1);
export const frames2 = shapes(2);
/** The contract's frames: mostly one tunnel deep, some two, some none; on any of the three links. */
export const structured = captured(
  linked(
    fc.oneof(
      { weight: 4, arbitrary: frames1.l3 },
      { weight: 1, arbitrary: frames2.l3 },
      { weight: 1, arbitrary: frames0.l3 },
    ),
  ),
);
