import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TCP_STATES, type TcpTransition } from './tcp-state.ts';
import { TransitionLog } from './transition-log.ts';

test('each connection gets back its own transitions, in order, across growth (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: fc.integer({ min: 1, max: 3000 }),
          state: fc.nat(TCP_STATES.length - 1),
          tNs: fc.double({ noNaN: true, noDefaultInfinity: true }),
          dir: fc.constantFrom(0 as const, 1 as const),
          pickedUp: fc.boolean(),
        }),
        { maxLength: 2500 },
      ),
      (adds) => {
        const log = new TransitionLog();
        const want = new Map<number, TcpTransition[]>();
        for (const a of adds) {
          log.add(a.key, a.state, a.tNs, a.dir, a.pickedUp);
          const t: TcpTransition = { state: TCP_STATES[a.state]!, tNs: a.tNs, by: a.dir === 0 ? 'A' : 'B' };
          if (a.pickedUp) t.pickedUp = true;
          want.set(a.key, [...(want.get(a.key) ?? []), t]);
        }
        assert.equal(log.size, adds.length);
        for (const [key, ts] of want) assert.deepEqual(log.of(key), ts);
        assert.deepEqual(log.of(3001), []);
        assert.deepEqual(log.of(1 << 20), []);
      },
    ),
    { numRuns: 60 },
  );
});
