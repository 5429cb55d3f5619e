// IPv6 addresses interned as small ids (the flow table keys flows by numbers): found by their text
// (a decoded layer's) or by their 16 bytes in a packet (the flat decoder's), through two indexes
// that give the same id; the text is made once per address.
import { ipv6At } from '../decode/bytes.ts';
import { fmix } from '../hash.ts';

/** Hash of an IPv6 address's four words. */
function v6Hash(w0: number, w1: number, w2: number, w3: number): number {
  return fmix(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35));
}

export class V6Ids {
  private readonly ids = new Map<string, number>();
  /** Text by id; id 0 is none. */
  private readonly texts: string[] = [''];
  /** `at`'s table: ids (0: free) by the address bytes' hash; each id's four words in `words`. */
  private slots = new Int32Array(64);
  private mask = 63;
  private slotted = 0;
  private words = new Int32Array(256);

  get size(): number {
    return this.ids.size;
  }

  text(id: number): string {
    return this.texts[id]!;
  }

  /** The id of the address written `addr`. */
  of(addr: string): number {
    let id = this.ids.get(addr);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(addr, id);
      this.texts.push(addr);
    }
    return id;
  }

  /** The id of the address in b[o..o+16]: its text is made only the first time. */
  at(b: Uint8Array, o: number): number {
    const w0 = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
    const w1 = (b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    const w2 = (b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!;
    const w3 = (b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!;
    const words = this.words;
    const slots = this.slots;
    const mask = this.mask;
    let i = v6Hash(w0, w1, w2, w3) & mask;
    for (;;) {
      const id = slots[i]!;
      if (id === 0) break;
      const k = id * 4;
      if (words[k] === w0 && words[k + 1] === w1 && words[k + 2] === w2 && words[k + 3] === w3) return id;
      i = (i + 1) & mask;
    }
    const id = this.of(ipv6At(b, o));
    if (id * 4 + 4 > words.length) {
      const more = new Int32Array(Math.max(words.length * 2, id * 4 + 4));
      more.set(words);
      this.words = more;
    }
    this.words.set([w0, w1, w2, w3], id * 4);
    slots[i] = id;
    if (++this.slotted * 2 > mask) this.grow();
    return id;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    const w = this.words;
    for (const id of this.slots) {
      if (id === 0) continue;
      const k = id * 4;
      let i = v6Hash(w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
