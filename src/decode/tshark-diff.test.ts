// The differential test: every capture in ../shared/corpora through nettrace and Debian's tshark,
// compared field by field, packet by packet, on design.md's stable field set. A difference passes
// only if it is listed in DIFFERENCES with its reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { writeFieldLines } from '../analyze.ts';
import { CORPORA, captures } from '../pcap/test-support/captures.ts';
import { STABLE_FIELDS } from './fields.ts';
import { DIFFERENCES, type Difference, tsharkReadArgs } from './test-support/tshark-fields.ts';

/** design.md's field set, and the relative times a display filter's time windows use. */
const DESIGN_FIELDS = [...STABLE_FIELDS, 'frame.time_relative', 'frame.time_delta'];

function tsharkLines(file: string): { lines: string[]; stderr: string } {
  const args = [
    '-n',
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    ...tsharkReadArgs(),
  ];
  for (const f of DESIGN_FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.error) throw new Error(`tshark could not run (apt-get install tshark): ${r.error.message}`);
  const lines = r.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { lines, stderr: r.stderr };
}

function allowed(rel: string, field: string, ours: string, theirs: string): Difference | undefined {
  return DIFFERENCES.find(
    (d) => (d.field === '*' || d.field === field) && (!d.file || d.file.test(rel)) && d.when(ours, theirs),
  );
}

describe('fields equal tshark 4.0 on every corpus capture', { concurrency: false }, () => {
  assert.ok(existsSync(CORPORA), `corpora not found at ${CORPORA} (shared/ must sit beside the clone)`);
  for (const file of captures(CORPORA)) {
    const rel = relative(CORPORA, file);
    test(rel, () => {
      const theirs = tsharkLines(file);
      const ours: string[] = [];
      writeFieldLines([file], DESIGN_FIELDS, (l) => ours.push(l));
      // tshark stops at a corrupt record; nettrace must deliver at least as many packets.
      assert.ok(
        ours.length >= theirs.lines.length,
        `${rel}: nettrace read ${ours.length} packets, tshark ${theirs.lines.length}`,
      );
      const problems: string[] = [];
      for (let i = 0; i < theirs.lines.length; i++) {
        const a = ours[i]!.split('\t');
        const b = theirs.lines[i]!.split('\t');
        for (let j = 0; j < DESIGN_FIELDS.length; j++) {
          const field = DESIGN_FIELDS[j]!;
          const x = a[j] ?? '';
          const y = b[j] ?? '';
          if (x === y || allowed(rel, field, x, y)) continue;
          if (problems.length < 20) problems.push(`frame ${i + 1} ${field}: nettrace "${x}" tshark "${y}"`);
          else if (problems.length === 20) problems.push('...');
        }
      }
      assert.deepEqual(problems, [], `${rel} differs from tshark:\n${problems.join('\n')}`);
    });
  }
});
