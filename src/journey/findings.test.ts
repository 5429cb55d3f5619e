import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { durationText, threeDigits } from './findings.ts';

describe('durationText', () => {
  test('threeDigits is +x.toPrecision(3) for 1 <= |x| < 1000, ties and near-ties included', () => {
    const same = (x: number) => assert.equal(threeDigits(x), +x.toPrecision(3), `x = ${x}`);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 999.9999999, noNaN: true }), fc.boolean(), (x, neg) =>
        same(neg ? -x : x),
      ),
      { numRuns: 20000 },
    );
    // Values written as ties (k.5 at the third digit) and one ulp-ish either side of them.
    for (let k = 100; k < 1000; k++) {
      for (const d of [-1e-13, 0, 1e-13]) {
        same(k / 100 + 0.005 + d);
        same(k / 10 + 0.05 + d);
        same(k + 0.5 + d);
      }
    }
    for (const x of [1, 1.005, 2.675, 9.995, 9.996, 99.95, 999.5, 999.9999]) same(x);
  });

  test('units and rounding as shown in summaries', () => {
    assert.equal(durationText(812), '812 ns');
    assert.equal(durationText(40_000), '40 µs');
    assert.equal(durationText(1_234_567), '1.23 ms');
    assert.equal(durationText(999_600), '1000 µs');
    assert.equal(durationText(-2_500), '-2.5 µs');
    assert.equal(durationText(3_210_000_000), '3.21 s');
  });
});
