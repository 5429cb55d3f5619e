// Every TCP connection's state transitions, in columns: a state, a time and who sent the packet,
// chained per connection. A flow table holds a million connections of a scan or a SYN flood, each
// with one transition or two: as objects (an array and a record each) they were most of the
// table's heap; here a transition is 14 bytes and a connection 8.
import { type TcpTransition, transitionRecord } from './tcp-state.ts';

const BY_B = 1;
const PICKED_UP = 2;

export class TransitionLog {
  private state = new Uint8Array(1024);
  private bits = new Uint8Array(1024);
  private time = new Float64Array(1024);
  /** The connection's next transition, or -1. */
  private next = new Int32Array(1024);
  private n = 0;
  /** Each connection's first and last transition (+1; 0: none), by key. */
  private first = new Int32Array(1024);
  private last = new Int32Array(1024);

  /** Transitions stored. */
  get size(): number {
    return this.n;
  }

  add(key: number, state: number, tNs: number, dir: 0 | 1, pickedUp: boolean): void {
    const i = this.n++;
    if (i === this.state.length) this.growEntries();
    if (key >= this.first.length) this.growKeys(key);
    this.state[i] = state;
    this.bits[i] = (dir === 1 ? BY_B : 0) | (pickedUp ? PICKED_UP : 0);
    this.time[i] = tNs;
    this.next[i] = -1;
    const l = this.last[key]!;
    if (l === 0) this.first[key] = i + 1;
    else this.next[l - 1] = i;
    this.last[key] = i + 1;
  }

  /** Connection `key`'s transitions, as records (made anew on each call). */
  of(key: number): TcpTransition[] {
    const out: TcpTransition[] = [];
    if (key >= this.first.length) return out;
    for (let i = this.first[key]! - 1; i >= 0; i = this.next[i]!) {
      const b = this.bits[i]!;
      out.push(transitionRecord(this.state[i]!, this.time[i]!, b & BY_B ? 1 : 0, (b & PICKED_UP) !== 0));
    }
    return out;
  }

  private growEntries(): void {
    const size = this.state.length * 2;
    const grown = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.state = grown(this.state, Uint8Array);
    this.bits = grown(this.bits, Uint8Array);
    this.time = grown(this.time, Float64Array);
    this.next = grown(this.next, Int32Array);
  }

  private growKeys(key: number): void {
    let size = this.first.length * 2;
    while (size <= key) size *= 2;
    const first = new Int32Array(size);
    first.set(this.first);
    this.first = first;
    const last = new Int32Array(size);
    last.set(this.last);
    this.last = last;
  }
}
