// Differential test suites for the link- and network-layer decoders against tshark, on the core
// of l4-diff.ts (tshark with the same preferences, the same per-field comparison): one test per
// capture or per set of built frames. A difference passes only if it is listed, with its reason,
// for the files it applies to, and every listed difference must still occur.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Frame, writeL3Pcap } from './l3-build.ts';
import { checkKnown, diffCorpus, showDiffs, testdata, tsharkVersion } from './l4-diff.ts';

/** A difference from tshark that is understood and accepted. */
export interface KnownDifference {
  /** Capture files (testdata-relative path, or the suite's name for built frames) it applies to. */
  file: RegExp;
  field: RegExp;
  /** Frame numbers it applies to; all when absent. */
  frames?: number[];
  reason: string;
}

/** `known` as checkKnown takes it: the entries for this file. */
function check(name: string, path: string, fields: string[], known: KnownDifference[]): void {
  const { packets, diffs } = diffCorpus(path, fields);
  assert.ok(packets > 0, `${name}: no packets`);
  const mine = known.filter((k) => k.file.test(name));
  const { unexplained, unseen } = checkKnown(
    diffs,
    mine.map((k) => ({ field: k.field, reason: k.reason, ...(k.frames ? { frames: k.frames } : {}) })),
  );
  assert.equal(
    unexplained.length,
    0,
    `${name}: differences from tshark nobody explained:\n${showDiffs(unexplained)}`,
  );
  assert.deepEqual(
    unseen.map((k) => k.reason),
    [],
    `${name}: known differences that no longer occur: remove them`,
  );
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
        assert.ok(tsharkVersion(), NO_TSHARK);
        check(rel, testdata(rel), fields, known);
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
    assert.ok(tsharkVersion(), NO_TSHARK);
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
