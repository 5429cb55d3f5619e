// A flow as the analysis sees it: its key (side A the initiator), the tunnel it was first seen in,
// and its counters, read from the table's per-flow record (flow-table.ts owns that layout).
import type { Layer } from '../decode/layers.ts';
import type { TcpTracker } from './tcp-state.ts';

export interface FlowTunnel {
  type: 'geneve' | 'vxlan';
  vni: number;
  outerSrc: string;
  outerDst: string;
}

/** Where a flow's counters live: the table's per-flow records, whose layout only it knows. */
export interface FlowStore {
  firstNs(id: number): number;
  lastNs(id: number): number;
  /** dir 0: A to B, 1: B to A. */
  packets(id: number, dir: 0 | 1): number;
  bytes(id: number, dir: 0 | 1): number;
}

export const IP_PROTO_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  58: 'icmpv6',
  132: 'sctp',
};

export class Flow {
  /** TCP flows only. */
  tcp: TcpTracker | undefined = undefined;

  constructor(
    /** Where the counters live (the table's per-flow records). */
    private readonly store: FlowStore,
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
    readonly tunnel: FlowTunnel | undefined,
  ) {}

  get firstNs(): number {
    return this.store.firstNs(this.id);
  }

  get packetsAB(): number {
    return this.store.packets(this.id, 0);
  }
  get packetsBA(): number {
    return this.store.packets(this.id, 1);
  }
  get bytesAB(): number {
    return this.store.bytes(this.id, 0);
  }
  get bytesBA(): number {
    return this.store.bytes(this.id, 1);
  }
  get lastNs(): number {
    return this.store.lastNs(this.id);
  }

  get protoName(): string {
    return protoName(this.proto);
  }
}

/** Each flow's tunnel by flow id (in order of first sight), one object per distinct tunnel. */
export class FlowTunnels {
  private readonly byId: (FlowTunnel | undefined)[] = [undefined];
  private readonly shared = new Map<string, FlowTunnel>();

  /** Distinct tunnels (for memory tests). */
  get size(): number {
    return this.shared.size;
  }

  /** The next flow's tunnel, or undefined for a flow not tunnelled. */
  add(t: FlowTunnel | undefined): void {
    if (t === undefined) {
      this.byId.push(undefined);
      return;
    }
    const k = `${t.type} ${t.vni} ${t.outerSrc} ${t.outerDst}`;
    let known = this.shared.get(k);
    if (known === undefined) {
      known = t;
      this.shared.set(k, t);
    }
    this.byId.push(known);
  }

  of(id: number): FlowTunnel | undefined {
    return this.byId[id];
  }
}

/** An IP protocol's name as flows show it (`tcp`, `ip-47`). */
export function protoName(proto: number): string {
  return IP_PROTO_NAMES[proto] ?? `ip-${proto}`;
}

/** The innermost Geneve/VXLAN tunnel carrying the IP header at `ip`, with the outer IP around it. */
export function tunnelAround(layers: Layer[], ip: number, v4: (a: number) => string): FlowTunnel | undefined {
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
        outerSrc: o.proto === 'ip' ? v4(o.src) : o.src,
        outerDst: o.proto === 'ip' ? v4(o.dst) : o.dst,
      };
    }
  }
  return undefined;
}
