// Bidirectional flow table keyed by the innermost 5-tuple: IP version, IP protocol, the two
// addresses and the two ports. A→B and B→A hash alike (gopacket's Flow.FastHash idea: a symmetric
// mix of the two endpoints), so one lookup finds the flow and the direction without building a
// string key. The table is open addressing over typed arrays; flows live in one array in the order
// they were first seen. Memory grows with flows, never with packets.
//
// Keys: TCP/UDP use the ports. ICMP/ICMPv6 packets that carry an identifier (echo, timestamp) use it
// as the port on both sides, so a ping's requests and replies form one flow per identifier (as
// conntrack keys them); other ICMP messages use port 0. ICMP errors belong to the outer packet's
// ICMP flow (the embedded header is not looked at). Packets with no transport header decoded (later
// IP fragments, unknown protocols) use port 0, so later fragments form their own per-address flow.
// Tunnels: the innermost IP header is the key, so a Geneve/VXLAN-carried connection is the same flow
// as the unencapsulated one; the first packet's tunnel (outer addresses and VNI) is recorded.
import { ipv4ToString } from '../decode/bytes.ts';
import type { Layer, TcpLayer } from '../decode/layers.ts';
import type { Packet } from '../decode/packet.ts';
import type { HttpConnection } from './http.ts';
import { type Dir, TCP_ACK, TCP_RST, TCP_SYN, TcpTracker } from './tcp-state.ts';

export type { Dir } from './tcp-state.ts';

export interface FlowTunnel {
  type: 'geneve' | 'vxlan';
  vni: number;
  outerSrc: string;
  outerDst: string;
}

export const IP_PROTO_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  58: 'icmpv6',
  132: 'sctp',
};

export class Flow {
  packetsAB = 0;
  packetsBA = 0;
  bytesAB = 0;
  bytesBA = 0;
  lastNs: number;
  /** TCP flows only. */
  tcp: TcpTracker | undefined = undefined;
  /** Set by the HTTP analysis once the flow's payload looked like HTTP/1.x. */
  http: HttpConnection | undefined = undefined;

  constructor(
    /** 1-based, in order of first sight. */
    readonly id: number,
    readonly ipVersion: 4 | 6,
    /** IP protocol number of the innermost header (after IPv6 extensions). */
    readonly proto: number,
    /** Side A is the initiator. Keys: the IPv4 address as uint32, or an interned IPv6 address id. */
    readonly aKey: number,
    readonly aPort: number,
    readonly bKey: number,
    readonly bPort: number,
    readonly aAddr: string,
    readonly bAddr: string,
    readonly firstNs: number,
    readonly tunnel: FlowTunnel | undefined,
  ) {
    this.lastNs = firstNs;
  }

  get protoName(): string {
    return IP_PROTO_NAMES[this.proto] ?? `ip-${this.proto}`;
  }
}

export interface NonIpCount {
  packets: number;
  bytes: number;
}

/** The innermost Geneve/VXLAN tunnel carrying the IP header at `ip`, with the outer IP around it. */
function tunnelAround(layers: Layer[], ip: number): FlowTunnel | undefined {
  let tun = -1;
  for (let i = ip - 1; i >= 0; i--) {
    const pr = layers[i]!.proto;
    if (pr === 'geneve' || pr === 'vxlan') {
      tun = i;
      break;
    }
    if (pr === 'ip' || pr === 'ipv6') return undefined; // IP in IP, or not tunnelled
  }
  for (let i = tun - 1; i >= 0; i--) {
    const o = layers[i]!;
    if (o.proto === 'ip' || o.proto === 'ipv6') {
      const t = layers[tun]!;
      if (t.proto !== 'geneve' && t.proto !== 'vxlan') return undefined;
      return {
        type: t.proto,
        vni: t.vni,
        outerSrc: o.proto === 'ip' ? ipv4ToString(o.src) : o.src,
        outerDst: o.proto === 'ip' ? ipv4ToString(o.dst) : o.dst,
      };
    }
  }
  return undefined;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Order-independent hash of two endpoints: fmix of each endpoint, summed. */
function endpointHash(addr: number, port: number): number {
  return fmix(addr ^ Math.imul(port + 1, 0x9e3779b1));
}

const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REPLY = 129;

export class FlowTable {
  private readonly list: Flow[] = [];
  /** Open addressing, linear probing: pairs of (flow id or 0, hash), side by side for one cache miss. */
  private slots = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private used = 0;
  private readonly v6Ids = new Map<string, number>();
  private readonly v6Text: string[] = [''];
  private readonly nonIpByName = new Map<string, NonIpCount>();
  private readonly nonIpByType = new Map<number, NonIpCount>();

  /** Direction of the last packet `add` returned a flow for. */
  dir: Dir = 0;
  /** Index in `p.layers` of the last packet's transport layer (TCP/UDP/ICMP), or -1. */
  l4 = -1;
  /** IP packets seen (flows' packets), and the others. */
  ipPackets = 0;
  nonIpPackets = 0;

  add(p: Packet, tNs: number, wireLen: number): Flow | undefined {
    const layers = p.layers;
    // The innermost IP header, searched from the inside out (tunnelled and plain packets alike end
    // with their transport layer, so this is two or three looks). An IP header right after an ICMP
    // error is the packet it quotes, not the one carrying it.
    let ip = -1;
    for (let i = layers.length - 1; i >= 0; i--) {
      const pr = layers[i]!.proto;
      if (pr !== 'ip' && pr !== 'ipv6') continue;
      const prev = i > 0 ? layers[i - 1]! : undefined;
      if (prev !== undefined && (prev.proto === 'icmp' || prev.proto === 'icmpv6') && prev.embedded) {
        i--;
        continue;
      }
      ip = i;
      break;
    }
    if (ip < 0) {
      this.l4 = -1;
      this.countNonIp(layers, wireLen);
      return undefined;
    }
    this.ipPackets++;
    const t = layers[ip + 1];
    const l4 =
      t !== undefined &&
      (t.proto === 'tcp' || t.proto === 'udp' || t.proto === 'icmp' || t.proto === 'icmpv6')
        ? ip + 1
        : -1;
    this.l4 = l4;

    const ipl = layers[ip]!;
    let ver: 4 | 6;
    let proto: number;
    let src: number;
    let dst: number;
    if (ipl.proto === 'ip') {
      ver = 4;
      proto = ipl.protocol;
      src = ipl.src;
      dst = ipl.dst;
    } else if (ipl.proto === 'ipv6') {
      ver = 6;
      proto = ipl.upperProto;
      src = this.v6Id(ipl.src);
      dst = this.v6Id(ipl.dst);
    } else return undefined;

    let sport = 0;
    let dport = 0;
    let tcp: TcpLayer | undefined;
    let swap = false;
    if (t !== undefined && l4 >= 0) {
      if (t.proto === 'tcp') {
        tcp = t;
        sport = t.srcPort;
        dport = t.dstPort;
        swap = (t.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK);
      } else if (t.proto === 'udp') {
        sport = t.srcPort;
        dport = t.dstPort;
      } else if ((t.proto === 'icmp' || t.proto === 'icmpv6') && t.ident !== undefined && !t.embedded) {
        sport = dport = t.ident;
        swap = t.type === (t.proto === 'icmp' ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY);
      }
    }

    const h =
      (endpointHash(src, sport) + endpointHash(dst, dport) + Math.imul(proto * 8 + ver, 0x27d4eb2d)) | 0;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    let f: Flow | undefined;
    for (;;) {
      const s = slots[2 * i]!;
      if (s === 0) break;
      if (slots[2 * i + 1] === h) {
        const c = this.list[s - 1]!;
        if (c.proto === proto && c.ipVersion === ver) {
          if (c.aKey === src && c.bKey === dst && c.aPort === sport && c.bPort === dport) {
            this.dir = 0;
            f = c;
            break;
          }
          if (c.aKey === dst && c.bKey === src && c.aPort === dport && c.bPort === sport) {
            this.dir = 1;
            f = c;
            break;
          }
        }
      }
      i = (i + 1) & mask;
    }

    if (tcp !== undefined && f?.tcp?.isReopen(tcp.flags)) {
      // A new SYN on a finished connection: a new flow takes over the key (conntrack does likewise).
      const nf = this.newFlow(layers, ip, ver, proto, src, sport, dst, dport, false, tNs);
      slots[2 * i] = nf.id;
      f = nf;
      this.dir = 0;
    } else if (f === undefined) {
      f = this.newFlow(layers, ip, ver, proto, src, sport, dst, dport, swap, tNs);
      this.dir = swap ? 1 : 0;
      slots[2 * i] = f.id;
      slots[2 * i + 1] = h;
      if (++this.used * 2 > mask) this.grow();
    }

    if (this.dir === 0) {
      f.packetsAB++;
      f.bytesAB += wireLen;
    } else {
      f.packetsBA++;
      f.bytesBA += wireLen;
    }
    if (tNs > f.lastNs) f.lastNs = tNs;
    if (tcp !== undefined) {
      f.tcp!.update(this.dir, tcp.flags, tcp.seq, tcp.ack, tcp.payloadLen, tcp.window, tNs);
    }
    return f;
  }

  /** All flows in first-seen order (a reopened TCP connection is a new flow after the old one). */
  flows(): Flow[] {
    return this.list.slice();
  }

  get size(): number {
    return this.list.length;
  }

  /** Non-IP packets by protocol (`arp`) or ethertype (`ethertype 0x88cc`). */
  nonIp(): Record<string, NonIpCount> {
    const out: Record<string, NonIpCount> = {};
    for (const [k, v] of this.nonIpByName) out[k] = { ...v };
    for (const [k, v] of this.nonIpByType) out[`ethertype 0x${k.toString(16).padStart(4, '0')}`] = { ...v };
    return out;
  }

  /** Objects held besides flows: interned IPv6 addresses and non-IP counters (for memory tests). */
  get auxObjects(): number {
    return this.v6Ids.size + this.nonIpByName.size + this.nonIpByType.size;
  }

  private newFlow(
    layers: Layer[],
    ip: number,
    ver: 4 | 6,
    proto: number,
    src: number,
    sport: number,
    dst: number,
    dport: number,
    swap: boolean,
    tNs: number,
  ): Flow {
    const tunnel = tunnelAround(layers, ip);
    const id = this.list.length + 1;
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    const f = new Flow(
      id,
      ver,
      proto,
      a,
      swap ? dport : sport,
      b,
      swap ? sport : dport,
      this.addrText(ver, a),
      this.addrText(ver, b),
      tNs,
      tunnel,
    );
    if (proto === 6) f.tcp = new TcpTracker();
    this.list.push(f);
    return f;
  }

  private addrText(ver: 4 | 6, key: number): string {
    return ver === 4 ? ipv4ToString(key) : this.v6Text[key]!;
  }

  private v6Id(addr: string): number {
    let id = this.v6Ids.get(addr);
    if (id === undefined) {
      id = this.v6Text.length;
      this.v6Ids.set(addr, id);
      this.v6Text.push(addr);
    }
    return id;
  }

  private grow() {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = old.length - 1;
    for (let j = 0; j < old.length; j += 2) {
      const s = old[j]!;
      if (s === 0) continue;
      const h = old[j + 1]!;
      let i = h & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = s;
      slots[2 * i + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }

  private countNonIp(layers: Layer[], wireLen: number) {
    this.nonIpPackets++;
    let name: string | undefined;
    let type = -1;
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      if (l.proto === 'arp') {
        name = 'arp';
        break;
      }
      if (l.proto === 'eth' || l.proto === 'vlan') {
        type = l.type;
        break;
      }
      if (l.proto === 'sll') {
        type = l.protocol;
        break;
      }
    }
    if (name === undefined && type < 0)
      name = layers.length === 0 ? 'undecoded' : (layers.at(-1)?.proto ?? '');
    let c = name !== undefined ? this.nonIpByName.get(name) : this.nonIpByType.get(type);
    if (c === undefined) {
      c = { packets: 0, bytes: 0 };
      if (name !== undefined) this.nonIpByName.set(name, c);
      else this.nonIpByType.set(type, c);
    }
    c.packets++;
    c.bytes += wireLen;
  }
}
