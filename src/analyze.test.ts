import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeFiles, analyzeFilesForJson, writeFieldLines } from './analyze.ts';
import { defaultDissector } from './decode/bindings.ts';
import { readCaptureFile } from './pcap/reader.ts';
import { PcapngWriter } from './pcap/writer.ts';
import { writeJson } from './render/json-stream.ts';

const root = fileURLToPath(new URL('../testdata/', import.meta.url));
const captures = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(pcap|pcapng)$/.test(f))
  .sort()
  .map((f) => root + f);

function json(v: unknown): string {
  let s = '';
  writeJson(v, (c) => {
    s += c;
  });
  return s;
}

/** Packets containing each protocol in their first 16 layers, counted the plain way. */
function protocolCounts(files: string[]): Map<string, number> {
  const d = defaultDissector();
  const counts = new Map<string, number>();
  for (const f of files) {
    readCaptureFile(f, {
      onPacket(rec) {
        const p = d.decode(rec.data, rec.origLen, rec.linktype);
        for (const proto of new Set(p.layers.slice(0, 16).map((l) => l.proto))) {
          counts.set(proto, (counts.get(proto) ?? 0) + 1);
        }
      },
    });
  }
  return counts;
}

describe('analyzeFiles', () => {
  test('analyzeFilesForJson writes the same JSON as analyzeFiles, for every capture in testdata', () => {
    assert.ok(captures.length > 50);
    for (const f of captures) assert.equal(json(analyzeFilesForJson([f])), json(analyzeFiles([f])), f);
    const several = captures.slice(0, 12);
    assert.equal(json(analyzeFilesForJson(several)), json(analyzeFiles(several)));
  });

  test('protocols: packets per protocol, most first, ties in order of first sight', () => {
    for (const files of [...captures.map((f) => [f]), captures]) {
      const want = [...protocolCounts(files)].sort((a, b) => b[1] - a[1]);
      assert.deepEqual(Object.entries(analyzeFiles(files).protocols), want, files.join(' '));
    }
  });

  test('progress is reported after each MiB read, with the bytes and packets so far', () => {
    const calls: [number, number, number][] = [];
    const f = captures.find((c) => c.endsWith('zeek/http__get.pcap'))!;
    const r = analyzeFiles([f], {
      onProgress: (_file, read, size, packets) => calls.push([read, size, packets]),
    });
    const size = statSync(f).size;
    assert.deepEqual(calls, [[size, size, r.packets]]);
  });
});

test('frame.interface_id counts within a pcapng section, as tshark does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nettrace-sections-'));
  try {
    const chunks: Uint8Array[] = [];
    for (let section = 0; section < 2; section++) {
      const w = new PcapngWriter((c) => chunks.push(c));
      for (let i = 0; i <= section; i++) w.addInterface({ linktype: 1, name: `s${section}i${i}` });
      w.writePacket(section, { tsSec: 1, tsNsec: section, data: new Uint8Array(14) });
    }
    const file = join(dir, 'two-sections.pcapng');
    writeFileSync(file, Buffer.concat(chunks));
    const lines: string[] = [];
    writeFieldLines([file], ['frame.interface_id', 'frame.interface_name'], (l) => lines.push(l));
    assert.deepEqual(lines, ['0\ts0i0', '1\ts1i1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
