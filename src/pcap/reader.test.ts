import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isNettraceError } from '../errors.ts';
import { CaptureParser, readCaptureFile } from './reader.ts';
import * as B from './test-support/build.ts';
import { formatEpoch } from './timestamp.ts';
import type { CaptureInterface, CaptureResult, PacketRecord } from './types.ts';

const testdata = (p: string): string => fileURLToPath(new URL(`../../testdata/${p}`, import.meta.url));

interface Got {
  result: CaptureResult;
  packets: (Omit<PacketRecord, 'data'> & { data: number[] })[];
  ifaceEvents: CaptureInterface[];
}

function parse(bytes: Uint8Array, source = 'capture'): Got {
  const packets: Got['packets'] = [];
  const ifaceEvents: CaptureInterface[] = [];
  const p = new CaptureParser(
    {
      onInterface: (i) => ifaceEvents.push(i),
      onPacket: (r, iface) => {
        assert.equal(iface.globalId, r.interfaceId);
        packets.push({ ...r, data: [...r.data] });
      },
    },
    { source },
  );
  p.push(bytes);
  return { result: p.end(), packets, ifaceEvents };
}

const times = (g: Got): string[] => g.packets.map((p) => formatEpoch(p.tsSec, p.tsNsec));

describe('classic pcap', () => {
  test('little-endian µs and big-endian ns files, FCS bits masked off the link type', () => {
    const recs = [
      { sec: 1700000000, frac: 1, data: B.frame(60, 1), origLen: 1514 },
      { sec: 1700000001, frac: 999999, data: B.frame(42, 2) },
    ];
    const le = parse(B.pcapFile({ linktype: 0x14000000 | 1, snaplen: 96 }, recs));
    assert.equal(le.result.format, 'pcap');
    assert.deepEqual(le.result.interfaces, [
      { id: 0, globalId: 0, linktype: 1, snaplen: 96, tsUnitsPerSec: 1e6, tsOffsetSec: 0, format: 'pcap' },
    ]);
    assert.deepEqual(le.ifaceEvents, le.result.interfaces);
    assert.deepEqual(times(le), ['1700000000.000001000', '1700000001.999999000']);
    assert.deepEqual(
      le.packets.map((p) => [p.number, p.fileOffset, p.capLen, p.origLen, p.linktype, p.data.length]),
      [
        [1, 24, 60, 1514, 1, 60],
        [2, 24 + 16 + 60, 42, 42, 1, 42],
      ],
    );
    assert.deepEqual(le.packets[1]!.data, [...B.frame(42, 2)]);
    assert.equal(le.result.diagnostic, undefined);
    assert.equal(le.result.bytes, 102);

    const be = parse(
      B.pcapFile({ le: false, nano: true, linktype: 276 }, [{ sec: 5, frac: 999999999, data: B.frame(8) }]),
    );
    assert.equal(be.result.interfaces[0]!.tsUnitsPerSec, 1e9);
    assert.equal(be.result.interfaces[0]!.linktype, 276);
    assert.deepEqual(times(be), ['5.999999999']);
  });

  test('invalid fractions are kept as tshark 4.0 keeps them', () => {
    // Expected strings are what `tshark -r F -T fields -e frame.time_epoch` prints for these files.
    const micro = readCaptureFile(testdata('tcpdump/timestamp_invalid_micro.pcap'), { onPacket() {} });
    assert.equal(micro.packets, 3);
    const got: string[] = [];
    readCaptureFile(testdata('tcpdump/timestamp_invalid_micro.pcap'), {
      onPacket: (r) => got.push(formatEpoch(r.tsSec, r.tsNsec)),
    });
    readCaptureFile(testdata('tcpdump/timestamp_invalid_nano.pcap'), {
      onPacket: (r) => got.push(formatEpoch(r.tsSec, r.tsNsec)),
    });
    assert.deepEqual(got, [
      '1418145369.999999000',
      '1418145370.1000000000',
      '1418145370.000000000',
      '1418145369.999999999',
      '1418145370.1000000000',
      '-1418145370.2147483648',
    ]);
  });

  test('a big-endian nanosecond file from PcapPlusPlus', () => {
    const r = readCaptureFile(testdata('pcapplusplus/nanosecs_big_endian.pcap'), { onPacket() {} });
    assert.equal(r.format, 'pcap');
    assert.equal(r.interfaces[0]!.tsUnitsPerSec, 1e9);
    assert.equal(r.diagnostic, undefined);
    assert.ok(r.packets > 0);
  });
});

describe('pcapng', () => {
  const body = (le: boolean): Uint8Array =>
    B.concat(
      B.shb(le),
      B.idb(le, { linktype: 1, snaplen: 65535, name: 'eth0', description: 'uplink', tsresol: 9 }),
      B.epb(le, { ts: 1767663089500330493n, data: B.frame(70, 3), origLen: 1500, comments: ['one', 'twö'] }),
      B.epb(le, { ts: 1767663089500330494n, data: B.frame(5) }),
    );

  test('little- and big-endian sections read the same', () => {
    for (const le of [true, false]) {
      const g = parse(body(le));
      assert.equal(g.result.diagnostic, undefined, `le=${le}`);
      assert.deepEqual(g.result.interfaces, [
        {
          id: 0,
          globalId: 0,
          format: 'pcapng',
          linktype: 1,
          snaplen: 65535,
          name: 'eth0',
          description: 'uplink',
          tsUnitsPerSec: 1e9,
          tsOffsetSec: 0,
        },
      ]);
      assert.deepEqual(times(g), ['1767663089.500330493', '1767663089.500330494']);
      const [a, b] = g.packets;
      assert.deepEqual(
        [a!.capLen, a!.origLen, a!.comment, a!.data],
        [70, 1500, 'one\ntwö', [...B.frame(70, 3)]],
      );
      assert.deepEqual([b!.capLen, b!.origLen, b!.comment], [5, 5, undefined]);
      assert.equal(b!.fileOffset, a!.fileOffset + 8 + 20 + 72 + 20 + 4);
    }
  });

  test('several sections: ids restart per section, globalId keeps counting', () => {
    const bytes = B.concat(
      B.shb(true),
      B.idb(true, { name: 'a0' }),
      B.idb(true, { name: 'a1' }),
      B.epb(true, { iface: 1, ts: 1n, data: B.frame(4) }),
      B.shb(false),
      B.idb(false, { name: 'b0', linktype: 113 }),
      B.epb(false, { iface: 0, ts: 2n, data: B.frame(4) }),
      B.shb(true),
      B.idb(true, { name: 'c0' }),
      B.epb(true, { iface: 0, ts: 3n, data: B.frame(4) }),
    );
    const g = parse(bytes);
    assert.equal(g.result.diagnostic, undefined);
    assert.deepEqual(
      g.result.interfaces.map((i) => [i.id, i.globalId, i.name]),
      [
        [0, 0, 'a0'],
        [1, 1, 'a1'],
        [0, 2, 'b0'],
        [0, 3, 'c0'],
      ],
    );
    assert.deepEqual(g.ifaceEvents, g.result.interfaces);
    assert.deepEqual(
      g.packets.map((p) => [p.number, p.interfaceId, p.linktype, p.tsNsec]),
      [
        [1, 1, 1, 1000],
        [2, 2, 113, 2000],
        [3, 3, 1, 3000],
      ],
    );
  });

  test('if_tsresol: powers of two truncate to whole ns like tshark, powers of ten, if_tsoffset', () => {
    const le = true;
    const g = parse(
      B.concat(
        B.shb(le),
        B.idb(le, { tsresol: 0x80 | 20 }),
        B.idb(le, { tsresol: 3, tsoffset: -5n }),
        B.idb(le, { tsresol: 12 }),
        B.idb(le, { tsresol: 0x80 | 40 }),
        B.idb(le, { tsresol: 0x80 | 10, tsoffset: 100n }),
        B.epb(le, { iface: 0, ts: (1700000000n << 20n) + 3n, data: B.frame(1) }),
        B.epb(le, { iface: 0, ts: (1700000000n << 20n) + (1n << 20n) - 1n, data: B.frame(1) }),
        B.epb(le, { iface: 0, ts: (1700000000n << 20n) + 1n, data: B.frame(1) }),
        B.epb(le, { iface: 1, ts: 1700000000123n, data: B.frame(1) }),
        B.epb(le, { iface: 2, ts: 1000000_123456789_999n, data: B.frame(1) }),
        B.epb(le, { iface: 3, ts: (1000n << 40n) + (1n << 39n) + 1n, data: B.frame(1) }),
        B.epb(le, { iface: 4, ts: (5n << 10n) + 1n, data: B.frame(1) }),
      ),
    );
    assert.equal(g.result.diagnostic, undefined);
    assert.deepEqual(
      g.result.interfaces.map((i) => [i.tsUnitsPerSec, i.tsOffsetSec]),
      [
        [2 ** 20, 0],
        [1e3, -5],
        [1e12, 0],
        [2 ** 40, 0],
        [2 ** 10, 100],
      ],
    );
    // 3/2^20 s = 2861.02 ns; (2^20-1)/2^20 s = .99999904632 s; 1/2^20 s = 953.67 ns (tshark prints 953).
    assert.deepEqual(times(g), [
      '1700000000.000002861',
      '1700000000.999999046',
      '1700000000.000000953',
      '1699999995.123000000',
      '1000000.123456789',
      '1000.500000000',
      '105.000976562',
    ]);
  });

  test('simple packet blocks: interface 0, captured length min(original, snaplen, block room)', () => {
    const le = false;
    const g = parse(
      B.concat(
        B.shb(le),
        B.idb(le, { snaplen: 50 }),
        B.spb(le, 60, B.frame(50)),
        B.spb(le, 40, B.frame(40)),
        B.spb(le, 100, B.frame(20)),
      ),
    );
    assert.equal(g.result.diagnostic, undefined);
    assert.deepEqual(
      g.packets.map((p) => [p.interfaceId, p.tsSec, p.tsNsec, p.capLen, p.origLen, p.data.length]),
      [
        [0, 0, 0, 50, 60, 50],
        [0, 0, 0, 40, 40, 40],
        [0, 0, 0, 20, 100, 20],
      ],
    );
  });

  test('obsolete packet blocks (type 2) are read like EPBs', () => {
    const g = parse(
      B.concat(
        B.shb(true),
        B.idb(true),
        B.idb(true),
        B.opb(true, { iface: 1, ts: 1700000000_000001n, data: B.frame(9), origLen: 90, comments: ['old'] }),
      ),
    );
    assert.deepEqual(
      g.packets.map((p) => [p.interfaceId, formatEpoch(p.tsSec, p.tsNsec), p.capLen, p.origLen, p.comment]),
      [[1, '1700000000.000001000', 9, 90, 'old']],
    );
  });

  test('NRB, ISB, DSB, custom and unknown blocks are skipped', () => {
    const le = true;
    const g = parse(
      B.concat(
        B.shb(le),
        B.idb(le),
        B.nrb(le),
        B.epb(le, { ts: 1n, data: B.frame(3) }),
        B.isb(le),
        B.customBlock(le, 0xbad),
        B.customBlock(le, 0x40000bad),
        B.block(le, 10, new Uint8Array(16)),
        B.block(le, 0x12345678, new Uint8Array(0)),
        B.epb(le, { ts: 2n, data: B.frame(3) }),
      ),
    );
    assert.equal(g.result.diagnostic, undefined);
    assert.deepEqual(
      g.packets.map((p) => [p.number, p.tsNsec]),
      [
        [1, 1000],
        [2, 2000],
      ],
    );
  });

  test('real pcapng with packet comments and two interfaces (PcapPlusPlus example)', () => {
    const comments: (string | undefined)[] = [];
    const r = readCaptureFile(testdata('pcapplusplus/pcapng-example.pcapng'), {
      onPacket: (p) => comments.push(p.comment),
    });
    assert.equal(r.diagnostic, undefined);
    assert.deepEqual(
      r.interfaces.map((i) => i.name),
      ['lo', undefined],
    );
    // tshark -e frame.comment shows "Packet #N" on interface 1's packets, nothing on interface 0's.
    assert.ok(comments.includes('Packet #1'));
    assert.ok(comments.includes('Packet #100'));
    assert.equal(comments.filter((c) => c === undefined).length, 59);
  });

  test('a 64-bit timestamp beyond 2106', () => {
    const got: string[] = [];
    readCaptureFile(testdata('tcpdump/time_2106_overflow.pcapng'), {
      onPacket: (p) => got.push(formatEpoch(p.tsSec, p.tsNsec)),
    });
    assert.deepEqual(got, ['4294967296.000000000']);
  });
});

describe('bad input stops with a diagnostic naming the offset', () => {
  const pkt = (ts: bigint): Uint8Array => B.epb(true, { ts, data: B.frame(10) });
  const head = B.concat(B.shb(true), B.idb(true), pkt(1n), pkt(2n));

  function expectStop(bytes: Uint8Array, packets: number, offset: number, message: string): void {
    const g = parse(bytes, 'capture.pcapng');
    assert.equal(g.result.packets, packets);
    assert.equal(g.packets.length, packets);
    assert.deepEqual(g.result.diagnostic, { offset, message: `capture.pcapng: ${message}` });
  }

  test('truncated last pcapng block', () => {
    const cut = B.concat(head, pkt(3n).subarray(0, 30));
    expectStop(cut, 2, head.length, `block at offset ${head.length} is truncated: 30 of its 44 bytes`);
    expectStop(
      B.concat(head, pkt(3n).subarray(0, 5)),
      2,
      head.length,
      `block at offset ${head.length} is truncated: 5 of 12 header bytes`,
    );
  });

  test('truncated last pcap record', () => {
    const ok = B.pcapFile({}, [{ sec: 1, frac: 0, data: B.frame(20) }]);
    const last = B.pcapFile({}, [{ sec: 2, frac: 0, data: B.frame(20) }]).subarray(24);
    const g = parse(B.concat(ok, last.subarray(0, 30)), 'x.pcap');
    assert.equal(g.packets.length, 1);
    assert.deepEqual(g.result.diagnostic, {
      offset: 60,
      message: 'x.pcap: packet record at offset 60 is truncated: 30 of 36 bytes',
    });
    const h = parse(B.concat(ok, last.subarray(0, 7)), 'x.pcap');
    assert.equal(
      h.result.diagnostic?.message,
      'x.pcap: packet record at offset 60 is truncated: 7 of 16 header bytes',
    );
    const hdr = parse(ok.subarray(0, 10), 'x.pcap');
    assert.equal(
      hdr.result.diagnostic?.message,
      'x.pcap: pcap file header at offset 0 is truncated: 10 of 24 bytes',
    );
  });

  test('block length not a multiple of 4, less than 12, trailing length mismatch', () => {
    const at = head.length;
    const bad = (o: B.BlockOverrides): Uint8Array =>
      B.concat(head, B.epb(true, { ts: 3n, data: B.frame(10) }, o));
    expectStop(bad({ len: 46 }), 2, at, `block at offset ${at} has length 46, not a multiple of 4`);
    expectStop(bad({ len: 8 }), 2, at, `block at offset ${at} has length 8, less than 12`);
    expectStop(
      bad({ trailer: 48 }),
      2,
      at,
      `block at offset ${at} has length 44 but its trailing length says 48`,
    );
    expectStop(
      bad({ len: 0x7ffffffc }),
      2,
      at,
      `block at offset ${at} has length 2147483644, more than the 256 MiB limit`,
    );
  });

  test('absurd captured lengths', () => {
    const at = head.length;
    expectStop(
      B.concat(head, B.epb(true, { ts: 3n, data: B.frame(10), capLen: 13 })),
      2,
      at,
      `enhanced packet block at offset ${at} has captured length 13, more than its 44-byte block holds`,
    );
    const pcap = B.concat(
      B.pcapFile({}, [{ sec: 1, frac: 0, data: B.frame(4) }]),
      B.pcapFile({}, [{ sec: 2, frac: 0, data: B.frame(4), capLen: 0x10000001 }]).subarray(24),
    );
    const g = parse(pcap, 'x.pcap');
    assert.equal(g.packets.length, 1);
    assert.deepEqual(g.result.diagnostic, {
      offset: 44,
      message:
        'x.pcap: packet record at offset 44 has captured length 268435457, more than the 256 MiB limit',
    });
  });

  test('packet for an undeclared interface, SPB before any IDB, bad SHB', () => {
    const at = head.length;
    expectStop(
      B.concat(head, B.epb(true, { iface: 3, ts: 3n, data: B.frame(1) })),
      2,
      at,
      `enhanced packet block at offset ${at} names interface 3, but its section declares 1`,
    );
    const shb = B.shb(true);
    expectStop(
      B.concat(shb, B.spb(true, 4, B.frame(4))),
      0,
      shb.length,
      `simple packet block at offset ${shb.length} comes before any interface description block`,
    );
    expectStop(
      B.concat(head, B.shb(true, [], { major: 2 })),
      2,
      at,
      `section header block at offset ${at} has unsupported version 2.0`,
    );
    const badMagic = B.concat(head, B.shb(true));
    badMagic.set([1, 2, 3, 4], at + 8);
    expectStop(badMagic, 2, at, `section header block at offset ${at} has byte-order magic 0x04030201`);
  });

  test('empty file, a file that is not a capture, a file too short to tell', () => {
    assert.deepEqual(parse(new Uint8Array(0), 'e.pcap').result, {
      packets: 0,
      bytes: 0,
      inputBytes: 0,
      interfaces: [],
      diagnostic: { offset: 0, message: 'e.pcap: empty file' },
    });
    const zip = parse(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), 'a.zip');
    assert.deepEqual(zip.result.diagnostic, {
      offset: 0,
      message: 'a.zip: not a pcap or pcapng file (magic 0x504b0304)',
    });
    assert.equal(zip.result.format, undefined);
    assert.deepEqual(parse(Uint8Array.of(0xd4, 0xc3), 'b').result.diagnostic, {
      offset: 0,
      message: 'b: file of 2 bytes is too short to be a pcap or pcapng file',
    });
  });

  test('input after a diagnostic is ignored', () => {
    const p = new CaptureParser({ onPacket: () => assert.fail('no packet expected') });
    p.push(new TextEncoder().encode('<html><body>'));
    p.push(B.concat(B.shb(true), B.idb(true), B.epb(true, { ts: 1n, data: B.frame(1) })));
    const r = p.end();
    assert.equal(r.packets, 0);
    assert.equal(r.diagnostic?.message, 'not a pcap or pcapng file (magic 0x3c68746d)');
  });
});

describe('readCaptureFile', () => {
  test('reads a file larger than its 1 MiB read size, records spanning reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-pcap-'));
    try {
      const parts: Uint8Array[] = [B.shb(true), B.idb(true)];
      for (let i = 0; i < 700; i++) parts.push(B.epb(true, { ts: BigInt(i), data: B.frame(4000 + i, i) }));
      const bytes = B.concat(...parts);
      assert.ok(bytes.length > 2.5 * 1024 * 1024);
      const path = join(dir, 'big.pcapng');
      writeFileSync(path, bytes);
      const fromFile: string[] = [];
      const r = readCaptureFile(path, {
        onPacket: (p) =>
          fromFile.push(`${p.number} ${p.fileOffset} ${p.capLen} ${p.data[0]} ${p.data[p.capLen - 1]}`),
      });
      const inMemory = parse(bytes).packets.map(
        (p) => `${p.number} ${p.fileOffset} ${p.capLen} ${p.data[0]} ${p.data[p.capLen - 1]}`,
      );
      assert.equal(r.diagnostic, undefined);
      assert.equal(r.packets, 700);
      assert.equal(r.inputBytes, bytes.length);
      assert.deepEqual(fromFile, inMemory);
      assert.equal(
        fromFile[699],
        `700 ${bytes.length - (32 + 4700)} 4699 ${699 & 255} ${(699 + 4698) & 255}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('file-system errors throw NettraceError; bad bytes do not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-pcap-'));
    try {
      const missing = join(dir, 'nope.pcap');
      assert.throws(
        () => readCaptureFile(missing, { onPacket() {} }),
        (e) => isNettraceError(e) && e.code === 'file-not-found' && e.message.includes(missing),
      );
      assert.throws(
        () => readCaptureFile(dir, { onPacket() {} }),
        (e) => isNettraceError(e) && e.code === 'file-unreadable' && e.message.includes('is a directory'),
      );
      // root reads anything, so the permission case only runs as an ordinary user.
      if (process.getuid?.() !== 0) {
        const locked = join(dir, 'locked.pcap');
        writeFileSync(locked, B.pcapFile({}, []));
        chmodSync(locked, 0);
        assert.throws(
          () => readCaptureFile(locked, { onPacket() {} }),
          (e) =>
            isNettraceError(e) && e.code === 'file-unreadable' && e.message.includes('permission denied'),
        );
      }
      const junk = join(dir, 'junk.pcap');
      writeFileSync(junk, 'hello world');
      const r = readCaptureFile(junk, { onPacket() {} });
      assert.equal(r.diagnostic?.message, `${junk}: not a pcap or pcapng file (magic 0x68656c6c)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
