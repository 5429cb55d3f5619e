// The display filter language on its own: what each form means on real packets (a Geneve tunnel,
// an HTTP exchange), the errors a typo gets, and properties over generated filters. Agreement with
// tshark over every capture is tshark-diff.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { makeDissector, setFrame } from '../analyze.ts';
import { type FrameInfo, newFrameInfo } from '../decode/fields.ts';
import type { Packet } from '../decode/packet.ts';
import { isNettraceError } from '../errors.ts';
import { readCaptureFile } from '../pcap/reader.ts';
import { TESTDATA } from '../pcap/test-support/captures.ts';
import { compileFilter } from './display-filter.ts';
import { integerLiteral, ipv6Number, literalFor, parseHex } from './values.ts';

interface Frame {
  p: Packet;
  f: FrameInfo;
}

function frames(rel: string): Frame[] {
  const d = makeDissector();
  const out: Frame[] = [];
  const running = newFrameInfo();
  readCaptureFile(join(TESTDATA, rel), {
    onPacket(rec, iface) {
      out.push({
        p: d.decode(rec.data.slice(), rec.origLen, rec.linktype),
        f: { ...setFrame(running, rec, iface) },
      });
    },
  });
  return out;
}

/** Frame numbers `filter` matches. */
function pick(fs: Frame[], filter: string): number[] {
  const c = compileFilter(filter);
  return fs.filter((x) => c.matches(x.p, x.f)).map((x) => x.f.number);
}

// Six frames: 20.0.0.1 <-> 20.0.0.2 outside (UDP 6081), ICMP echo 30.0.0.1 <-> 30.0.0.2 inside.
const GENEVE = frames('zeek/tunnels__geneve.pcap');
// 14 frames: 141.142.228.5:59856 (TTL 64) -> 192.150.187.43:80 (TTL 47), GET in 4, 200 in 6.
const HTTP = frames('zeek/http__get.pcap');

describe('display filter meaning', () => {
  test('a test holds when any occurrence holds it: outer or tunnelled headers', () => {
    assert.deepEqual(pick(GENEVE, 'ip.addr == 30.0.0.1'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(GENEVE, 'ip.src == 30.0.0.1'), [1, 3, 5]);
    assert.deepEqual(pick(GENEVE, 'ip.src == 20.0.0.1 && ip.src == 30.0.0.1'), [1, 3, 5]);
    assert.deepEqual(pick(GENEVE, 'udp.port == 6081 && icmp.type == 0'), [2, 4, 6]);
  });

  test('!= is "no occurrence equal"; ~= is "some occurrence not equal"; === is "every one equal"', () => {
    assert.deepEqual(pick(GENEVE, 'ip.src != 30.0.0.1'), [2, 4, 6]);
    assert.deepEqual(pick(GENEVE, 'ip.src ~= 30.0.0.1'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(GENEVE, 'ip.src === 30.0.0.1'), []);
    assert.deepEqual(pick(GENEVE, 'ip.src === 16.0.0.0/4'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(GENEVE, 'all ip.src == 16.0.0.0/4'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(GENEVE, 'all ip.src == 20.0.0.0/8'), []);
    assert.deepEqual(pick(GENEVE, 'any ip.src == 30.0.0.2'), [2, 4, 6]);
  });

  test('a missing field fails every comparison, != included; alone it tests presence', () => {
    assert.deepEqual(pick(HTTP, 'udp.port != 53'), []);
    assert.deepEqual(pick(HTTP, 'udp.port < 65535'), []);
    assert.deepEqual(pick(HTTP, 'http.request.method'), [4]);
    assert.deepEqual(pick(HTTP, '!http.request.method && http'), [6]);
    assert.deepEqual(pick(GENEVE, 'geneve && icmp && !tcp && frame'), [1, 2, 3, 4, 5, 6]);
  });

  test('numbers: decimal, hex, octal, true/false; relations; & tests bits', () => {
    assert.deepEqual(pick(HTTP, 'ip.ttl < 50'), [2, 5, 6, 7, 8, 9, 13]);
    assert.deepEqual(pick(HTTP, 'ip.ttl == 0100 && tcp.srcport == 0xe9d0'), [1, 3, 4, 10, 11, 12, 14]);
    assert.deepEqual(pick(HTTP, 'tcp.flags.syn == True'), [1, 2]);
    assert.deepEqual(pick(HTTP, 'tcp.flags & 0x01'), [12, 13]);
    assert.deepEqual(pick(HTTP, 'tcp.flags & 0x12 && tcp.flags.ack == false'), [1]);
    assert.deepEqual(pick(HTTP, 'frame.number >= 13 or frame.number le 1'), [1, 13, 14]);
    assert.deepEqual(pick(HTTP, 'http.response.code ge 200 and http.response.code lt 300'), [6]);
  });

  test('sets, ranges, subnets, MAC forms, strings', () => {
    assert.deepEqual(pick(HTTP, 'frame.number in {2, 4..5 9}'), [2, 4, 5, 9]);
    assert.deepEqual(pick(HTTP, 'ip.src in {141.142.0.0/16} && tcp.flags == 0x0018'), [4]);
    assert.deepEqual(pick(GENEVE, 'eth.src == 00-1b-21-3c-ab-64'), [1, 3, 5]);
    assert.deepEqual(pick(GENEVE, 'eth.src == 001b.213c.ab64'), [1, 3, 5]);
    assert.deepEqual(pick(GENEVE, 'eth.src == B2:1A:43:D5:FA:4C'), [1, 3, 5]);
    assert.deepEqual(pick(GENEVE, 'eth.addr == B2:1A:43:D5:FA:4C'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(HTTP, 'http.request.method == GET'), [4]);
    assert.deepEqual(pick(HTTP, 'http.request.method == "get"'), []);
    assert.deepEqual(pick(HTTP, 'http.request.method matches "^g.t$"'), [4]);
    assert.deepEqual(pick(HTTP, 'http.request.uri contains "/"'), [4]);
  });

  test('frame contains / matches look at the bytes', () => {
    assert.deepEqual(pick(HTTP, 'frame contains "HTTP/1.1 200"'), [6]);
    assert.deepEqual(pick(HTTP, 'frame contains 47:45:54:20'), [4]);
    assert.deepEqual(pick(HTTP, 'frame matches "http/1\\\\.1 2\\\\d\\\\d"'), [6]);
  });

  test('any/all change every relation: any != is ~=, any === is ==, all == is ===', () => {
    assert.deepEqual(pick(HTTP, 'any tcp.port != 80'), pick(HTTP, 'tcp.port ~= 80'));
    assert.equal(pick(HTTP, 'any tcp.port != 80').length, 14);
    assert.deepEqual(pick(HTTP, 'any tcp.port === 80'), pick(HTTP, 'tcp.port == 80'));
    assert.deepEqual(pick(HTTP, 'all tcp.port == 80'), []);
    assert.deepEqual(pick(HTTP, 'all tcp.port != 1'), pick(HTTP, 'tcp'));
    assert.deepEqual(pick(HTTP, 'tcp.port !== 80'), pick(HTTP, 'tcp.port ~= 80'));
  });

  test('ranges with spaces, & compared, bitwise_and, booleans by truth', () => {
    for (const f of ['frame.number in {2 .. 4}', 'frame.number in {2.. 4}', 'frame.number in {2 ..4}']) {
      assert.deepEqual(pick(HTTP, f), [2, 3, 4], f);
    }
    assert.deepEqual(pick(HTTP, 'tcp.flags & 0x12 == 0x12'), [2]);
    assert.deepEqual(pick(HTTP, 'tcp.flags bitwise_and 0x01'), [12, 13]);
    assert.deepEqual(pick(HTTP, 'tcp.flags.syn == 2'), [1, 2]);
    assert.deepEqual(pick(HTTP, 'frame.len == 0b1000010'), pick(HTTP, 'frame.len == 66'));
  });

  test('frame contains: escapes are bytes, hex in any of its forms', () => {
    const arp = frames('zeek/arp-who-has.pcap');
    assert.deepEqual(pick(arp, 'frame contains "\\xff\\xff\\xff\\xff\\xff\\xff"'), [1]);
    assert.deepEqual(pick(HTTP, 'frame contains "\\110TTP/1.1 200"'), [6]);
    for (const f of [
      'frame contains 48-54-54-50',
      'frame contains 48.54.54.50',
      'frame contains 48:54:54:50',
    ]) {
      assert.deepEqual(pick(HTTP, f), [4, 6], f);
    }
    assert.equal(pick(HTTP, 'frame contains 00').length, 14);
    // One or two hex digits after \\x, one to three octal digits: as C and tshark read them.
    assert.deepEqual(pick(HTTP, 'frame contains "\\x47ET /"'), pick(HTTP, 'frame contains "G\\105T /"'));
    assert.deepEqual(pick(HTTP, 'frame contains "\\x47ET /"'), [4]);
    assert.deepEqual(pick(arp, 'frame contains "\\x8\\6"'), [1, 2]);
    assert.deepEqual(pick(HTTP, 'frame contains 0x48').length > 0, true);
  });

  test('time windows: frame.time_relative and frame.time_delta (as tshark reads them)', () => {
    assert.deepEqual(pick(HTTP, 'frame.time_delta > 0.01 && frame.time_relative < 0.2'), [2, 5]);
    assert.deepEqual(pick(HTTP, 'frame.time_relative >= 0.211484'), [13, 14]);
    assert.deepEqual(pick(HTTP, 'frame.time_relative == 0'), [1]);
  });

  test('second review: any with & compared, bytes by length first, value names, matches on bytes', () => {
    // GENEVE's frames carry two IP headers (TTL 64 both): any/all decide between them.
    assert.deepEqual(pick(GENEVE, 'any ip.ttl & 0x40 != 0x40'), []);
    assert.deepEqual(pick(GENEVE, 'any ip.proto & 0x10 != 0'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(GENEVE, 'ip.proto & 0x10 != 0'), []);
    const arp = frames('zeek/arp-who-has.pcap');
    assert.deepEqual(pick(arp, 'arp.opcode == request'), [1]);
    assert.deepEqual(pick(GENEVE, 'ip.proto == UDP && eth.type == IPv4'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(HTTP, 'ip.flags.df == set'), pick(HTTP, 'ip.flags.df == 1'));
    assert.deepEqual(pick(GENEVE, 'ip.proto == "udp"'), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(pick(arp, 'arp.opcode == "reply"'), [2]);
    // Times to the nanosecond, not as doubles (which hold an epoch time to ~200 ns).
    const nano = frames('tcpdump/tcp-handshake-nano.pcap');
    assert.deepEqual(pick(nano, 'frame.time_epoch > 1418145370.052027261'), [2, 3]);
    assert.deepEqual(pick(nano, 'frame.time_epoch == 1418145370.052027263'), []);
    assert.deepEqual(pick(nano, 'frame.time_epoch == 1418145370.052027262'), [2]);
    assert.deepEqual(pick(GENEVE, 'eth.src matches "\\x64$"'), [1, 3, 5]);
  });

  test('a classic pcap file has no interface fields (as in tshark)', () => {
    assert.deepEqual(pick(HTTP, 'frame.interface_name || frame.interface_id'), []);
    assert.deepEqual(pick(HTTP, 'frame.interface_name != "eth0"'), []);
  });

  test('deep nesting is an error, a long chain is evaluated without a deep stack', () => {
    assert.throws(
      () => compileFilter(`${'('.repeat(5000)}tcp${')'.repeat(5000)}`),
      /nested more than 200 deep/,
    );
    assert.throws(() => compileFilter(`${'!'.repeat(10000)}tcp`), /nested more than 200 deep/);
    const long = compileFilter(`ip${'&&ip'.repeat(25000)}`);
    assert.equal(long.matches(HTTP[0]!.p, HTTP[0]!.f), true);
  });

  test('precedence: not, then and, then or; parentheses', () => {
    assert.deepEqual(pick(HTTP, 'frame.number == 1 || frame.number == 2 && ip.ttl == 64'), [1]);
    assert.deepEqual(pick(HTTP, '(frame.number == 1 || frame.number == 2) && ip.ttl == 47'), [2]);
    assert.deepEqual(pick(HTTP, '!frame.number > 2'), [1, 2]);
    assert.deepEqual(pick(HTTP, 'not not frame.number == 3'), [3]);
  });
});

describe('display filter errors', () => {
  const cases: [string, RegExp][] = [
    ['tcp.port = 80', /"=" was unexpected at character 10 of: tcp\.port = 80$/],
    ['tcp.prot == 1', /"tcp\.prot" is neither a field nor a protocol name .* at character 1 of/],
    ['ip.src == ip.dst', /"ip\.dst" is a field: comparing two fields is not supported/],
    ['tcp.port in {80..90', /"}" is missing at the end in: /],
    [
      'ip.addr == 300.1.1.1',
      /"300\.1\.1\.1" is not a value for ip\.addr: it takes an IPv4 address .* at character 12/,
    ],
    ['ip.addr == 10.0.0.0/33', /"10\.0\.0\.0\/33" is not a value for ip\.addr/],
    ['ipv6.addr == ::1/129', /"::1\/129" is not a value for ipv6\.addr/],
    ['all ip.ttl', /a comparison was expected after "all ip\.ttl"/],
    ['', /it is empty/],
    ['tcp && ', /a field is missing at the end/],
    ['(tcp', /"\)" is missing at the end/],
    ['tcp)', /"\)" was unexpected at character 4/],
    ['tcp == 1', /"tcp" is a protocol: it has no value to compare/],
    ['udp contains "x"', /works for "frame" only/],
    ['dns.qry.name matches "("', /bad regular expression/],
    ['dns.qry.name matches foo', /"matches" takes a quoted regular expression/],
    ['tcp.flags & 1.5', /"1\.5" is not an integer for tcp\.flags/],
    ['ip.addr == "10.0.0.1', /a string is not closed at character 12/],
    ['tcp.port in {}', /an empty set/],
    ['tcp.port == 80 $', /"\$" was unexpected at character 16/],
    ['frame.len > 1e3', /"1e3" is not a value for frame\.len: it takes an integer/],
    ['tcp.srcport > 1O24', /"1O24" is not a value for tcp\.srcport/],
    ['ip.ttl > 08', /"08" is not a value for ip\.ttl/],
    ['tcp.port == "80"', /"80" is not a value for tcp\.port/],
    ['ip.addr == "10.0.0.1"', /"10\.0\.0\.1" is not a value for ip\.addr: it takes an IPv4 address/],
    ['ip.addr == fe80::1', /is not a value for ip\.addr/],
    ['tcp.port contains "8"', /"contains" applies to strings and bytes; tcp\.port is not one/],
    ['ip.ttl matches "6"', /"matches" applies to strings and bytes; ip\.ttl is not one/],
    ['http.host matches "^[[:alpha:]]+$"', /POSIX classes/],
    ['ip.addr & 1', /"&" applies to integer fields; ip\.addr is not one/],
    ['tcp.flags & 0x12 == x', /"x" is not an integer for tcp\.flags/],
    ['tcp.port in {1 ..}', /a range needs a value on each side/],
    ['frame contains xyz', /frame contains takes a quoted string or bytes in hex/],
    ['"\\777"', /more than a byte/],
    ['http.host matches "\\."', /"\\\." is not a valid character escape/],
    ['ip.ttl > 300', /300 does not fit ip\.ttl: it holds 0 to 255/],
    ['tcp.port > -1', /-1 does not fit tcp\.port: it holds 0 to 65535/],
    ['frame.time_epoch > 1.7e9', /"1\.7e9" is not a value for frame\.time_epoch/],
    ['ip.proto == nosuch', /"nosuch" is not a value for ip\.proto/],
    ['ip.proto == udp', /"udp" is a field/],
    ['ip.proto == GRE', /"GRE" is not a value for ip\.proto/],
    ['dns.flags.response == set', /"set" is not a value for dns\.flags\.response/],
    ['ip.ttl & 0x1ff', /0x1ff does not fit ip\.ttl: it holds 0 to 255/],
    ['tcp.port & 0xffff == 0x10050', /0x10050 does not fit tcp\.port/],
    ['any ip.ttl & 1', /a comparison was expected after "any ip\.ttl & \.\.\."/],
    ['tcp.flags.syn & 1', /"&" applies to integer fields; tcp\.flags\.syn is not one/],
    ['frame.time_relative > 0x10', /"0x10" is not a value for frame\.time_relative/],
    ['frame.time_relative > 0.0000000001', /"0\.0000000001" is not a value/],
    ['http.host == "\\?"', /"\\\?" is not a valid character escape/],
  ];
  for (const [text, message] of cases) {
    test(JSON.stringify(text), () => {
      assert.throws(
        () => compileFilter(text),
        (e: unknown) => isNettraceError(e) && e.code === 'bad-filter' && message.test(e.message),
      );
    });
  }

  test('any text either compiles or fails with a bad-filter error', () => {
    const alphabet = fc.constantFrom(
      ...'tcp ip.addr == != && || ! ( ) { } , .. 10.0.0.1 ::1 /8 "x" \\ 0x1f all any in contains matches & < > ~ 07'.split(
        ' ',
      ),
      ' ',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 12 }).map((a) => a.join(' ')),
        ),
        (s) => {
          try {
            compileFilter(s).matches(HTTP[3]!.p, HTTP[3]!.f);
          } catch (e) {
            assert.ok(isNettraceError(e) && e.code === 'bad-filter', String(e));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('display filter logic, on generated filters', () => {
  const ATOMS = [
    'tcp',
    'http',
    'ip.ttl > 50',
    'tcp.srcport == 80',
    'tcp.flags & 0x02',
    'frame.number in {1..4, 9}',
    'ip.src != 141.142.228.5',
    'frame contains "HTTP"',
    'tcp.len >= 1',
  ];
  type Expr = { text: string; eval: (i: number) => boolean };
  const atomValues = ATOMS.map((a) => {
    const c = compileFilter(a);
    return HTTP.map((x) => c.matches(x.p, x.f));
  });
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.nat(ATOMS.length - 1).map((k) => ({ text: ATOMS[k]!, eval: (i: number) => atomValues[k]![i]! })),
      tie('e').map((a) => ({ text: `!(${a.text})`, eval: (i: number) => !a.eval(i) })),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => ({
        text: `(${a.text}) && (${b.text})`,
        eval: (i: number) => a.eval(i) && b.eval(i),
      })),
      fc.tuple(tie('e'), tie('e')).map(([a, b]) => ({
        text: `(${a.text}) or (${b.text})`,
        eval: (i: number) => a.eval(i) || b.eval(i),
      })),
    ),
  })).e;

  test('not/and/or compose as boolean logic over the atoms', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const c = compileFilter(e.text);
        HTTP.forEach((x, i) => {
          assert.equal(c.matches(x.p, x.f), e.eval(i), e.text);
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('filter literals', () => {
  test('IPv6 text forms', () => {
    assert.equal(ipv6Number('::'), 0n);
    assert.equal(ipv6Number('::1'), 1n);
    assert.equal(ipv6Number('1::'), 1n << 112n);
    assert.equal(ipv6Number('::ffff:10.0.0.1'), (0xffffn << 32n) | 0x0a000001n);
    assert.equal(ipv6Number('fe80:0:0:0:0:0:0:1'), ipv6Number('fe80::1'));
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'fe80::g', '1:2:3:4:5:6:7']) {
      assert.equal(ipv6Number(bad), undefined, bad);
    }
  });

  test('values read as the kind of their field asks', () => {
    assert.equal(literalFor('ipv4', 'ip.addr', '10.0.0.0/8').compare('10.255.0.1'), 0);
    assert.equal(literalFor('ipv4', 'ip.addr', '10.0.0.0/8').compare('11.0.0.0'), 1);
    assert.equal(literalFor('ipv4', 'ip.addr', '10.0.0.0/8').compare('fe80::1'), Number.NaN);
    assert.equal(literalFor('ipv6', 'ipv6.addr', 'fe80::/10').compare('febf::1'), 0);
    assert.equal(literalFor('ipv6', 'ipv6.addr', 'fe80::/10').compare('fec0::1'), 1);
    assert.equal(integerLiteral('0x10'), 16);
    assert.equal(integerLiteral('010'), 8);
    assert.equal(integerLiteral('0b101'), 5);
    assert.equal(integerLiteral('-3'), -3);
    for (const bad of ['08', '1e3', '1_000', '1.5', '1O24', '0x', ''])
      assert.equal(integerLiteral(bad), undefined, bad);
    assert.equal(literalFor('time', 'frame.time_epoch', '1.5').compare('1.50'), 0);
    assert.equal(literalFor('uint', 'tcp.flags', '1').compare('0x0001'), 0);
    assert.equal(literalFor('uint', 'ip.ttl', '1').compare(''), Number.NaN);
    assert.equal(literalFor('bool', 'tcp.flags.syn', 'True').compare('1'), 0);
    assert.equal(literalFor('bool', 'tcp.flags.syn', '2').compare('1'), 0);
    assert.equal(literalFor('ether', 'eth.dst', 'ffffffffffff').compare('ff:ff:ff:ff:ff:ff'), 0);
    assert.equal(literalFor('string', 'http.host', 'GET').text, 'GET');
    // Bytes as tshark orders them: the shorter first, then by content.
    assert.equal(literalFor('bytes', 'arp.src.hw', 'ff:ff:ff:ff:ff').compare('00:00:00:00:00:00'), 1);
    assert.equal(literalFor('bytes', 'arp.src.hw', '01').compare('00:00'), 1);
    assert.equal(literalFor('bytes', 'arp.src.hw', '01').compare('00'), -1);
    assert.equal(parseHex('001b.213c.ab64'), '001b213cab64');
    assert.equal(parseHex('0x48'), '48');
    assert.equal(parseHex('48.54.54.50'), '48545450');
    for (const [kind, field, word] of [
      ['ipv4', 'ip.addr', '256.0.0.1'],
      ['ipv4', 'ip.addr', '10.0.0.0/33'],
      ['ipv4', 'ip.addr', 'fe80::1'],
      ['ipv6', 'ipv6.addr', '::1/129'],
      ['uint', 'frame.len', '1e3'],
      ['uint', 'ip.flags', 'set'],
      ['ether', 'eth.src', '00:11:22'],
      ['bytes', 'arp.src.hw', 'xyz'],
    ] as const) {
      assert.throws(
        () => literalFor(kind, field, word),
        new RegExp(`is not a value for ${field.replace('.', '\\.')}`),
      );
    }
    assert.throws(
      () => literalFor('uint', 'tcp.port', '80', { text: '80', bytes: Uint8Array.of(56, 48) }),
      /takes an integer/,
    );
  });
});
