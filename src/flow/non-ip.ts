// Packets that are not IP, counted by protocol (`arp`) or by ethertype: a flow table's side count.
import type { Layer } from '../decode/layers.ts';

export interface NonIpCount {
  packets: number;
  bytes: number;
}

export class NonIpCounts {
  private readonly byName = new Map<string, NonIpCount>();
  private readonly byType = new Map<number, NonIpCount>();

  /** Distinct names and ethertypes counted (for memory tests). */
  get size(): number {
    return this.byName.size + this.byType.size;
  }

  /** A packet by its innermost named protocol, else its ethertype, else its last layer. */
  count(layers: Layer[], wireLen: number): void {
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
    this.countAs(name, type, wireLen);
  }

  /** Counts a packet under `name`, or under its ethertype `type` when no name. */
  countAs(name: string | undefined, type: number, wireLen: number): void {
    let c = name !== undefined ? this.byName.get(name) : this.byType.get(type);
    if (c === undefined) {
      c = { packets: 0, bytes: 0 };
      if (name !== undefined) this.byName.set(name, c);
      else this.byType.set(type, c);
    }
    c.packets++;
    c.bytes += wireLen;
  }

  /** The counts by name, and by `ethertype 0x88cc`. */
  record(): Record<string, NonIpCount> {
    const out: Record<string, NonIpCount> = {};
    for (const [k, v] of this.byName) out[k] = { ...v };
    for (const [k, v] of this.byType) out[`ethertype 0x${k.toString(16).padStart(4, '0')}`] = { ...v };
    return out;
  }
}
