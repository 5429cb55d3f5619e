import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { writeJson } from './json-stream.ts';

test('streamed JSON parses to the same value as JSON.stringify', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4 }), (v, inlineMax) => {
      let s = '';
      writeJson(
        v,
        (c) => {
          s += c;
        },
        inlineMax,
      );
      assert.deepEqual(JSON.parse(s), JSON.parse(JSON.stringify(v)));
    }),
  );
});

test('large arrays are written one element per line', () => {
  let s = '';
  writeJson({ flows: Array.from({ length: 20 }, (_, i) => ({ id: i })) }, (c) => {
    s += c;
  });
  assert.equal(s.split('\n').filter((l) => l.includes('"id"')).length, 20);
  assert.match(s, /^\{\n {2}"flows": \[\n {4}\{"id":0\},\n/);
});

test('undefined members are left out as JSON.stringify does', () => {
  let s = '';
  writeJson({ a: 1, b: undefined, c: [undefined] }, (c) => {
    s += c;
  });
  assert.deepEqual(JSON.parse(s), { a: 1, c: [null] });
});
