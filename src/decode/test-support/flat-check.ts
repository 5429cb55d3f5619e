// The flat decoder's contract, checked on one frame: when FlatDecoder.decode takes a frame, the
// Dissector must decode that frame without an issue, into layers whose protocol bits are the flat
// decoder's, and what the analysis reads of the flat decoder's FlatPacket (flow/flow-table.ts
// addKey and countArp, flow/analyzer.ts addKey) must be what it reads of the layers (keyFromLayers,
// tunnelAround, the DNS layer, countNonIp). That is what makes `analyze`'s fast path give the slow
// path's answer. The in-place read (decodeAt, on the capture reader's buffer) must say the same.
import { tunnelAround } from '../../flow/flow.ts';
import { keyFromLayers } from '../../flow/flow-key.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { LINKTYPE } from '../bindings.ts';
import { hex, ipv4ToString, ipv6At } from '../bytes.ts';
import type { Dissector } from '../dissector.ts';
import type { FlatDecoder } from '../flat.ts';
import {
  DNS_NONE,
  DNS_QUERY,
  FlatPacket,
  L4_TCP,
  L4_UDP,
  TUNNEL_GENEVE,
  TUNNEL_NONE,
  TUNNEL_VXLAN,
} from '../flat-packet.ts';
import type { DnsLayer, Layer } from '../layers.ts';
import { type Packet, PROTO_BITS } from '../packet.ts';
import type { Captured } from './flat-frames-tunnel.ts';

type Field = Exclude<keyof FlatPacket, 'layers'>;

/**
 * One thing the analysis reads: its name, when it reads it (judged on the flat decoder's packet;
 * the rows it depends on come first), its value in the flat decoder's FlatPacket, and its value
 * from the layers (`k` is keyFromLayers' key of the decoded packet `p`).
 */
interface Row {
  name: string;
  when: (f: FlatPacket) => boolean;
  flat: (f: FlatPacket) => unknown;
  layers: (k: FlatPacket, p: Packet) => unknown;
}

/** A FlatPacket field that keyFromLayers fills too. */
const field = (name: Field, when: (f: FlatPacket) => boolean): Row => ({
  name,
  when,
  flat: (f) => f[name],
  layers: (k) => k[name],
});

const always = (): boolean => true;
const ip = (f: FlatPacket): boolean => f.ipVersion !== 0;
const tcp = (f: FlatPacket): boolean => f.ipVersion !== 0 && f.l4 === L4_TCP;
const tcpOrUdp = (f: FlatPacket): boolean => f.ipVersion !== 0 && (f.l4 === L4_TCP || f.l4 === L4_UDP);
const dnsQuery = (f: FlatPacket): boolean => f.ipVersion !== 0 && f.dns === DNS_QUERY;

/** The DNS layer right after the transport layer: what the analysis hands its DNS tracker. */
function dnsOf(k: FlatPacket, p: Packet): DnsLayer | undefined {
  const l = k.l4Index < 0 ? undefined : p.layers[k.l4Index + 1];
  return l?.proto === 'dns' ? l : undefined;
}

/** What FlowTable.countNonIp counts a non-IP packet's layers under. */
function nonIpClass(layers: Layer[]): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (l.proto === 'arp') return 'arp';
    if (l.proto === 'eth' || l.proto === 'vlan') return `ethertype ${hex(l.type, 4)}`;
    if (l.proto === 'sll') return `ethertype ${hex(l.protocol, 4)}`;
  }
  return layers.length === 0 ? 'undecoded' : (layers.at(-1)?.proto ?? '');
}

const TUNNEL_TYPES: Record<number, 'geneve' | 'vxlan'> = {
  [TUNNEL_GENEVE]: 'geneve',
  [TUNNEL_VXLAN]: 'vxlan',
};

/**
 * Everything the analysis reads of a taken packet, in one table: a FlatPacket field the analysis
 * starts to read gets a row here.
 */
const ROWS: readonly Row[] = [
  field('ipVersion', always),
  // The one non-IP packet the flat decoder takes is ARP (FlowTable.countArp).
  {
    name: 'non-IP class',
    when: (f) => f.ipVersion === 0,
    flat: () => 'arp',
    layers: (_, p) => nonIpClass(p.layers),
  },
  field('proto', ip),
  // IPv4 addresses as numbers, IPv6 ones as text (what FlowTable.addKey reads of each).
  field('src', (f) => f.ipVersion === 4),
  field('dst', (f) => f.ipVersion === 4),
  field('src6', (f) => f.ipVersion === 6),
  field('dst6', (f) => f.ipVersion === 6),
  // The bytes the flow table interns instead (analyze's FlatDecoder makes no address text).
  {
    name: 'src6 bytes',
    when: (f) => f.ipVersion === 6,
    flat: (f) => ipv6At(f.buf, f.src6Off),
    layers: (k) => k.src6,
  },
  {
    name: 'dst6 bytes',
    when: (f) => f.ipVersion === 6,
    flat: (f) => ipv6At(f.buf, f.dst6Off),
    layers: (k) => k.dst6,
  },
  field('l4', ip),
  field('sport', ip),
  field('dport', ip),
  field('swap', ip),
  field('flags', tcp),
  field('seq', tcp),
  field('ack', tcp),
  field('window', tcp),
  field('payloadOffset', tcpOrUdp),
  field('payloadLen', tcpOrUdp),
  field('payloadCaptured', tcp),
  // A new flow's tunnel (FlowTable.newFlow).
  {
    name: 'tunnel',
    when: ip,
    flat: (f) =>
      JSON.stringify(
        f.tunnel === TUNNEL_NONE
          ? undefined
          : {
              type: TUNNEL_TYPES[f.tunnel] ?? `unknown tunnel ${f.tunnel}`,
              vni: f.vni,
              outerSrc: ipv4ToString(f.outerSrc),
              outerDst: ipv4ToString(f.outerDst),
            },
      ),
    layers: (k, p) => JSON.stringify(tunnelAround(p.layers, k.ip, ipv4ToString)),
  },
  // What DnsTracker.add takes from a query's layer, and DnsTracker.query from these.
  {
    name: 'dns',
    when: ip,
    flat: (f) => f.dns,
    layers: (k, p) => {
      const l = dnsOf(k, p);
      return l === undefined ? DNS_NONE : l.response ? 'a response' : DNS_QUERY;
    },
  },
  { name: 'dnsId', when: dnsQuery, flat: (f) => f.dnsId, layers: (k, p) => dnsOf(k, p)?.id },
  {
    name: 'dnsName',
    when: dnsQuery,
    flat: (f) => f.dnsName,
    layers: (k, p) => dnsOf(k, p)?.questions[0]?.name ?? '',
  },
  {
    name: 'dnsQtype',
    when: dnsQuery,
    flat: (f) => f.dnsQtype,
    layers: (k, p) => dnsOf(k, p)?.questions[0]?.type ?? -1,
  },
];

/** decodeAt (the analysis' in-place read) is checked on the frame this far into a bigger buffer. */
const AT = 5;

const flatOut = new FlatPacket();
const layersOut = new FlatPacket();
const atOut = new FlatPacket();

/**
 * Runs both paths; `taken` says whether the flat decoder took the frame. The flat decoder is also
 * run in place (decodeAt, as the analysis calls it) on the frame copied into a bigger buffer, and
 * must say the same as `decode`, with its payload offset moved.
 */
function compare(
  d: Dissector,
  flat: FlatDecoder,
  data: Uint8Array,
  origLen: number,
  linktype: number,
): { taken: boolean; mismatch?: string } {
  const buf = new Uint8Array(AT + data.length + 7).fill(0xa5);
  buf.set(data, AT);
  let taken: boolean;
  let takenAt: boolean;
  try {
    taken = flat.decode(data, origLen, linktype, flatOut);
    takenAt = flat.decodeAt(buf, AT, data.length, origLen, linktype, atOut);
  } catch (e) {
    return { taken: false, mismatch: `flat decoder threw: ${(e as Error).message}` };
  }
  if (taken !== takenAt) return { taken, mismatch: `taken: decode ${taken}, decodeAt ${takenAt}` };
  if (!taken) return { taken };
  const out = flatOut;
  const p = d.decode(data, origLen, linktype);
  const at = `(layers: ${p.layers.map((l) => l.proto).join(' ')})`;
  if (p.issues !== undefined) {
    const is = p.issues[0]!;
    return {
      taken,
      mismatch: `issues: flat none, layers ${is.code} in ${is.layer} at ${is.offset}: ${is.message} ${at}`,
    };
  }
  if (p.added !== p.layers.length) {
    return { taken, mismatch: `added: flat took it, layers ${p.layers.length} but ${p.added} added ${at}` };
  }
  if (p.protos !== out.protos) {
    return { taken, mismatch: `protos: flat ${hex(out.protos, 4)}, layers ${hex(p.protos, 4)} ${at}` };
  }
  const k = layersOut;
  keyFromLayers(p, k);
  for (const row of ROWS) {
    if (!row.when(out)) continue;
    const f = row.flat(out);
    const l = row.layers(k, p);
    if (f !== l) return { taken, mismatch: `${row.name}: flat ${String(f)}, layers ${String(l)} ${at}` };
  }
  if (atOut.protos !== out.protos) {
    return {
      taken,
      mismatch: `decodeAt at ${AT}: protos ${hex(atOut.protos, 4)}, decode ${hex(out.protos, 4)}`,
    };
  }
  for (const row of ROWS) {
    if (!row.when(out)) continue;
    const want = row.name === 'payloadOffset' ? out.payloadOffset + AT : row.flat(out);
    const got = row.flat(atOut);
    if (got !== want) {
      return { taken, mismatch: `decodeAt at ${AT}: ${row.name} ${String(got)}, decode ${String(want)}` };
    }
  }
  return { taken };
}

/**
 * Undefined when the flat decoder declines the frame or agrees with the Dissector on it; else the
 * first disagreement, in one line: what differs, the flat decoder's value, the layers' value.
 */
export function flatMismatch(
  d: Dissector,
  flat: FlatDecoder,
  data: Uint8Array,
  origLen: number,
  linktype: number,
): string | undefined {
  return compare(d, flat, data, origLen, linktype).mismatch;
}

/** What a taken packet is, for counts: `tcp`, `udp+geneve+dns`, `icmp+vxlan`, `none`, `arp`, ... */
export function takenKind(f: FlatPacket): string {
  if (f.ipVersion === 0) return 'arp';
  const l4 = ['none', 'tcp', 'udp', 'icmp'][f.l4] ?? `l4 ${f.l4}`;
  const tunnel = f.tunnel === TUNNEL_NONE ? '' : `+${TUNNEL_TYPES[f.tunnel] ?? f.tunnel}`;
  return `${f.ipVersion === 6 ? 'v6 ' : ''}${l4}${tunnel}${f.dns === DNS_QUERY ? '+dns' : ''}`;
}

export interface FlatTally {
  packets: number;
  taken: number;
  declined: number;
  /** Taken packets by takenKind. */
  kinds: Record<string, number>;
  /** Taken packets by link type. */
  links: Record<number, number>;
  /** Disagreements: frame number, the frame's bytes in hex, and flatMismatch's description. */
  mismatches: { frame: number; origLen: number; hex: string; why: string }[];
}

/** flatMismatch on every packet of a capture file, counting what the flat decoder took. */
export function flatTally(path: string, d: Dissector, flat: FlatDecoder): FlatTally {
  const t: FlatTally = { packets: 0, taken: 0, declined: 0, kinds: {}, links: {}, mismatches: [] };
  readCaptureFile(path, {
    onPacket(rec) {
      t.packets++;
      const r = compare(d, flat, rec.data, rec.origLen, rec.linktype);
      if (r.taken) {
        t.taken++;
        const kind = takenKind(flatOut);
        t.kinds[kind] = (t.kinds[kind] ?? 0) + 1;
        t.links[rec.linktype] = (t.links[rec.linktype] ?? 0) + 1;
      } else t.declined++;
      if (r.mismatch !== undefined) {
        t.mismatches.push({
          frame: rec.number,
          origLen: rec.origLen,
          hex: Buffer.from(rec.data).toString('hex'),
          why: r.mismatch,
        });
      }
    },
  });
  return t;
}

// ---- Property runs -------------------------------------------------------------------------

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What a property run of `contract` saw. */
export interface Stats {
  runs: number;
  taken: number;
  /** Taken frames by takenKind: "tcp", "udp+geneve+dns", "arp", ... */
  kinds: Map<string, number>;
  /** Taken frames by link type and takenKind: "113 tcp", "276 arp", ... */
  links: Map<string, number>;
  /** Taken Linux cooked frames by link type and header field: "113 hatype 778", "276 halen>8". */
  cooked: Map<string, number>;
  /** Taken VLAN-tagged frames by link type and takenKind: "1 tcp+geneve", "276 arp". */
  tagged: Map<string, number>;
}
export const newStats = (): Stats => ({
  runs: 0,
  taken: 0,
  kinds: new Map(),
  links: new Map(),
  cooked: new Map(),
  tagged: new Map(),
});
const bump = (m: Map<string, number>, key: string): void => {
  m.set(key, (m.get(key) ?? 0) + 1);
};

/** fast-check property body: the contract on one frame, counting what the flat decoder took. */
export function contract(d: Dissector, flat: FlatDecoder, stats: Stats) {
  const out = new FlatPacket();
  return (c: Captured): void => {
    const why = flatMismatch(d, flat, c.data, c.origLen, c.linktype);
    if (why !== undefined) {
      throw new Error(`${why}\nframe ${toHex(c.data)} linktype ${c.linktype} origLen ${c.origLen}`);
    }
    stats.runs++;
    if (!flat.decode(c.data, c.origLen, c.linktype, out)) return;
    stats.taken++;
    const kind = takenKind(out);
    bump(stats.kinds, kind);
    bump(stats.links, `${c.linktype} ${kind}`);
    if (out.protos & PROTO_BITS.vlan) bump(stats.tagged, `${c.linktype} ${kind}`);
    const b = c.data;
    if (c.linktype === LINKTYPE.LINUX_SLL) {
      bump(stats.cooked, `${c.linktype} hatype ${(b[2]! << 8) | b[3]!}`);
      if (((b[4]! << 8) | b[5]!) > 8) bump(stats.cooked, `${c.linktype} halen>8`);
    } else if (c.linktype === LINKTYPE.LINUX_SLL2) {
      bump(stats.cooked, `${c.linktype} hatype ${(b[8]! << 8) | b[9]!}`);
      if (b[11]! > 8) bump(stats.cooked, `${c.linktype} halen>8`);
    }
  };
}

/** Total of the counts whose key passes `match`. */
export const count = (m: Map<string, number>, match: (key: string) => boolean): number =>
  [...m].reduce((n, [key, c]) => n + (match(key) ? c : 0), 0);

export { captures } from '../../pcap/test-support/captures.ts';
