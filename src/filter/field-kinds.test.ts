// field-kinds.ts against tshark's own field types (`tshark -G fields`): a field typed wrongly would
// read its filter values wrongly (a string where tshark reads a number).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { knownFields } from '../decode/fields.ts';
import { type FieldKind, fieldKind, fieldMax } from './field-kinds.ts';

const KIND_OF_TYPE: Record<string, FieldKind> = {
  FT_UINT8: 'uint',
  FT_UINT16: 'uint',
  FT_UINT24: 'uint',
  FT_UINT32: 'uint',
  FT_BOOLEAN: 'bool',
  FT_IPv4: 'ipv4',
  FT_IPv6: 'ipv6',
  FT_ETHER: 'ether',
  FT_BYTES: 'bytes',
  FT_STRING: 'string',
  FT_RELATIVE_TIME: 'time',
  FT_ABSOLUTE_TIME: 'time',
};

test("every field's kind is tshark's type for it", () => {
  const out = execFileSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const types = new Map<string, string>();
  for (const line of out.split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F' && c[2] !== undefined && c[3] !== undefined) types.set(c[2], c[3]);
  }
  const wrong: string[] = [];
  for (const name of knownFields()) {
    const type = types.get(name);
    const want = type === undefined ? undefined : KIND_OF_TYPE[type];
    if (want === undefined || fieldKind(name) !== want)
      wrong.push(`${name}: tshark ${type}, nettrace ${fieldKind(name)}`);
    const bits = /^FT_UINT(\d+)$/.exec(type ?? '')?.[1];
    if (bits !== undefined && fieldMax(name) !== 2 ** Number(bits) - 1) {
      wrong.push(`${name}: tshark ${type}, nettrace holds up to ${fieldMax(name)}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(knownFields().length > 200);
});
