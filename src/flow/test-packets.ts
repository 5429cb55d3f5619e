// Hand-made decoded packets for the flow tests and the bench: layer objects as the decoders would
// produce them (the contract in decode/layers.ts), with the TCP payload bytes placed in Packet.data
// where the TCP layer points. No decoder is involved.
import { ipv4FromString } from '../decode/bytes.ts';
import type {
  ArpLayer,
  DnsLayer,
  EthLayer,
  GeneveLayer,
  IcmpLayer,
  Ipv4Layer,
  Ipv6Layer,
  Layer,
  TcpLayer,
  UdpLayer,
} from '../decode/layers.ts';
import { Packet } from '../decode/packet.ts';

export function ip4(s: string): number {
  const n = ipv4FromString(s);
  if (n === undefined) throw new Error(`test packet: not an IPv4 address: ${s}`);
  return n;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: number;
  seq?: number;
  ack?: number;
  win?: number;
  payload?: string | Uint8Array;
  /** Bytes of payload captured (default: all). */
  captured?: number;
}

function ethLayer(type = 0x0800, offset = 0): EthLayer {
  return { proto: 'eth', offset, hlen: 14, type };
}

function ipv4Layer(src: string, dst: string, protocol: number, payloadLen: number, offset = 14): Ipv4Layer {
  return {
    proto: 'ip',
    offset,
    hlen: 20,
    tos: 0,
    totalLen: 20 + payloadLen,
    id: 0,
    flags: 2,
    fragOffset: 0,
    ttl: 64,
    protocol,
    checksum: 0,
    src: ip4(src),
    dst: ip4(dst),
    payloadLen,
    isFragment: false,
    gso: false,
  };
}

function ipv6Layer(src: string, dst: string, nxt: number, payloadLen: number, offset = 14): Ipv6Layer {
  return {
    proto: 'ipv6',
    offset,
    hlen: 40,
    tclass: 0,
    flowLabel: 0,
    payloadLen,
    nextHeader: nxt,
    hopLimit: 64,
    src,
    dst,
    extensions: [],
    upperProto: nxt,
    gso: false,
  };
}

function payloadBytes(p: string | Uint8Array | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0) & 255) : p;
}

function tcpLayer(s: TcpSpec, offset: number, len: number, captured: number): TcpLayer {
  return {
    proto: 'tcp',
    offset,
    hlen: 20,
    srcPort: s.sport,
    dstPort: s.dport,
    seq: (s.seq ?? 0) >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.win ?? 502,
    checksum: 0,
    urgent: 0,
    payloadOffset: offset + 20,
    payloadLen: len,
    payloadCaptured: captured,
  };
}

/** Ethernet / IPv4 (or IPv6 when `src` has a colon) / TCP, payload in data. */
export function tcpPacket(s: TcpSpec): Packet {
  const pay = payloadBytes(s.payload);
  const cap = Math.min(s.captured ?? pay.length, pay.length);
  const v6 = s.src.includes(':');
  const ipLen = v6 ? 40 : 20;
  const tcpOff = 14 + ipLen;
  const data = new Uint8Array(tcpOff + 20 + cap);
  data.set(pay.subarray(0, cap), tcpOff + 20);
  const p = new Packet(data, tcpOff + 20 + pay.length, 1);
  p.layers.push(ethLayer(v6 ? 0x86dd : 0x0800));
  p.layers.push(
    v6 ? ipv6Layer(s.src, s.dst, 6, 20 + pay.length) : ipv4Layer(s.src, s.dst, 6, 20 + pay.length),
  );
  p.layers.push(tcpLayer(s, tcpOff, pay.length, cap));
  return p;
}

/** The same TCP segment inside Ethernet / IPv4 / UDP 6081 / Geneve (VNI) / Ethernet. */
export function geneveTcpPacket(outerSrc: string, outerDst: string, vni: number, s: TcpSpec): Packet {
  const inner = tcpPacket(s);
  const genOff = 14 + 20 + 8;
  const innerOff = genOff + 8;
  const data = new Uint8Array(innerOff + inner.data.length);
  data.set(inner.data, innerOff);
  const p = new Packet(data, innerOff + inner.origLen, 1);
  const udpLen = 8 + 8 + inner.origLen;
  const udp: UdpLayer = {
    proto: 'udp',
    offset: 34,
    hlen: 8,
    srcPort: 40000,
    dstPort: 6081,
    length: udpLen,
    checksum: 0,
    payloadOffset: 42,
    payloadLen: udpLen - 8,
  };
  const gen: GeneveLayer = {
    proto: 'geneve',
    offset: genOff,
    hlen: 8,
    version: 0,
    optLen: 0,
    oam: false,
    critical: false,
    protocolType: 0x6558,
    vni,
    options: [],
  };
  p.layers.push(ethLayer(), ipv4Layer(outerSrc, outerDst, 17, udpLen), udp, gen);
  for (const l of inner.layers) p.layers.push(shift(l, innerOff));
  return p;
}

function shift(l: Layer, by: number): Layer {
  const c = { ...l, offset: l.offset + by } as Layer;
  if (c.proto === 'tcp') c.payloadOffset += by;
  return c;
}

export interface DnsSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  id: number;
  qname: string;
  qtype?: number;
  response?: boolean;
  rcode?: number;
  answers?: { type: number; data: string }[];
}

export function dnsPacket(s: DnsSpec): Packet {
  const p = new Packet(new Uint8Array(42 + 40), 82, 1);
  const udp: UdpLayer = {
    proto: 'udp',
    offset: 34,
    hlen: 8,
    srcPort: s.sport,
    dstPort: s.dport,
    length: 48,
    checksum: 0,
    payloadOffset: 42,
    payloadLen: 40,
  };
  const answers = (s.answers ?? []).map((a) => ({
    name: s.qname,
    type: a.type,
    class: 1,
    ttl: 30,
    data: a.data,
  }));
  const dns: DnsLayer = {
    proto: 'dns',
    offset: 42,
    hlen: 40,
    id: s.id,
    flags: s.response ? 0x8180 : 0x0100,
    response: s.response ?? false,
    opcode: 0,
    rcode: s.rcode ?? 0,
    qdcount: 1,
    ancount: answers.length,
    nscount: 0,
    arcount: 0,
    questions: [{ name: s.qname, type: s.qtype ?? 1, class: 1 }],
    answers,
    authorities: [],
    additionals: [],
    overTcp: false,
  };
  p.layers.push(ethLayer(), ipv4Layer(s.src, s.dst, 17, 48), udp, dns);
  return p;
}

export function icmpEchoPacket(src: string, dst: string, ident: number, seq: number, reply = false): Packet {
  const p = new Packet(new Uint8Array(98), 98, 1);
  const icmp: IcmpLayer = {
    proto: 'icmp',
    offset: 34,
    hlen: 8,
    type: reply ? 0 : 8,
    code: 0,
    checksum: 0,
    ident,
    seq,
    embedded: false,
  };
  p.layers.push(ethLayer(), ipv4Layer(src, dst, 1, 64), icmp);
  return p;
}

export function arpPacket(senderIp: string, targetIp: string): Packet {
  const p = new Packet(new Uint8Array(42), 42, 1);
  const arp: ArpLayer = {
    proto: 'arp',
    offset: 14,
    hlen: 28,
    htype: 1,
    ptype: 0x0800,
    hsize: 6,
    psize: 4,
    opcode: 1,
    senderIp: ip4(senderIp),
    targetIp: ip4(targetIp),
    shaOffset: 22,
    spaOffset: 28,
    thaOffset: 32,
    tpaOffset: 38,
  };
  p.layers.push(ethLayer(0x0806), arp);
  return p;
}
