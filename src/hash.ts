// The finaliser of MurmurHash3 (fmix32): spreads every input bit over the whole word (the flow
// table's open addressing, the journey fingerprints). The result is an int32.
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
