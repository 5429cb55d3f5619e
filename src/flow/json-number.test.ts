import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonNumber } from './json-number.ts';

test('jsonNumber writes what JSON.stringify writes, for any number (property)', () => {
  const big = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const edges = fc.constantFrom(
    0,
    -0,
    1e9 - 1,
    1e9,
    1e9 + 1,
    4997359000,
    1e15,
    999999999999999,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    2 ** 60,
    1e21,
    -5e9,
    0.5,
    1e9 + 0.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  );
  fc.assert(
    fc.property(fc.oneof(big, edges, fc.double(), fc.integer()), (n) => {
      assert.equal(jsonNumber(n), JSON.stringify(n));
    }),
    { numRuns: 20000 },
  );
  for (let n = 1e9 - 3000; n < 1e9 + 3000; n++) assert.equal(jsonNumber(n), String(n));
  for (let e = 30; e <= 53; e++) {
    for (const d of [-1, 0, 1]) assert.equal(jsonNumber(2 ** e + d), JSON.stringify(2 ** e + d));
  }
});
