// Bidirectional flow table keyed by the innermost 5-tuple: IP version, IP protocol, the two
// addresses and the two ports. A→B and B→A hash alike (gopacket's Flow.FastHash idea: a symmetric
// mix of the two endpoints), so one lookup finds the flow and the direction without building a
// string key. The table is open addressing over typed arrays, which hold the flows themselves
// (numbered in order of first sight; a Flow object is a view made on demand). Memory grows with
// flows, never with packets.
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
import type { Packet } from '../decode/packet.ts';
import { fmix } from '../hash.ts';
import { Flow, type FlowStore, FlowTunnels, tunnelAround } from './flow.ts';
import { keyFromLayers } from './flow-key.ts';
import { type NonIpCount, NonIpCounts } from './non-ip.ts';
import {
  type Dir,
  type TcpStateName,
  TcpTracker,
  type TcpTransition,
  type TcpWordStore,
  tcpIsReopen,
  tcpStateAt,
  tcpUpdate,
} from './tcp-state.ts';
import { TransitionLog } from './transition-log.ts';
import { V6Ids } from './v6-ids.ts';

export type { Dir } from './tcp-state.ts';

/**
 * The table is open addressing with linear probing over entries of ENT doubles (128 bytes, two
 * cache lines) that are the flows' records themselves: the first line holds the flow id (0: free),
 * the lookup key as four int32 (A's address key, B's, the ports as A<<16|B, proto<<3|version), and
 * the counters and last time; the second line holds a TCP flow's connection state (tcp-state's
 * words). A packet's lookup, counting and TCP tracking touch this one entry (the two lines' addresses
 * are known from the hash, so neither load waits for the other), not the Flow or TcpTracker objects
 * (nor a boxed double for a time, as an object's field would be). Entries move when the table grows:
 * `pos` finds a flow's entry by id. Flow reads its counters through FlowStore's methods: the layout
 * stays here, beside the packet path (V8 on Node 20 does not fold an imported constant into
 * compiled code).
 */
const ENT = 16;
const E_ID = 0; // int32 indexes within an entry (x2 for the int view)
const E_A = 1;
const E_B = 2;
const E_PORTS = 3;
/** proto<<3|version, or -1 once the flow is retired (a reopened connection took its key over). */
const E_PV = 4;
/** proto<<3|version, kept for rehashing a retired entry. */
const E_PV_KEPT = 5;
const D_PACKETS = 3; // double indexes: packets AB, BA
const D_BYTES = 5; // bytes AB, BA
const D_LAST = 7;
/** Int32 index of the TCP words within an entry (the second cache line). */
const W_TCP = 16;
const FIRST_ENTRIES = 1 << 10;
/** Entries from which the table fills to 3/4 before it grows, instead of 1/2. */
const BIG_TABLE = (1 << 20) - 1;

export type { NonIpCount } from './non-ip.ts';

/** Order-independent hash of two endpoints: fmix of each endpoint, summed. */
function endpointHash(addr: number, port: number): number {
  return fmix(addr ^ Math.imul(port + 1, 0x9e3779b1));
}

/** IPv4 address texts kept for sharing (beyond that, each flow gets its own). */
const MAX_V4_TEXTS = 1 << 16;

/**
 * Flows are numbered in order of first sight; what a flow is lives in the table (its entry, first
 * time, tunnel, TCP transitions), and a Flow object is a view made when asked for: a capture of a
 * million flows (a scan, a SYN flood) holds no object per flow.
 */
export class FlowTable implements FlowStore, TcpWordStore {
  /** Flows so far (ids 1..count). */
  private count = 0;
  private readonly tunnels = new FlowTunnels();
  private readonly log = new TransitionLog();
  /** The entries (at most half used); `words` is the same memory as int32 (TcpWordStore). */
  private recs = new Float64Array(ENT * FIRST_ENTRIES);
  words = new Int32Array(this.recs.buffer);
  private mask = FIRST_ENTRIES - 1;
  /** Entries taken, retired flows' included. */
  private used = 0;
  /** Each flow's entry index, and its first time, by flow id. */
  private pos = new Int32Array(1024);
  private firsts = new Float64Array(1024);
  /** IPv4 addresses' text, one string per address (a resolver's address is in thousands of flows). */
  private readonly v4Texts = new Map<number, string>();
  private readonly v6 = new V6Ids();
  private readonly nonIpCounts = new NonIpCounts();

  /** Direction of the last packet `add` returned a flow for. */
  dir: Dir = 0;
  /** What addPacket read of the last packet (its transport layer: key.l4Index). */
  readonly key = new FlatPacket();
  /** IP packets seen (flows' packets), and the others. */
  ipPackets = 0;
  nonIpPackets = 0;

  add(p: Packet, tNs: number, wireLen: number): Flow | undefined {
    const id = this.addPacket(p, tNs, wireLen);
    return id === 0 ? undefined : this.flow(id);
  }

  /** `add` returning the flow's id (0 for a non-IP packet): the Flow object itself is not touched. */
  addPacket(p: Packet, tNs: number, wireLen: number): number {
    const key = this.key;
    keyFromLayers(p, key);
    if (key.ipVersion === 0) {
      this.nonIpPackets++;
      this.nonIpCounts.count(p.layers, wireLen);
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
      const v6 = this.v6;
      src = key.src6Off >= 0 ? v6.at(key.buf, key.src6Off) : v6.of(key.src6);
      dst = key.dst6Off >= 0 ? v6.at(key.buf, key.dst6Off) : v6.of(key.dst6);
    } else {
      src = key.src;
      dst = key.dst;
    }
    const sport = key.sport;
    const dport = key.dport;
    const swap = key.swap;

    const h =
      (endpointHash(src, sport) + endpointHash(dst, dport) + Math.imul(proto * 8 + ver, 0x27d4eb2d)) | 0;
    const mask = this.mask;
    const w = this.words;
    const s32 = src | 0;
    const d32 = dst | 0;
    const pv = proto * 8 + ver;
    let i = h & mask;
    let id = 0;
    let dir: Dir = 0;
    for (;;) {
      const e = i * (ENT * 2);
      const s = w[e + E_ID]!;
      if (s === 0) break;
      if (w[e + E_PV] === pv) {
        const ka = w[e + E_A];
        const kb = w[e + E_B];
        const kp = w[e + E_PORTS];
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
      i = (i + 1) & mask;
    }

    // Connection tracking for the flows that have a tracker (IP protocol 6).
    const tracked = proto === 6 && key.l4 === L4_TCP;
    let e = i * (ENT * 2);
    if (tracked && id !== 0 && tcpIsReopen(w, e + W_TCP, key.flags)) {
      // A new SYN on a finished connection: a new flow takes over the key (conntrack does likewise).
      // The old one keeps its entry, retired: no lookup matches it again.
      w[e + E_PV] = -1;
      while (w[i * (ENT * 2) + E_ID] !== 0) i = (i + 1) & mask;
      id = this.newFlow(key, i, ver, proto, src, sport, dst, dport, false, tNs);
      dir = 0;
      e = this.pos[id]! * (ENT * 2);
    } else if (id === 0) {
      id = this.newFlow(key, i, ver, proto, src, sport, dst, dport, swap, tNs);
      dir = swap ? 1 : 0;
      e = this.pos[id]! * (ENT * 2);
    }
    this.dir = dir;

    const recs = this.recs;
    const r = e >> 1;
    recs[r + D_PACKETS + dir] = recs[r + D_PACKETS + dir]! + 1;
    recs[r + D_BYTES + dir] = recs[r + D_BYTES + dir]! + wireLen;
    if (tNs > recs[r + D_LAST]!) recs[r + D_LAST] = tNs;
    if (tracked) {
      const k = key;
      tcpUpdate(this.words, e + W_TCP, this, id, dir, k.flags, k.seq, k.ack, k.payloadLen, k.window, tNs);
    }
    return id;
  }

  /** A transition of flow `id`'s connection (from tcpUpdate). */
  transition(id: number, state: number, tNs: number, dir: Dir, pickedUp: boolean): void {
    this.log.add(id, state, tNs, dir, pickedUp);
  }

  transitionsOf(id: number): TcpTransition[] {
    return this.log.of(id);
  }

  /** A view of the flow with this id (from `addPacket`), made anew on each call. */
  flow(id: number): Flow {
    const e = this.pos[id]! * (ENT * 2);
    const w = this.words;
    const pv = w[e + E_PV_KEPT]!;
    const ver = (pv & 7) === 6 ? 6 : 4;
    const proto = pv >> 3;
    const a = ver === 4 ? w[e + E_A]! >>> 0 : w[e + E_A]!;
    const b = ver === 4 ? w[e + E_B]! >>> 0 : w[e + E_B]!;
    const ports = w[e + E_PORTS]!;
    const f = new Flow(
      this,
      id,
      ver,
      proto,
      a,
      ports >>> 16,
      b,
      ports & 0xffff,
      this.addrText(ver, a),
      this.addrText(ver, b),
      this.tunnels.of(id),
    );
    f.tcp = this.tcp(id);
    return f;
  }

  /** A view of flow `id`'s TCP connection (a TCP flow's: IP protocol 6), else undefined. */
  tcp(id: number): TcpTracker | undefined {
    return this.protoOf(id) === 6 ? new TcpTracker(this, id) : undefined;
  }

  /** Views of all flows in first-seen order (a reopened TCP connection is a new flow after the old one). */
  flows(): Flow[] {
    const out: Flow[] = new Array(this.count);
    for (let id = 1; id <= this.count; id++) out[id - 1] = this.flow(id);
    return out;
  }

  /** Flow `id`'s IP protocol number. */
  protoOf(id: number): number {
    return this.words[this.pos[id]! * (ENT * 2) + E_PV_KEPT]! >> 3;
  }

  /** Flow `id`'s TCP state (a TCP flow's). */
  tcpStateOf(id: number): TcpStateName {
    return tcpStateAt(this.words, this.tcpAt(id));
  }

  /** Flow `id`'s bytes, both directions. */
  totalBytes(id: number): number {
    const r = this.pos[id]! * ENT;
    return this.recs[r + D_BYTES]! + this.recs[r + D_BYTES + 1]!;
  }

  /** Flow `id`'s packets, both directions. */
  totalPackets(id: number): number {
    const r = this.pos[id]! * ENT;
    return this.recs[r + D_PACKETS]! + this.recs[r + D_PACKETS + 1]!;
  }

  /** Transitions stored, all flows' (for memory tests). */
  get transitions(): number {
    return this.log.size;
  }

  tcpAt(id: number): number {
    return this.pos[id]! * (ENT * 2) + W_TCP;
  }

  firstNs(id: number): number {
    return this.firsts[id]!;
  }

  lastNs(id: number): number {
    return this.recs[this.pos[id]! * ENT + D_LAST]!;
  }

  packets(id: number, dir: 0 | 1): number {
    return this.recs[this.pos[id]! * ENT + D_PACKETS + dir]!;
  }

  bytes(id: number, dir: 0 | 1): number {
    return this.recs[this.pos[id]! * ENT + D_BYTES + dir]!;
  }

  get size(): number {
    return this.count;
  }

  /** Non-IP packets by protocol (`arp`) or ethertype (`ethertype 0x88cc`). */
  nonIp(): Record<string, NonIpCount> {
    return this.nonIpCounts.record();
  }

  /** Objects held besides flows: interned IPv6 addresses and non-IP counters (for memory tests). */
  get auxObjects(): number {
    return this.v6.size + this.v4Texts.size + this.tunnels.size + this.nonIpCounts.size;
  }

  /** A new flow in the free entry `at`; its id (the table may have grown: see `pos`). */
  private newFlow(
    key: FlatPacket,
    at: number,
    ver: 4 | 6,
    proto: number,
    src: number,
    sport: number,
    dst: number,
    dport: number,
    swap: boolean,
    tNs: number,
  ): number {
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
    const id = ++this.count;
    const a = swap ? dst : src;
    const b = swap ? src : dst;
    if (id >= this.pos.length) {
      const pos = new Int32Array(this.pos.length * 2);
      pos.set(this.pos);
      this.pos = pos;
      const firsts = new Float64Array(this.firsts.length * 2);
      firsts.set(this.firsts);
      this.firsts = firsts;
    }
    this.tunnels.add(tunnel);
    const e = at * (ENT * 2);
    const w = this.words;
    w[e + E_ID] = id;
    w[e + E_A] = a;
    w[e + E_B] = b;
    w[e + E_PORTS] = swap ? (dport << 16) | sport : (sport << 16) | dport;
    w[e + E_PV] = proto * 8 + ver;
    w[e + E_PV_KEPT] = proto * 8 + ver;
    this.recs[(e >> 1) + D_LAST] = tNs;
    this.pos[id] = at;
    this.firsts[id] = tNs;
    // Half full at most while the table is small (short probes); past BIG_TABLE entries (128 MiB),
    // three quarters: a scan's millions of flows would otherwise leave half of gigabytes empty.
    const big = this.mask >= BIG_TABLE;
    if (++this.used * (big ? 4 : 2) > this.mask * (big ? 3 : 1)) this.grow();
    return id;
  }

  private addrText(ver: 4 | 6, key: number): string {
    return ver === 4 ? this.v4Text(key) : this.v6.text(key);
  }

  private readonly v4Text = (a: number): string => {
    let s = this.v4Texts.get(a);
    if (s === undefined) {
      s = ipv4ToString(a);
      if (this.v4Texts.size < MAX_V4_TEXTS) this.v4Texts.set(a, s);
    }
    return s;
  };

  /** Twice the entries: each (retired ones too) moves to its place in the new table. */
  private grow() {
    const old = this.words;
    const recs = new Float64Array(this.recs.length * 2);
    const w = new Int32Array(recs.buffer);
    const mask = this.mask * 2 + 1;
    for (let e = 0; e < old.length; e += ENT * 2) {
      const id = old[e + E_ID]!;
      if (id === 0) continue;
      const ports = old[e + E_PORTS]!;
      const pv = old[e + E_PV_KEPT]!;
      const h =
        (endpointHash(old[e + E_A]!, ports >>> 16) +
          endpointHash(old[e + E_B]!, ports & 0xffff) +
          Math.imul(pv, 0x27d4eb2d)) |
        0;
      let i = h & mask;
      while (w[i * (ENT * 2) + E_ID] !== 0) i = (i + 1) & mask;
      // Through the int32 view: an entry's words read as a double may be a NaN, whose bits an
      // engine need not keep.
      w.set(old.subarray(e, e + ENT * 2), i * (ENT * 2));
      this.pos[id] = i;
    }
    this.recs = recs;
    this.words = w;
    this.mask = mask;
  }

  /** An ARP packet the flat decoder read (what addPacket counts for it). */
  countArp(wireLen: number): void {
    this.nonIpPackets++;
    this.nonIpCounts.countAs('arp', -1, wireLen);
  }
}
