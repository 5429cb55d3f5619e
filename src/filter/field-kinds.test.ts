// field-kinds.ts against tshark's own field types (`tshark -G fields`): a field typed wrongly would
// read its filter values wrongly (a string where tshark reads a number, a width it does not have).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { knownFields } from '../decode/fields.ts';
import { fieldMax, fieldType } from './field-kinds.ts';

test("every field's type is tshark's", () => {
  const out = execFileSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const types = new Map<string, string>();
  for (const line of out.split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F' && c[2] !== undefined && c[3] !== undefined) types.set(c[2], c[3]);
  }
  const wrong = knownFields()
    .filter((name) => fieldType(name) !== types.get(name))
    .map((name) => `${name}: tshark ${types.get(name)}, nettrace ${fieldType(name)}`);
  assert.deepEqual(wrong, []);
  assert.ok(knownFields().length > 200);
  assert.deepEqual(
    [fieldMax('ip.ttl'), fieldMax('tcp.port'), fieldMax('vxlan.vni'), fieldMax('tcp.seq_raw')],
    [255, 65535, 2 ** 24 - 1, 2 ** 32 - 1],
  );
});
