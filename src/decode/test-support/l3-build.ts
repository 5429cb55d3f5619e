// Hand-built frames for the link- and network-layer decoder tests (SLL, NULL, Ethernet, VLAN, ARP,
// IPv4, IPv6, ICMP, ICMPv6), and a classic-pcap writer so the same frames can be shown to tshark.
// Lengths and checksums are computed unless a test overrides them: that is how the malformed cases
// are made.
import { writeFileSync } from 'node:fs';

export type Bytes = Uint8Array | number[];

export function cat(...parts: Bytes[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function be16(v: number): number[] {
  return [(v >>> 8) & 255, v & 255];
}

export function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

export function le32(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
}

export function fill(n: number, v = 0): number[] {
  return new Array<number>(n).fill(v);
}

export function fromHex(h: string): Uint8Array {
  const s = h.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** 16 bytes of an IPv6 address from its text (full or `::` form; no embedded IPv4). */
export function v6(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const hw = head ? head.split(':').map((x) => Number.parseInt(x, 16)) : [];
  const tw = tail ? tail.split(':').map((x) => Number.parseInt(x, 16)) : [];
  const words = tail === undefined ? hw : [...hw, ...fill(8 - hw.length - tw.length), ...tw];
  return words.flatMap(be16);
}

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

export function eth(type: number, payload: Bytes, dst: number[] = MAC_B, src: number[] = MAC_A): Uint8Array {
  return cat(dst, src, be16(type), payload);
}

/** One 802.1Q/802.1ad tag's 4 bytes after the TPID: TCI then the next EtherType. */
export function vlanTag(id: number, type: number, pcp = 0, dei = 0): number[] {
  return [...be16((pcp << 13) | (dei << 12) | (id & 0xfff)), ...be16(type)];
}

export interface ArpOpts {
  htype?: number;
  ptype?: number;
  hsize?: number;
  psize?: number;
  op?: number;
  sha?: number[];
  spa?: number[];
  tha?: number[];
  tpa?: number[];
}

export function arp(o: ArpOpts = {}): Uint8Array {
  const sha = o.sha ?? MAC_A;
  const spa = o.spa ?? [10, 0, 0, 1];
  const tha = o.tha ?? fill(6);
  const tpa = o.tpa ?? [10, 0, 0, 2];
  return cat(
    be16(o.htype ?? 1),
    be16(o.ptype ?? 0x0800),
    [o.hsize ?? sha.length, o.psize ?? spa.length],
    be16(o.op ?? 1),
    sha,
    spa,
    tha,
    tpa,
  );
}

export function checksum(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  let s = acc;
  for (let i = start; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ip4Opts {
  src?: number[];
  dst?: number[];
  proto?: number;
  ttl?: number;
  id?: number;
  tos?: number;
  /** 3 flag bits: 4 reserved, 2 DF, 1 MF. */
  flags?: number;
  /** Fragment offset in 8-byte units. */
  frag?: number;
  /** Option bytes (padded with EOL to a multiple of 4 unless ihl is given). */
  options?: number[];
  /** IHL override in 32-bit words. */
  ihl?: number;
  /** Total-length override (0 for TSO/GSO). */
  totalLen?: number;
  version?: number;
  checksum?: number;
}

export function ip4(o: Ip4Opts, payload: Bytes = []): Uint8Array {
  const opts = [...(o.options ?? [])];
  if (o.ihl === undefined) while (opts.length % 4) opts.push(0);
  const ihl = o.ihl ?? 5 + opts.length / 4;
  const hl = 20 + opts.length;
  const h = new Uint8Array(hl);
  const fo = ((o.flags ?? 0) << 13) | (o.frag ?? 0);
  h.set([((o.version ?? 4) << 4) | (ihl & 15), o.tos ?? 0]);
  h.set(be16(o.totalLen ?? hl + payload.length), 2);
  h.set(be16(o.id ?? 0x1234), 4);
  h.set(be16(fo), 6);
  h.set([o.ttl ?? 64, o.proto ?? 17], 8);
  h.set(o.src ?? [10, 0, 0, 1], 12);
  h.set(o.dst ?? [10, 0, 0, 2], 16);
  h.set(opts, 20);
  h.set(be16(o.checksum ?? checksum(h)), 10);
  return cat(h, payload);
}

export interface Ip6Opts {
  src?: number[];
  dst?: number[];
  nxt?: number;
  hlim?: number;
  tclass?: number;
  flow?: number;
  /** Payload-length override. */
  plen?: number;
  version?: number;
}

export function ip6(o: Ip6Opts, payload: Bytes = []): Uint8Array {
  const w0 = (((o.version ?? 6) << 28) | ((o.tclass ?? 0) << 20) | (o.flow ?? 0)) >>> 0;
  return cat(
    be32(w0),
    be16(o.plen ?? payload.length),
    [o.nxt ?? 59, o.hlim ?? 64],
    o.src ?? v6('fd00::1'),
    o.dst ?? v6('fd00::2'),
    payload,
  );
}

/** A hop-by-hop or destination-options header: options padded with PadN to a multiple of 8. */
export function ip6Opts(nxt: number, options: number[] = []): number[] {
  const body = [...options];
  const pad = (8 - ((body.length + 2) % 8)) % 8;
  if (pad === 1) body.push(0);
  else if (pad > 1) body.push(1, pad - 2, ...fill(pad - 2));
  return [nxt, (body.length + 2) / 8 - 1, ...body];
}

/** A fragment header: offset in 8-byte units. */
export function ip6Frag(nxt: number, offset: number, more: boolean, id: number): number[] {
  return [nxt, 0, ...be16((offset << 3) | (more ? 1 : 0)), ...be32(id)];
}

/** A type-0 routing header with the given addresses. */
export function ip6Routing(nxt: number, addrs: number[][], segLeft = addrs.length): number[] {
  return [nxt, addrs.length * 2, 0, segLeft, 0, 0, 0, 0, ...addrs.flat()];
}

export function icmpEcho(type: number, ident: number, seq: number, data: Bytes = []): Uint8Array {
  const m = cat([type, 0, 0, 0], be16(ident), be16(seq), data);
  m.set(be16(checksum(m)), 2);
  return m;
}

export function icmpError(type: number, code: number, inner: Bytes, word = 0): Uint8Array {
  const m = cat([type, code, 0, 0], be32(word), inner);
  m.set(be16(checksum(m)), 2);
  return m;
}

/** An ICMPv6 message (checksum left 0: tshark only flags it). */
export function icmp6(type: number, code: number, body: Bytes): Uint8Array {
  return cat([type, code, 0, 0], body);
}

/** An ND option: type, length in 8-byte units, data padded to fill it. */
export function ndOpt(type: number, data: number[], units?: number): number[] {
  const n = units ?? Math.ceil((data.length + 2) / 8);
  const out = [type, n, ...data];
  while (out.length < n * 8) out.push(0);
  return out;
}

export function udpHdr(sport: number, dport: number, payload: Bytes = [], length?: number): Uint8Array {
  return cat(be16(sport), be16(dport), be16(length ?? 8 + payload.length), [0, 0], payload);
}

export function sll1(
  protocol: number,
  payload: Bytes,
  o: { pkttype?: number; hatype?: number; addr?: number[] } = {},
) {
  const addr = o.addr ?? MAC_A;
  const slot = [...addr.slice(0, 8), ...fill(Math.max(0, 8 - addr.length))];
  return cat(be16(o.pkttype ?? 0), be16(o.hatype ?? 1), be16(addr.length), slot, be16(protocol), payload);
}

export function sll2(
  protocol: number,
  payload: Bytes,
  o: { pkttype?: number; hatype?: number; addr?: number[]; ifindex?: number } = {},
) {
  const addr = o.addr ?? MAC_A;
  const slot = [...addr.slice(0, 8), ...fill(Math.max(0, 8 - addr.length))];
  return cat(
    be16(protocol),
    [0, 0],
    be32(o.ifindex ?? 3),
    be16(o.hatype ?? 1),
    [o.pkttype ?? 0, addr.length],
    slot,
    payload,
  );
}

export type Frame = Uint8Array | number[] | { data: Uint8Array; origLen: number };

/** A classic little-endian microsecond pcap with the given frames (orig_len = cap_len unless given). */
export function pcap(frames: Frame[], linktype = 1): Uint8Array {
  const parts: Uint8Array[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(linktype, 20);
  parts.push(gh);
  frames.forEach((f, i) => {
    const data = f instanceof Uint8Array ? f : Array.isArray(f) ? Uint8Array.from(f) : f.data;
    const origLen = f instanceof Uint8Array || Array.isArray(f) ? data.length : f.origLen;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1_700_000_000 + i, 0);
    rh.writeUInt32LE(data.length, 8);
    rh.writeUInt32LE(origLen, 12);
    parts.push(rh, data);
  });
  return cat(...parts);
}

export function writeL3Pcap(path: string, frames: Frame[], linktype = 1): void {
  writeFileSync(path, pcap(frames, linktype));
}
