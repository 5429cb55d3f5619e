// Differential testing of the link- and network-layer decoders against tshark: the same capture
// through nettrace (defaultDissector + fieldLine) and through `tshark -T fields`, compared field
// by field, packet by packet. tshark runs with reassembly off, because nettrace decodes each
// packet on its own. A difference passes only if it is listed, with its reason, and every listed
// difference must still occur (so the list cannot go stale).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../pcap/reader.ts';
import { defaultDissector } from '../bindings.ts';
import { fieldLine } from '../fields.ts';
import { type Frame, writeL3Pcap } from './l3-build.ts';

export const L3_TSHARK_PREFS = [
  'ip.defragment:FALSE',
  'ipv6.defragment:FALSE',
  'tcp.desegment_tcp_streams:FALSE',
];

let tsharkChecked: string | false | undefined;

/** tshark's version line when tshark 4.0 is installed, else false (the differential tests then fail). */
export function tshark40(): string | false {
  if (tsharkChecked === undefined) {
    const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    const line = r.error || r.status !== 0 ? '' : (r.stdout.split('\n')[0] ?? '');
    tsharkChecked = /\b4\.0\.\d+/.test(line) ? line : false;
  }
  return tsharkChecked;
}

/** One array per packet, one string per field, every occurrence joined with `,`. */
export function tsharkFields(file: string, fields: string[], prefs: string[] = L3_TSHARK_PREFS): string[][] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const p of prefs) args.push('-o', p);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

export interface DiffRow {
  frame: number;
  field: string;
  ours: string;
  theirs: string;
}

/** Decodes `file` with the default dissector and returns every field value that differs from tshark's. */
export function diffWithTshark(file: string, fields: string[]): { packets: number; diffs: DiffRow[] } {
  const theirs = tsharkFields(file, fields);
  const d = defaultDissector();
  const diffs: DiffRow[] = [];
  let n = 0;
  readCaptureFile(file, {
    onPacket(rec, iface) {
      const p = d.decode(rec.data, rec.origLen, rec.linktype);
      const frame = {
        number: rec.number,
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        capLen: rec.capLen,
        origLen: rec.origLen,
        interfaceId: rec.interfaceId,
        interfaceName: iface.name,
      };
      const ours = fieldLine(fields, p, frame).split('\t');
      const t = theirs[n] ?? [];
      n++;
      fields.forEach((field, i) => {
        const a = ours[i] ?? '';
        const b = t[i] ?? '';
        if (a !== b) diffs.push({ frame: rec.number, field, ours: a, theirs: b });
      });
    },
  });
  if (n !== theirs.length)
    diffs.push({ frame: 0, field: '(packets)', ours: String(n), theirs: String(theirs.length) });
  return { packets: n, diffs };
}

/** A difference from tshark that is understood and accepted. */
export interface KnownDifference {
  /** Capture files (testdata-relative path, or the suite's name for built frames) it applies to. */
  file: RegExp;
  field: RegExp;
  /** Frame numbers it applies to; all when absent. */
  frames?: number[];
  reason: string;
}

function explains(k: KnownDifference, file: string, d: DiffRow): boolean {
  return k.file.test(file) && k.field.test(d.field) && (!k.frames || k.frames.includes(d.frame));
}

function check(name: string, path: string, fields: string[], known: KnownDifference[]): void {
  const { packets, diffs } = diffWithTshark(path, fields);
  assert.ok(packets > 0, `${name}: no packets`);
  const unexplained = diffs.filter((d) => !known.some((k) => explains(k, name, d)));
  assert.deepEqual(unexplained, [], `${name}: differences from tshark nobody explained`);
  for (const k of known) {
    if (!k.file.test(name)) continue;
    assert.ok(
      diffs.some((d) => explains(k, name, d)),
      `${name}: the known difference "${k.reason}" no longer occurs: remove it`,
    );
  }
}

const NO_TSHARK = 'tshark 4.0 is not installed (apt-get install tshark): it is the reference';

/** One test per capture in testdata/: our fields equal tshark's except the known differences. */
export function tsharkCorpusSuite(
  title: string,
  files: string[],
  fields: string[],
  known: KnownDifference[] = [],
): void {
  describe(title, { concurrency: false }, () => {
    for (const rel of files) {
      test(rel, () => {
        assert.ok(tshark40(), NO_TSHARK);
        check(rel, fileURLToPath(new URL(`../../../testdata/${rel}`, import.meta.url)), fields, known);
      });
    }
  });
}

/** Hand-built frames written to a temporary pcap: our fields equal tshark's except the known differences. */
export function tsharkFramesSuite(
  title: string,
  frames: Frame[],
  linktype: number,
  fields: string[],
  known: KnownDifference[] = [],
): void {
  test(title, () => {
    assert.ok(tshark40(), NO_TSHARK);
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-l3-'));
    try {
      const path = join(dir, 'frames.pcap');
      writeL3Pcap(path, frames, linktype);
      check(title, path, fields, known);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
