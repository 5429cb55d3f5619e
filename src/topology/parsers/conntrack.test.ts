import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NettraceError } from '../../errors.ts';
import { type ConntrackEntry, natOf, parseConntrack, parseConntrackLine } from './conntrack.ts';
import { parseDpctlConntrack, parseDpctlConntrackLine } from './dpctl.ts';
import { formatIssue, ToolOutputError } from './errors.ts';

const data = (p: string) => readFileSync(new URL(`../../../testdata/outputs/${p}`, import.meta.url), 'utf8');
const NS = 'generated-here/netns-scenario/';
const withoutLine = ({ line: _line, ...rest }: ConntrackEntry) => rest;

describe('conntrack -E', () => {
  test('-o timestamp events: times, event types, states, zone 7 and mark 42', () => {
    const { entries, issues } = parseConntrack(data(`${NS}conntrack-E.txt`));
    assert.deepEqual(issues, []);
    assert.equal(entries.length, 33); // the stderr summary says "33 flow events have been shown."
    assert.equal(entries[0]?.timeUs, 1795696909484140);
    assert.deepEqual(withoutLine(entries[0]!), {
      tool: 'conntrack',
      timeUs: 1795696909484140,
      event: 'NEW',
      family: 'ipv4',
      protocol: 'udp',
      protocolNumber: 17,
      timeout: 30,
      orig: { src: '192.0.2.2', dst: '192.0.2.1', sport: 53080, dport: 4789 },
      reply: { src: '192.0.2.1', dst: '192.0.2.2', sport: 4789, dport: 53080 },
      unreplied: true,
      assured: false,
      flags: [],
      extra: {},
    });
    const count = (ev: string) => entries.filter((e) => e.event === ev).length;
    assert.deepEqual([count('NEW'), count('UPDATE'), count('DESTROY')], [18, 14, 1]); // grep -c of the file
    const http = entries.filter((e) => e.orig.dport === 8080 && e.family === 'ipv4').map((e) => e.state);
    assert.deepEqual(http, ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'LAST_ACK', 'TIME_WAIT']);
    const est = entries.find((e) => e.state === 'ESTABLISHED' && e.orig.dport === 8080);
    assert.equal(est?.assured, true);
    assert.equal(est?.timeout, 432000);
    assert.equal(est?.mark, 42);
    assert.equal(est?.zone, 7);
    const destroy = entries.find((e) => e.event === 'DESTROY');
    assert.equal(destroy?.family, 'ipv6');
    assert.equal(destroy?.state, 'CLOSE');
    assert.equal(destroy?.unreplied, true);
    assert.equal(destroy?.orig.src, 'fd00:10:244:1::2');
    const ping6 = entries.find((e) => e.protocol === 'icmpv6' && e.event === 'NEW');
    assert.deepEqual(ping6?.orig, {
      src: 'fd00:10:244:1::2',
      dst: 'fd00:10:244:2::2',
      icmpType: 128,
      icmpCode: 0,
      icmpId: 19116,
    });
    assert.equal(ping6?.reply.icmpType, 129);
    // Events are ordered in time.
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.timeUs! >= entries[i - 1]!.timeUs!);
  });

  test('plain -E is the same stream without times', () => {
    const stamped = parseConntrack(data(`${NS}conntrack-E.txt`)).entries;
    const plain = parseConntrack(data(`${NS}conntrack-E.plain.txt`)).entries;
    assert.deepEqual(
      plain.map((e) => withoutLine(e)),
      stamped.map(({ timeUs: _t, ...e }) => withoutLine(e as ConntrackEntry)),
    );
  });

  test('the timestamp is %ld.%-6ld: microseconds are not zero-padded', () => {
    // Format from conntrack-tools' event_cb: printf("[%-8ld.%-6ld]\t", tv_sec, tv_usec).
    const e = parseConntrackLine(
      '[1795696909.48414 ]\t    [NEW] udp      17 30 src=192.0.2.2 dst=192.0.2.1 sport=1 dport=2 [UNREPLIED] src=192.0.2.1 dst=192.0.2.2 sport=2 dport=1',
    );
    assert.equal(e.timeUs, 1795696909048414);
  });

  test('OVN-Kubernetes doc: NodePort DNAT through zones 9/11, host zone 64000 with mark 2', () => {
    const { entries, issues } = parseConntrack(data('ovn-kubernetes/conntrack-E.service-traffic-policy.txt'));
    assert.deepEqual(issues, []);
    assert.equal(entries.length, 9);
    assert.deepEqual(
      entries.map((e) => [e.event, e.state, e.zone]),
      [
        ['NEW', 'SYN_SENT', undefined],
        ['NEW', 'SYN_SENT', 9],
        ['NEW', 'SYN_SENT', 11],
        ['UPDATE', 'SYN_RECV', undefined],
        ['UPDATE', 'ESTABLISHED', undefined],
        ['NEW', 'ESTABLISHED', 64000],
        ['UPDATE', 'FIN_WAIT', undefined],
        ['UPDATE', 'LAST_ACK', undefined],
        ['UPDATE', 'TIME_WAIT', undefined],
      ],
    );
    assert.equal(entries[5]?.mark, 2);
    assert.deepEqual(natOf(entries[0]!), {
      dnat: { from: { address: '172.18.0.3', port: 31746 }, to: { address: '169.254.169.3', port: 31746 } },
    });
    assert.deepEqual(natOf(entries[1]!), {
      dnat: { from: { address: '169.254.169.3', port: 31746 }, to: { address: '10.244.1.3', port: 8080 } },
    });
    assert.deepEqual(natOf(entries[2]!), {}); // zone 11: already the backend, no translation
  });
});

describe('conntrack -L', () => {
  test('netns scenario listing: zone 7, mark 42, [ASSURED], unknown protocol, use=', () => {
    const { entries, issues } = parseConntrack(data(`${NS}conntrack-L.txt`));
    assert.deepEqual(issues, []);
    assert.equal(entries.length, 20); // "20 flow entries have been shown."
    const tcp = entries[2]!;
    assert.equal(tcp.protocol, 'tcp');
    assert.equal(tcp.state, 'TIME_WAIT');
    assert.equal(tcp.timeout, 117);
    assert.equal(tcp.assured, true);
    assert.equal(tcp.unreplied, false);
    assert.equal(tcp.mark, 42);
    assert.equal(tcp.zone, 7);
    assert.equal(tcp.use, 1);
    const igmp = entries.find((e) => e.protocol === 'unknown');
    assert.deepEqual(withoutLine(igmp!), {
      tool: 'conntrack',
      family: 'ipv4',
      protocol: 'unknown',
      protocolNumber: 2,
      timeout: 594,
      orig: { src: '0.0.0.0', dst: '224.0.0.22' },
      reply: { src: '224.0.0.22', dst: '0.0.0.0' },
      unreplied: true,
      assured: false,
      mark: 0,
      use: 1,
      flags: [],
      extra: {},
    });
    assert.equal(entries.filter((e) => e.zone === 7).length, 4);
    assert.deepEqual(
      parseConntrack(data(`${NS}conntrack-L-zone7.txt`)).entries.map((e) => e.protocol),
      ['tcp', 'icmp', 'icmpv6', 'udp'],
    );
    const v6 = parseConntrack(data(`${NS}conntrack-L-ipv6.txt`)).entries;
    assert.equal(v6.length, 1);
    assert.equal(v6[0]?.family, 'ipv6');
  });

  test('-o extended adds the layer-3 family and nothing else', () => {
    const ext = parseConntrack(data(`${NS}conntrack-L-extended.txt`)).entries;
    const plain = parseConntrack(data(`${NS}conntrack-L.txt`)).entries;
    assert.deepEqual(
      ext.map((e) => withoutLine(e)),
      plain.map((e) => withoutLine(e)),
    );
    assert.equal(ext.find((e) => e.protocol === 'icmpv6')?.family, 'ipv6');
  });

  test('the "flow entries have been shown" summaries are skipped', () => {
    assert.deepEqual(parseConntrack(data(`${NS}conntrack-L.stderr`)), { entries: [], issues: [] });
    assert.deepEqual(parseConntrack(data(`${NS}conntrack-E.stderr`)), { entries: [], issues: [] });
  });

  test('OVN-Kubernetes hairpin doc: secctx, zones 16/64000-64002, SNAT and DNAT', () => {
    const { entries, issues } = parseConntrack(data('ovn-kubernetes/conntrack-L.hairpin.txt'));
    assert.deepEqual(issues, []);
    assert.equal(entries.length, 11);
    assert.equal(entries[0]?.secctx, 'system_u:object_r:unlabeled_t:s0');
    assert.deepEqual(
      entries.map((e) => e.zone),
      [undefined, 64001, 16, undefined, 16, 64000, 64000, 16, undefined, 64001, 64002],
    );
    assert.deepEqual(natOf(entries[0]!), {});
    // Host → service: masqueraded to the masquerade IP in zone 64001 ...
    assert.deepEqual(natOf(entries[1]!), {
      snat: { from: { address: '172.18.0.3', port: 47108 }, to: { address: '169.254.169.2', port: 47108 } },
    });
    // ... load-balanced to the backend in zone 16 ...
    assert.deepEqual(natOf(entries[2]!), {
      dnat: { from: { address: '10.96.146.87', port: 80 }, to: { address: '10.244.1.3', port: 80 } },
    });
    // ... and SNATed to the router's join IP.
    assert.deepEqual(natOf(entries[3]!).snat?.to, { address: '100.64.0.4', port: 47108 });
  });

  test('counters, directional zones, ktimestamp, id, labels (hand-written from libnetfilter_conntrack format)', () => {
    const e = parseConntrackLine(
      'tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80 zone-orig=3 packets=3 bytes=180 ' +
        'src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1000 zone-reply=4 packets=2 bytes=120 [OFFLOAD] mark=0 zone=3 ' +
        'delta-time=5 [start=Sat Jan  1 00:00:00 2022] helper=ftp use=1 id=123456 labels=a,b',
    );
    assert.deepEqual(e.orig, {
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 1000,
      dport: 80,
      zone: 3,
      packets: 3,
      bytes: 180,
    });
    assert.deepEqual(e.reply, {
      src: '10.0.0.2',
      dst: '10.0.0.1',
      sport: 80,
      dport: 1000,
      zone: 4,
      packets: 2,
      bytes: 120,
    });
    assert.equal(e.offload, 'OFFLOAD');
    assert.equal(e.zone, 3);
    assert.equal(e.id, 123456);
    assert.equal(e.helper, 'ftp');
    assert.equal(e.labels, 'a,b');
    assert.deepEqual(e.extra, { 'delta-time': '5' });
    assert.deepEqual(e.flags, ['[start=Sat Jan  1 00:00:00 2022]']);
    const icmp = parseConntrackLine(
      'icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1 id=99',
    );
    assert.equal(icmp.reply.icmpId, 7);
    assert.equal(icmp.id, 99);
    const gre = parseConntrackLine(
      'gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 [ASSURED] mark=0 use=1',
    );
    assert.equal(gre.orig.srcKey, '0x0');
    assert.equal(gre.assured, true);
  });

  test('SNAT with ICMP id rewrite (hand-written, as MASQUERADE prints it)', () => {
    const e = parseConntrackLine(
      'icmp     1 29 src=10.128.2.43 dst=203.0.113.10 type=8 code=0 id=7 src=203.0.113.10 dst=198.18.0.9 type=0 code=0 id=51000 mark=0 use=1',
    );
    assert.deepEqual(natOf(e), {
      snat: { from: { address: '10.128.2.43', icmpId: 7 }, to: { address: '198.18.0.9', icmpId: 51000 } },
    });
  });

  test('bad lines are issues naming the line; the good ones are kept', () => {
    const text = [
      'tcp      6 117 TIME_WAIT src=10.244.1.2 dst=10.244.2.2 sport=51278 dport=8080 src=10.244.2.2 dst=10.244.1.2 sport=8080 dport=51278 [ASSURED] mark=42 zone=7 use=1',
      'garbage here',
      'tcp      6 117 TIME_WAIT src=10.244.1.2 dst=10.244.2.2 sport=99999 dport=8080 src=10.244.2.2 dst=10.244.1.2 sport=8080 dport=51278',
      'udp      17 28 src=192.0.2.2 dst=192.0.2.1 sport=47991 dport=4789 [UNREPLIED]',
      'tcp      6 117 TIME_WAIT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 zone=abc',
    ].join('\n');
    const { entries, issues } = parseConntrack(text);
    assert.equal(entries.length, 1);
    assert.deepEqual(
      issues.map((i) => formatIssue(i).replace(/: ".*$/, '')),
      [
        'conntrack: line 2: expected "PROTOCOL NUMBER" (e.g. "tcp 6") at the start',
        'conntrack: line 3: original sport: 99999 is out of range (max 65535)',
        'conntrack: line 4: reply tuple has no src=',
        'conntrack: line 5: zone: expected a number, got "abc"',
      ],
    );
    assert.throws(() => parseConntrackLine('nope'), ToolOutputError);
  });

  test('never throws on arbitrary text; parseConntrackLine throws only NettraceError', () => {
    const piece = fc.constantFrom(
      'tcp',
      '6',
      '120',
      'SYN_SENT',
      'src=10.0.0.1',
      'dst=::1',
      'sport=65535',
      'dport=x',
      'type=8',
      'id=',
      '[UNREPLIED]',
      '[ASSURED]',
      '[1.2 ]',
      '[NEW]',
      'ipv4 2',
      'zone=7',
      'mark=',
      '=',
      '[',
      ']',
      '\t',
    );
    const line = fc
      .array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 24 })
      .map((a) => a.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
        const text = lines.join('\n');
        const r = parseConntrack(text);
        assert.ok(Array.isArray(r.entries));
        parseDpctlConntrack(text.replaceAll(' ', ','));
        for (const l of lines) {
          try {
            parseConntrackLine(l);
          } catch (e) {
            assert.ok(e instanceof NettraceError, `threw ${String(e)}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ovs-appctl dpctl/dump-conntrack', () => {
  test('OVN-Kubernetes doc: zones, mark, protoinfo state, DNAT to the backend', () => {
    const { entries, issues } = parseDpctlConntrack(data('ovn-kubernetes/dpctl-dump-conntrack.txt'));
    assert.deepEqual(issues, []);
    assert.deepEqual(
      entries.map((e) => [e.protocol, e.zone, e.mark, e.state]),
      [
        ['tcp', 11, undefined, 'TIME_WAIT'],
        ['tcp', undefined, undefined, 'TIME_WAIT'],
        ['tcp', 64000, 2, 'TIME_WAIT'],
        ['tcp', 10, undefined, 'TIME_WAIT'],
      ],
    );
    assert.equal(entries[0]?.tool, 'dpctl');
    assert.deepEqual(entries[0]?.orig, { src: '172.18.0.5', dst: '10.244.0.4', sport: 50134, dport: 8080 });
    assert.deepEqual(natOf(entries[1]!), {
      dnat: { from: { address: '172.18.0.10', port: 80 }, to: { address: '10.244.0.4', port: 8080 } },
    });
    assert.deepEqual(natOf(entries[2]!), {});
  });

  test('the same connection read from conntrack and from dpctl gives the same tuples and NAT', () => {
    const fromDpctl = parseDpctlConntrackLine(
      'tcp,orig=(src=172.18.0.1,dst=172.18.0.3,sport=36366,dport=31746),reply=(src=169.254.169.3,dst=172.18.0.1,sport=31746,dport=36366),zone=9',
    );
    const fromConntrack = parseConntrack(data('ovn-kubernetes/conntrack-E.service-traffic-policy.txt'))
      .entries[0]!;
    assert.deepEqual(fromDpctl.orig, fromConntrack.orig);
    assert.deepEqual(fromDpctl.reply, fromConntrack.reply);
    assert.deepEqual(natOf(fromDpctl), natOf(fromConntrack));
  });

  test('-m form: id, status flags, ICMP type/code, numeric protocol (hand-written from ct-dpif.c format)', () => {
    const e = parseDpctlConntrackLine(
      'icmp,orig=(src=10.244.0.5,dst=10.244.1.3,id=7,type=8,code=0),reply=(src=10.244.1.3,dst=10.244.0.5,id=7,type=0,code=0),' +
        'id=12345,zone=5,status=SEEN_REPLY|CONFIRMED,timeout=29',
    );
    assert.equal(e.id, 12345);
    assert.equal(e.timeout, 29);
    assert.deepEqual(e.status, ['SEEN_REPLY', 'CONFIRMED']);
    assert.equal(e.unreplied, false);
    assert.equal(e.assured, false);
    assert.deepEqual(e.orig, { src: '10.244.0.5', dst: '10.244.1.3', icmpId: 7, icmpType: 8, icmpCode: 0 });
    const n = parseDpctlConntrackLine(
      '47,orig=(src=fd00::1,dst=fd00::2,sport=0,dport=0),reply=(src=fd00::2,dst=fd00::1,sport=0,dport=0)',
    );
    assert.equal(n.protocol, 'gre');
    assert.equal(n.protocolNumber, 47);
    assert.equal(n.family, 'ipv6');
    const v = parseDpctlConntrackLine(
      'tcp,orig=(src=1.1.1.1,dst=2.2.2.2,sport=1,dport=2),reply=(src=2.2.2.2,dst=1.1.1.1,sport=2,dport=1),' +
        'protoinfo=(state_orig=ESTABLISHED,state_reply=ESTABLISHED,wscale_orig=7,wscale_reply=7)',
    );
    assert.equal(v.state, 'ESTABLISHED');
    assert.equal(v.protoinfo?.wscale_orig, '7');
  });

  test('bad lines are issues', () => {
    const { entries, issues } = parseDpctlConntrack(
      'tcp,orig=(src=1.1.1.1,dst=2.2.2.2,sport=1,dport=2)\nzone=3\ntcp,orig=(src=1.1.1.1,dst=2.2.2.2,sport=70000,dport=2),reply=(src=2.2.2.2,dst=1.1.1.1)',
    );
    assert.deepEqual(entries, []);
    assert.deepEqual(
      issues.map((i) => formatIssue(i).replace(/: ".*$/, '')),
      [
        'ovs-appctl dpctl/dump-conntrack: line 1: no reply=(...)',
        'ovs-appctl dpctl/dump-conntrack: line 2: expected the protocol first (tcp, udp, icmp, ... or a number)',
        'ovs-appctl dpctl/dump-conntrack: line 3: orig sport: 70000 is out of range (max 65535)',
      ],
    );
  });
});
