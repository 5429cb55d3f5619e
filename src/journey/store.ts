// Sightings kept as columns of typed arrays (no object per packet, no reference to the packet's
// bytes): a "group" is one fingerprint, with the fields the fingerprint covers stored once; each
// sighting stores only what may change from hop to hop. Groups are found through an open-addressing
// table keyed by the fingerprint hash and checked field by field, so hash collisions cannot merge
// two different packets.
import { ipv4ToString } from '../decode/bytes.ts';
import { macText, type PacketView, TUNNEL_GENEVE, TUNNEL_NONE } from './fingerprint.ts';
import type { EncapInfo } from './types.ts';

type Typed = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

function grow<T extends Typed>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a as never);
  return b;
}

const KEY_WORDS = 8;
/** Slots of the direct-mapped caches (address and MAC texts, tunnels). */
const CACHE_SLOTS = 1024;

type TunnelKey = Pick<
  PacketView,
  'tunnel' | 'vni' | 'outerIpv' | 'outerSrc' | 'outerDst' | 'outerSrc6' | 'outerDst6' | 'ovnIn' | 'ovnOut'
>;

export class SightingStore {
  // --- sightings ---
  n = 0;
  private cap = 1024;
  point = new Uint16Array(this.cap);
  /** ns since the correlator's t0. */
  time = new Float64Array(this.cap);
  /** Next sighting of the same group in arrival order, -1 at the end. */
  next = new Int32Array(this.cap);
  group = new Int32Array(this.cap);
  frame = new Uint32Array(this.cap);
  /** IPv4 address, or for IPv6 an index into addr6. */
  src = new Uint32Array(this.cap);
  dst = new Uint32Array(this.cap);
  ttl = new Uint8Array(this.cap);
  sport = new Uint16Array(this.cap);
  dport = new Uint16Array(this.cap);
  macSrc = new Float64Array(this.cap);
  macDst = new Float64Array(this.cap);
  /** Index into tunnels, -1 when not tunnelled. */
  tunnel = new Int32Array(this.cap);

  // --- groups (one per fingerprint) ---
  gn = 0;
  private gcap = 1024;
  /** The fingerprint's fields, KEY_WORDS per group, for the table's probes. */
  private gKey = new Int32Array(this.gcap * KEY_WORDS);
  gHash = new Uint32Array(this.gcap);
  gIpv = new Uint8Array(this.gcap);
  gProto = new Uint8Array(this.gcap);
  gIpId = new Int32Array(this.gcap);
  gSeq = new Uint32Array(this.gcap);
  gAck = new Uint32Array(this.gcap);
  gFlags = new Uint16Array(this.gcap);
  gLen = new Uint32Array(this.gcap);
  gPhash = new Int32Array(this.gcap);
  gApp = new Int32Array(this.gcap);
  gFirst = new Int32Array(this.gcap);
  gLast = new Int32Array(this.gcap);
  gCount = new Int32Array(this.gcap);

  /** Slot -> group + 1 (0 = empty). */
  private table = new Int32Array(2048);
  private mask = 2047;

  readonly addr6: string[] = [];
  private readonly addr6Index = new Map<string, number>();
  readonly tunnels: EncapInfo[] = [];
  private readonly tunnelIndex = new Map<number, number[]>();
  private readonly tunnelKeys: TunnelKey[] = [];
  /** By the low bits of a tunnel key's hash: the tunnel last interned with it, or -1. */
  private readonly tunnelRecent = new Int32Array(CACHE_SLOTS).fill(-1);

  /** Records one sighting of the packet described by `v`; returns its index. */
  add(point: number, time: number, frame: number, v: PacketView): number {
    const g = this.findOrAddGroup(v);
    if (this.n === this.cap) this.growSightings();
    const s = this.n++;
    this.point[s] = point;
    this.time[s] = time;
    this.next[s] = -1;
    this.group[s] = g;
    this.frame[s] = frame;
    if (v.ipv === 4) {
      this.src[s] = v.src;
      this.dst[s] = v.dst;
    } else {
      this.src[s] = this.intern6(v.src6);
      this.dst[s] = this.intern6(v.dst6);
    }
    this.ttl[s] = v.ttl;
    this.sport[s] = v.sport;
    this.dport[s] = v.dport;
    this.macSrc[s] = v.macSrc;
    this.macDst[s] = v.macDst;
    this.tunnel[s] = v.tunnel === TUNNEL_NONE ? -1 : this.internTunnel(v);
    const last = this.gLast[g]!;
    if (last < 0) this.gFirst[g] = s;
    else this.next[last] = s;
    this.gLast[g] = s;
    this.gCount[g]!++;
    return s;
  }

  /** Sightings of group g in arrival order. */
  sightingsOf(g: number): number[] {
    const out: number[] = [];
    for (let s = this.gFirst[g]!; s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }

  srcText(s: number): string {
    return this.gIpv[this.group[s]!] === 4 ? this.ip4Text(this.src[s]!) : this.addr6[this.src[s]!]!;
  }

  dstText(s: number): string {
    return this.gIpv[this.group[s]!] === 4 ? this.ip4Text(this.dst[s]!) : this.addr6[this.dst[s]!]!;
  }

  // A capture holds few distinct addresses and MACs: one string each, shared by every sighting,
  // found first through a small direct-mapped cache (a Map lookup per sighting was a tenth of
  // materialising a big capture's journeys).
  private readonly ip4Cache = new Map<number, string>();
  private readonly macCache = new Map<number, string>();
  private readonly ip4Keys = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly ip4Texts: string[] = new Array<string>(CACHE_SLOTS).fill('');
  private readonly macKeys = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly macTexts: string[] = new Array<string>(CACHE_SLOTS).fill('');

  ip4Text(a: number): string {
    const i = (a ^ (a >>> 13)) & (CACHE_SLOTS - 1);
    if (this.ip4Keys[i] === a) return this.ip4Texts[i]!;
    let t = this.ip4Cache.get(a);
    if (t === undefined) {
      t = ipv4ToString(a);
      this.ip4Cache.set(a, t);
    }
    this.ip4Keys[i] = a;
    this.ip4Texts[i] = t;
    return t;
  }

  macText(m: number): string {
    // The low 32 bits pick the slot (MACs of one capture differ mostly there).
    const lo = m | 0;
    const i = (lo ^ (lo >>> 13)) & (CACHE_SLOTS - 1);
    if (this.macKeys[i] === m) return this.macTexts[i]!;
    let t = this.macCache.get(m);
    if (t === undefined) {
      t = macText(m);
      this.macCache.set(m, t);
    }
    this.macKeys[i] = m;
    this.macTexts[i] = t;
    return t;
  }

  private findOrAddGroup(v: PacketView): number {
    const h = v.hash | 0;
    let slot = h & this.mask;
    const key = this.gKey;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0) break;
      const g = e - 1;
      const o = g * KEY_WORDS;
      // One record of adjacent words per group: a probe touches one cache line, not nine arrays.
      if (
        key[o] === h &&
        key[o + 1] === (v.seq | 0) &&
        key[o + 2] === v.ipId &&
        key[o + 3] === (v.ack | 0) &&
        key[o + 4] === v.flags &&
        key[o + 5] === v.len &&
        key[o + 6] === v.phash &&
        key[o + 7] === ((v.ipv << 8) | v.proto)
      ) {
        return g;
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.gn === this.gcap) this.growGroups();
    const g = this.gn++;
    this.table[slot] = g + 1;
    const o = g * KEY_WORDS;
    const k = this.gKey;
    k[o] = h;
    k[o + 1] = v.seq;
    k[o + 2] = v.ipId;
    k[o + 3] = v.ack;
    k[o + 4] = v.flags;
    k[o + 5] = v.len;
    k[o + 6] = v.phash;
    k[o + 7] = (v.ipv << 8) | v.proto;
    this.gHash[g] = h >>> 0;
    this.gIpv[g] = v.ipv;
    this.gProto[g] = v.proto;
    this.gIpId[g] = v.ipId;
    this.gSeq[g] = v.seq;
    this.gAck[g] = v.ack;
    this.gFlags[g] = v.flags;
    this.gLen[g] = v.len;
    this.gPhash[g] = v.phash;
    this.gApp[g] = v.app;
    this.gFirst[g] = -1;
    this.gLast[g] = -1;
    this.gCount[g] = 0;
    if (this.gn * 2 > this.mask) this.rehash();
    return g;
  }

  private rehash(size = (this.mask + 1) * 2): void {
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let g = 0; g < this.gn; g++) {
      let slot = this.gHash[g]! & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = g + 1;
    }
  }

  private intern6(a: string): number {
    let i = this.addr6Index.get(a);
    if (i === undefined) {
      i = this.addr6.length;
      this.addr6.push(a);
      this.addr6Index.set(a, i);
    }
    return i;
  }

  private internTunnel(v: PacketView): number {
    let h = Math.imul(v.vni ^ (v.tunnel << 24), 0x9e3779b1);
    h = Math.imul(h ^ v.outerSrc ^ (v.ovnIn << 16), 0x85ebca6b);
    h = (Math.imul(h ^ v.outerDst ^ v.ovnOut, 0xc2b2ae35) ^ v.outerIpv) | 0;
    // The tunnel last found with this hash's slot first (no Map lookup for most packets).
    const slot = h & (CACHE_SLOTS - 1);
    const last = this.tunnelRecent[slot]!;
    if (last >= 0 && this.sameTunnel(last, v)) return last;
    const bucket = this.tunnelIndex.get(h);
    if (bucket !== undefined) {
      for (const i of bucket) {
        if (this.sameTunnel(i, v)) {
          this.tunnelRecent[slot] = i;
          return i;
        }
      }
    }
    const src = v.outerIpv === 4 ? this.ip4Text(v.outerSrc) : v.outerSrc6;
    const dst = v.outerIpv === 4 ? this.ip4Text(v.outerDst) : v.outerDst6;
    const tunnel = v.tunnel === TUNNEL_GENEVE ? 'geneve' : 'vxlan';
    const t: EncapInfo = { tunnel, vni: v.vni, 'outer.ip.src': src, 'outer.ip.dst': dst };
    if (v.ovnIn >= 0) t.ovn = { ingress: v.ovnIn, egress: v.ovnOut };
    const i = this.tunnels.length;
    this.tunnels.push(t);
    this.tunnelKeys.push({
      tunnel: v.tunnel,
      vni: v.vni,
      outerIpv: v.outerIpv,
      outerSrc: v.outerSrc,
      outerDst: v.outerDst,
      outerSrc6: v.outerSrc6,
      outerDst6: v.outerDst6,
      ovnIn: v.ovnIn,
      ovnOut: v.ovnOut,
    });
    if (bucket === undefined) this.tunnelIndex.set(h, [i]);
    else bucket.push(i);
    this.tunnelRecent[slot] = i;
    return i;
  }

  private sameTunnel(i: number, v: PacketView): boolean {
    const k = this.tunnelKeys[i]!;
    return (
      k.tunnel === v.tunnel &&
      k.vni === v.vni &&
      k.outerIpv === v.outerIpv &&
      k.outerSrc === v.outerSrc &&
      k.outerDst === v.outerDst &&
      k.outerSrc6 === v.outerSrc6 &&
      k.outerDst6 === v.outerDst6 &&
      k.ovnIn === v.ovnIn &&
      k.ovnOut === v.ovnOut
    );
  }

  /**
   * Room for `sightings` and `groups` in all, made once: a capture's size says about how many to
   * expect, and growing hundred-megabyte columns by doubling copies them and faults their pages in
   * twice. More come as before; room not used is never touched.
   */
  reserve(sightings: number, groups: number): void {
    if (sightings > this.cap) this.growSightings(sightings);
    if (groups > this.gcap) this.growGroups(groups);
    let size = this.mask + 1;
    while (groups * 2 > size - 1) size *= 2;
    if (size > this.mask + 1) this.rehash(size);
  }

  private growSightings(c = this.cap * 2): void {
    this.cap = c;
    this.point = grow(this.point, c);
    this.time = grow(this.time, c);
    this.next = grow(this.next, c);
    this.group = grow(this.group, c);
    this.frame = grow(this.frame, c);
    this.src = grow(this.src, c);
    this.dst = grow(this.dst, c);
    this.ttl = grow(this.ttl, c);
    this.sport = grow(this.sport, c);
    this.dport = grow(this.dport, c);
    this.macSrc = grow(this.macSrc, c);
    this.macDst = grow(this.macDst, c);
    this.tunnel = grow(this.tunnel, c);
  }

  private growGroups(c = this.gcap * 2): void {
    this.gcap = c;
    this.gKey = grow(this.gKey, c * KEY_WORDS);
    this.gHash = grow(this.gHash, c);
    this.gIpv = grow(this.gIpv, c);
    this.gProto = grow(this.gProto, c);
    this.gIpId = grow(this.gIpId, c);
    this.gSeq = grow(this.gSeq, c);
    this.gAck = grow(this.gAck, c);
    this.gFlags = grow(this.gFlags, c);
    this.gLen = grow(this.gLen, c);
    this.gPhash = grow(this.gPhash, c);
    this.gApp = grow(this.gApp, c);
    this.gFirst = grow(this.gFirst, c);
    this.gLast = grow(this.gLast, c);
    this.gCount = grow(this.gCount, c);
  }
}
