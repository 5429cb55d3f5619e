// The conversation analysis on real captures (decoded by the real decoders), checked against what
// tshark says about the same files where tshark is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultDissector } from '../decode/bindings.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { ConversationAnalyzer, type ConversationResult } from './analyzer.ts';

const file = (rel: string) => fileURLToPath(new URL(`../../testdata/${rel}`, import.meta.url));

function analyze(rel: string): ConversationResult {
  return analyzer(rel).result();
}

function analyzer(rel: string): ConversationAnalyzer {
  const d = defaultDissector();
  const an = new ConversationAnalyzer();
  let t0s = -1;
  let t0n = 0;
  readCaptureFile(file(rel), {
    onPacket(rec) {
      if (t0s < 0) {
        t0s = rec.tsSec;
        t0n = rec.tsNsec;
      }
      an.add(
        d.decode(rec.data, rec.origLen, rec.linktype),
        (rec.tsSec - t0s) * 1e9 + (rec.tsNsec - t0n),
        rec.origLen,
      );
    },
  });
  return an;
}

/** Every capture under testdata/, relative to it. */
function allCaptures(): string[] {
  const root = fileURLToPath(new URL('../../testdata/', import.meta.url));
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort();
}

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

/** tshark -T fields rows (one array per frame). */
function tshark(rel: string, ...fields: string[]): string[][] {
  const args = ['-r', file(rel), '-T', 'fields', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

const states = (r: ConversationResult, i = 0) =>
  r.flows[i]!.tcp!.transitions.map((t) => `${t.state}/${t.by}${t.pickedUp ? '*' : ''}`);

describe('conversations in real captures', () => {
  test('resultStream() has the records of result() and their JSON.stringify text, in every capture', () => {
    const files = allCaptures();
    assert.ok(files.length > 50);
    let flows = 0;
    for (const rel of files) {
      const an = analyzer(rel);
      const r = an.result();
      const s = an.resultStream();
      const { flows: _f, dns: _d, ...rest } = r;
      const { flows: _sf, dns: _sd, ...srest } = s;
      assert.deepEqual(srest, rest, rel);
      assert.deepEqual(Object.keys(s), Object.keys(r), rel);
      assert.equal(s.flows.length, r.flows.length, rel);
      for (let i = 0; i < r.flows.length; i++) {
        assert.deepEqual(s.flows.item(i), r.flows[i], rel);
        assert.equal(s.flows.json(i), JSON.stringify(r.flows[i]), `${rel} flow ${i}`);
      }
      assert.equal(s.dns.length, r.dns.length, rel);
      for (let i = 0; i < r.dns.length; i++) {
        assert.equal(s.dns.json(i), JSON.stringify(r.dns[i]), `${rel} dns ${i}`);
      }
      flows += r.flows.length;
    }
    assert.ok(flows > 100);
  });

  test('zeek http/get.pcap: one TCP connection, full close, one GET paired with its 200', () => {
    const r = analyze('zeek/http__get.pcap');
    assert.equal(r.flows.length, 1);
    const f = r.flows[0]!;
    assert.deepEqual([f.a, f.aPort, f.b, f.bPort], ['141.142.228.5', 59856, '192.150.187.43', 80]);
    assert.deepEqual([f.packetsAB, f.packetsBA], [7, 7]);
    assert.deepEqual(states(r), [
      'SYN_SENT/A',
      'SYN_RECV/B',
      'ESTABLISHED/A',
      'FIN_WAIT/A',
      'LAST_ACK/B',
      'TIME_WAIT/A',
    ]);
    // Frame times from tshark: SYN-ACK at 0.069740, FIN at 0.142502, last ACK at 0.211628.
    assert.deepEqual(
      f.tcp!.transitions.map((t) => t.tNs),
      [0, 69_740_000, 70_034_000, 142_502_000, 211_484_000, 211_628_000],
    );
    assert.deepEqual(r.http, [
      {
        flow: 1,
        method: 'GET',
        uri: '/download/CHANGES.bro-aux.txt',
        host: 'bro.org',
        requestNs: 70_183_000,
        status: 200,
        reason: 'OK',
        responseNs: 140_168_000,
        latencyNs: 69_985_000,
      },
    ]);
  });

  test('tcpdump print-flags.pcap: FIN answered by FIN (no CLOSE_WAIT), GET on port 80', () => {
    const r = analyze('tcpdump/print-flags.pcap');
    assert.deepEqual(states(r), [
      'SYN_SENT/A',
      'SYN_RECV/B',
      'ESTABLISHED/A',
      'FIN_WAIT/A',
      'LAST_ACK/B',
      'TIME_WAIT/A',
    ]);
    assert.deepEqual(
      r.http.map((t) => [t.method, t.uri, t.host, t.status, t.requestNs, t.responseNs]),
      [['GET', '/', 'localhost', 200, 1_357_000, 3_166_000]],
    );
  });

  test('zeek VXLAN-encapsulated HTTP: inner 5-tuple flow with the outer tunnel, HTTP paired', () => {
    const r = analyze('zeek/tunnels__vxlan-encapsulated-http.pcap');
    assert.equal(r.flows.length, 1);
    const f = r.flows[0]!;
    assert.deepEqual([f.a, f.aPort, f.b, f.bPort], ['172.16.11.201', 40354, '54.86.237.188', 80]);
    assert.deepEqual(f.tunnel, { type: 'vxlan', vni: 1, outerSrc: '10.1.200.131', outerDst: '10.1.1.172' });
    assert.equal(f.tcp!.state, 'TIME_WAIT');
    assert.deepEqual(
      r.http.map((t) => [t.method, t.uri, t.host, t.status]),
      [['GET', '/image/svg', 'eu.httpbin.org', 200]],
    );
  });

  test('tcpdump geneve.pcap: Geneve-carried ping and SSH, keyed by the inner headers', () => {
    const r = analyze('tcpdump/geneve.pcap');
    assert.deepEqual(
      r.flows.map((f) => [f.proto, f.a, f.aPort, f.b, f.bPort, f.tunnel?.vni, f.tunnel?.outerSrc]),
      [
        ['icmp', '30.0.0.1', 10578, '30.0.0.2', 10578, 10, '20.0.0.1'],
        ['tcp', '30.0.0.2', 51225, '30.0.0.1', 22, 11, '20.0.0.2'],
      ],
    );
    assert.equal(r.flows[1]!.tcp!.state, 'ESTABLISHED');
  });

  test('DNS over UDP and over TCP: pairs with tshark-equal latency', () => {
    assert.ok(hasTshark, 'tshark is not installed (apt-get install tshark): it is the reference');
    for (const rel of ['tcpdump/dns_udp.pcap', 'tcpdump/dns_tcp.pcap']) {
      const r = analyze(rel);
      assert.equal(r.dns.length, 1, rel);
      const t = r.dns[0]!;
      assert.equal(t.status, 'answered');
      assert.equal(t.qname, 'www.tcpdump.org');
      assert.deepEqual(t.answers, ['A 192.139.46.66', 'A 198.199.88.104']);
      const times = tshark(rel, 'dns.time')
        .map((row) => row[0]!)
        .filter((s) => s !== '');
      assert.equal(times.length, 1);
      assert.equal(t.latencyNs, Math.round(Number(times[0]) * 1e9), rel);
    }
    const tcp = analyze('tcpdump/dns_tcp.pcap');
    assert.deepEqual(states(tcp), [
      'SYN_SENT/A',
      'SYN_RECV/B',
      'ESTABLISHED/A',
      'FIN_WAIT/A',
      'CLOSE_WAIT/B',
      'LAST_ACK/B',
      'TIME_WAIT/A',
    ]);
  });
});
