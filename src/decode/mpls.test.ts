import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultDissector } from './bindings.ts';
import type { MplsLayer } from './layers.ts';

const d = defaultDissector();
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
// Ethernet (type 0x8847), two labels (100 then 29 with S), then an IPv4/UDP header.
const ETH = '000000000002 000000000001 8847';
const LABELS = '00064440' + '0001d3ff';
const IPV4 = '4500001c00004000401100000a0102010a220001' + '303930390008 0000';

describe('mpls', () => {
  test('a two-label stack is decoded outer first, then IPv4 by its version nibble', () => {
    const data = hex(ETH + LABELS + IPV4);
    const p = d.decode(data, data.length, 1);
    assert.deepEqual(
      p.layers.map((l) => l.proto),
      ['eth', 'mpls', 'mpls', 'ip', 'udp'],
    );
    const [a, b] = p.layers.filter((l): l is MplsLayer => l.proto === 'mpls');
    assert.deepEqual([a!.label, a!.tc, a!.bottom, a!.ttl], [100, 2, 0, 64]);
    assert.deepEqual([b!.label, b!.tc, b!.bottom, b!.ttl], [29, 1, 1, 255]);
    assert.equal(p.issues, undefined);
  });

  test('a stack cut short is reported as truncated, not thrown', () => {
    const data = hex(ETH + '000640');
    const p = d.decode(data, data.length, 1);
    assert.equal(p.issues?.[0]?.code, 'truncated');
    assert.equal(p.issues?.[0]?.layer, 'mpls');
  });

  test('a stack that never ends is malformed after 16 entries', () => {
    const data = hex(ETH + '00064040'.repeat(20));
    const p = d.decode(data, data.length, 1);
    assert.equal(p.layers.filter((l) => l.proto === 'mpls').length, 16);
    assert.equal(p.issues?.[0]?.code, 'malformed');
  });

  test('a payload that is not IP is left undecoded without an issue', () => {
    const data = hex(ETH + '0001d3ff' + '0000aabbccdd');
    const p = d.decode(data, data.length, 1);
    assert.deepEqual(
      p.layers.map((l) => l.proto),
      ['eth', 'mpls'],
    );
    assert.equal(p.issues, undefined);
  });
});
