import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../pcap/reader.ts';
import { defaultDissector } from './bindings.ts';
import { PROTO_BITS } from './packet.ts';

test('protos holds one bit per protocol of the layers, for every packet of every capture in testdata', () => {
  const root = fileURLToPath(new URL('../../testdata/', import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /\.(pcap|pcapng)$/.test(f),
  );
  const d = defaultDissector();
  const seen = new Set<string>();
  let packets = 0;
  for (const f of files) {
    readCaptureFile(root + f, {
      onPacket(rec) {
        const p = d.decode(rec.data, rec.origLen, rec.linktype);
        let want = 0;
        for (const l of p.layers) {
          want |= PROTO_BITS[l.proto];
          seen.add(l.proto);
        }
        assert.equal(p.added, p.layers.length, `${f} frame ${rec.number}`);
        assert.equal(p.protos, want, `${f} frame ${rec.number}`);
        packets++;
      },
    });
  }
  assert.ok(packets > 1000);
  // The two kinds testdata lacks: a BSD loopback frame and an MPLS-labelled one, both carrying IPv4.
  const ipv4 = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 255, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const frames: [number, number[]][] = [
    [0, [2, 0, 0, 0, ...ipv4]],
    [1, [...new Array(12).fill(2), 0x88, 0x47, 0x00, 0x01, 0x01, 0x40, ...ipv4]],
  ];
  for (const [linktype, bytes] of frames) {
    const p = d.decode(Uint8Array.from(bytes), bytes.length, linktype);
    let want = 0;
    for (const l of p.layers) {
      want |= PROTO_BITS[l.proto];
      seen.add(l.proto);
    }
    assert.equal(p.added, p.layers.length);
    assert.equal(p.protos, want);
  }
  // Every decoder's bit was exercised.
  assert.deepEqual([...seen].sort(), Object.keys(PROTO_BITS).sort());
});
