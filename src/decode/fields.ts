// The stable field output: Wireshark's field names and text forms, every occurrence in order
// (outer before inner), as `tshark -T fields -E occurrence=a -E aggregator=,` prints them.
import { formatEpoch } from '../pcap/timestamp.ts';
import { arpFields } from './arp.ts';
import { dnsFields } from './dns.ts';
import { ethFields } from './eth.ts';
import { geneveFields } from './geneve.ts';
import { httpFields } from './http.ts';
import { icmpFields } from './icmp.ts';
import { icmpv6Fields } from './icmpv6.ts';
import { ipFields } from './ipv4.ts';
import { ipv6Fields } from './ipv6.ts';
import type { Layer } from './layers.ts';
import { mplsFields } from './mpls.ts';
import { nullFields } from './null.ts';
import type { Packet } from './packet.ts';
import { sllFields } from './sll.ts';
import { tcpFields } from './tcp.ts';
import { udpFields } from './udp.ts';
import { vlanFields } from './vlan.ts';
import { vxlanFields } from './vxlan.ts';

/** design.md's stable field set: what `--fields` guarantees to print exactly as tshark 4.0 does. */
export const STABLE_FIELDS: readonly string[] = `frame.number frame.time_epoch frame.len frame.cap_len
frame.interface_name eth.src eth.dst eth.type vlan.id arp.opcode arp.src.proto_ipv4 arp.dst.proto_ipv4 ip.src ip.dst
ip.proto ip.ttl ip.id ip.len ipv6.src ipv6.dst ipv6.nxt ipv6.hlim icmp.type icmp.code icmp.ident icmp.seq icmpv6.type
icmpv6.code tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.flags tcp.window_size_value tcp.len udp.srcport
udp.dstport udp.length vxlan.vni geneve.vni geneve.option.class geneve.option.type dns.id dns.flags.response
dns.qry.name dns.qry.type dns.a dns.aaaa http.request.method http.request.uri http.host http.response.code`.split(
  /\s+/,
);

/** One field's value(s) in one layer, in Wireshark's text form; undefined when absent. */
export type FieldGetter<L> = (layer: L, p: Packet) => string | string[] | undefined;
/** A protocol's fields, keyed by full field name (`ip.src`). */
export type FieldTable<L> = Record<string, FieldGetter<L>>;

/** What the capture file says about a frame (pcap record + interface). */
export interface FrameInfo {
  number: number;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** The interface's id within its pcapng section (frame.interface_id). */
  interfaceId: number;
  interfaceName?: string;
  /** The time of the file's first frame (frame.time_relative) and of the one before (frame.time_delta). */
  t0Sec: number;
  t0Nsec: number;
  prevSec: number;
  prevNsec: number;
}

/** A FrameInfo for the first frame of a file (to be filled frame after frame). */
export function newFrameInfo(): FrameInfo {
  return {
    number: 0,
    tsSec: 0,
    tsNsec: 0,
    capLen: 0,
    origLen: 0,
    interfaceId: 0,
    t0Sec: 0,
    t0Nsec: 0,
    prevSec: 0,
    prevNsec: 0,
  };
}

/** A time difference in seconds and nanoseconds, as tshark prints a relative time (`-0.000001000`). */
export function formatDelta(sec: number, nsec: number): string {
  let s = sec;
  let n = nsec;
  if (s > 0 && n < 0) {
    s -= 1;
    n += 1e9;
  } else if (s < 0 && n > 0) {
    s += 1;
    n -= 1e9;
  }
  const digits = (x: number) => String(Math.abs(x)).padStart(9, '0');
  return s < 0 || n < 0 ? `-${Math.abs(s)}.${digits(n)}` : `${s}.${digits(n)}`;
}

/** The frame's own fields; a classic pcap file has no interface fields (tshark shows none). */
const FRAME_FIELDS: Record<string, (f: FrameInfo) => string | undefined> = {
  'frame.number': (f) => String(f.number),
  'frame.time_epoch': (f) => formatEpoch(f.tsSec, f.tsNsec),
  'frame.time_relative': (f) => formatDelta(f.tsSec - f.t0Sec, f.tsNsec - f.t0Nsec),
  'frame.time_delta': (f) => formatDelta(f.tsSec - f.prevSec, f.tsNsec - f.prevNsec),
  'frame.len': (f) => String(f.origLen),
  'frame.cap_len': (f) => String(f.capLen),
  'frame.interface_id': (f) => (f.interfaceName === undefined ? undefined : String(f.interfaceId)),
  'frame.interface_name': (f) => f.interfaceName,
};

const TABLES: FieldTable<never>[] = [
  sllFields,
  nullFields,
  ethFields,
  vlanFields,
  mplsFields,
  arpFields,
  ipFields,
  ipv6Fields,
  icmpFields,
  icmpv6Fields,
  tcpFields,
  udpFields,
  vxlanFields,
  geneveFields,
  dnsFields,
  httpFields,
] as FieldTable<never>[];

interface FieldDef {
  proto: string;
  get: FieldGetter<Layer>;
}

const REGISTRY = new Map<string, FieldDef>();
for (const table of TABLES) {
  for (const [name, get] of Object.entries(table)) {
    REGISTRY.set(name, { proto: name.slice(0, name.indexOf('.')), get: get as FieldGetter<Layer> });
  }
}

export function knownFields(): string[] {
  return [...Object.keys(FRAME_FIELDS), ...REGISTRY.keys()].sort();
}

/** Throws a clear error for a field nettrace does not know (a caller's mistake, not packet bytes). */
export function checkFields(names: string[]): string[] {
  return names.filter((n) => fieldReader(n) === undefined);
}

/** Every occurrence of one field in a packet, outer first. */
export type FieldReader = (p: Packet, frame: FrameInfo) => string[];

/** Readers made so far: --fields and filters ask for one field per packet, by name. */
const READERS = new Map<string, FieldReader | undefined>();

/** The reader of field `name`, or undefined for a field nettrace does not know. */
export function fieldReader(name: string): FieldReader | undefined {
  if (READERS.has(name)) return READERS.get(name);
  const r = makeReader(name);
  // Only known names are kept: a filter's typo must not grow the cache without bound.
  if (r !== undefined) READERS.set(name, r);
  return r;
}

function makeReader(name: string): FieldReader | undefined {
  const ff = Object.hasOwn(FRAME_FIELDS, name) ? FRAME_FIELDS[name] : undefined;
  if (ff) {
    return (_p, frame) => {
      const v = ff(frame);
      return v === undefined ? [] : [v];
    };
  }
  const def = REGISTRY.get(name);
  if (!def) return undefined;
  return (p) => {
    const out: string[] = [];
    for (const layer of p.layers) {
      if (layer.proto !== def.proto) continue;
      const v = def.get(layer, p);
      if (v === undefined) continue;
      if (typeof v === 'string') out.push(v);
      else for (const x of v) out.push(x);
    }
    return out;
  };
}

/** Every occurrence of `name` in the packet, outer first. */
export function fieldValues(name: string, p: Packet, frame: FrameInfo): string[] {
  return fieldReader(name)?.(p, frame) ?? [];
}

/** One tab-separated line, as tshark -T fields -E occurrence=a -E aggregator=, prints it. */
export function fieldLine(names: readonly string[], p: Packet, frame: FrameInfo): string {
  return names.map((n) => fieldValues(n, p, frame).join(',')).join('\t');
}
