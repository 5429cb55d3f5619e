// Frames for flat-view.test.ts beyond the flat decoder's own generators: DNS and mDNS ports (where
// extractFlat reads the DNS header for `app`), every kind of ICMP message, Geneve carrying OVN's
// option, and a synthetic capture of the same traffic at three points with SNAT at the last.
import fc from 'fast-check';
import { defaultDissector, LINKTYPE } from '../../decode/bindings.ts';
import {
  buildIp4,
  bytes,
  dnsMessage,
  ephemeral,
  icmpMessage,
  ip4Spec,
  type L3,
  u16,
  u24,
} from '../../decode/test-support/flat-frames.ts';
import type { SynthPacket } from '../../decode/test-support/flat-frames-traffic.ts';
import {
  type Captured,
  captured,
  frames0,
  linked,
  structured,
} from '../../decode/test-support/flat-frames-tunnel.ts';
import { geneve, ovnOption, tcp, udp } from '../../decode/test-support/l4-build.ts';
import { writePcapngFile } from '../../pcap/writer.ts';
import { natCopy } from '../testkit.ts';
import type { CapturePoint } from '../types.ts';

// ---- Generated frames --------------------------------------------------------------------------

/** UDP (and some TCP) on the DNS and mDNS ports: queries, responses, anything, too short to read. */
export const dnsPorts: fc.Arbitrary<L3> = fc
  .record({
    spec: ip4Spec,
    ports: fc.oneof<fc.Arbitrary<[number, number]>[]>(
      fc.tuple(ephemeral, fc.constantFrom(53, 5353)),
      fc.tuple(fc.constantFrom(53, 5353), ephemeral),
      fc.tuple(fc.constantFrom(53, 5353), fc.constantFrom(53, 5353)),
      fc.tuple(fc.constantFrom(53, 5353), fc.constantFrom(6081, 4789, 8080)),
    ),
    payload: fc.oneof(
      { weight: 4, arbitrary: dnsMessage },
      { weight: 2, arbitrary: bytes(0, 5) },
      { weight: 1, arbitrary: bytes(6, 40) },
    ),
    isTcp: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    length: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: u16 }),
    padding: fc.oneof({ weight: 3, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 20) }),
  })
  .map((o) => {
    const [sport, dport] = o.ports;
    const l4 = o.isTcp
      ? { proto: 6, bytes: tcp({ sport, dport, flags: 0x18 }, o.payload) }
      : { proto: 17, bytes: udp({ sport, dport, length: o.length }, o.payload) };
    const ip = buildIp4(o.spec, l4);
    const payload = new Uint8Array(ip.length + o.padding.length);
    payload.set(ip);
    payload.set(o.padding, ip.length);
    return { type: 0x0800, payload };
  });

/** ICMP messages of every kind the generators make (echo, extended echo, errors, short ones). */
export const icmpPackets: fc.Arbitrary<L3> = fc
  .tuple(ip4Spec, icmpMessage)
  .map(([spec, m]) => ({ type: 0x0800, payload: buildIp4(spec, { proto: 1, bytes: m }) }));

/** Geneve carrying OVN's option (first, last or between others), around an Ethernet frame or an IPv4 packet. */
export const ovnGeneve: fc.Arbitrary<L3> = fc
  .record({
    outer: ip4Spec,
    sport: ephemeral,
    vni: u24,
    ovn: fc.tuple(u16, u16).map(([i, e]) => ovnOption(i, e)),
    others: fc.array(
      fc.record({
        cls: u16,
        type: fc.integer({ min: 0, max: 255 }),
        data: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
      }),
      { maxLength: 2 },
    ),
    first: fc.boolean(),
    inner: fc.oneof(
      { weight: 3, arbitrary: frames0.frame.map((b) => ({ proto: 0x6558, b })) },
      { weight: 1, arbitrary: frames0.ip.map((b) => ({ proto: 0x0800, b })) },
    ),
  })
  .map((g) => {
    const options = g.first ? [g.ovn, ...g.others] : [...g.others, g.ovn];
    const tunnel = geneve({ vni: g.vni, proto: g.inner.proto, options }, g.inner.b);
    return {
      type: 0x0800,
      payload: buildIp4(g.outer, { proto: 17, bytes: udp({ sport: g.sport, dport: 6081 }, tunnel) }),
    };
  });

/** The flat decoder's structured frames, with the three above mixed in. */
export const frames: fc.Arbitrary<Captured> = fc.oneof(
  { weight: 1, arbitrary: captured(linked(ovnGeneve)) },
  { weight: 8, arbitrary: structured },
  { weight: 1, arbitrary: captured(linked(dnsPorts)) },
  { weight: 1, arbitrary: captured(linked(icmpPackets)) },
);

// ---- A capture at three points -----------------------------------------------------------------

/**
 * Writes `pkts` as seen at three `points` (Ethernet interfaces named by point id): as they are at
 * the first, 3 µs later at the second, and 40 µs later, NATed (natCopy), at the third.
 */
export function writeThreePoints(path: string, points: readonly CapturePoint[], pkts: SynthPacket[]): void {
  const d = defaultDissector();
  const base = 1_718_000_000;
  writePcapngFile(path, (w) => {
    const ids = points.map((p) => w.addInterface({ linktype: LINKTYPE.ETHERNET, name: p.id }));
    for (const p of pkts) {
      const origLen = p.origLen ?? p.data.length;
      w.writePacket(ids[0]!, { tsSec: base, tsNsec: p.tNs, data: p.data, origLen });
      w.writePacket(ids[1]!, { tsSec: base, tsNsec: p.tNs + 3_000, data: p.data, origLen });
      w.writePacket(ids[2]!, { tsSec: base, tsNsec: p.tNs + 40_000, data: natCopy(p.data, d), origLen });
    }
  });
}
