import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isNettraceError } from '../errors.ts';
import { CaptureParser, readCaptureFile } from './reader.ts';
import * as B from './test-support/build.ts';
import { formatEpoch } from './timestamp.ts';
import type { CaptureInterface, PacketRecord } from './types.ts';
import { PcapngWriter, type WriterInterface, type WriterPacket, writePcapngFile } from './writer.ts';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'nettrace-pcapng-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const have = (cmd: string, arg: string): boolean => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const haveTshark = have('tshark', '-v');
const haveCapinfos = have('capinfos', '-v');

/** stderr without the warning every tool prints when run as root. */
const realStderr = (s: string): string =>
  s
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('Running as user'))
    .join('\n');

function sample(w: PcapngWriter): void {
  const eth = w.addInterface({ linktype: 1, name: 'node-a/eth0', description: 'pod veth, first hop' });
  const sll = w.addInterface({ linktype: 276, name: 'node-b/any', tsresol: 'us', snaplen: 65535 });
  const bare = w.addInterface({ linktype: 101 });
  w.writePacket(eth, { tsSec: 1767663089, tsNsec: 500330493, data: B.frame(60), comment: 'probe sent' });
  w.writePacket(sll, { tsSec: 1767663089, tsNsec: 500999999, data: B.frame(81, 7), origLen: 1500 });
  w.writePacket(bare, { tsSec: 0, tsNsec: 0, data: B.frame(20, 9) });
  w.writePacket(eth, {
    tsSec: 17179869183,
    tsNsec: 999999999,
    data: B.frame(3),
    comment: 'ünïcode ✓\nsecond line',
  });
  w.writePacket(eth, { tsSec: 1767663090, tsNsec: 1, data: new Uint8Array(0) });
}

describe('PcapngWriter output opens cleanly in Wireshark tools', () => {
  test('tshark reads it with no warning and the same fields', () => {
    assert.ok(haveTshark, 'tshark is not installed (apt-get install tshark)');
    withDir((dir) => {
      const path = join(dir, 'out.pcapng');
      writePcapngFile(path, sample, { comment: 'nettrace test' });
      const fields = ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id'];
      fields.push('frame.interface_name', 'frame.interface_description', 'frame.comment');
      const args = ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
      const r = spawnSync('tshark', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(realStderr(r.stderr), '');
      const ours: string[] = [];
      const read = readCaptureFile(path, {
        onPacket: (p, i) =>
          ours.push(
            [
              formatEpoch(p.tsSec, p.tsNsec),
              p.origLen,
              p.capLen,
              p.interfaceId,
              i.name ?? 'unknown',
              i.description ?? '',
              p.comment?.replace('\n', '\\n') ?? '',
            ].join('\t'),
          ),
      });
      assert.equal(read.diagnostic, undefined);
      assert.deepEqual(r.stdout.split('\n').filter(Boolean), ours);
      assert.deepEqual(ours, [
        '1767663089.500330493\t60\t60\t0\tnode-a/eth0\tpod veth, first hop\tprobe sent',
        '1767663089.500999000\t1500\t81\t1\tnode-b/any\t\t',
        '0.000000000\t20\t20\t2\tunknown\t\t',
        '17179869183.999999999\t3\t3\t0\tnode-a/eth0\tpod veth, first hop\tünïcode ✓\\nsecond line',
        '1767663090.000000001\t0\t0\t0\tnode-a/eth0\tpod veth, first hop\t',
      ]);
    });
  });

  test('capinfos reads it with no warning', () => {
    assert.ok(haveCapinfos, 'capinfos is not installed (apt-get install tshark brings it)');
    withDir((dir) => {
      const path = join(dir, 'out.pcapng');
      writePcapngFile(path, sample, { application: 'nettrace 0.1.0', comment: 'section comment' });
      const r = spawnSync('capinfos', [path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(realStderr(r.stderr), '');
      assert.match(r.stdout, /Number of packets:\s+5\n/);
      assert.match(r.stdout, /Capture application:\s+nettrace 0\.1\.0\n/);
      assert.match(r.stdout, /Capture comment:\s+section comment\n/);
      assert.match(r.stdout, /Number of interfaces in file: 3\n/);
      assert.match(r.stdout, /Time precision = nanoseconds \(9\)/);
      assert.match(r.stdout, /Time precision = microseconds \(6\)/);
    });
  });

  test('files are created with mode 0600, also over an existing file', () => {
    withDir((dir) => {
      const path = join(dir, 'out.pcapng');
      writeFileSync(path, 'old');
      chmodSync(path, 0o644);
      writePcapngFile(path, sample);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(readCaptureFile(path, { onPacket() {} }).packets, 5);
      const fresh = join(dir, 'fresh.pcapng');
      writePcapngFile(fresh, sample);
      assert.equal(statSync(fresh).mode & 0o777, 0o600);
    });
  });

  test('writePcapngFile buffers but writes everything (several MiB)', () => {
    withDir((dir) => {
      const path = join(dir, 'big.pcapng');
      writePcapngFile(path, (w) => {
        const i = w.addInterface({ linktype: 1 });
        for (let n = 0; n < 3000; n++) w.writePacket(i, { tsSec: n, tsNsec: n, data: B.frame(1500, n) });
      });
      const r = readCaptureFile(path, { onPacket() {} });
      assert.deepEqual([r.packets, r.bytes, r.diagnostic], [3000, 3000 * 1500, undefined]);
    });
  });
});

describe('writer arguments', () => {
  test('bad interface ids, link types and timestamps throw NettraceError invalid-argument', () => {
    const w = new PcapngWriter(() => {});
    const bad = (fn: () => void, what: RegExp): void =>
      assert.throws(fn, (e) => isNettraceError(e) && e.code === 'invalid-argument' && what.test(e.message));
    bad(() => w.writePacket(0, { tsSec: 0, tsNsec: 0, data: new Uint8Array(1) }), /no interface 0/);
    bad(() => w.addInterface({ linktype: 70000 }), /link type 70000/);
    const i = w.addInterface({ linktype: 1 });
    bad(() => w.writePacket(i, { tsSec: -1, tsNsec: 0, data: new Uint8Array(1) }), /timestamp -1\.0/);
    bad(() => w.writePacket(i, { tsSec: 2 ** 34, tsNsec: 0, data: new Uint8Array(1) }), /out of range/);
  });

  test('out-of-range nanoseconds are carried; over-long comments are cut at a character boundary', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapngWriter((c) => chunks.push(c));
    const i = w.addInterface({ linktype: 1 });
    w.writePacket(i, { tsSec: 10, tsNsec: 1_000_000_000, data: B.frame(1) });
    w.writePacket(i, { tsSec: 10, tsNsec: -1, data: B.frame(1), comment: 'é'.repeat(40000) });
    const got: PacketRecord[] = [];
    const p = new CaptureParser({ onPacket: (r) => got.push({ ...r, data: r.data.slice() }) });
    for (const c of chunks) p.push(c);
    assert.equal(p.end().diagnostic, undefined);
    assert.deepEqual(
      got.map((r) => formatEpoch(r.tsSec, r.tsNsec)),
      ['11.000000000', '9.999999999'],
    );
    assert.equal(got[1]!.comment, 'é'.repeat(32767));
  });
});

describe('write → read round trip', () => {
  const arbText = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0'));
  const arbIface: fc.Arbitrary<WriterInterface> = fc.record(
    {
      linktype: fc.nat(0xffff),
      snaplen: fc.nat(0xffffffff),
      name: arbText,
      description: arbText,
      tsresol: fc.constantFrom('us' as const, 'ns' as const),
    },
    { requiredKeys: ['linktype'] },
  );
  const arbPacket = fc.record({
    iface: fc.nat(),
    p: fc.record(
      {
        tsSec: fc.nat(2 ** 34 - 1),
        tsNsec: fc.nat(999_999_999),
        data: fc.uint8Array({ maxLength: 200 }),
        origLen: fc.nat(0xffffffff),
        comment: arbText,
      },
      { requiredKeys: ['tsSec', 'tsNsec', 'data'] },
    ),
  });

  test('interfaces, packets, comments and timestamps survive', () => {
    fc.assert(
      fc.property(
        fc.array(arbIface, { minLength: 1, maxLength: 4 }),
        fc.array(arbPacket, { maxLength: 20 }),
        fc.option(arbText, { nil: undefined }),
        (ifaces, packets, comment) => {
          const chunks: Uint8Array[] = [];
          const w = new PcapngWriter((c) => chunks.push(c), { comment });
          const ids = ifaces.map((i) => w.addInterface(i));
          assert.deepEqual(
            ids,
            ifaces.map((_, k) => k),
          );
          const written: { iface: number; p: WriterPacket }[] = [];
          for (const { iface, p } of packets) {
            const id = iface % ifaces.length;
            const q = {
              ...p,
              origLen: p.origLen === undefined ? undefined : Math.max(p.origLen, p.data.length),
            };
            w.writePacket(id, q);
            written.push({ iface: id, p: q });
          }

          const seen: CaptureInterface[] = [];
          const got: PacketRecord[] = [];
          const parser = new CaptureParser({
            onInterface: (i) => seen.push(i),
            onPacket: (r) => got.push({ ...r, data: r.data.slice() }),
          });
          for (const c of chunks) parser.push(c); // the writer's own chunking: one block per push
          const res = parser.end();
          assert.equal(res.diagnostic, undefined);
          assert.equal(res.format, 'pcapng');

          const orUndef = (s: string | undefined): string | undefined => (s === '' ? undefined : s);
          assert.deepEqual(
            seen,
            ifaces.map((i, k) => {
              const want: CaptureInterface = {
                id: k,
                globalId: k,
                linktype: i.linktype,
                snaplen: i.snaplen ?? 262144,
                tsUnitsPerSec: i.tsresol === 'us' ? 1e6 : 1e9,
                tsOffsetSec: 0,
                format: 'pcapng',
              };
              if (orUndef(i.name) !== undefined) want.name = i.name;
              if (orUndef(i.description) !== undefined) want.description = i.description;
              return want;
            }),
          );
          assert.equal(got.length, written.length);
          written.forEach(({ iface, p }, k) => {
            const r = got[k]!;
            const us = ifaces[iface]!.tsresol === 'us';
            assert.equal(r.number, k + 1);
            assert.equal(r.interfaceId, iface);
            assert.equal(r.linktype, ifaces[iface]!.linktype);
            assert.equal(r.tsSec, p.tsSec);
            assert.equal(r.tsNsec, us ? Math.floor(p.tsNsec / 1000) * 1000 : p.tsNsec);
            assert.deepEqual(r.data, p.data);
            assert.equal(r.capLen, p.data.length);
            assert.equal(r.origLen, p.origLen ?? p.data.length);
            assert.equal(r.comment, orUndef(p.comment));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
