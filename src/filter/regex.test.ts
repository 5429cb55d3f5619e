import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesSubject, pcreSource } from './regex.ts';

const matches = (pattern: string, bytes: number[]) =>
  new RegExp(pcreSource(pattern, true), 'i').test(bytesSubject(Uint8Array.from(bytes)));

test('bytes match as bytes: case folds ASCII letters only, \\xHH is that byte', () => {
  assert.equal(matches('\xe0\xa8', [0xc0, 0xa8]), false); // Latin-1 would fold é/É
  assert.equal(matches('\xc0\xa8', [0xc0, 0xa8]), true);
  assert.equal(matches('\\xc0\\xa8', [0x10, 0xc0, 0xa8]), true);
  assert.equal(matches('\\xe0', [0xc0]), false);
  assert.equal(matches('http', [0x48, 0x54, 0x54, 0x50]), true);
  assert.equal(matches('\\\\xe0', [0x5c, 0x78, 0x65, 0x30]), true); // an escaped backslash, then text
});

test('. is any character but a newline, as in PCRE (JavaScript also skips \\r)', () => {
  assert.equal(matches('^.{3}$', [0x61, 0x0d, 0x62]), true);
  assert.equal(matches('^.{3}$', [0x61, 0x0a, 0x62]), false);
  assert.equal(matches('[.]', [0x61]), false);
  assert.equal(matches('[.]', [0x2e]), true);
  assert.equal(matches('[^]x]', [0x5d]), false);
  assert.equal(matches('[]]', [0x5d]), true);
  assert.equal(new RegExp(pcreSource('a.c', false), 'i').test('A\rC'), true);
});
