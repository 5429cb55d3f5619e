import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultDissector } from './bindings.ts';
import { DecoderTable } from './dissector.ts';
import type { Decoder } from './packet.ts';

const decoders: Decoder[] = [() => {}, () => {}, () => {}];

describe('dispatch tables', () => {
  test('find() answers as the Map does, whatever was set, deleted or cleared (property)', () => {
    const key = fc.oneof(
      fc.integer({ min: 0, max: 70000 }),
      fc.constantFrom(0, 53, 65535, 65536, -1, 2.5, 4294967295),
    );
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), key, fc.nat(2)),
      fc.tuple(fc.constant('delete' as const), key, fc.constant(0)),
      fc.tuple(fc.constant('clear' as const), fc.constant(0), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(key, { maxLength: 20 }), (ops, probes) => {
        const t = new DecoderTable();
        const ref = new Map<number, Decoder>();
        for (const [what, k, d] of ops) {
          if (what === 'set') {
            t.set(k, decoders[d]!);
            ref.set(k, decoders[d]!);
          } else if (what === 'delete') {
            assert.equal(t.delete(k), ref.delete(k));
          } else {
            t.clear();
            ref.clear();
          }
        }
        for (const k of [...probes, ...ops.map((o) => o[1])]) assert.equal(t.find(k), ref.get(k), `key ${k}`);
        assert.deepEqual([...t], [...ref]);
      }),
    );
  });

  test('a table built from entries, and a clone, dispatch alike; changing the clone leaves the original', () => {
    const d = defaultDissector();
    const c = d.clone();
    for (const name of ['linktype', 'ethertype', 'ip.proto', 'udp.port', 'tcp.port'] as const) {
      for (let k = 0; k < 65536; k++)
        assert.equal(c.tables[name].find(k), d.tables[name].get(k), `${name} ${k}`);
    }
    c.decodeAs('udp.port==4790:vxlan');
    c.decodeAs('udp.port==53:none');
    assert.equal(c.tables['udp.port'].find(4790), d.decoders.get('vxlan'));
    assert.equal(c.tables['udp.port'].find(53), undefined);
    assert.equal(d.tables['udp.port'].find(4790), undefined);
    assert.equal(d.tables['udp.port'].find(53), d.decoders.get('dns'));
  });
});
