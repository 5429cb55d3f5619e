// A dissector with only the link- and network-layer bindings of bindings.ts (no TCP/UDP and
// above), so these decoders' unit tests see exactly their own layers and issues. The corpus and
// property tests use the real defaultDissector() instead.
import { arpFields, decodeArp } from '../arp.ts';
import { Dissector } from '../dissector.ts';
import { decodeEth, ethFields } from '../eth.ts';
import type { FieldTable } from '../fields.ts';
import { decodeIcmp, icmpFields } from '../icmp.ts';
import { decodeIcmpv6, icmpv6Fields } from '../icmpv6.ts';
import { decodeIpv4, ipFields } from '../ipv4.ts';
import { decodeIpv6, ipv6Fields } from '../ipv6.ts';
import type { Layer } from '../layers.ts';
import { decodeLoop, decodeNull, nullFields } from '../null.ts';
import type { Packet } from '../packet.ts';
import { decodeRaw } from '../raw.ts';
import { decodeSll, decodeSll2, sllFields } from '../sll.ts';
import { decodeVlan, vlanFields } from '../vlan.ts';

// bindings.ts's LINKTYPE, repeated: importing bindings.ts would pull in every other decoder.
const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
};

export const L3_FIELD_TABLES = [
  sllFields,
  nullFields,
  ethFields,
  vlanFields,
  arpFields,
  ipFields,
  ipv6Fields,
  icmpFields,
  icmpv6Fields,
] as FieldTable<never>[];

/** Every field name these decoders offer. */
export const L3_FIELDS: string[] = L3_FIELD_TABLES.flatMap((t) => Object.keys(t));

type Getter = (l: Layer, p: Packet) => string | string[] | undefined;

/** A field's occurrences joined with `,` (fields.ts's rule, over these tables only). */
export function field(p: Packet, name: string): string {
  const proto = name.slice(0, name.indexOf('.'));
  let get: Getter | undefined;
  for (const t of L3_FIELD_TABLES) get ??= (t as unknown as Record<string, Getter | undefined>)[name];
  if (!get) throw new Error(`unknown field ${name}`);
  const out: string[] = [];
  for (const l of p.layers) {
    if (l.proto !== proto) continue;
    const v = get(l, p);
    if (typeof v === 'string') out.push(v);
    else if (v) out.push(...v);
  }
  return out.join(',');
}

export function l3Dissector(): Dissector {
  const d = new Dissector(new Map());
  const t = d.tables;
  t.linktype.set(LINKTYPE.NULL, decodeNull);
  t.linktype.set(LINKTYPE.ETHERNET, decodeEth);
  t.linktype.set(LINKTYPE.RAW, decodeRaw);
  t.linktype.set(LINKTYPE.LOOP, decodeLoop);
  t.linktype.set(LINKTYPE.LINUX_SLL, decodeSll);
  t.linktype.set(LINKTYPE.IPV4, decodeIpv4);
  t.linktype.set(LINKTYPE.IPV6, decodeIpv6);
  t.linktype.set(LINKTYPE.LINUX_SLL2, decodeSll2);
  t.ethertype.set(0x0800, decodeIpv4);
  t.ethertype.set(0x86dd, decodeIpv6);
  t.ethertype.set(0x0806, decodeArp);
  t.ethertype.set(0x8100, decodeVlan);
  t.ethertype.set(0x88a8, decodeVlan);
  t.ethertype.set(0x9100, decodeVlan);
  t.ethertype.set(0x6558, decodeEth);
  t['ip.proto'].set(1, decodeIcmp);
  t['ip.proto'].set(58, decodeIcmpv6);
  t['ip.proto'].set(4, decodeIpv4);
  t['ip.proto'].set(41, decodeIpv6);
  return d;
}

const shared = l3Dissector();

/** Decodes one frame with the L2/L3 dissector (orig_len = captured length unless given). */
export function decodeL3(data: Uint8Array | number[], linktype = 1, origLen?: number): Packet {
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
  return shared.decode(bytes, origLen ?? bytes.length, linktype);
}

/** The protocol names of the layers, outer first: `eth/ip/icmp`. */
export function protos(p: Packet): string {
  return p.layers.map((l: Layer) => l.proto).join('/');
}

/** The issues as `code:layer` strings, in order. */
export function issueCodes(p: Packet): string[] {
  return (p.issues ?? []).map((i) => `${i.code}:${i.layer}`);
}
