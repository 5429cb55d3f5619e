// The parser must not care how its input is cut: any chunking of the same bytes gives the same
// records and the same diagnostic. Checked on generated captures (well-formed, truncated, with
// junk), and on a real pipe (cat, tcpdump -w -).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { CaptureParser, readCaptureFile, readCaptureStream } from './reader.ts';
import * as B from './test-support/build.ts';
import type { CaptureHandlers, PacketRecord } from './types.ts';

const testdata = (p: string): string => fileURLToPath(new URL(`../../testdata/${p}`, import.meta.url));

/** A record with its bytes copied out of the parser's buffer, as plain data. */
function snapshot(r: PacketRecord): string {
  const hex = Buffer.from(r.data).toString('hex');
  return JSON.stringify({ ...r, data: hex });
}

function collector(): { out: string[]; handlers: CaptureHandlers } {
  const out: string[] = [];
  return {
    out,
    handlers: {
      onInterface: (i) => out.push(`iface ${JSON.stringify(i)}`),
      onPacket: (r, i) => {
        assert.equal(i.globalId, r.interfaceId);
        out.push(snapshot(r));
      },
    },
  };
}

function parseChunked(bytes: Uint8Array, cuts: number[]): string[] {
  const { out, handlers } = collector();
  const p = new CaptureParser(handlers, { source: 'gen' });
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(JSON.stringify(p.end()));
  return out;
}

// --- generated captures -------------------------------------------------------------------

const TSRESOLS = [6, 9, 3, 0, 12, 0x80 | 10, 0x80 | 20, 0x80 | 40];

const arbEpb = fc.record({
  iface: fc.nat(3),
  ts: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  data: fc.uint8Array({ maxLength: 80 }),
  extra: fc.nat(100),
  comments: fc.array(fc.string({ maxLength: 12 }), { maxLength: 2 }),
});

const arbBlock = fc.oneof(
  { weight: 6, arbitrary: arbEpb.map((e) => ({ kind: 'epb' as const, ...e })) },
  { weight: 1, arbitrary: fc.nat(90).map((n) => ({ kind: 'spb' as const, n })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('nrb' as const, 'isb' as const, 'custom' as const).map((kind) => ({ kind })),
  },
);

const arbSection = fc.record({
  le: fc.boolean(),
  ifaces: fc.array(
    fc.record({ tsresol: fc.constantFrom(...TSRESOLS), snaplen: fc.constantFrom(0, 64, 262144) }),
    { minLength: 1, maxLength: 3 },
  ),
  blocks: fc.array(arbBlock, { maxLength: 8 }),
});

type Section = typeof arbSection extends fc.Arbitrary<infer T> ? T : never;

function pcapngBytes(sections: Section[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of sections) {
    const le = s.le;
    parts.push(B.shb(le));
    s.ifaces.forEach((i, k) => {
      parts.push(B.idb(le, { tsresol: i.tsresol, snaplen: i.snaplen, name: `if${k}` }));
    });
    for (const b of s.blocks) {
      if (b.kind === 'epb') {
        const iface = b.iface % s.ifaces.length;
        parts.push(
          B.epb(le, {
            iface,
            ts: b.ts,
            data: b.data,
            origLen: b.data.length + b.extra,
            comments: b.comments,
          }),
        );
      } else if (b.kind === 'spb') {
        const snap = s.ifaces[0]!.snaplen;
        parts.push(B.spb(le, b.n, B.frame(snap === 0 ? b.n : Math.min(snap, b.n), b.n)));
      } else if (b.kind === 'nrb') parts.push(B.nrb(le));
      else if (b.kind === 'isb') parts.push(B.isb(le));
      else parts.push(B.customBlock(le, 0xbad));
    }
  }
  return B.concat(...parts);
}

const arbPcap = fc
  .record({
    le: fc.boolean(),
    nano: fc.boolean(),
    records: fc.array(
      fc.record({
        sec: fc.nat(0xffffffff),
        frac: fc.nat(0xffffffff),
        data: fc.uint8Array({ maxLength: 80 }),
      }),
      { maxLength: 10 },
    ),
  })
  .map((p) => B.pcapFile({ le: p.le, nano: p.nano }, p.records));

/** A capture, possibly cut short or followed by junk (so diagnostics are compared too). */
const arbCapture = fc
  .tuple(
    fc.oneof(arbPcap, fc.array(arbSection, { minLength: 1, maxLength: 3 }).map(pcapngBytes)),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'whole' as const }) },
      { weight: 1, arbitrary: fc.nat().map((n) => ({ kind: 'cut' as const, n })) },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((j) => ({ kind: 'junk' as const, j })),
      },
    ),
  )
  .map(([bytes, tail]) => {
    if (tail.kind === 'cut') return bytes.subarray(0, tail.n % (bytes.length + 1));
    if (tail.kind === 'junk') return B.concat(bytes, tail.j);
    return bytes;
  });

const arbCaptureAndCuts = arbCapture.chain((bytes) =>
  fc.tuple(
    fc.constant(bytes),
    fc.uniqueArray(fc.nat(Math.max(0, bytes.length)), { maxLength: 30 }).map((c) => c.sort((a, b) => a - b)),
  ),
);

describe('chunking does not change what is read', () => {
  test('random split points and 1-byte chunks give the same records as one push', () => {
    fc.assert(
      fc.property(arbCaptureAndCuts, ([bytes, cuts]) => {
        const whole = parseChunked(bytes, []);
        assert.deepEqual(parseChunked(bytes, cuts), whole);
        const ones = Array.from({ length: bytes.length }, (_, i) => i);
        assert.deepEqual(parseChunked(bytes, ones), whole);
      }),
      { numRuns: 150 },
    );
  });

  test('real captures in every chunk size from 1 to 64 bytes', () => {
    for (const f of ['zeek/pcapng-multi-interface.pcapng', 'tcpdump/tcp-handshake-nano.pcap']) {
      const { out, handlers } = collector();
      const r = readCaptureFile(testdata(f), handlers);
      out.push(JSON.stringify(r));
      const bytes = new Uint8Array(readFileSync(testdata(f)));
      const whole = parseChunked(bytes, []);
      assert.deepEqual(whole.slice(0, -1), out.slice(0, -1), f);
      for (let size = 1; size <= 64; size++) {
        const cuts: number[] = [];
        for (let c = size; c < bytes.length; c += size) cuts.push(c);
        assert.deepEqual(parseChunked(bytes, cuts), whole, `${f} in ${size}-byte chunks`);
      }
    }
  });
});

describe('readCaptureStream', () => {
  async function viaPipe(cmd: string, args: string[]): Promise<string[]> {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    // Listened for before reading: the child may close while its last bytes are being read.
    const closed = new Promise((resolve) => child.on('close', resolve));
    const { out, handlers } = collector();
    const r = await readCaptureStream(child.stdout, handlers, { source: 'pipe' });
    await closed;
    out.push(JSON.stringify({ ...r, interfaces: r.interfaces.length }));
    return out;
  }

  function viaFile(path: string): string[] {
    const { out, handlers } = collector();
    const r = readCaptureFile(path, handlers);
    out.push(JSON.stringify({ ...r, interfaces: r.interfaces.length }));
    return out;
  }

  test('a real pipe: cat of a multi-megabyte pcapng arrives in pipe-sized chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-pcap-'));
    try {
      const parts: Uint8Array[] = [
        B.shb(true),
        B.idb(true, { name: 'a', tsresol: 9 }),
        B.idb(true, { name: 'b' }),
      ];
      for (let i = 0; i < 1500; i++) {
        parts.push(
          B.epb(true, {
            iface: i % 2,
            ts: 1767663089000000000n + BigInt(i) * 1234567n,
            data: B.frame(1000 + (i % 600), i),
            comments: i % 7 === 0 ? [`p${i}`] : [],
          }),
        );
      }
      const path = join(dir, 'big.pcapng');
      writeFileSync(path, B.concat(...parts));
      const got = await viaPipe('cat', [path]);
      assert.equal(got.length, 1500 + 2 + 1);
      assert.deepEqual(got, viaFile(path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a real pipe from cat of corpus captures', async () => {
    for (const f of ['zeek/pcapng-multi-interface.pcapng', 'pcapplusplus/pcapng-example.pcapng']) {
      assert.deepEqual(await viaPipe('cat', [testdata(f)]), viaFile(testdata(f)), f);
    }
  });

  const haveTcpdump = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
  test('tcpdump -w - through a pipe', async () => {
    assert.ok(haveTcpdump, 'tcpdump is not installed (apt-get install tcpdump)');
    const f = testdata('tcpdump/tcp-handshake-nano.pcap');
    const got = await viaPipe('tcpdump', ['--time-stamp-precision=nano', '-r', f, '-w', '-']);
    assert.equal(got.length, 1 + 3 + 1);
    assert.deepEqual(got, viaFile(f));
  });

  test('stops consuming a stream once the input is bad', async () => {
    let closed = false;
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield B.pcapFile({}, [{ sec: 1, frac: 2, data: B.frame(10) }]);
        pulled++;
        yield Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        pulled++;
        for (;;) {
          yield new Uint8Array(1000);
          pulled++;
        }
      } finally {
        closed = true;
      }
    }
    const packets: number[] = [];
    const r = await readCaptureStream(source(), { onPacket: (p) => packets.push(p.capLen) });
    assert.deepEqual(packets, [10]);
    assert.equal(pulled, 1);
    assert.ok(closed, 'the generator was closed');
    assert.deepEqual(r.diagnostic, {
      offset: 50,
      message: 'packet record at offset 50 has captured length 2147483647, more than the 256 MiB limit',
    });
  });
});
