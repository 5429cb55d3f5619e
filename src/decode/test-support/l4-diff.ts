import assert from 'node:assert/strict';
// Differential testing of the transport, tunnel and application decoders against tshark: a capture
// through nettrace's defaultDissector() and through `tshark -T fields`, compared per packet with
// fields.ts's fieldLine. tshark is told to look at each packet on its own, as nettrace does:
// - no TCP reassembly, no IP defragmentation;
// - no TCP sequence analysis: with it tshark skips the payload of what it takes for a
//   retransmission (the same segment seen twice, e.g. at two capture points);
// - no heuristic HTTP-over-TCP and DNS-over-UDP: nettrace binds protocols by port only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setFrame } from '../../analyze.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { defaultDissector } from '../bindings.ts';
import { fieldLine, newFrameInfo } from '../fields.ts';
import { pcapBytes } from './l4-build.ts';

export const L4_TSHARK_ARGS = [
  '-o',
  'tcp.desegment_tcp_streams:FALSE',
  '-o',
  'ip.defragment:FALSE',
  '-o',
  'ipv6.defragment:FALSE',
  '-o',
  'tcp.analyze_sequence_numbers:FALSE',
  '--disable-heuristic',
  'http_tcp',
  '--disable-heuristic',
  'dns_udp',
];

/** A file under testdata/. */
export function testdata(rel: string): string {
  return fileURLToPath(new URL(`../../../testdata/${rel}`, import.meta.url));
}

let tsharkChecked: string | false | undefined;

/** tshark's version line when tshark 4.0 (the reference) is installed, else false: the tests fail. */
export function tsharkVersion(): string | false {
  if (tsharkChecked === undefined) {
    const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    const line = r.error || r.status !== 0 ? '' : (r.stdout.split('\n')[0] ?? '');
    tsharkChecked = /\b4\.0\.\d+/.test(line) ? line : false;
  }
  return tsharkChecked;
}

export interface DiffOptions {
  /** nettrace `--decode-as` rules (`udp.port==8472:vxlan`). */
  decodeAs?: string[];
  /** Extra tshark arguments (`-d udp.port==8472,vxlan`). */
  tsharkArgs?: string[];
}

export interface FieldDiff {
  frame: number;
  field: string;
  ours: string;
  theirs: string;
}

export function tsharkLines(file: string, fields: string[], extra: string[] = []): string[] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  args.push(...L4_TSHARK_ARGS, ...extra);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 2 ** 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Every field value of `file` that differs between nettrace and tshark. */
export function diffCorpus(
  file: string,
  fields: string[],
  opts: DiffOptions = {},
): { packets: number; diffs: FieldDiff[] } {
  const theirs = tsharkLines(file, fields, opts.tsharkArgs);
  const d = defaultDissector();
  for (const rule of opts.decodeAs ?? []) d.decodeAs(rule);
  const diffs: FieldDiff[] = [];
  let n = 0;
  const running = newFrameInfo();
  readCaptureFile(file, {
    onPacket(rec, iface) {
      const p = d.decode(rec.data, rec.origLen, rec.linktype);
      const frame = setFrame(running, rec, iface);
      const ours = fieldLine(fields, p, frame).split('\t');
      const t = (theirs[n++] ?? '').split('\t');
      fields.forEach((field, i) => {
        const a = ours[i] ?? '';
        const b = t[i] ?? '';
        if (a !== b) diffs.push({ frame: rec.number, field, ours: a, theirs: b });
      });
    },
  });
  if (n !== theirs.length)
    diffs.push({ frame: 0, field: 'packets', ours: String(n), theirs: String(theirs.length) });
  return { packets: n, diffs };
}

/** Diffs as readable lines for an assertion message. */
export function showDiffs(diffs: FieldDiff[], max = 20): string {
  const lines = diffs
    .slice(0, max)
    .map(
      (x) =>
        `frame ${x.frame} ${x.field}: ours ${JSON.stringify(x.ours)}, tshark ${JSON.stringify(x.theirs)}`,
    );
  if (diffs.length > max) lines.push(`... and ${diffs.length - max} more`);
  return lines.join('\n');
}

/** A difference from tshark that a test accepts, with the reason it exists. */
export interface KnownDiff {
  field: string | RegExp;
  /** The frames it applies to; all when absent. */
  frames?: number[];
  reason: string;
}

/**
 * Splits `diffs` into unexplained ones and the known differences never seen: a test asserts both
 * are empty, so an accepted difference that stops happening is noticed too.
 */
export function checkKnown(
  diffs: FieldDiff[],
  known: KnownDiff[],
): { unexplained: FieldDiff[]; unseen: KnownDiff[] } {
  const seen = new Set<KnownDiff>();
  const unexplained = diffs.filter((x) => {
    const k = known.find(
      (k) =>
        (typeof k.field === 'string' ? k.field === x.field : k.field.test(x.field)) &&
        (k.frames === undefined || k.frames.includes(x.frame)),
    );
    if (k) seen.add(k);
    return !k;
  });
  return { unexplained, unseen: known.filter((k) => !seen.has(k)) };
}

/** Hand-built frames as a pcap in a fresh temporary directory, shown to `use` (tshark), then removed. */
export function withTempPcap<T>(frames: Uint8Array[], use: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'nettrace-l4-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcapBytes(frames));
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One test per corpus file: nettrace's `fields` equal tshark's, except the listed known
 * differences, each of which must still occur (a stale entry fails). tshark missing fails the
 * test (CI installs it): a differential test that does not run proves nothing.
 */
export function corpusDiffTests(
  corpus: readonly (readonly [string, KnownDiff[], string[]?])[],
  fields: string[],
): void {
  for (const [file, known, tsharkArgs] of corpus) {
    test(file, () => {
      assert.ok(tsharkVersion(), 'tshark is not installed: apt-get install tshark');
      const { packets, diffs } = diffCorpus(testdata(file), fields, tsharkArgs ? { tsharkArgs } : {});
      assert.ok(packets > 0, `${file} has packets`);
      const { unexplained, unseen } = checkKnown(diffs, known);
      assert.equal(unexplained.length, 0, showDiffs(unexplained));
      assert.deepEqual(
        unseen.map((k) => k.reason),
        [],
        `${file}: known differences that no longer occur`,
      );
    });
  }
}
