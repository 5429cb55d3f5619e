// Hand-built frames for the transport/tunnel/application decoder tests: small builders for
// Ethernet, IPv4, IPv6, UDP, TCP, VXLAN, Geneve and DNS, plus a classic-pcap writer so the same
// frames can be shown to tshark. Lengths and checksums are computed unless a test overrides them
// (that is how the malformed cases are made).

// The byte primitives and the pcap writer are l3-build.ts's (one kit for every decoder test).
export { be16, be32, cat as concat, pcap as pcapBytes, writeL3Pcap as writePcap } from './l3-build.ts';

import { be16, be32, cat as concat } from './l3-build.ts';

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 255);
}

export function eth(type: number, payload: Uint8Array): Uint8Array {
  const dst = [0x02, 0, 0, 0, 0, 0x02];
  const src = [0x02, 0, 0, 0, 0, 0x01];
  return concat(dst, src, be16(type), payload);
}

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export interface Ipv4Opts {
  src?: number[];
  dst?: number[];
  proto: number;
  ttl?: number;
  id?: number;
  /** Total-length field override (0 for TSO/GSO). */
  totalLen?: number;
}

export function ipv4(o: Ipv4Opts, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20);
  const total = o.totalLen ?? 20 + payload.length;
  h.set([0x45, 0, ...be16(total), ...be16(o.id ?? 1), 0x40, 0, o.ttl ?? 64, o.proto, 0, 0]);
  h.set(o.src ?? [10, 0, 0, 1], 12);
  h.set(o.dst ?? [10, 0, 0, 2], 16);
  const c = ~sum16(h, 0, 20) & 0xffff;
  h[10] = c >>> 8;
  h[11] = c & 255;
  return concat(h, payload);
}

export interface Ipv6Opts {
  src?: number[];
  dst?: number[];
  nxt: number;
  hlim?: number;
  plen?: number;
}

export function ipv6(o: Ipv6Opts, payload: Uint8Array): Uint8Array {
  const src = o.src ?? [0xfd, 0, ...new Array(13).fill(0), 1];
  const dst = o.dst ?? [0xfd, 0, ...new Array(13).fill(0), 2];
  return concat([0x60, 0, 0, 0], be16(o.plen ?? payload.length), [o.nxt, o.hlim ?? 64], src, dst, payload);
}

export interface UdpOpts {
  sport: number;
  dport: number;
  /** Length-field override. */
  length?: number;
  checksum?: number;
}

export function udp(o: UdpOpts, payload: Uint8Array): Uint8Array {
  return concat(
    be16(o.sport),
    be16(o.dport),
    be16(o.length ?? 8 + payload.length),
    be16(o.checksum ?? 0),
    payload,
  );
}

export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** 12 flag bits. */
  flags?: number;
  win?: number;
  checksum?: number;
  urgent?: number;
  /** Raw option bytes (padded to a multiple of 4 with EOL unless `dataOffset` is given). */
  options?: number[];
  /** Data-offset override in 32-bit words. */
  dataOffset?: number;
}

export function tcp(o: TcpOpts, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = [...(o.options ?? [])];
  if (o.dataOffset === undefined) while (opts.length % 4) opts.push(0);
  const doff = o.dataOffset ?? 5 + opts.length / 4;
  const flags = o.flags ?? 0x010;
  return concat(
    be16(o.sport),
    be16(o.dport),
    be32(o.seq ?? 1000),
    be32(o.ack ?? 0),
    [(doff << 4) | ((flags >>> 8) & 0x0f), flags & 255],
    be16(o.win ?? 65535),
    be16(o.checksum ?? 0),
    be16(o.urgent ?? 0),
    opts,
    payload,
  );
}

export function vxlan(vni: number, inner: Uint8Array, flags = 0x0800): Uint8Array {
  return concat(be16(flags), [0, 0], [(vni >>> 16) & 255, (vni >>> 8) & 255, vni & 255, 0], inner);
}

export interface GeneveOptSpec {
  cls: number;
  type: number;
  data: number[];
  /** Length-field override in 4-byte words (for bad lengths). */
  words?: number;
}

export interface GeneveOpts {
  vni: number;
  proto?: number;
  version?: number;
  oam?: boolean;
  critical?: boolean;
  options?: GeneveOptSpec[];
  /** Options-length override in 4-byte words. */
  optWords?: number;
}

export function geneveOptions(options: GeneveOptSpec[]): number[] {
  const out: number[] = [];
  for (const op of options) {
    const words = op.words ?? Math.ceil(op.data.length / 4);
    const data = [...op.data];
    while (data.length % 4) data.push(0);
    out.push(...be16(op.cls), op.type, words & 0x1f, ...data);
  }
  return out;
}

export function geneve(o: GeneveOpts, inner: Uint8Array): Uint8Array {
  const opts = geneveOptions(o.options ?? []);
  const words = o.optWords ?? opts.length / 4;
  return concat(
    [((o.version ?? 0) << 6) | (words & 0x3f), (o.oam ? 0x80 : 0) | (o.critical ? 0x40 : 0)],
    be16(o.proto ?? 0x6558),
    [(o.vni >>> 16) & 255, (o.vni >>> 8) & 255, o.vni & 255, 0],
    opts,
    inner,
  );
}

/** OVN's Geneve option: class 0x0102, type 0x80, 15-bit ingress and 16-bit egress port keys. */
export function ovnOption(ingress: number, egress: number): GeneveOptSpec {
  return { cls: 0x0102, type: 0x80, data: [...be16(ingress & 0x7fff), ...be16(egress)] };
}

/** Uncompressed DNS name in wire form (`a.b.` or `a.b`; `''` or `.` is the root). */
export function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) {
    if (!label) continue;
    out.push(label.length, ...ascii(label));
  }
  out.push(0);
  return out;
}

export interface DnsHeaderOpts {
  id?: number;
  flags?: number;
  qd?: number;
  an?: number;
  ns?: number;
  ar?: number;
}

export function dnsHeader(o: DnsHeaderOpts = {}): number[] {
  return [
    ...be16(o.id ?? 0x1234),
    ...be16(o.flags ?? 0x0100),
    ...be16(o.qd ?? 1),
    ...be16(o.an ?? 0),
    ...be16(o.ns ?? 0),
    ...be16(o.ar ?? 0),
  ];
}

/** A resource record: owner name bytes (already encoded), type, class, ttl, rdata. */
export function dnsRR(name: number[], type: number, cls: number, ttl: number, rdata: number[]): number[] {
  return [...name, ...be16(type), ...be16(cls), ...be32(ttl), ...be16(rdata.length), ...rdata];
}

/** Ethernet/IPv4/UDP around a payload. */
export function udp4Frame(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return eth(0x0800, ipv4({ proto: 17 }, udp({ sport, dport }, payload)));
}

/** Ethernet/IPv4/TCP around a payload (ACK|PSH unless flags are given). */
export function tcp4Frame(
  sport: number,
  dport: number,
  payload: Uint8Array,
  o: Partial<TcpOpts> = {},
): Uint8Array {
  return eth(0x0800, ipv4({ proto: 6 }, tcp({ flags: 0x018, ...o, sport, dport }, payload)));
}
