import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PacketView } from './fingerprint.ts';
import { SightingStore } from './store.ts';

/** What a store holds, column by column, up to its counts. */
function contents(st: SightingStore) {
  const n = st.n;
  const gn = st.gn;
  const cols = [st.point, st.time, st.next, st.group, st.frame, st.src, st.dst, st.ttl, st.sport, st.dport];
  const gcols = [st.gHash, st.gIpv, st.gProto, st.gSeq, st.gFirst, st.gLast, st.gCount];
  return {
    sightings: cols.map((c) => Array.from(c.subarray(0, n))),
    groups: gcols.map((c) => Array.from(c.subarray(0, gn))),
    chains: Array.from({ length: gn }, (_, g) => st.sightingsOf(g)),
  };
}

test('reserve() at any point, of any size, changes nothing the store holds or finds', () => {
  fc.assert(
    fc.property(
      // Packets from a few fingerprints (so groups repeat and their hashes collide), at 3 points.
      fc.array(fc.record({ fp: fc.integer({ min: 0, max: 300 }), point: fc.integer({ min: 0, max: 2 }) }), {
        maxLength: 3000,
      }),
      fc.nat({ max: 3000 }),
      fc.integer({ min: 0, max: 20000 }),
      fc.integer({ min: 0, max: 5000 }),
      (pkts, at, sightings, groups) => {
        const plain = new SightingStore();
        const reserved = new SightingStore();
        const v = new PacketView();
        pkts.forEach((p, i) => {
          if (i === Math.min(at, pkts.length - 1)) reserved.reserve(sightings, groups);
          v.ipv = 4;
          v.proto = 6;
          v.seq = p.fp;
          v.hash = p.fp & 7; // few hash values: long probe chains in the group table
          v.src = 0x0a000001 + p.point;
          v.ttl = 64 - p.point;
          assert.equal(reserved.add(p.point, i, i, v), plain.add(p.point, i, i, v));
        });
        assert.deepEqual(contents(reserved), contents(plain));
      },
    ),
    { numRuns: 150 },
  );
});
