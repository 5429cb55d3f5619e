// Frames built byte by byte for the correlator's tests and bench: one packet described once, then
// re-described as each hop would show it (NATed, routed, tunnelled), and written as real bytes
// (checksums included) so they go through the real decoders and the pcapng writer.
import { defaultDissector } from '../decode/bindings.ts';
import type { Dissector } from '../decode/dissector.ts';
import type { Packet } from '../decode/packet.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { Correlator } from './correlate.ts';
import type { CapturePoint, CorrelationResult, CorrelatorOptions } from './types.ts';

export interface TunnelSpec {
  outerEthSrc: string;
  outerEthDst: string;
  outerSrc: string;
  outerDst: string;
  vni: number;
  /** OVN's Geneve option (class 0x0102 type 0x80): logical ingress and egress port keys. */
  ovn?: { ingress: number; egress: number };
  udpSport?: number;
  kind?: 'geneve' | 'vxlan';
}

export interface PktSpec {
  ethSrc: string;
  ethDst: string;
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  proto: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** TCP flags byte, e.g. 0x02 SYN, 0x18 PSH|ACK. */
  flags?: number;
  payload?: Uint8Array | string;
  /** ICMP type (8 echo request, 0 echo reply), identifier, sequence. */
  icmpType?: number;
  ident?: number;
  icmpSeq?: number;
  /** Write 0 in the IPv4 total-length field (a GSO/BIG TCP super-packet as tcpdump sees it). */
  gsoZeroLen?: boolean;
  tunnel?: TunnelSpec;
}

function macBytes(m: string): number[] {
  return m.split(':').map((x) => Number.parseInt(x, 16));
}

function ipBytes(a: string): number[] {
  return a.split('.').map(Number);
}

/** 16 bytes of an IPv6 address in text form (with or without "::"). */
function ip6Bytes(a: string): number[] {
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => Number.parseInt(w, 16));
  return words.flatMap((w) => [w >>> 8, w & 255]);
}

function bytes(p: Uint8Array | string | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'string' ? new TextEncoder().encode(p) : p;
}

function sum16(b: Uint8Array | number[], init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 255;
}

function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, (v >>> 16) & 0xffff);
  put16(b, o + 2, v & 0xffff);
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function l4(s: PktSpec): { proto: number; seg: Uint8Array } {
  const pay = bytes(s.payload);
  const v6 = s.src.includes(':');
  const pseudo = (proto: number, len: number) =>
    v6
      ? sum16([...ip6Bytes(s.src), ...ip6Bytes(s.dst), 0, 0, len >>> 8, len & 255, 0, 0, 0, proto])
      : sum16([...ipBytes(s.src), ...ipBytes(s.dst), 0, proto, len >>> 8, len & 255]);
  if (s.proto === 'tcp') {
    const h = new Uint8Array(20);
    put16(h, 0, s.sport ?? 0);
    put16(h, 2, s.dport ?? 0);
    put32(h, 4, (s.seq ?? 0) >>> 0);
    put32(h, 8, (s.ack ?? 0) >>> 0);
    h[12] = 0x50;
    h[13] = s.flags ?? 0x10;
    put16(h, 14, 502);
    const seg = concat(h, pay);
    put16(seg, 16, fold(sum16(seg, pseudo(6, seg.length))));
    return { proto: 6, seg };
  }
  if (s.proto === 'udp') {
    const h = new Uint8Array(8);
    put16(h, 0, s.sport ?? 0);
    put16(h, 2, s.dport ?? 0);
    put16(h, 4, 8 + pay.length);
    const seg = concat(h, pay);
    put16(seg, 6, fold(sum16(seg, pseudo(17, seg.length))) || 0xffff);
    return { proto: 17, seg };
  }
  const h = new Uint8Array(8);
  h[0] = s.icmpType ?? (v6 ? 128 : 8);
  put16(h, 4, s.ident ?? 0);
  put16(h, 6, s.icmpSeq ?? 0);
  const seg = concat(h, pay);
  put16(seg, 2, fold(v6 ? sum16(seg, pseudo(58, seg.length)) : sum16(seg)));
  return { proto: v6 ? 58 : 1, seg };
}

function ipv4(
  src: string,
  dst: string,
  proto: number,
  id: number,
  ttl: number,
  payload: Uint8Array,
  zeroLen = false,
): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  put16(h, 2, zeroLen ? 0 : 20 + payload.length);
  put16(h, 4, id);
  put16(h, 6, 0x4000);
  h[8] = ttl;
  h[9] = proto;
  h.set(ipBytes(src), 12);
  h.set(ipBytes(dst), 16);
  put16(h, 10, fold(sum16(h)));
  return concat(h, payload);
}

function eth(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  return concat(macBytes(dst), macBytes(src), [type >>> 8, type & 255], payload);
}

/** IPv6 with `id` as the flow label and `ttl` as the hop limit. */
function ipv6(
  src: string,
  dst: string,
  nxt: number,
  flowLabel: number,
  hlim: number,
  payload: Uint8Array,
): Uint8Array {
  const h = new Uint8Array(40);
  put32(h, 0, (0x60000000 | (flowLabel & 0xfffff)) >>> 0);
  put16(h, 4, payload.length);
  h[6] = nxt;
  h[7] = hlim;
  h.set(ip6Bytes(src), 8);
  h.set(ip6Bytes(dst), 24);
  return concat(h, payload);
}

/** The frame as captured at one hop (IPv6 when `src` has a colon). */
export function frame(s: PktSpec): Uint8Array {
  const { proto, seg } = l4(s);
  const inner = s.src.includes(':')
    ? eth(s.ethDst, s.ethSrc, 0x86dd, ipv6(s.src, s.dst, proto, s.id ?? 0, s.ttl ?? 64, seg))
    : eth(s.ethDst, s.ethSrc, 0x0800, ipv4(s.src, s.dst, proto, s.id ?? 0, s.ttl ?? 64, seg, s.gsoZeroLen));
  const t = s.tunnel;
  if (t === undefined) return inner;
  let hdr: Uint8Array;
  let dport: number;
  if (t.kind === 'vxlan') {
    hdr = new Uint8Array(8);
    hdr[0] = 0x08;
    put32(hdr, 4, t.vni << 8);
    dport = 4789;
  } else {
    const opt = t.ovn ? 8 : 0;
    hdr = new Uint8Array(8 + opt);
    hdr[0] = opt >>> 2;
    put16(hdr, 2, 0x6558);
    put32(hdr, 4, t.vni << 8);
    if (t.ovn) {
      put16(hdr, 8, 0x0102);
      hdr[10] = 0x80;
      hdr[11] = 1;
      put32(hdr, 12, ((t.ovn.ingress & 0x7fff) << 16) | (t.ovn.egress & 0xffff));
    }
    dport = 6081;
  }
  const udp = new Uint8Array(8);
  put16(udp, 0, t.udpSport ?? 49152);
  put16(udp, 2, dport);
  put16(udp, 4, 8 + hdr.length + inner.length);
  const outerIp = ipv4(t.outerSrc, t.outerDst, 17, 0, 64, concat(udp, hdr, inner));
  return eth(t.outerEthDst, t.outerEthSrc, 0x0800, outerIp);
}

const dissector = defaultDissector();

export function decodeFrame(f: Uint8Array): Packet {
  return dissector.decode(f, f.length, 1);
}

export interface Capture {
  point: string;
  /** Nanoseconds since an arbitrary epoch (added to BASE_SEC). */
  t: number;
  pkt: PktSpec;
}

export const BASE_SEC = 1763433148;

/** The nanoseconds within the second of a time that may be negative (a clock behind the others). */
function nsOf(t: number): number {
  return ((t % 1e9) + 1e9) % 1e9;
}

/** Writes one pcapng with one Ethernet interface per point (named by point id), packets in time order. */
export function writeCapture(path: string, points: string[], caps: Capture[]): void {
  const sorted = [...caps].sort((a, b) => a.t - b.t);
  writePcapngFile(path, (w) => {
    const ids = new Map<string, number>();
    for (const p of points) ids.set(p, w.addInterface({ linktype: 1, name: p }));
    for (const c of sorted) {
      w.writePacket(ids.get(c.point)!, {
        tsSec: BASE_SEC + Math.floor(c.t / 1e9),
        tsNsec: nsOf(c.t),
        data: frame(c.pkt),
      });
    }
  });
}

/** Deterministic bytes (an LCG), for payloads that differ from packet to packet. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The lab's defaults (design.md): two nodes, the dual pod on worker-0, static-server on worker-1. */
export const LAB = {
  podIp: '10.128.2.43',
  podMac: '0a:58:0a:80:02:2b',
  /** ovn_cluster_router's port on worker-0's node switch. */
  gw0Mac: '0a:58:0a:80:02:01',
  serverIp: '10.129.0.5',
  serverMac: '0a:58:0a:81:00:05',
  gw1Mac: '0a:58:0a:81:00:01',
  node0Ip: '198.18.0.9',
  node0Mac: '52:54:00:12:00:09',
  node1Ip: '198.18.0.7',
  node1Mac: '52:54:00:12:00:07',
  externalIp: '203.0.113.10',
  externalMac: '52:54:00:cb:00:0a',
  serviceIp: '172.30.41.17',
} as const;

export const P = {
  pod0: 'worker-0/eth0@nettools-dual-pod',
  veth0: 'worker-0/a3f5c2b19e0d4c7',
  nic0: 'worker-0/ens2f0np0',
  nic1: 'worker-1/ens2f0np0',
  veth1: 'worker-1/7d2e91c04bb8f13',
  pod1: 'worker-1/eth0@static-server',
  ext: 'external/eth0',
} as const;

/** Pod on worker-0 to the static-server pod on worker-1, through Geneve. */
export const CROSS_NODE: CapturePoint[] = [
  {
    id: P.pod0,
    node: 'worker-0',
    netns: 'pod',
    interface: 'eth0',
    role: 'pod',
    pod: 'nettools-dual-pod',
    order: 0,
  },
  { id: P.veth0, node: 'worker-0', interface: 'a3f5c2b19e0d4c7', role: 'host-veth', order: 1 },
  {
    id: P.nic0,
    node: 'worker-0',
    interface: 'ens2f0np0',
    role: 'nic',
    order: 2,
    expect: { encap: 'geneve' },
  },
  { id: P.nic1, node: 'worker-1', interface: 'ens2f0np0', role: 'nic', order: 3 },
  {
    id: P.veth1,
    node: 'worker-1',
    interface: '7d2e91c04bb8f13',
    role: 'host-veth',
    order: 4,
    expect: { decap: true },
  },
  {
    id: P.pod1,
    node: 'worker-1',
    netns: 'pod',
    interface: 'eth0',
    role: 'pod',
    pod: 'static-server',
    order: 5,
  },
];

/** Pod on worker-0 to the external host, SNAT to the node IP at the NIC. */
export const TO_EXTERNAL: CapturePoint[] = [
  CROSS_NODE[0]!,
  CROSS_NODE[1]!,
  { id: P.nic0, node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2, expect: { snat: true } },
  { id: P.ext, node: 'external', interface: 'eth0', role: 'external', order: 3 },
];

/** Feeds the frames (in time order) through the real decoders into a Correlator. */
export function correlate(
  points: CapturePoint[],
  caps: Capture[],
  opts?: CorrelatorOptions,
): CorrelationResult {
  const c = new Correlator(points, opts);
  for (const x of [...caps].sort((a, b) => a.t - b.t)) {
    c.add(x.point, BASE_SEC + Math.floor(x.t / 1e9), nsOf(x.t), decodeFrame(frame(x.pkt)));
  }
  return c.result();
}

/** A pod's eth0, its host veth and the node's NIC: the bench's and the flat-view test's three points. */
export const THREE_POINTS: CapturePoint[] = [
  { id: 'worker-0/eth0@nettools-dual-pod', node: 'worker-0', interface: 'eth0', role: 'pod', order: 0 },
  {
    id: 'worker-0/a3f5c2b19e0d4c7',
    node: 'worker-0',
    interface: 'a3f5c2b19e0d4c7',
    role: 'host-veth',
    order: 1,
  },
  { id: 'worker-0/ens2f0np0', node: 'worker-0', interface: 'ens2f0np0', role: 'nic', order: 2 },
];

/** The NIC's view of an Ethernet frame: innermost IPv4 source SNATed to 198.18.0.9, TTL - 1, TCP/UDP source port moved. */
export function natCopy(data: Uint8Array, d: Dissector): Uint8Array {
  const out = data.slice();
  const p = d.decode(out, out.length, 1);
  let ip = -1;
  for (let i = 0; i < p.layers.length; i++) if (p.layers[i]!.proto === 'ip') ip = i;
  const l = p.layers[ip];
  if (l === undefined || l.proto !== 'ip') return out;
  out.set([198, 18, 0, 9], l.offset + 12);
  out[l.offset + 8] = out[l.offset + 8]! - 1;
  const l4 = p.layers[ip + 1];
  if (l4 !== undefined && (l4.proto === 'tcp' || l4.proto === 'udp')) {
    const port = (l4.srcPort + 20000) & 0xffff;
    out[l4.offset] = port >>> 8;
    out[l4.offset + 1] = port & 255;
  }
  return out;
}
