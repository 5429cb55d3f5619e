// Every capture in the shared corpora (../../../shared/corpora, beside the clone) read by nettrace
// and by tshark: same packet count and, per packet, frame.time_epoch, frame.len, frame.cap_len,
// frame.interface_id and frame.comment. tshark runs live when installed; otherwise the stored
// `F.tshark-4.0.17.tsv` next to a capture is the reference where there is one.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { readCaptureFile } from './reader.ts';
import { CORPORA, captures } from './test-support/captures.ts';
import { formatEpoch } from './timestamp.ts';

const root = CORPORA;
const FIELDS = ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.comment'];

/**
 * Files where nettrace and tshark legitimately differ, with the reason. Empty today: tshark 4.0.17
 * reads every capture in the corpora without an error and nettrace matches it field for field.
 * (Where tshark stops with an error, the test below requires nettrace to deliver at least tshark's
 * packets, identical, and to report a diagnostic; no entry is needed for that.)
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

interface Reference {
  lines: string[];
  /** tshark stopped with an error (malformed file). */
  failed: boolean;
  via: string;
  /** FIELDS indexes the reference lacks (a stored TSV without frame.comment): blanked on both sides. */
  missing: number[];
}

function normalise(cols: string[]): string {
  // Classic pcap has no interface ids: tshark prints nothing, nettrace says 0.
  const [time, len, capLen, iface, comment] = cols;
  return [time, len, capLen, iface === '' || iface === undefined ? '0' : iface, comment ?? ''].join('\t');
}

function tsharkReference(file: string): Promise<Reference | undefined> {
  if (!haveTshark) {
    const stored = `${file}.tshark-4.0.17.tsv`;
    if (!existsSync(stored)) return Promise.resolve(undefined);
    const [header, ...rows] = readFileSync(stored, 'utf8').split('\n').filter(Boolean);
    const cols = header!.split('\t');
    const idx = FIELDS.map((f) => cols.indexOf(f));
    const lines = rows.map((r) => {
      const v = r.split('\t');
      return normalise(idx.map((i) => (i < 0 ? '' : (v[i] ?? ''))));
    });
    const missing = idx.flatMap((i, k) => (i < 0 ? [k] : []));
    return Promise.resolve({ lines, failed: false, via: 'stored tshark-4.0.17.tsv', missing });
  }
  const args = ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of FIELDS) args.push('-e', f);
  return new Promise((resolve) => {
    execFile('tshark', args, { maxBuffer: 64 << 20 }, (err, stdout) => {
      const lines = stdout.split('\n').filter((l) => l !== '');
      const parsed = lines.map((l) => normalise(l.split('\t')));
      resolve({ lines: parsed, failed: err !== null, via: 'tshark', missing: [] });
    });
  });
}

describe('shared corpora match tshark', { skip: !existsSync(root) && `no corpora at ${root}` }, () => {
  const files = existsSync(root) ? captures(root) : [];

  test('the corpora hold captures', () => {
    assert.ok(files.length >= 50, `only ${files.length} captures under ${root}`);
  });

  describe('per file', { concurrency: 2 }, () => {
    for (const file of files) {
      const name = relative(root, file);
      test(name, async (t) => {
        const ours: string[] = [];
        const result = readCaptureFile(file, {
          onPacket: (p) =>
            ours.push(
              [
                formatEpoch(p.tsSec, p.tsNsec),
                p.origLen,
                p.capLen,
                p.interfaceId,
                (p.comment ?? '').split('\n').join(','),
              ].join('\t'),
            ),
        });
        assert.equal(result.packets, ours.length);
        const ref = await tsharkReference(file);
        if (ref === undefined) {
          t.diagnostic('no tshark and no stored reference: checked only that it reads cleanly');
          assert.equal(result.diagnostic, undefined, result.diagnostic?.message);
          return;
        }
        if (ref.missing.length > 0) {
          for (let i = 0; i < ours.length; i++) {
            const cols = ours[i]!.split('\t');
            for (const k of ref.missing) cols[k] = '';
            ours[i] = cols.join('\t');
          }
        }
        const known = KNOWN_DIFFERENCES[name];
        if (known !== undefined) {
          t.diagnostic(`known difference: ${known}`);
          return;
        }
        if (ref.failed) {
          assert.ok(
            result.diagnostic !== undefined,
            'tshark stopped with an error, nettrace reported nothing',
          );
          assert.ok(
            ours.length >= ref.lines.length,
            `${ours.length} packets, tshark delivered ${ref.lines.length}`,
          );
          assert.deepEqual(ours.slice(0, ref.lines.length), ref.lines);
        } else {
          assert.equal(result.diagnostic, undefined, result.diagnostic?.message);
          assert.deepEqual(ours, ref.lines, `compared with ${ref.via}`);
        }
      });
    }
  });
});
