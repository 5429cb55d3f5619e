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
import { FlatPacket, L4_TCP, TUNNEL_GENEVE, TUNNEL_NONE } from '../decode/flat-packet.ts';
import type { Layer } from '../decode/layers.ts';
import type { Packet } from '../decode/packet.ts';
import { Flow, type FlowStore, tunnelAround } from './flow.ts';
import { keyFromLayers } from './flow-key.ts';
import {
  type Dir,
  TcpTracker,
  type TcpTransition,
  type TcpWordStore,
  type TransitionSink,
  tcpIsReopen,
  tcpUpdate,
} from './tcp-state.ts';

export type { Dir } from './tcp-state.ts';

/**
 * Per-flow records, REC doubles (128 bytes, two cache lines) each, indexed by flow id: the lookup
 * key as four int32 (A's address key, B's, the ports as A<<16|B, proto<<3|version) in the first 16
 * bytes, then the counters and the first and last times; the second line holds a TCP flow's
 * connection state (tcp-state's words). A packet's lookup, counting and TCP tracking touch only its
 * slot and this record, not the Flow or TcpTracker objects (nor a boxed double for a time, as an
 * object's field would be). Flow reads its counters through FlowStore's methods: the layout stays
 * here, beside the packet path (V8 on Node 20 does not fold an imported constant into compiled code).
 */
const REC = 16;
const K_A = 0; // int32 indexes within a record (x2 for the int view)
const K_B = 1;
const K_PORTS = 2;
const K_PV = 3;
const R_PACKETS = 2; // double indexes: packets AB, BA
const R_BYTES = 4; // bytes AB, BA
const R_LAST = 6;
// Kept here rather than as a Flow field: a time is a double, and a field that held small integers
// first changes representation when it does not, which discards the compiled code using it.
const R_FIRST = 7;
/** Int32 index of the TCP words within a record. */
const W_TCP = 16;

export interface NonIpCount {
  packets: number;
  bytes: number;
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

/** IPv4 address texts kept for sharing (beyond that, each flow gets its own). */
const MAX_V4_TEXTS = 1 << 16;

export class FlowTable implements FlowStore, TcpWordStore, TransitionSink {
  private readonly list: Flow[] = [];
  /** Open addressing, linear probing: pairs of (flow id or 0, hash), side by side for one cache miss. */
  private slots = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private used = 0;
  /** Flow records by id (record 0 unused); `words` is the same memory as int32. */
  recs = new Float64Array(REC * 1024);
  words = new Int32Array(this.recs.buffer);
  private readonly v6Ids = new Map<string, number>();
  private readonly v6Text: string[] = [''];
  /** IPv4 addresses' text, one string per address (a resolver's address is in thousands of flows). */
  private readonly v4Texts = new Map<number, string>();
  private readonly nonIpByName = new Map<string, NonIpCount>();
  private readonly nonIpByType = new Map<number, NonIpCount>();

  /** Direction of the last packet `add` returned a flow for. */
  dir: Dir = 0;
  /** What addPacket read of the last packet (its transport layer: key.l4Index). */
  readonly key = new FlatPacket();
  /** IP packets seen (flows' packets), and the others. */
  ipPackets = 0;
  nonIpPackets = 0;

  add(p: Packet, tNs: number, wireLen: number): Flow | undefined {
    const id = this.addPacket(p, tNs, wireLen);
    return id === 0 ? undefined : this.list[id - 1];
  }

  /** `add` returning the flow's id (0 for a non-IP packet): the Flow object itself is not touched. */
  addPacket(p: Packet, tNs: number, wireLen: number): number {
    const key = this.key;
    keyFromLayers(p, key);
    if (key.ipVersion === 0) {
      this.countNonIp(p.layers, wireLen);
      return 0;
    }
    return this.addKey(key, tNs, wireLen);
  }

  /** The flow of an IP packet described by `key` (keyFromLayers or the flat decoder); its id. */
  addKey(key: FlatPacket, tNs: number, wireLen: number): number {
    this.ipPackets++;
    const ver = key.ipVersion === 6 ? 6 : 4;
    const proto = key.proto;
    let src: number;
    let dst: number;
    if (ver === 6) {
      src = this.v6Id(key.src6);
      dst = this.v6Id(key.dst6);
    } else {
      src = key.src;
      dst = key.dst;
    }
    const sport = key.sport;
    const dport = key.dport;
    const swap = key.swap;

    const h =
      (endpointHash(src, sport) + endpointHash(dst, dport) + Math.imul(proto * 8 + ver, 0x27d4eb2d)) | 0;
    const slots = this.slots;
    const mask = this.mask;
    const keys = this.words;
    const s32 = src | 0;
    const d32 = dst | 0;
    const pv = proto * 8 + ver;
    let i = h & mask;
    let id = 0;
    let dir: Dir = 0;
    for (;;) {
      const s = slots[2 * i]!;
      if (s === 0) break;
      if (slots[2 * i + 1] === h) {
        const k = s * (REC * 2);
        if (keys[k + K_PV] === pv) {
          const ka = keys[k + K_A];
          const kb = keys[k + K_B];
          const kp = keys[k + K_PORTS];
          if (ka === s32 && kb === d32 && kp === ((sport << 16) | dport)) {
            id = s;
            break;
          }
          if (ka === d32 && kb === s32 && kp === ((dport << 16) | sport)) {
            id = s;
            dir = 1;
            break;
          }
        }
      }
      i = (i + 1) & mask;
    }

    // Connection tracking for the flows that have a tracker (IP protocol 6).
    const tracked = proto === 6 && key.l4 === L4_TCP;
    if (tracked && id !== 0 && tcpIsReopen(keys, id * REC * 2 + W_TCP, key.flags)) {
      // A new SYN on a finished connection: a new flow takes over the key (conntrack does likewise).
      id = this.newFlow(key, ver, proto, src, sport, dst, dport, false, tNs).id;
      slots[2 * i] = id;
      dir = 0;
    } else if (id === 0) {
      id = this.newFlow(key, ver, proto, src, sport, dst, dport, swap, tNs).id;
      dir = swap ? 1 : 0;
      slots[2 * i] = id;
      slots[2 * i + 1] = h;
      if (++this.used * 4 > mask * 3) this.grow();
    }
    this.dir = dir;

    const recs = this.recs;
    const r = id * REC;
    recs[r + R_PACKETS + dir] = recs[r + R_PACKETS + dir]! + 1;
    recs[r + R_BYTES + dir] = recs[r + R_BYTES + dir]! + wireLen;
    if (tNs > recs[r + R_LAST]!) recs[r + R_LAST] = tNs;
    if (tracked) {
      const k = key;
      tcpUpdate(this.words, r * 2 + W_TCP, this, id, dir, k.flags, k.seq, k.ack, k.payloadLen, k.window, tNs);
    }
    return id;
  }

  /** A transition of flow `id`'s connection (from tcpUpdate): kept by its tracker. */
  transition(id: number, t: TcpTransition): void {
    this.list[id - 1]!.tcp!.transitions.push(t);
  }

  /** The flow with this id (from `addPacket`). */
  flow(id: number): Flow {
    return this.list[id - 1]!;
  }

  /** All flows in first-seen order (a reopened TCP connection is a new flow after the old one). */
  flows(): Flow[] {
    return this.list.slice();
  }

  firstNs(id: number): number {
    return this.recs[id * REC + R_FIRST]!;
  }

  lastNs(id: number): number {
    return this.recs[id * REC + R_LAST]!;
  }

  packets(id: number, dir: 0 | 1): number {
    return this.recs[id * REC + R_PACKETS + dir]!;
  }

  bytes(id: number, dir: 0 | 1): number {
    return this.recs[id * REC + R_BYTES + dir]!;
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
    return this.v6Ids.size + this.v4Texts.size + this.nonIpByName.size + this.nonIpByType.size;
  }

  private newFlow(
    key: FlatPacket,
    ver: 4 | 6,
    proto: number,
    src: number,
    sport: number,
    dst: number,
    dport: number,
    swap: boolean,
    tNs: number,
  ): Flow {
    const tunnel =
      key.layers !== undefined
        ? tunnelAround(key.layers, key.ip, this.v4Text)
        : key.tunnel === TUNNEL_NONE
          ? undefined
          : {
              type: key.tunnel === TUNNEL_GENEVE ? ('geneve' as const) : ('vxlan' as const),
              vni: key.vni,
              outerSrc: this.v4Text(key.outerSrc),
              outerDst: this.v4Text(key.outerDst),
            };
    const id = this.list.length + 1;
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    if ((id + 1) * REC > this.recs.length) {
      const recs = new Float64Array(this.recs.length * 2);
      recs.set(this.recs);
      this.recs = recs;
      this.words = new Int32Array(recs.buffer);
    }
    const f = new Flow(
      this,
      id,
      ver,
      proto,
      a,
      swap ? dport : sport,
      b,
      swap ? sport : dport,
      this.addrText(ver, a),
      this.addrText(ver, b),
      tunnel,
    );
    const k = id * REC * 2;
    if (proto === 6) f.tcp = new TcpTracker(this, k + W_TCP);
    const keys = this.words;
    keys[k + K_A] = a;
    keys[k + K_B] = b;
    keys[k + K_PORTS] = swap ? (dport << 16) | sport : (sport << 16) | dport;
    keys[k + K_PV] = proto * 8 + ver;
    const r = id * REC;
    this.recs[r + R_FIRST] = tNs;
    this.recs[r + R_LAST] = tNs;
    this.list.push(f);
    return f;
  }

  private addrText(ver: 4 | 6, key: number): string {
    return ver === 4 ? this.v4Text(key) : this.v6Text[key]!;
  }

  private readonly v4Text = (a: number): string => {
    let s = this.v4Texts.get(a);
    if (s === undefined) {
      s = ipv4ToString(a);
      if (this.v4Texts.size < MAX_V4_TEXTS) this.v4Texts.set(a, s);
    }
    return s;
  };

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
