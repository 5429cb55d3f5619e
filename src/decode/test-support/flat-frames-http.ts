// HTTP/1.x payloads for checkHttp's and the flat decoder's tests (http.test.ts, flat-http.test.ts):
// what one TCP segment on an HTTP port may hold. Whole messages, several in a row (up to and beyond
// the decoder's 16), and cut anywhere; start lines, header lines, line ends and bodies drawn where
// the decoder's framing rules have their edges (known and unknown methods, 1xx/204/304, header names
// of the three lengths it reads, lengths that do not match the body, chunked framing gone wrong).
// Then frames around them: Ethernet/IPv4/TCP on an HTTP port, plain or inside Geneve or VXLAN,
// maybe cut by a snap length.
import fc from 'fast-check';
import { ascii, concat, eth, geneve, ipv4, ovnOption, tcp, udp, vxlan } from './l4-build.ts';

/** One generated segment payload, and what went into it (for the tests' non-vacuity counts). */
export interface HttpSegment {
  bytes: Uint8Array;
  /** Start lines put in, one per message (each may or may not be taken for one). */
  messages: number;
  /** Whether some message was given a chunked body. */
  chunked: boolean;
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
/** One of the '|'-separated strings. */
const oneOf = (list: string) => fc.constantFrom(...list.split('|'));
/** `arb` about once in `n` draws, else `none`. */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number, none: T) =>
  fc.oneof(w(n - 1, fc.constant(none)), w(1, arb));
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
/** Binary bytes, as latin1 text. */
const garbage = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map(latin1);

const eol = fc.oneof(w(12, fc.constant('\r\n')), w(3, fc.constant('\n')), w(1, fc.constant('\r')));

// ---- Start lines ---------------------------------------------------------------------------

// 16 characters is the longest method read (SSTP_DUPLEX_POST, BASELINE-CONTROL).
const KNOWN_METHODS = (
  'GET POST PUT HEAD DELETE OPTIONS PATCH CONNECT TRACE NOTIFY SUBSCRIBE PROPFIND MKCOL SEARCH ' +
  'VERSION-CONTROL RPC_IN_DATA CCM_POST SSTP_DUPLEX_POST BASELINE-CONTROL'
).split(' ');
const method = fc.oneof(
  w(12, pick(...KNOWN_METHODS)),
  // upper-case tokens no one knows, and prefixes of known ones
  w(2, pick('FOO', 'GETT', 'BREW', 'GE', 'G', 'HTTP', 'HTTPS', 'HTT', 'IC', 'PRI', 'X-GET', 'A_B')),
  w(2, pick('get', 'post', 'Get', 'gET', 'options', 'http/1.1')),
  w(2, pick('M-SEARCH', 'M-GET', 'M-POST', 'M-NOTIFY', 'M-FOO', 'M-', 'M-M-SEARCH', 'M-get')),
  // overlong: more than 16 method characters
  w(1, pick('SSTP_DUPLEX_POSTS', 'BASELINE-CONTROLX', 'GETGETGETGETGETGETGET', 'A'.repeat(40))),
  w(1, fc.stringMatching(/^[A-Z_-]{1,18}$/)),
);
const requestLine = fc
  .tuple(
    method,
    fc.oneof(w(8, fc.constant(' ')), w(1, pick('  ', '\t'))),
    pick('/', '*', '/index.html', '/a?b=c&d', '', 'http://svc:8080/x', '/\xc3\xa9'),
    fc.oneof(
      w(8, pick(' HTTP/1.1', ' HTTP/1.0')),
      w(1, pick('', ' FOO/1.0', ' HTTP/1.1 extra', '  HTTP/1.1')),
    ),
  )
  .map(([m, sep, target, version]) => `${m}${sep}${target}${version}`);

const version = fc.oneof(
  w(10, pick('HTTP/1.1', 'HTTP/1.0')),
  w(2, pick('HTTP/2', 'HTTP/', 'ICY', 'M-HTTP/1.1', 'HTTP/1.1x', 'ICYX', 'http/1.1', 'HTTP', 'HTTP 1.1')),
);
const statusCode = fc.oneof(
  w(8, pick('200', '201', '302', '404', '500')),
  // no body: informational, No Content, Not Modified
  w(5, pick('100', '101', '103', '199', '204', '304')),
  // short, long, not digits, strtoul's leading blanks and sign
  w(3, pick('2', '20', '', '2000', 'abc', '099', '+99', '\t99', '\x0b30', '-12', '20x', '1')),
  w(1, fc.integer({ min: 0, max: 999 }).map(String)),
);
const statusLine = fc.oneof(
  w(
    12,
    fc
      .tuple(
        version,
        fc.oneof(w(6, fc.constant(' ')), w(1, fc.constant('  '))),
        statusCode,
        pick(' OK', '', ' ', ' Continue', ' No Content', ' Not Modified', ' Not Found Here'),
      )
      .map(([v, sep, c, r]) => `${v}${sep}${c}${r}`),
  ),
  w(1, version),
);

// ---- Header lines --------------------------------------------------------------------------

const ows = fc.oneof(w(6, fc.constant(' ')), w(3, pick('', '  ', '\t', ' \t ')));
const trailing = fc.oneof(w(6, fc.constant('')), w(1, pick(' ', '\t', '  ')));
const header = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc.tuple(name, ows, value, trailing).map(([n, o, v, t]) => `${n}:${o}${v}${t}`);

const hostName = pick('Host', 'host', 'HOST', 'hOsT');
const lengthName = pick('Content-Length', 'content-length', 'CONTENT-LENGTH', 'Content-length');
const teName = pick('Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING');
const teChunked = pick('chunked', 'CHUNKED', 'gzip, chunked', 'Chunked', 'chunked, gzip');
const teOther = pick('gzip', 'identity', '', 'chunk', 'x');
/** Content-Length values that are not a plain number (as parseLength reads them: leading digits only). */
const oddLength = pick('abc', '-1', '', '5abc', '99999999999999999999', '1e3', '+5', '0x10', '00012', ' 7 ');

const plainHeader = fc.oneof(
  w(
    6,
    oneOf(
      'User-Agent: curl/8.0|Accept: */*|Content-Type: text/plain|Connection: keep-alive|X-Request_Id: 42|' +
        'Server: x|Date: today|Upgrade: h2c|Empty:|Value-Bytes: \xe9\x01\x00z',
    ),
  ),
  w(1, fc.constant("X!#$%&'*+-.^_`|~: every tchar")),
  w(2, header(hostName, pick('svc', 'svc.ns.svc:8080', '', 'h\xe9'))),
  // names of the lengths the decoder lowers (4, 14, 17) that are not the three it reads
  w(1, oneOf('Hosx: a|Content_Length: 5|Accept-Charset: x|Transfer_Encoding: chunked|If-Modified-Since: x')),
  // names one longer or shorter than those three; a method as a name
  w(
    1,
    oneOf(
      'Hostx: a|Hos: b|Content-Lengths: 5|Content-Lengt: 5|Transfer-Encodings: chunked|' +
        'Transfer-Encodin: chunked|POST: x|GET: y',
    ),
  ),
);
/** Lines the decoder reports: a name that is no token (bytes >= 128 too), or empty. */
const illegalHeader = oneOf(
  'Bad Header: x|:empty|Na\x80me: v|N\xffame: v|a"b: v|a(b: v|a@b: v|a/b: v|a\x01b: v|a\tb: v|' +
    'Host : spaced| Host: lead|\x7fx: y|a[b]: c|k\xe9y: v|Content-Length : 3| : x',
);
/** Lines without a colon: an issue when a line end follows, the head going on when the segment ends. */
const noColon = oneOf('NoColonHere|x-amz-request-id2 CA4D|  folded continuation|\t|Host|x\x00y');
/** A start line where a header line would be: the next message begins. */
const startInHead = oneOf('HTTP/1.1 200 OK|GET /next HTTP/1.1|ICY 200 OK|HTTP/1.1: x|M-SEARCH * HTTP/1.1');

// ---- Bodies --------------------------------------------------------------------------------

const bodyText = fc.oneof(
  w(4, pick('hello', 'x', '{"items":[1,2,3]}', 'abc\r\n', '\r\n\r\n', '')),
  // a body that reads like a message: skipped when its length is known
  w(2, pick('GET /in-body HTTP/1.1\r\n\r\n', 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n')),
  w(2, garbage(1, 60)),
  w(
    1,
    fc.integer({ min: 60, max: 300 }).map((n) => 'z'.repeat(n)),
  ),
);

interface Chunked {
  text: string;
}
const hexSize = (n: number, style: number): string => {
  const h = n.toString(16);
  return style === 0 ? h : style === 1 ? h.toUpperCase() : style === 2 ? `00${h}` : `${h};ext=1`;
};
/** A chunked body: chunks, the last chunk, trailers; sometimes with a wrong size, line end or cut. */
const chunkedBody: fc.Arbitrary<Chunked> = fc
  .record({
    chunks: fc.array(fc.tuple(bodyText, fc.integer({ min: 0, max: 3 })), { minLength: 0, maxLength: 4 }),
    fault: fc.oneof(
      w(10, fc.constant('none')),
      w(1, pick('bad-size', 'empty-size', 'huge-size', 'size-off', 'no-crlf', 'lf-after-data', 'no-last')),
    ),
    faultAt: fc.nat(),
    sizeEol: fc.oneof(w(10, fc.constant('\r\n')), w(1, fc.constant('\n'))),
    trailers: fc.oneof(w(4, fc.constant('')), w(1, pick('Expires: never\r\n', 'X-Sum: 1\r\nX-More: 2\r\n'))),
    end: fc.oneof(w(10, fc.constant('\r\n')), w(1, pick('\n', ''))),
  })
  .map((c) => {
    const at = c.chunks.length === 0 ? -1 : c.faultAt % c.chunks.length;
    let text = '';
    c.chunks.forEach(([data, style], i) => {
      const bad = i === at ? c.fault : 'none';
      const payload = data.length === 0 ? 'q' : data;
      const n = payload.length;
      const size =
        bad === 'bad-size'
          ? 'zz'
          : bad === 'empty-size'
            ? ''
            : bad === 'huge-size'
              ? 'ffffffff'
              : hexSize(bad === 'size-off' ? n + 1 : n, style);
      text += `${size}${c.sizeEol}${payload}${bad === 'no-crlf' ? '' : bad === 'lf-after-data' ? '\n' : '\r\n'}`;
    });
    if (c.fault !== 'no-last' || at < 0) text += `0${c.sizeEol}${c.trailers}${c.end}`;
    return { text };
  });

// ---- Messages ------------------------------------------------------------------------------

interface Message {
  text: string;
  chunked: boolean;
}

const lengthValue = (n: number, choice: number, odd: string): string =>
  choice < 10 ? String(n) : choice === 10 ? String(Math.max(0, n - 1)) : choice === 11 ? String(n + 3) : odd;

/** One message: start line, header lines (framing ones among them), blank line, body. */
const message: fc.Arbitrary<Message> = fc
  .record({
    stray: fc.oneof(w(12, fc.constant('')), w(1, pick('\r\n', '\n', '\r\n\r\n'))),
    start: fc.oneof(requestLine, statusLine),
    startEol: eol,
    headers: fc.array(
      fc.tuple(
        fc.oneof(
          w(30, plainHeader),
          w(2, illegalHeader),
          w(1, noColon),
          w(1, startInHead),
          w(1, fc.constant('')), // a blank line: the head ends here
        ),
        eol,
      ),
      { maxLength: 6 },
    ),
    body: fc.oneof(
      w(4, fc.constant(undefined)),
      w(
        5,
        bodyText.map((t) => ({ kind: 'fixed' as const, text: t })),
      ),
      w(
        3,
        chunkedBody.map((c) => ({ kind: 'chunked' as const, text: c.text })),
      ),
    ),
    // the framing headers: named as the body is framed mostly, else anything
    length: fc.record({
      on: fc.oneof(w(6, fc.constant('body')), w(1, fc.boolean())),
      name: lengthName,
      choice: fc.integer({ min: 0, max: 13 }),
      odd: oddLength,
      twice: fc.oneof(w(8, fc.constant(undefined)), w(1, fc.tuple(lengthName, oddLength))),
    }),
    te: fc.record({
      on: fc.oneof(w(6, fc.constant('body')), w(1, fc.boolean())),
      name: teName,
      value: fc.oneof(w(6, teChunked), w(1, teOther)),
      twice: fc.oneof(w(8, fc.constant(undefined)), w(1, fc.tuple(teName, fc.oneof(teChunked, teOther)))),
    }),
    at: fc.tuple(fc.nat(), fc.nat()),
    lineEnd: eol,
    blank: fc.oneof(w(14, fc.constant('eol')), w(1, fc.constant('none'))),
  })
  .map((m) => {
    const body = m.body?.text ?? '';
    const headers = m.headers.map(([h, e]) => `${h}${e}`);
    const wantLength = m.length.on === 'body' ? m.body?.kind === 'fixed' : m.length.on;
    const wantTe = m.te.on === 'body' ? m.body?.kind === 'chunked' : m.te.on;
    if (wantLength) {
      const l = `${m.length.name}: ${lengthValue(body.length, m.length.choice, m.length.odd)}${m.lineEnd}`;
      headers.splice(m.at[0] % (headers.length + 1), 0, l);
      if (m.length.twice !== undefined)
        headers.push(`${m.length.twice[0]}: ${m.length.twice[1]}${m.lineEnd}`);
    }
    if (wantTe) {
      headers.splice(m.at[1] % (headers.length + 1), 0, `${m.te.name}: ${m.te.value}${m.lineEnd}`);
      if (m.te.twice !== undefined) headers.push(`${m.te.twice[0]}: ${m.te.twice[1]}${m.lineEnd}`);
    }
    const blank = m.blank === 'eol' ? m.lineEnd : '';
    return {
      text: `${m.stray}${m.start}${m.startEol}${headers.join('')}${blank}${body}`,
      chunked: m.body?.kind === 'chunked',
    };
  });

/** Short complete messages (most with no issue), for runs of many messages in one segment. */
const smallMessage: fc.Arbitrary<Message> = fc.oneof(
  w(
    10,
    pick(
      'GET /n HTTP/1.1\r\n\r\n',
      'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 304 Not Modified\nETag: x\n\n',
      'POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    ).map((text) => ({ text, chunked: false })),
  ),
  w(
    2,
    fc.constant({
      text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      chunked: true,
    }),
  ),
  w(1, message),
);
/** What may follow the 16th message: an issue there is not the decoder's to see. */
const lateMessage: fc.Arbitrary<Message> = fc.oneof(
  w(3, smallMessage),
  w(
    2,
    pick(
      'GET /late HTTP/1.1\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n:empty\r\n\r\n',
    ).map((text) => ({ text, chunked: false })),
  ),
);

/** Bytes to flip a byte into: line ends, blanks, colons, high bytes, start-line letters. */
const flipByte = pick(13, 10, 32, 9, 58, 0x80, 0xff, 0, 0x47, 0x48, 0x30, 0x3b);

export const httpSegment: fc.Arbitrary<HttpSegment> = fc
  .record({
    lead: fc.oneof(
      w(20, fc.constant('')),
      w(2, garbage(1, 40)),
      w(1, oneOf('body bytes, then |\r\n|\r\n\r\n| |\x16\x03\x01\x02\x00|<?xml version="1.0"?>')),
    ),
    messages: fc.oneof(
      w(10, fc.array(message, { minLength: 1, maxLength: 4 })),
      w(
        2,
        fc
          .tuple(
            fc.array(smallMessage, { minLength: 14, maxLength: 17 }),
            fc.array(lateMessage, { minLength: 1, maxLength: 4 }),
          )
          .map(([a, b]) => [...a, ...b]),
      ),
    ),
    tail: fc.oneof(w(8, fc.constant('')), w(1, garbage(1, 30))),
    // the segment ends anywhere: in a line, a header name, a body, a chunk
    cut: sometimes(fc.nat(), 5, undefined),
    flips: sometimes(fc.array(fc.tuple(fc.nat(), flipByte), { minLength: 1, maxLength: 3 }), 10, []),
  })
  .map((s) => {
    const all = ascii(`${s.lead}${s.messages.map((m) => m.text).join('')}${s.tail}`);
    for (const [at, v] of s.flips) if (all.length > 0) all[at % all.length] = v;
    const bytes = s.cut === undefined ? all : all.slice(0, s.cut % (all.length + 1));
    return { bytes, messages: s.messages.length, chunked: s.messages.some((m) => m.chunked) };
  });

// ---- Frames --------------------------------------------------------------------------------

/** Wireshark 4.0's default HTTP TCP ports (bindings.ts). */
export const HTTP_PORTS = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710];

/** A frame holding an HTTP segment, as a capture holds it. */
export interface HttpFrame {
  data: Uint8Array;
  origLen: number;
  /** The segment's payload and where it starts in the whole frame (before any cut; padding may follow). */
  segment: HttpSegment;
  payloadOffset: number;
  tunnel: 'none' | 'geneve' | 'vxlan';
  /** Whether a snap length cut the frame. */
  cut: boolean;
}

const TIMESTAMPS = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78];

export const httpFrame: fc.Arbitrary<HttpFrame> = fc
  .record({
    segment: httpSegment,
    server: pick(...HTTP_PORTS),
    client: fc.oneof(w(6, fc.integer({ min: 32768, max: 65535 })), w(1, pick(80, 8080))),
    toServer: fc.boolean(),
    flags: pick(0x18, 0x10, 0x19, 0x11, 0x14),
    options: fc.boolean(),
    tunnel: fc.constantFrom<HttpFrame['tunnel']>('none', 'none', 'none', 'none', 'geneve', 'geneve', 'vxlan'),
    vni: fc.integer({ min: 0, max: 0xffffff }),
    ovn: fc.boolean(),
    // Ethernet padding after the IP packet: not payload, though it may read as more of it
    padding: fc.oneof(
      w(6, fc.constant('')),
      w(1, oneOf('\x00\x00\x00\x00|\r\n|\r\n\r\n|: x\r\n|Bad Header: x\r\n')),
    ),
    // a snap length: a usual one, anywhere, or in the HTTP payload
    snap: sometimes(
      fc.oneof(
        fc.tuple(fc.constant(false), fc.oneof(pick(64, 96, 128, 150, 200, 256), fc.nat())),
        fc.tuple(fc.constant(true), fc.nat()),
      ),
      3,
      undefined,
    ),
  })
  .map((f) => {
    const [sport, dport] = f.toServer ? [f.client, f.server] : [f.server, f.client];
    const options = f.options ? TIMESTAMPS : [];
    const seg = tcp(
      { sport, dport, flags: f.flags, seq: 0x10203040, ack: 0x50607080, options },
      f.segment.bytes,
    );
    const ip = ipv4({ proto: 6, src: [10, 244, 1, 7], dst: [10, 96, 0, 10] }, seg);
    const inner = eth(0x0800, concat(ip, ascii(f.padding)));
    const outer = (payload: Uint8Array): Uint8Array =>
      eth(0x0800, ipv4({ proto: 17, src: [172, 18, 0, 2], dst: [172, 18, 0, 3] }, payload));
    const full =
      f.tunnel === 'geneve'
        ? outer(
            udp(
              { sport: 50000, dport: 6081 },
              geneve({ vni: f.vni, options: f.ovn ? [ovnOption(3, 4)] : [] }, inner),
            ),
          )
        : f.tunnel === 'vxlan'
          ? outer(udp({ sport: 50000, dport: 4789 }, vxlan(f.vni, inner)))
          : inner;
    const payloadOffset = full.length - f.padding.length - f.segment.bytes.length;
    const [inPayload, snap] = f.snap ?? [false, full.length];
    const capLen = inPayload
      ? payloadOffset + (snap % (f.segment.bytes.length + 1))
      : snap % (full.length + 1);
    return {
      data: full.slice(0, capLen),
      origLen: full.length,
      segment: f.segment,
      payloadOffset,
      tunnel: f.tunnel,
      cut: capLen < full.length,
    };
  });
