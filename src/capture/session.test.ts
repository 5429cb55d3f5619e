// Live captures in two namespaces of the test's own (a veth pair, addresses from the lab's plan).
// Needs root, as CI runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cleanup } from '../cleanup.ts';
import { defaultDissector } from '../decode/bindings.ts';
import { NetnsHost } from '../hosts/netns.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { CaptureSession, type CaptureTarget } from './session.ts';
import { parseTcpdumpStats, tcpdumpArgv } from './tcpdump.ts';
import { writeCapture } from './write.ts';

const tag = `ntcap${process.pid}`;
const A = `${tag}-a`;
const B = `${tag}-b`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

function tcpdumpsOf(netns: string): number[] {
  const out = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).trim();
  return out ? out.split('\n').map(Number) : [];
}

describe('capture session (live, root)', () => {
  before(() => {
    assert.equal(process.getuid?.(), 0, 'the capture tests need root (CI runs as root)');
    ip('netns', 'add', A);
    ip('netns', 'add', B);
    ip('-n', A, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', B);
    ip('-n', A, 'addr', 'add', '10.128.2.43/24', 'dev', 'eth0');
    ip('-n', B, 'addr', 'add', '10.128.2.1/24', 'dev', 'veth1');
    ip('-n', A, 'link', 'set', 'eth0', 'up');
    ip('-n', B, 'link', 'set', 'veth1', 'up');
  });
  after(() => {
    for (const ns of [A, B]) {
      try {
        for (const pid of tcpdumpsOf(ns)) process.kill(pid, 'SIGKILL');
        ip('netns', 'del', ns);
      } catch {}
    }
  });

  const targets = (): CaptureTarget[] => [
    {
      id: 'a/eth0',
      host: new NetnsHost({ netns: A }),
      interface: 'eth0',
      description: 'pod side',
      filter: 'icmp',
    },
    {
      id: 'b/veth1',
      host: new NetnsHost({ netns: B }),
      interface: 'veth1',
      description: 'host side',
      filter: 'icmp',
    },
  ];

  test('both ends see the same pings, ordered by time, and nothing is left running', async () => {
    const cleanup = new Cleanup();
    try {
      const s = await CaptureSession.start(targets(), cleanup);
      execFileSync('ip', ['netns', 'exec', A, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '10.128.2.1'], {
        stdio: 'pipe',
      });
      const out = await s.stop();
      assert.equal(out.truncated, false);
      for (const p of out.points) {
        assert.equal(p.packets, 6, `${p.id}: 3 requests + 3 replies`);
        assert.equal(p.linktype, 1);
        assert.equal(p.diagnostic, undefined);
      }
      assert.equal(out.packets.length, 12);
      for (let i = 1; i < out.packets.length; i++) {
        const x = out.packets[i - 1]!;
        const y = out.packets[i]!;
        assert.ok(x.tsSec < y.tsSec || (x.tsSec === y.tsSec && x.tsNsec <= y.tsNsec), 'ordered by time');
      }
      const d = defaultDissector();
      const first = d.decode(out.packets[0]!.data, out.packets[0]!.origLen, 1);
      assert.deepEqual(
        first.layers.map((l) => l.proto),
        ['eth', 'ip', 'icmp'],
      );

      // One pcapng, one interface per point, readable by us and by tshark, private to its owner.
      const dir = mkdtempSync(join(tmpdir(), 'nettrace-cap-'));
      cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'capture.pcapng');
      writeCapture(file, targets(), out);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const names: string[] = [];
      const perIface = [0, 0];
      readCaptureFile(file, {
        onInterface: (i) => names.push(`${i.name}|${i.description}`),
        onPacket: (rec) => {
          perIface[rec.interfaceId]!++;
        },
      });
      assert.deepEqual(names, ['a/eth0|pod side', 'b/veth1|host side']);
      assert.deepEqual(perIface, [6, 6]);
      const ts = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      assert.equal(ts.trim().split('\n').length, 12);
    } finally {
      await cleanup.run();
    }
    assert.deepEqual(tcpdumpsOf(A), []);
    assert.deepEqual(tcpdumpsOf(B), []);
  });

  test('a missing interface fails with the point and tcpdump’s reason, and stops the others', async () => {
    const cleanup = new Cleanup();
    const bad = targets();
    bad[1] = { ...bad[1]!, id: 'b/nope0', interface: 'nope0' };
    await assert.rejects(CaptureSession.start(bad, cleanup, { listenTimeoutMs: 5000 }), (e: Error) => {
      assert.match(e.message, /tcpdump on b\/nope0 .*nope0/);
      return true;
    });
    await cleanup.run();
    assert.deepEqual(tcpdumpsOf(A), []);
    assert.deepEqual(tcpdumpsOf(B), []);
  });

  test('an abort while starting stops every tcpdump through the cleanup', async () => {
    const cleanup = new Cleanup();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(CaptureSession.start(targets(), cleanup, { signal: ac.signal }), /interrupted/);
    await cleanup.run();
    assert.deepEqual(tcpdumpsOf(A), []);
  });
});

describe('tcpdump argv and counters', () => {
  test('immediate mode, packet-buffered, nanosecond pcap to stdout, filter as one word', () => {
    const argv = tcpdumpArgv({ interface: 'eth0', filter: 'icmp and host 10.128.2.43' });
    assert.deepEqual(argv.slice(0, 5), [
      'tcpdump',
      '--immediate-mode',
      '-U',
      '-n',
      '--time-stamp-precision=nano',
    ]);
    assert.deepEqual(argv.slice(-4), ['eth0', '-w', '-', 'icmp and host 10.128.2.43']);
  });

  test('the counters tcpdump prints when it stops', () => {
    const s = parseTcpdumpStats(
      'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n' +
        '6 packets captured\n7 packets received by filter\n1 packet dropped by kernel\n',
    );
    assert.deepEqual(s, { captured: 6, receivedByFilter: 7, droppedByKernel: 1 });
    assert.equal(parseTcpdumpStats('tcpdump: listening on eth0'), undefined);
  });
});
