import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkHttp, httpFields } from './http.ts';
import type { HttpLayer } from './layers.ts';
import { PROTO_BITS } from './packet.ts';
import { httpSegment } from './test-support/flat-frames-http.ts';
import { tcp4Frame } from './test-support/l4-build.ts';
import { decodeFrame, f, issueCodes, layer, protos } from './test-support/l4-decode.ts';
import {
  corpusDiffTests,
  diffCorpus,
  type KnownDiff,
  showDiffs,
  testdata,
  withTempPcap,
} from './test-support/l4-diff.ts';

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const toServer = (s: string, port = 80) => tcp4Frame(40000, port, bytes(s));
const fromServer = (s: string) => tcp4Frame(80, 40000, bytes(s));
const PAYLOAD = 14 + 20 + 20;

describe('http: start lines and headers', () => {
  test('which payloads start a message: prefixes, short and cut ones, in any mix (property)', () => {
    // The rule, said plainly: after an optional CRLF (when more than 3 bytes remain) and an optional
    // "M-", "HTTP/" or "ICY" starts a response, and 3 to 16 of A-Z _ - then a blank or line end (or
    // the end) a request when the word is a method Wireshark knows.
    const METHOD = /^[A-Z_-]{3,16}(?=[ \r\n]|$)/;
    const known = new Set(['GET', 'POST', 'SEARCH', 'NOTIFY']); // of Wireshark's list, those the pieces make
    const starts = (s: string): boolean => {
      let t = s.length > 3 && s.startsWith('\r\n') ? s.slice(2) : s;
      if (t.length === 0 || t.charCodeAt(0) < 0x20 || t.charCodeAt(0) > 0x7e) return false;
      if (t.startsWith('M-')) t = t.slice(2);
      if (t.startsWith('HTTP/') || t.startsWith('ICY')) return true;
      const m = METHOD.exec(t);
      return m !== null && known.has(m[0]);
    };
    const piece = fc.constantFrom(
      'M-',
      'M',
      'HTTP/',
      'HTTP',
      'HTT',
      'ICY',
      'IC',
      'GET ',
      'GET',
      'POST ',
      'SEARCH ',
      'NOTIFY ',
      '\r\n',
      ' ',
      '/1.1 200',
      'x',
      '\u00ff',
      'A',
      '-',
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (parts) => {
        const s = parts.join('');
        const p = decodeFrame(toServer(s));
        assert.equal(protos(p).includes('http'), starts(s), JSON.stringify(s));
      }),
      { numRuns: 3000 },
    );
  });

  test('a request', () => {
    const msg =
      'GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\nUser-Agent: Wget/1.14\r\nHost: bro.org\r\nAccept: */*\r\n\r\n';
    const p = decodeFrame(toServer(msg));
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp', 'http']);
    assert.equal(p.issues, undefined);
    assert.deepEqual(layer(p, 'http'), {
      proto: 'http',
      offset: PAYLOAD,
      hlen: msg.length,
      kind: 'request',
      method: 'GET',
      uri: '/download/CHANGES.bro-aux.txt',
      version: 'HTTP/1.1',
      status: undefined,
      reason: undefined,
      headers: [
        ['User-Agent', 'Wget/1.14'],
        ['Host', 'bro.org'],
        ['Accept', '*/*'],
      ],
      host: 'bro.org',
      contentLength: undefined,
      complete: true,
    });
    assert.equal(f(p, 'http.request.method'), 'GET');
    assert.equal(f(p, 'http.request.uri'), '/download/CHANGES.bro-aux.txt');
    assert.equal(f(p, 'http.request.version'), 'HTTP/1.1');
    assert.equal(f(p, 'http.host'), 'bro.org');
    assert.equal(f(p, 'http.user_agent'), 'Wget/1.14');
    assert.equal(f(p, 'http.accept'), '*/*');
    assert.equal(f(p, 'http.response.code'), '');
  });

  test('a response with a body in the same segment', () => {
    const p = decodeFrame(
      fromServer(
        'HTTP/1.0 404 Not Found Here\r\ncontent-length:  12 \r\nContent-Type: text/plain\r\n\r\nHello World\n',
      ),
    );
    const h = layer(p, 'http');
    assert.equal(h.kind, 'response');
    assert.equal(h.status, 404);
    assert.equal(h.reason, 'Not Found Here');
    assert.equal(h.contentLength, 12);
    assert.equal(f(p, 'http.response.version'), 'HTTP/1.0');
    assert.equal(f(p, 'http.response.code'), '404');
    assert.equal(f(p, 'http.response.phrase'), 'Not Found Here');
    assert.equal(f(p, 'http.content_length_header'), '12 ', 'trailing blanks are kept, leading ones skipped');
    assert.equal(f(p, 'http.content_type'), 'text/plain');
    assert.equal(f(p, 'http.request.method'), '');
  });

  test('tokens as Wireshark reads them: empty URI, version = rest of line, odd status codes', () => {
    assert.equal(f(decodeFrame(toServer('GET  /x HTTP/1.1\r\n\r\n')), 'http.request.version'), '/x HTTP/1.1');
    assert.equal(
      f(decodeFrame(toServer('GET /x HTTP/1.1 extra\r\n\r\n')), 'http.request.version'),
      'HTTP/1.1 extra',
    );
    const codes = [
      'HTTP/1.1 200\r\n\r\n',
      'HTTP/1.1 abc OK\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1 20 X\r\n\r\n',
      'HTTP/1.1  099 Low\r\n\r\n',
    ];
    assert.deepEqual(
      codes.map((s) => f(decodeFrame(fromServer(s)), 'http.response.code')),
      ['200', '0', '200', '', '99'],
    );
    assert.equal(f(decodeFrame(fromServer('HTTP/1.1 200 \r\n\r\n')), 'http.response.phrase'), '');
  });

  test('methods: the known ones (M- prefix too), case-sensitive; ICY responses', () => {
    for (const m of ['PUT', 'PROPFIND', 'M-SEARCH', 'VERSION-CONTROL', 'NOTIFY']) {
      assert.equal(f(decodeFrame(toServer(`${m} * HTTP/1.1\r\n\r\n`)), 'http.request.method'), m);
    }
    for (const m of ['get', 'FOO', 'GET\t/tab']) {
      assert.deepEqual(protos(decodeFrame(toServer(`${m} / HTTP/1.1\r\n\r\n`))), ['eth', 'ip', 'tcp'], m);
    }
    assert.equal(f(decodeFrame(fromServer('ICY 200 OK\r\n\r\n')), 'http.response.version'), 'ICY');
  });

  test('bare LF and lone CR line ends; a leading CRLF is skipped; tabs after the colon', () => {
    const lf = decodeFrame(toServer('GET /a HTTP/1.1\nHost: b\nUser-Agent: c\n\n'));
    assert.equal(f(lf, 'http.user_agent'), 'c');
    assert.equal(layer(lf, 'http').complete, true);
    assert.equal(f(decodeFrame(toServer('GET /a HTTP/1.1\rHost: cr\r\r')), 'http.host'), 'cr');
    assert.equal(f(decodeFrame(toServer('\r\nGET /lead HTTP/1.1\r\n\r\n')), 'http.request.uri'), '/lead');
    assert.equal(
      f(decodeFrame(toServer('GET /a HTTP/1.1\r\nHost:\t\t tabbed\r\n\r\n')), 'http.host'),
      'tabbed',
    );
  });

  test('field text: bytes above 0x7f as U+FFFD, a NUL ends a value, TAB written as \\t', () => {
    const p = decodeFrame(
      toServer('GET /\xc3\xa9 HTTP/1.1\r\nHost: h\xe9\x01\tz\r\nUser-Agent: a\x00b\r\n\r\n'),
    );
    assert.equal(f(p, 'http.request.uri'), '/\ufffd\ufffd');
    assert.equal(f(p, 'http.host'), 'h\ufffd\x01\\tz');
    assert.equal(f(p, 'http.user_agent'), 'a');
    assert.equal(layer(p, 'http').host, 'h\xe9\x01\tz', 'the layer keeps the bytes (latin1)');
  });

  test('repeated headers: every occurrence is a field value; the layer keeps the first', () => {
    const p = decodeFrame(
      toServer(
        'GET /a HTTP/1.1\r\nHost: one\r\nHOST: two\r\nContent-Length: 00012\r\nContent-Length: 13\r\n\r\n',
      ),
    );
    assert.equal(f(p, 'http.host'), 'one,two');
    assert.equal(layer(p, 'http').host, 'one');
    assert.equal(layer(p, 'http').contentLength, 12);
  });
});

describe('http: what is not a message start, and malformed headers', () => {
  test('a continuation segment (body bytes) yields no layer and no issue', () => {
    for (const s of [
      '<?xml version="1.0"?><a/>',
      '\x16\x03\x01\x02\x00',
      '\r\n',
      '\r\n\r\nGET / HTTP/1.1\r\n\r\n',
    ]) {
      const p = decodeFrame(fromServer(s));
      assert.deepEqual(protos(p), ['eth', 'ip', 'tcp'], JSON.stringify(s));
      assert.equal(p.issues, undefined);
    }
  });

  test('a header block cut by the segment end: decoded as far as it goes, not complete, no issue', () => {
    for (const s of [
      'GET /x HTTP/1.1',
      'GET /x HTTP/1.1\r\nHost: a',
      'GET /x HTTP/1.1\r\nHost: partial\r\nUser-Ag',
    ]) {
      const p = decodeFrame(toServer(s));
      assert.equal(f(p, 'http.request.uri'), '/x');
      assert.equal(layer(p, 'http').complete, false);
      assert.equal(p.issues, undefined, s);
    }
    assert.equal(f(decodeFrame(toServer('GET /x HTTP/1.1\r\nHost: a')), 'http.host'), 'a');
  });

  test('a line without a colon ends the header block with an issue (pcapplusplus HttpMalformedResponse)', () => {
    const p = decodeFrame(
      fromServer('HTTP/1.1 403 Forbidden\r\nx-amz-request-id2 CA4D\r\nContent-Type: application/xml\r\n\r\n'),
    );
    assert.deepEqual(issueCodes(p), ['malformed http']);
    assert.equal(f(p, 'http.response.code'), '403');
    assert.equal(f(p, 'http.content_type'), '');
    assert.equal(layer(p, 'http').complete, false);
  });

  test('an illegal header name is reported and skipped; the block goes on', () => {
    const p = decodeFrame(
      toServer('GET /a HTTP/1.1\r\nBad Header: x\r\n:empty\r\nHost : spaced\r\nHost: h\r\n\r\n'),
    );
    assert.deepEqual(issueCodes(p), ['malformed http', 'malformed http', 'malformed http']);
    assert.equal(f(p, 'http.host'), 'h');
    assert.deepEqual(layer(p, 'http').headers, [['Host', 'h']]);
    assert.equal(layer(p, 'http').complete, true);
  });
});

describe('http: several messages in one segment', () => {
  test('pipelined requests, and a request body of Content-Length bytes', () => {
    const p = decodeFrame(
      toServer(
        'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: b\r\n\r\n',
      ),
    );
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp', 'http', 'http']);
    assert.equal(f(p, 'http.request.method'), 'POST,GET');
    assert.equal(f(p, 'http.host'), 'a,b');
    assert.equal(
      layer(p, 'http', 1).offset,
      PAYLOAD + 'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'.length,
    );
  });

  test('100 Continue then the final response; a chunked body then the next response', () => {
    assert.equal(
      f(
        decodeFrame(fromServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n')),
        'http.response.code',
      ),
      '100,200',
    );
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 201 Created\r\n\r\n';
    assert.equal(f(decodeFrame(fromServer(chunked)), 'http.response.code'), '200,201');
  });

  test('a start line inside a header block begins the next message', () => {
    const p = decodeFrame(toServer('GET /a HTTP/1.1\r\nHost: a\r\nHTTP/1.1 200 OK\r\nHost: c\r\n\r\n'));
    assert.equal(f(p, 'http.host'), 'a,c');
    assert.equal(f(p, 'http.response.code'), '200');
    assert.equal(layer(p, 'http', 0).complete, false);
  });

  test('no known body length, or a body past the segment: one message only', () => {
    assert.equal(
      layer(decodeFrame(toServer('PUT /a HTTP/1.1\r\n\r\nxyzGET / HTTP/1.1\r\n\r\n')), 'http').kind,
      'request',
    );
    assert.deepEqual(protos(decodeFrame(fromServer('HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'))), [
      'eth',
      'ip',
      'tcp',
      'http',
    ]);
    assert.deepEqual(protos(decodeFrame(toServer('GET /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort'))), [
      'eth',
      'ip',
      'tcp',
      'http',
    ]);
  });
});

test('http: bound to the HTTP ports of Wireshark 4.0, not to others', () => {
  assert.equal(f(decodeFrame(toServer('GET / HTTP/1.1\r\n\r\n', 8080)), 'http.request.method'), 'GET');
  assert.deepEqual(protos(decodeFrame(toServer('GET / HTTP/1.1\r\n\r\n', 8081))), ['eth', 'ip', 'tcp']);
});

const HTTP_FIELDS = Object.keys(httpFields);
const CORPUS: [string, KnownDiff[]][] = [
  ['pcapplusplus/HttpMalformedResponse.pcapng', []],
  ['zeek/http__get.pcap', []],
  ['zeek/http-vlan-0.pcap', []],
  ['zeek/http-qinq-0.pcap', []],
  ['tcpdump/print-flags.pcap', []],
  ['tcpdump/ipv4_tcp_http_xml.pcap', []],
  ['tcpdump/ipv4_tcp_http_xml_tso.pcap', []],
  ['tcpdump/tcp_rst_data.pcap', []],
  ['tcpdump/tcp_rst_data-trunc.pcap', []],
  ['zeek/tunnels__vxlan-encapsulated-http.pcap', []],
  ['zeek/tunnels__geneve-many-options.pcap', []],
];

describe('http: differential against tshark', () => {
  corpusDiffTests(CORPUS, HTTP_FIELDS);

  test('generated-here eth1-vlan-vxlan.pcap, with port 8081 decoded as HTTP on both sides', () => {
    const { diffs } = diffCorpus(
      testdata('generated-here/netns-scenario/eth1-vlan-vxlan.pcap'),
      HTTP_FIELDS,
      {
        decodeAs: ['tcp.port==8081:http'],
        tsharkArgs: ['-d', 'tcp.port==8081,http'],
      },
    );
    assert.equal(diffs.length, 0, showDiffs(diffs));
  });

  test('hand-built edge cases agree with tshark', () => {
    let port = 41000;
    const frames = [
      'GET /foo\r\n\r\n',
      'GET / FOO/1.0\r\nHost: a\r\n\r\n',
      'get / HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /a HTTP/1.1\r\nHost:x\r\n  folded\r\nUser-Agent:   ua  \r\n\r\n',
      'GET  /double-space HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /x\xe9\x01 HTTP/1.1\r\nHost: h\xe9\x01\tz\r\n\r\n',
      'POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello',
      'GET\r\nHost: a\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost : spaced\r\n\r\n',
      'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: b\r\n\r\n',
      'GET /a HTTP/1.1\r\nHost: a\r\nHTTP/1.1 200 OK\r\nHost: c\r\n\r\n',
      'PUT /a HTTP/1.1\r\nHost: a\r\n\r\nxyz',
    ].map((s) => tcp4Frame(port++, 80, bytes(s)));
    frames.push(
      ...[
        'HTTP/1.1 200\r\nServer: x\r\n\r\n',
        'HTTP/1.1 abc OK\r\n\r\n',
        'HTTP/1.1 2000 OK\r\n\r\n',
        'HTTP/2 200 OK\r\n\r\n',
        'HTTP/1.1 20 Low\r\n\r\n',
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 201 Created\r\n\r\n',
        'HTTP/1.1 200 OK\r\nServer: s\r\nLocation: /x\r\nContent-Type: a/b\r\nDate: today\r\n\r\n',
      ].map((s) => tcp4Frame(80, port++, bytes(s))),
    );
    const { diffs } = withTempPcap(frames, (file) => diffCorpus(file, HTTP_FIELDS));
    assert.equal(diffs.length, 0, showDiffs(diffs));
  });
});

describe('http: checkHttp (what the flat decoder asks) answers as decodeHttp decodes', () => {
  /** What decoding the segment on port 8080 gives: -1 an http issue, 1 http layers, 0 neither. */
  const decoded = (payload: Uint8Array, toServer: boolean): { want: number; layers: HttpLayer[] } => {
    const frame = toServer ? tcp4Frame(40000, 8080, payload) : tcp4Frame(8080, 40000, payload);
    const p = decodeFrame(frame);
    const other = (p.issues ?? []).filter((i) => i.layer !== 'http');
    assert.deepEqual(other, [], 'only HTTP may report an issue on these frames');
    const layers = p.layers.filter((l): l is HttpLayer => l.proto === 'http');
    assert.equal((p.protos & PROTO_BITS.http) !== 0, layers.length > 0);
    const issues = (p.issues ?? []).length;
    return { want: issues > 0 ? -1 : layers.length > 0 ? 1 : 0, layers };
  };
  /** Bytes that would change the answer if read past `end`: line ends, a bad name, a colon, a body. */
  const AFTER = [
    '\r\n\r\n',
    '\n',
    'Bad Header: x\r\n\r\n',
    ': x\r\n',
    '0\r\n\r\nGET / HTTP/1.1\r\n\r\n',
    'abc',
  ].map((s) => bytes(s));

  test('hand-picked segments', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['{"items":[1,2,3]}', 0],
      ['get / HTTP/1.1\r\n\r\n', 0],
      ['GET / HTTP/1.1\r\n\r\n', 1],
      ['GET / HTTP/1.1\r\nBad Header: x\r\n\r\n', -1],
      ['GET / HTTP/1.1\r\nNa\x80me: x\r\n\r\n', -1],
      ['GET / HTTP/1.1\r\nNoColon\r\n\r\n', -1],
      ['GET / HTTP/1.1\r\nNoColon', 1], // cut by the segment end: the head goes on
      ['HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nBad Header: x\r\n', 1], // inside a body
      ['HTTP/1.1 204 No Content\r\n\r\nGET / HTTP/1.1\r\n:x\r\n\r\n', -1],
      [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET / HTTP/1.1\r\n:x\r\n\r\n',
        -1,
      ],
      [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n2\r\nok\r\n0\r\n\r\nGET / HTTP/1.1\r\n:x\r\n\r\n',
        1,
      ],
      // the 17th message is not looked at
      [`${'GET / HTTP/1.1\r\n\r\n'.repeat(16)}GET / HTTP/1.1\r\n:x\r\n\r\n`, 1],
      [`${'GET / HTTP/1.1\r\n\r\n'.repeat(15)}GET / HTTP/1.1\r\n:x\r\n\r\n`, -1],
    ];
    for (const [s, want] of cases) {
      const b = bytes(s);
      assert.equal(decoded(b, true).want, want, JSON.stringify(s));
      assert.equal(checkHttp(b, 0, b.length), want, JSON.stringify(s));
    }
  });

  test('generated segments: checkHttp is -1, 0 or 1 exactly as decoding finds an issue, messages, neither (property)', () => {
    const seen = { '-1': 0, '0': 0, '1': 0 };
    let runs = 0;
    let multi = 0;
    let sixteen = 0;
    let beyond16 = 0;
    let chunkedWalked = 0;
    fc.assert(
      fc.property(httpSegment, fc.boolean(), fc.nat(), fc.nat(), (s, toServer, lead, after) => {
        const b = s.bytes;
        const { want, layers } = decoded(b, toServer);
        const show = `payload ${Buffer.from(b).toString('hex')}`;
        assert.equal(checkHttp(b, 0, b.length), want, show);
        // In place, in a bigger buffer whose bytes around the segment must not be read.
        const tail = AFTER[after % AFTER.length]!;
        const pre = lead % 7;
        const big = new Uint8Array(pre + b.length + tail.length).fill(0x0d);
        big.set(b, pre);
        big.set(tail, pre + b.length);
        assert.equal(checkHttp(big, pre, pre + b.length), want, `in place: ${show}`);
        runs++;
        seen[String(want) as keyof typeof seen]++;
        if (layers.length >= 2) multi++;
        if (layers.length === 16) sixteen++;
        if (layers.length === 16 && s.messages > 16) beyond16++;
        const chunked = (l: HttpLayer): boolean =>
          l.headers.some(([n, v]) => n.toLowerCase() === 'transfer-encoding' && /chunked/i.test(v));
        // a chunked body walked to its end: another message follows it
        if (layers.some((l, i) => i + 1 < layers.length && l.complete && chunked(l))) chunkedWalked++;
      }),
      { numRuns: 5000 },
    );
    assert.equal(runs, 5000);
    const counts = JSON.stringify({ seen, multi, sixteen, beyond16, chunkedWalked });
    for (const v of Object.values(seen)) assert.ok(v >= runs * 0.1, counts);
    assert.ok(multi >= runs * 0.1, counts);
    assert.ok(beyond16 >= 50, counts);
    assert.ok(chunkedWalked >= 100, counts);
  });
});
