import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { JsonArray, writeJson } from './json-stream.ts';

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

function text(v: unknown, inlineMax?: number): string {
  let s = '';
  writeJson(
    v,
    (c) => {
      s += c;
    },
    inlineMax,
  );
  return s;
}

test('a JsonArray is written exactly as the array it stands for', () => {
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue(), { maxLength: 40 }),
      fc.integer({ min: 0, max: 20 }),
      (arr, inlineMax) => {
        const lazy = new JsonArray(arr.length, (i) => arr[i]);
        const own = new JsonArray(
          arr.length,
          (i) => arr[i],
          (i) => JSON.stringify(arr[i]) ?? 'null',
        );
        const want = text({ head: 1, list: arr, tail: [arr] }, inlineMax);
        assert.equal(text({ head: 1, list: lazy, tail: [lazy] }, inlineMax), want);
        assert.equal(text({ head: 1, list: own, tail: [own] }, inlineMax), want);
        assert.equal(JSON.stringify(lazy), JSON.stringify(arr));
      },
    ),
  );
});

test('a JsonArray writes its elements with its own json(), one per line', () => {
  const made: number[] = [];
  const list = new JsonArray(
    20,
    (i) => ({ id: i }),
    (i) => {
      made.push(i);
      return `{"id":${i}}`;
    },
  );
  const s = text({ flows: list });
  assert.equal(s, text({ flows: Array.from({ length: 20 }, (_, i) => ({ id: i })) }));
  assert.deepEqual(
    made,
    Array.from({ length: 20 }, (_, i) => i),
  );
});
