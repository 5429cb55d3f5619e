// The hand-built edge cases of reader.test.ts shown to tshark 4.0 too, so the expectations there
// are not only ours. Differences are listed with their reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CaptureParser } from './reader.ts';
import * as B from './test-support/build.ts';
import { formatEpoch } from './timestamp.ts';

const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

interface Both {
  tshark: string[];
  tsharkFailed: boolean;
  ours: string[];
  diagnostic: string | undefined;
}

/** tshark's field lines for these bytes, and whether it exited with an error. */
function tshark(bytes: Uint8Array, fields: string[]): { lines: string[]; failed: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'nettrace-xcheck-'));
  try {
    const path = join(dir, 'x.pcapng');
    writeFileSync(path, bytes);
    const r = spawnSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
    });
    return { lines: r.stdout.split('\n').filter(Boolean), failed: r.status !== 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** time, len, cap_len, comment from tshark and from nettrace. */
function both(bytes: Uint8Array): Both {
  const t = tshark(bytes, ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.comment']);
  const ours: string[] = [];
  const p = new CaptureParser({
    onPacket: (rec) =>
      ours.push(
        [
          formatEpoch(rec.tsSec, rec.tsNsec),
          rec.origLen,
          rec.capLen,
          rec.comment?.replace('\n', ',') ?? '',
        ].join('\t'),
      ),
  });
  p.push(bytes);
  const res = p.end();
  return { tshark: t.lines, tsharkFailed: t.failed, ours, diagnostic: res.diagnostic?.message };
}

describe('hand-built captures: tshark agrees', () => {
  test('tshark is installed (it is the reference)', () => {
    assert.ok(haveTshark, 'tshark is not installed (apt-get install tshark)');
  });
  test('big-endian section, if_tsresol 2^-n / 10^-n / if_tsoffset, OPB, comments, skipped NRB/ISB/DSB', () => {
    const le = false;
    const g = both(
      B.concat(
        B.shb(le),
        B.idb(le, { tsresol: 0x80 | 20 }),
        B.idb(le, { tsresol: 3, tsoffset: -5n }),
        B.idb(le, { tsresol: 9 }),
        B.nrb(le),
        B.epb(le, { iface: 0, ts: (1700000000n << 20n) + 1n, data: B.frame(10), comments: ['a', 'b'] }),
        B.isb(le),
        B.epb(le, { iface: 1, ts: 1700000000123n, data: B.frame(10), origLen: 99 }),
        B.block(le, 10, new Uint8Array(16)),
        B.opb(le, { iface: 2, ts: 1767663089500330493n, data: B.frame(7) }),
      ),
    );
    assert.equal(g.tsharkFailed, false);
    assert.equal(g.diagnostic, undefined);
    assert.deepEqual(g.ours, g.tshark);
    assert.equal(g.ours.length, 3);
  });

  test('simple packet blocks: same lengths; tshark shows no time, nettrace 0', () => {
    const le = true;
    const g = both(
      B.concat(B.shb(le), B.idb(le, { snaplen: 50 }), B.spb(le, 60, B.frame(50)), B.spb(le, 40, B.frame(40))),
    );
    assert.equal(g.tsharkFailed, false);
    // An SPB has no timestamp: tshark leaves frame.time_epoch empty; PacketRecord has numbers, so 0.
    assert.deepEqual(
      g.ours,
      g.tshark.map((l) => `0.000000000${l}`),
    );
  });

  test('custom blocks: nettrace skips them, tshark 4.0 lists them as frames', () => {
    const le = true;
    const g = both(
      B.concat(B.shb(le), B.idb(le), B.customBlock(le, 0xbad), B.epb(le, { ts: 5n, data: B.frame(4) })),
    );
    assert.equal(g.tsharkFailed, false);
    assert.deepEqual(g.ours, ['0.000005000\t4\t4\t']);
    // tshark 4.0 shows the custom block as an 8-byte record without a time, then the packet.
    assert.deepEqual(g.tshark, ['\t8\t8\t', '0.000005000\t4\t4\t']);
  });

  test('malformed files: tshark stops with an error, nettrace gives at least its packets and a diagnostic', () => {
    const head = B.concat(B.shb(true), B.idb(true), B.epb(true, { ts: 1n, data: B.frame(10) }));
    const next = B.epb(true, { ts: 2n, data: B.frame(10) });
    const cases: [string, Uint8Array][] = [
      ['truncated block', B.concat(head, next.subarray(0, 30))],
      ['length not a multiple of 4', B.concat(head, B.epb(true, { ts: 2n, data: B.frame(10) }, { len: 46 }))],
      [
        'trailing length mismatch',
        B.concat(head, B.epb(true, { ts: 2n, data: B.frame(10) }, { trailer: 48 })),
      ],
      [
        'captured length beyond the block',
        B.concat(head, B.epb(true, { ts: 2n, data: B.frame(10), capLen: 13 })),
      ],
      ['undeclared interface', B.concat(head, B.epb(true, { iface: 4, ts: 2n, data: B.frame(10) }))],
    ];
    for (const [what, bytes] of cases) {
      const g = both(bytes);
      assert.equal(g.tsharkFailed, true, `${what}: tshark accepted it`);
      assert.ok(g.diagnostic !== undefined, `${what}: no diagnostic`);
      assert.ok(g.ours.length >= g.tshark.length, what);
      assert.deepEqual(g.ours.slice(0, g.tshark.length), g.tshark, what);
    }
  });

  test('several sections: same packets; tshark 4.0 numbers interfaces per section, nettrace across the file', () => {
    // tshark 4.0.17 prints frame.interface_id as the id within the section (and takes the name of
    // the first section's interface of that id); nettrace's interfaceId is the file-wide globalId,
    // which is what the contract asks for. Times and lengths must agree.
    const bytes = B.concat(
      B.shb(true),
      B.idb(true, { name: 'a0' }),
      B.epb(true, { ts: 1n, data: B.frame(4) }),
      B.shb(false),
      B.idb(false, { name: 'b0', tsresol: 9 }),
      B.epb(false, { ts: 2n, data: B.frame(5) }),
    );
    const g = both(bytes);
    assert.equal(g.tsharkFailed, false);
    assert.deepEqual(g.ours, g.tshark);
    const ids = tshark(bytes, ['frame.interface_id']).lines;
    const ours: number[] = [];
    const p = new CaptureParser({ onPacket: (r) => ours.push(r.interfaceId) });
    p.push(bytes);
    p.end();
    assert.deepEqual(ours, [0, 1]);
    assert.deepEqual(ids, ['0', '0']);
  });
});
