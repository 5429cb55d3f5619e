// Each node timestamps its captures with its own clock. A delta between sightings on one node is a
// latency; across nodes it is a latency plus the clocks' offset, so it is flagged not comparable.
// When packets cross the same two points both ways, the offset is estimated as half the asymmetry
// of the two one-way deltas (NTP's assumption: the path is equally long both ways).
import { durationText } from './findings.ts';
import type { ClockOffset } from './types.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class ClockBook {
  /** Cross-node hop deltas by "pointA>pointB" (travel order). */
  private readonly cross = new Map<string, { from: number; to: number; deltas: number[] }>();
  private readonly negativeSameNode = new Map<string, number>();

  constructor(private readonly pointNode: string[]) {}

  /** Records one hop delta between two points; returns whether it is a comparable latency. */
  hop(fromPoint: number, toPoint: number, delta: number): boolean {
    const a = this.pointNode[fromPoint]!;
    const b = this.pointNode[toPoint]!;
    if (a === b) {
      if (delta < 0) this.negativeSameNode.set(a, (this.negativeSameNode.get(a) ?? 0) + 1);
      return true;
    }
    const key = `${fromPoint}>${toPoint}`;
    let e = this.cross.get(key);
    if (e === undefined) {
      e = { from: fromPoint, to: toPoint, deltas: [] };
      this.cross.set(key, e);
    }
    e.deltas.push(delta);
    return false;
  }

  offsets(): ClockOffset[] {
    // Per node pair, the median of the estimates from each point pair crossed both ways.
    const est = new Map<string, { from: string; to: string; values: number[]; samples: number }>();
    for (const e of this.cross.values()) {
      const back = this.cross.get(`${e.to}>${e.from}`);
      const from = this.pointNode[e.from]!;
      const to = this.pointNode[e.to]!;
      if (back === undefined || from > to) continue;
      const key = `${from}\n${to}`;
      let x = est.get(key);
      if (x === undefined) {
        x = { from, to, values: [], samples: 0 };
        est.set(key, x);
      }
      x.values.push((median(e.deltas) - median(back.deltas)) / 2);
      x.samples += e.deltas.length + back.deltas.length;
    }
    return [...est.values()].map((x) => ({
      from: x.from,
      to: x.to,
      offset_ns: Math.round(median(x.values)),
      samples: x.samples,
    }));
  }

  /** What to subtract from each node's times to read them on `ref`'s clock (nodes with an estimate). */
  corrections(ref: string, offsets: ClockOffset[]): Map<string, number> {
    const m = new Map<string, number>();
    for (const o of offsets) {
      if (o.from === ref) m.set(o.to, o.offset_ns);
      else if (o.to === ref) m.set(o.from, -o.offset_ns);
    }
    return m;
  }

  warnings(offsets: ClockOffset[]): string[] {
    const out: string[] = [];
    const byNodes = new Map<
      string,
      { a: string; b: string; hops: number; negative: number; worst: number }
    >();
    for (const e of this.cross.values()) {
      const a = this.pointNode[e.from]!;
      const b = this.pointNode[e.to]!;
      const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
      let x = byNodes.get(key);
      if (x === undefined) {
        x = { a: a < b ? a : b, b: a < b ? b : a, hops: 0, negative: 0, worst: 0 };
        byNodes.set(key, x);
      }
      x.hops += e.deltas.length;
      for (const d of e.deltas) {
        if (d < 0) {
          x.negative++;
          if (d < x.worst) x.worst = d;
        }
      }
    }
    for (const x of byNodes.values()) {
      let w = `${x.hops} hop delta${x.hops === 1 ? '' : 's'} between ${x.a} and ${x.b} are not comparable: they include the offset between the two nodes' clocks`;
      if (x.negative > 0)
        w += `; ${x.negative} are negative (down to -${durationText(-x.worst)}), so the clocks differ at least that much`;
      const o = offsets.find((c) => c.from === x.a && c.to === x.b);
      if (o !== undefined)
        w += `; estimated offset ${x.b} - ${x.a}: ${durationText(o.offset_ns)} (from ${o.samples} deltas both ways)`;
      out.push(w);
    }
    for (const [node, n] of this.negativeSameNode) {
      out.push(
        `${n} hop delta${n === 1 ? ' is' : 's are'} negative on ${node}: its captures' timestamps disagree with the path order`,
      );
    }
    return out;
  }
}
