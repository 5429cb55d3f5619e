// The flat decoder's contract on IPv6 (see flat.ts): few IPv6 frames of the corpora are taken, so
// its IPv6 path is checked here on generated frames of every shape (flat-frames-ipv6.ts): whatever
// it takes, the Dissector decodes without an issue into the same protocols and key, and the
// journey's flat view equals `extract`'s; extension headers, ICMPv6 and payload length 0 are never
// taken. Then once at the level of the whole analysis, on a small synthetic IPv6 capture.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { analyzeFiles } from '../analyze.ts';
import { journeyDissector } from '../journey/correlate.ts';
import { checkers, describeFrame, tally } from '../journey/test-support/flat-view-check.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { defaultDissector } from './bindings.ts';
import { FlatDecoder } from './flat.ts';
import { FlatPacket, TUNNEL_NONE } from './flat-packet.ts';
import { flatMismatch, flatTally, takenKind } from './test-support/flat-check.ts';
import { DECLINED_KINDS, ipv6Frames, type TaggedCapture } from './test-support/flat-frames-ipv6.ts';
import { icmp6, ndOpt, v6 } from './test-support/l3-build.ts';
import {
  ascii,
  be16,
  concat,
  dnsHeader,
  dnsName,
  dnsRR,
  eth,
  geneve,
  ipv4,
  ipv6,
  ovnOption,
  tcp,
  udp,
} from './test-support/l4-build.ts';

const RUNS = 20_000;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const EXTENSION = new Set([0, 43, 44, 60, 51]);

describe('flat decoder: IPv6', () => {
  test(`generated IPv6 frames (${RUNS} runs): flat decoder and journey view agree with the layers`, () => {
    const dissectors = [
      { name: 'defaultDissector', d: defaultDissector() },
      { name: 'journeyDissector', d: journeyDissector() },
    ].map((x) => ({ ...x, flat: new FlatDecoder(x.d) }));
    const views = checkers();
    const viewCounts = new Map(views.map((c) => [c.name, new Map<string, number>()]));
    const kinds = new Map<string, number>();
    const exercised = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string): void => {
      m.set(k, (m.get(k) ?? 0) + 1);
    };
    const out = new FlatPacket();
    const body = (c: TaggedCapture): void => {
      const where = `frame ${hex(c.data)} linktype ${c.linktype} origLen ${c.origLen}`;
      for (const { name, d, flat } of dissectors) {
        const why = flatMismatch(d, flat, c.data, c.origLen, c.linktype);
        if (why !== undefined) throw new Error(`${name}: ${why}\n${where}`);
        if (!flat.decode(c.data, c.origLen, c.linktype, out)) continue;
        if (name === 'defaultDissector') bump(kinds, takenKind(out));
        if (out.ipVersion === 6) {
          // What was taken as IPv6 is an IPv6 header without extension headers, not ICMPv6, with
          // a payload length.
          const nh = c.data[out.ipOff + 6]!;
          const plen = (c.data[out.ipOff + 4]! << 8) | c.data[out.ipOff + 5]!;
          if (EXTENSION.has(nh) || nh === 58 || plen === 0) {
            throw new Error(`${name}: took IPv6 with next header ${nh}, payload length ${plen}\n${where}`);
          }
        }
      }
      for (const v of views) {
        const r = v.check(c.data, c.origLen, c.linktype);
        if (r.mismatch !== undefined) {
          throw new Error(`${v.name}: ${r.mismatch}\n${describeFrame(v, c.data, c.origLen, c.linktype)}`);
        }
        if (r.taken) tally(viewCounts.get(v.name)!, v, c.data, c.origLen, c.linktype);
      }
      // The frame as built, before corruption and cuts: what must be declined is, on both.
      const f = c.clean.frame;
      if (c.tunnel === 'none' && (c.tag.kind === 'geneve-in-v6' || c.tag.kind === 'vxlan-in-v6')) {
        // A tunnel around IPv6 is never entered (its outer addresses are kept as IPv4 numbers).
        bump(exercised, c.tag.kind);
        for (const { name, flat } of dissectors) {
          if (flat.decode(f, f.length, c.clean.linktype, out) && out.tunnelSeen !== TUNNEL_NONE) {
            throw new Error(`${name}: took ${c.tag.kind}: frame ${hex(f)} linktype ${c.clean.linktype}`);
          }
        }
      }
      const bad = DECLINED_KINDS.has(c.tag.kind) ? c.tag.kind : c.tag.plen0 ? 'payload length 0' : undefined;
      if (bad !== undefined) {
        bump(exercised, bad);
        for (const { name, flat } of dissectors) {
          if (flat.decode(f, f.length, c.clean.linktype, out) && out.ipVersion === 6) {
            throw new Error(
              `${name}: took ${bad} (${c.tunnel}): frame ${hex(f)} linktype ${c.clean.linktype}`,
            );
          }
        }
      }
    };
    fc.assert(fc.property(ipv6Frames, body), {
      numRuns: RUNS,
      seed: 0x6e7436,
      includeErrorInReport: true,
    });

    const sum = (match: (k: string) => boolean): number =>
      [...kinds].reduce((n, [k, v]) => n + (match(k) ? v : 0), 0);
    const shown = JSON.stringify(Object.fromEntries(kinds));
    // Each shape the IPv6 path reads was taken often enough for the runs to mean something.
    assert.ok(sum((k) => k.startsWith('v6 tcp')) >= 20, `IPv6 TCP: ${shown}`);
    assert.ok(sum((k) => k.startsWith('v6 udp')) >= 20, `IPv6 UDP: ${shown}`);
    assert.ok(sum((k) => k.startsWith('v6 udp') && k.endsWith('+dns')) >= 20, `IPv6 DNS: ${shown}`);
    assert.ok(sum((k) => k.startsWith('v6 ') && k.includes('+geneve')) >= 20, `IPv6 in Geneve: ${shown}`);
    assert.ok(sum((k) => k.startsWith('v6 ') && k.includes('+vxlan')) >= 5, `IPv6 in VXLAN: ${shown}`);
    assert.ok(sum((k) => k === 'v6 none') >= 5, `IPv6, no next header: ${shown}`);
    // ... and what must be declined was generated (and declined).
    for (const k of ['icmp6', 'ext', 'ext-cut', 'payload length 0', 'geneve-in-v6', 'vxlan-in-v6']) {
      assert.ok((exercised.get(k) ?? 0) >= 30, `${k}: ${JSON.stringify(Object.fromEntries(exercised))}`);
    }
    for (const [name, m] of viewCounts) {
      const s = JSON.stringify(Object.fromEntries(m));
      for (const k of ['tcp', 'udp', 'udp 53', 'udp 53 app', 'geneve', 'snaplen cut', 'link 276']) {
        assert.ok((m.get(k) ?? 0) >= 5, `${name}: journey view, ${k}: ${s}`);
      }
    }
  });

  test('a synthetic IPv6 capture: the flat and layer paths give the same analysis', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat6-'));
    try {
      const path = join(dir, 'ipv6.pcapng');
      const frames = ipv6Traffic();
      writePcapngFile(path, (w) => {
        const ifc = w.addInterface({ linktype: 1, name: 'eth0' });
        frames.forEach((data, i) => {
          w.writePacket(ifc, { tsSec: 1_718_000_000, tsNsec: i * 1_000_000, data, origLen: data.length });
        });
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const fast = analyzeFiles([path]);
      const slow = analyzeFiles([path], { flat: false });
      assert.deepStrictEqual(fast, slow);
      // The capture holds what it should, so the comparison means something.
      const c = slow.conversations;
      assert.equal(slow.packets, frames.length);
      assert.equal(slow.issues.packets, 0, JSON.stringify(slow.issues.samples.slice(0, 3)));
      assert.equal(c.http.length, 1, JSON.stringify(c.http));
      assert.equal(c.dns.length, 1, JSON.stringify(c.dns));
      const flows = c.flows.map((f) => `${f.ipVersion} ${f.proto} ${f.a}:${f.aPort} ${f.b}:${f.bPort}`);
      assert.ok(
        c.flows.some(
          (f) => f.ipVersion === 6 && f.proto === 'tcp' && f.bPort === 80 && f.tunnel === undefined,
        ),
        flows.join('\n'),
      );
      assert.ok(
        c.flows.some((f) => f.ipVersion === 6 && f.proto === 'tcp' && f.tunnel?.type === 'geneve'),
        flows.join('\n'),
      );
      assert.ok(
        c.flows.some((f) => f.proto === 'icmpv6'),
        flows.join('\n'),
      );
      // The flat decoder took the TCP, DNS query and Geneve frames (not ICMPv6, not the answer).
      const d = defaultDissector();
      const t = flatTally(path, d, new FlatDecoder(d));
      assert.deepEqual(t.mismatches, []);
      assert.ok((t.kinds['v6 tcp'] ?? 0) >= 8, JSON.stringify(t.kinds));
      assert.ok((t.kinds['v6 tcp+geneve'] ?? 0) >= 4, JSON.stringify(t.kinds));
      assert.equal(t.kinds['v6 udp+dns'], 1, JSON.stringify(t.kinds));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An HTTP exchange, a DNS query and answer, ND, and a TCP flow in Geneve, all over IPv6. */
function ipv6Traffic(): Uint8Array[] {
  const client = v6('fd00:10:244:1::5');
  const server = v6('fd00:10:96::80');
  const dns = v6('fd00:10:96::a');
  const frames: Uint8Array[] = [];
  const seg = (
    fromClient: boolean,
    flags: number,
    seq: number,
    ack: number,
    payload = '',
    opts?: number[],
  ) => {
    const [src, dst] = fromClient ? [client, server] : [server, client];
    const [sport, dport] = fromClient ? [40000, 80] : [80, 40000];
    const t = tcp({ sport, dport, seq, ack, flags, options: opts }, ascii(payload));
    frames.push(eth(0x86dd, ipv6({ nxt: 6, src, dst }, t)));
  };
  const req = 'GET /healthz HTTP/1.1\r\nHost: svc\r\n\r\n';
  const resp = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  seg(true, 0x002, 1000, 0, '', [2, 4, 0x05, 0xa0, 4, 2, 1, 3, 3, 7]);
  seg(false, 0x012, 5000, 1001, '', [2, 4, 0x05, 0xa0, 4, 2, 1, 3, 3, 7]);
  seg(true, 0x010, 1001, 5001);
  seg(true, 0x018, 1001, 5001, req);
  seg(false, 0x010, 5001, 1001 + req.length);
  seg(false, 0x018, 5001, 1001 + req.length, resp);
  seg(true, 0x011, 1001 + req.length, 5001 + resp.length);
  seg(false, 0x011, 5001 + resp.length, 1002 + req.length);
  seg(true, 0x010, 1002 + req.length, 5002 + resp.length);
  // DNS: an AAAA query and its answer
  const name = dnsName('svc.default.svc.cluster.local');
  const q = concat(dnsHeader({ id: 0x4242 }), name, be16(28), be16(1));
  const a = concat(
    dnsHeader({ id: 0x4242, flags: 0x8180, an: 1 }),
    name,
    be16(28),
    be16(1),
    dnsRR([0xc0, 12], 28, 1, 30, server),
  );
  frames.push(eth(0x86dd, ipv6({ nxt: 17, src: client, dst: dns }, udp({ sport: 51000, dport: 53 }, q))));
  frames.push(eth(0x86dd, ipv6({ nxt: 17, src: dns, dst: client }, udp({ sport: 53, dport: 51000 }, a))));
  // Neighbour solicitation (to the solicited-node address) and advertisement
  const mac = [0x02, 0, 0, 0, 0, 0x05];
  const ns = icmp6(135, 0, concat([0, 0, 0, 0], server, ndOpt(1, mac)));
  const na = icmp6(136, 0, concat([0x60, 0, 0, 0], server, ndOpt(2, [0x02, 0, 0, 0, 0, 0x80])));
  const ll = v6('fe80::5');
  frames.push(eth(0x86dd, ipv6({ nxt: 58, hlim: 255, src: ll, dst: v6('ff02::1:ff00:80') }, ns)));
  frames.push(eth(0x86dd, ipv6({ nxt: 58, hlim: 255, src: v6('fe80::80'), dst: ll }, na)));
  // A TCP flow between two pods, in Geneve between two nodes
  const podA = v6('fd00:10:244:1::7');
  const podB = v6('fd00:10:244:2::9');
  const wrapped = (fromA: boolean, flags: number, seq: number, ack: number, payload = ''): Uint8Array => {
    const t = tcp(
      { sport: fromA ? 41000 : 8080, dport: fromA ? 8080 : 41000, seq, ack, flags },
      ascii(payload),
    );
    const inner = eth(0x86dd, ipv6({ nxt: 6, src: fromA ? podA : podB, dst: fromA ? podB : podA }, t));
    const g = geneve({ vni: 7, options: [ovnOption(3, 4)] }, inner);
    const [src, dst] = fromA
      ? [
          [172, 18, 0, 2],
          [172, 18, 0, 3],
        ]
      : [
          [172, 18, 0, 3],
          [172, 18, 0, 2],
        ];
    return eth(0x0800, ipv4({ proto: 17, src, dst }, udp({ sport: 50000, dport: 6081 }, g)));
  };
  frames.push(wrapped(true, 0x002, 1, 0));
  frames.push(wrapped(false, 0x012, 100, 2));
  frames.push(wrapped(true, 0x010, 2, 101));
  frames.push(wrapped(true, 0x018, 2, 101, 'ping'));
  frames.push(wrapped(false, 0x018, 101, 6, 'pong'));
  return frames;
}
