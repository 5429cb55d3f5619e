import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConversationAnalyzer } from './analyzer.ts';
import { HttpConnection, MAX_HEAD } from './http.ts';
import { HttpLog } from './http-log.ts';
import { startsLikeHttp } from './http-start.ts';
import { ACK, FIN, PSH, SYN, type TcpSpec, tcpPacket } from './test-packets.ts';

const CLIENT = { src: '10.128.2.43', sport: 41000 };
const SERVER = { src: '10.129.0.7', sport: 8080 };

/** A client/server TCP conversation: tracks sequence numbers, sends payload segments. */
class Conv {
  seq = { c: 1000, s: 5000 };
  t = 0;
  constructor(
    readonly client = CLIENT,
    readonly server = SERVER,
    readonly an = new ConversationAnalyzer(),
  ) {}
  spec(from: 'c' | 's', flags: number, payload?: string): TcpSpec {
    const [me, peer] = from === 'c' ? [this.client, this.server] : [this.server, this.client];
    const other = from === 'c' ? 's' : 'c';
    return {
      src: me.src,
      sport: me.sport,
      dst: peer.src,
      dport: peer.sport,
      flags,
      seq: this.seq[from],
      ack: this.seq[other],
      payload,
    };
  }
  tick(): number {
    this.t += 10;
    return this.t;
  }
  handshake() {
    this.an.add(tcpPacket(this.spec('c', SYN)), this.tick(), 74);
    this.seq.c++;
    this.an.add(tcpPacket(this.spec('s', SYN | ACK)), this.tick(), 74);
    this.seq.s++;
    this.an.add(tcpPacket(this.spec('c', ACK)), this.tick(), 66);
    return this;
  }
  send(from: 'c' | 's', payload: string, at?: number) {
    this.t = at ?? this.t + 10;
    this.an.add(tcpPacket(this.spec(from, ACK | PSH, payload)), this.t, 66 + payload.length);
    this.seq[from] += payload.length;
    return this;
  }
  /** Sends a segment at an explicit sequence offset without advancing the stream. */
  sendAt(from: 'c' | 's', seq: number, payload: string) {
    this.t += 10;
    this.an.add(tcpPacket({ ...this.spec(from, ACK | PSH, payload), seq }), this.t, 66 + payload.length);
    return this;
  }
  get http() {
    return this.an.result().http;
  }
}

const GET = (uri: string, host = 'static-server:8080') =>
  `GET ${uri} HTTP/1.1\r\nHost: ${host}\r\nAccept: */*\r\n\r\n`;
/** A GET of `uri` at 100 ns answered 200 at 350 ns, as the log records it. */
const exchange = (uri: string) => ({
  flow: 1,
  method: 'GET',
  uri,
  host: 'static-server:8080',
  requestNs: 100,
  status: 200,
  reason: 'OK',
  responseNs: 350,
  latencyNs: 250,
});
const OK = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;

describe('HTTP/1.x transactions', () => {
  test('a simple exchange: method, uri, host, status, reason, times and latency', () => {
    const c = new Conv().handshake();
    c.send('c', GET('/hello.txt'), 100);
    c.send('s', OK('Hello World'), 350);
    assert.deepEqual(c.http, [exchange('/hello.txt')]);
    assert.deepEqual(c.an.result().httpIssues, []);
  });

  test('a request head split over 3 segments (one cut inside the blank line)', () => {
    const head = GET('/split/path?q=1');
    const cut1 = 7;
    const cut2 = head.length - 3;
    const c = new Conv().handshake();
    c.send('c', head.slice(0, cut1), 100);
    c.send('c', head.slice(cut1, cut2), 110);
    assert.equal(c.http.length, 0, 'no transaction before the blank line');
    c.send('c', head.slice(cut2), 120);
    c.send('s', OK('x'), 200);
    const [tx] = c.http;
    assert.equal(tx!.uri, '/split/path?q=1');
    assert.equal(tx!.requestNs, 100, 'request time is its first segment');
    assert.equal(tx!.latencyNs, 100);
    assert.equal(tx!.status, 200);
  });

  test('pipelined requests pair FIFO with their responses', () => {
    const c = new Conv().handshake();
    c.send('c', GET('/a') + GET('/b') + GET('/c'), 100);
    c.send('s', OK('first') + OK('second'), 200);
    c.send('s', `HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n`, 300);
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status, t.latencyNs]),
      [
        ['/a', 200, 100],
        ['/b', 200, 100],
        ['/c', 404, 200],
      ],
    );
  });

  test('a response body split over segments is skipped by Content-Length; the next exchange pairs', () => {
    const body = 'B'.repeat(3000);
    const resp = OK(body);
    const c = new Conv().handshake();
    c.send('c', GET('/big'), 100);
    c.send('s', resp.slice(0, 1000), 200);
    c.send('s', resp.slice(1000, 2500), 210);
    c.send('s', resp.slice(2500, resp.length - 40), 220);
    c.send('s', resp.slice(resp.length - 40), 230);
    c.send('c', GET('/next'), 300);
    c.send('s', OK('n'), 400);
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status, t.responseNs]),
      [
        ['/big', 200, 200],
        ['/next', 200, 400],
      ],
    );
  });

  test('a body that looks like HTTP is not parsed as a message', () => {
    const body = 'HTTP/1.1 500 Internal\r\nContent-Length: 0\r\n\r\n';
    const c = new Conv().handshake();
    c.send('c', GET('/a'), 100);
    c.send('s', OK(body).slice(0, -body.length), 200);
    c.send('s', body, 210);
    c.send('c', GET('/b'), 300);
    c.send('s', OK(''), 310);
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [
        ['/a', 200],
        ['/b', 200],
      ],
    );
  });

  test('chunked responses are skipped to their end', () => {
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n' +
      'b;ext=1\r\n world\r\nxyz\r\n' +
      '0\r\nX-Trailer: 1\r\n\r\n';
    const c = new Conv().handshake();
    c.send('c', GET('/a') + GET('/b'), 100);
    // Cut the chunked message at awkward places: inside a size line, inside data, inside the trailer.
    for (const [i, j] of [
      [0, 52],
      [52, 58],
      [58, 80],
      [80, chunked.length],
    ] as const) {
      c.send('s', chunked.slice(i, j));
    }
    c.send('s', OK('second'));
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [
        ['/a', 200],
        ['/b', 200],
      ],
    );
    assert.deepEqual(c.an.result().httpIssues, []);
  });

  test('retransmitted and out-of-order segments are put back in order', () => {
    const head = GET('/ooo');
    const c = new Conv().handshake();
    const s0 = c.seq.c;
    c.send('c', head.slice(0, 10), 100);
    c.sendAt('c', s0, head.slice(0, 10)); // retransmission: ignored
    // Third part arrives before the second.
    c.sendAt('c', s0 + 20, head.slice(20));
    c.sendAt('c', s0 + 10, head.slice(10, 20));
    c.seq.c = s0 + head.length;
    c.send('c', GET('/ooo2'));
    c.send('s', OK('1') + OK('2'));
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [
        ['/ooo', 200],
        ['/ooo2', 200],
      ],
    );
  });

  test("a response's first segment arriving after its second: held, not lost (handshake seen)", () => {
    const story = (handshake: boolean) => {
      const c = new Conv();
      if (handshake) c.handshake();
      c.send('c', GET('/a'), 100);
      const r = OK('hello world');
      const at = c.seq.s;
      c.sendAt('s', at + 20, r.slice(20)); // the second segment first
      c.sendAt('s', at, r.slice(0, 20));
      c.seq.s = at + r.length;
      c.send('c', GET('/b'));
      c.send('s', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return c.http.map((t) => [t.uri, t.status]);
    };
    assert.deepEqual(story(true), [
      ['/a', 200],
      ['/b', 404],
    ]);
    // Picked up mid-stream there is no handshake to tell where the response starts: its second
    // segment is taken as the start, as before (the first is then old), and /a gets the 404.
    assert.deepEqual(story(false), [
      ['/a', 404],
      ['/b', undefined],
    ]);
  });

  test('a 5-tuple reused without its close seen: the new response is taken from its ACKed start', () => {
    const c = new Conv();
    c.seq = { c: 100, s: 900000 };
    c.handshake();
    c.send('s', 'banner');
    c.an.add(tcpPacket(c.spec('c', FIN | ACK)), c.tick(), 66);
    c.an.add(tcpPacket(c.spec('s', FIN | ACK)), c.tick(), 66); // the last ACK is not captured
    c.seq = { c: 5000, s: 7000 }; // the same ports again, a lower server ISN
    c.handshake();
    c.send('c', GET('/a'));
    c.send('s', OK('fine'));
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [['/a', 200]],
    );
  });

  test('a response segment held for a gap that never fills is reported at the end', () => {
    const c = new Conv().handshake();
    c.send('c', GET('/a'), 100);
    const r = OK('hello world');
    c.sendAt('s', c.seq.s + 20, r.slice(20)); // the first 20 bytes were never captured
    const { http, httpIssues } = c.an.result();
    assert.deepEqual(
      http.map((t) => [t.uri, t.status]),
      [['/a', undefined]],
    );
    assert.deepEqual(
      httpIssues.map((i) => i.message),
      ['1 segment held for a gap in the TCP stream that never filled'],
    );
  });

  test('a server that speaks first: the response after its banner is still taken', () => {
    const c = new Conv().handshake();
    const ack = c.seq.s; // the request acknowledges none of the banner yet
    c.send('s', 'xx banner\r\n', 50);
    c.an.add(tcpPacket({ ...c.spec('c', ACK | PSH, GET('/a')), ack }), 100, 66 + GET('/a').length);
    c.seq.c += GET('/a').length;
    c.send('s', OK('fine'), 150);
    const { http, httpIssues } = c.an.result();
    assert.deepEqual(
      http.map((t) => [t.uri, t.status]),
      [['/a', 200]],
    );
    assert.deepEqual(httpIssues, []);
  });

  test('gaps never filled are listed under the issue cap, in time order with the others', () => {
    const an = new ConversationAnalyzer();
    for (let k = 0; k < 1005; k++) {
      const c = new Conv({ ...CLIENT, sport: 20000 + k }, SERVER, an);
      c.t = k * 100;
      c.handshake();
      c.send('c', GET('/a'));
      c.sendAt('s', c.seq.s + 20, OK('x').slice(20)); // the response's first 20 bytes never come
    }
    const issues = an.result().httpIssues;
    assert.equal(issues.length, 1001);
    assert.equal(issues.at(-1)!.message, '5 more issues not listed');
    const times = issues.slice(0, -1).map((i) => i.tNs);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  test('sequence numbers above 2^31 and wrapping past 2^32 pair the same way as small ones', () => {
    const story = (c0: number, s0: number) => {
      const c = new Conv();
      c.seq = { c: c0, s: s0 };
      c.handshake();
      const head = GET('/wrap');
      const at = c.seq.c;
      c.send('c', head.slice(0, 10), 100);
      c.sendAt('c', at, head.slice(0, 10)); // retransmission
      c.sendAt('c', at + 20, head.slice(20)); // ahead of the gap: held
      c.sendAt('c', at + 10, head.slice(10, 20));
      c.seq.c = at + head.length;
      c.send('c', GET('/wrap2'));
      c.send('s', OK('1') + OK('2'));
      return { http: c.http, issues: c.an.result().httpIssues };
    };
    const want = story(1000, 5000);
    assert.deepEqual(
      want.http.map((t) => [t.uri, t.status]),
      [
        ['/wrap', 200],
        ['/wrap2', 200],
      ],
    );
    // The client's stream crosses 2^32 inside the first head; the server's starts above 2^31.
    assert.deepEqual(story(0xfffffff8, 0x80000001), want);
    assert.deepEqual(story(0x7ffffff0, 0xffffffff), want);
  });

  test('HEAD and 304 responses have no body; 100-continue is interim', () => {
    const c = new Conv().handshake();
    c.send('c', `HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n`);
    c.send('s', 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    c.send('c', `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n`);
    c.send('s', 'HTTP/1.1 100 Continue\r\n\r\n');
    c.send('c', 'data');
    c.send('s', 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    c.send('c', GET('/cached'));
    c.send('s', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n');
    assert.deepEqual(
      c.http.map((t) => [t.method, t.uri, t.status]),
      [
        ['HEAD', '/h', 200],
        ['POST', '/p', 201],
        ['GET', '/cached', 304],
      ],
    );
  });

  test('any port; flows that never start like HTTP get no parser', () => {
    const c = new Conv({ src: '10.0.0.1', sport: 50000 }, { src: '10.0.0.2', sport: 12345 }).handshake();
    c.send('c', '\x16\x03\x01 TLS-ish bytes');
    c.send('c', GET('/odd-port'));
    c.send('s', OK('ok'));
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [['/odd-port', 200]],
    );
    const d = new Conv({ src: '10.0.0.3', sport: 50001 }, { src: '10.0.0.4', sport: 80 }).handshake();
    d.send('c', 'SSH-2.0-OpenSSH\r\n');
    d.send('s', 'not http either');
    assert.equal(d.an.httpParsers, 0);
    assert.equal(c.an.httpParsers, 1);
    assert.deepEqual(d.http, []);
  });

  test('a response with no request seen is kept; requests with no response stay open', () => {
    const c = new Conv();
    c.send('s', OK('late'), 50);
    c.send('c', GET('/never-answered'), 60);
    const r = c.an.result();
    assert.deepEqual(
      r.http.map((t) => [t.method, t.status, t.responseNs]),
      [
        [undefined, 200, 50],
        ['GET', undefined, undefined],
      ],
    );
    assert.equal(r.summary.httpUnanswered, 1);
  });

  test('a head over the cap stops parsing with an issue', () => {
    const c = new Conv().handshake();
    c.send('c', 'GET /huge HTTP/1.1\r\n');
    const line = `X-Filler: ${'f'.repeat(1000)}\r\n`;
    for (let i = 0; i <= MAX_HEAD / line.length; i++) c.send('c', line);
    c.send('c', '\r\n');
    c.send('s', OK('ok'));
    const r = c.an.result();
    assert.equal(r.http.length, 0);
    assert.equal(r.httpIssues.length, 1);
    assert.match(r.httpIssues[0]!.message, /longer than 65536/);
  });

  test('bytes cut by the snaplen: skipped inside a body, boundary lost elsewhere', () => {
    const c = new Conv().handshake();
    c.send('c', GET('/a'));
    const resp = OK('Z'.repeat(500));
    c.an.add(tcpPacket({ ...c.spec('s', ACK | PSH, resp), captured: 100 }), c.tick(), 200);
    c.seq.s += resp.length;
    c.send('c', GET('/b'));
    c.send('s', OK('fine'));
    assert.deepEqual(
      c.http.map((t) => [t.uri, t.status]),
      [
        ['/a', 200],
        ['/b', 200],
      ],
    );
    assert.deepEqual(c.an.result().httpIssues, []);
  });

  test('a head cut by the snaplen: its complete lines still make the transaction', () => {
    const c = new Conv().handshake();
    // `tcpdump -s 128` and the like keep only each packet's first bytes.
    const cut = (from: 'c' | 's', payload: string, captured: number, at: number) => {
      c.an.add(tcpPacket({ ...c.spec(from, ACK | PSH, payload), captured }), at, 66 + payload.length);
      c.seq[from] += payload.length;
    };
    const req = GET('/cut');
    cut('c', req, req.indexOf('Accept') + 3, 100); // the start line and Host, not the end of the head
    cut('s', OK('x'.repeat(40)), 'HTTP/1.1 200 OK\r\nCont'.length, 350);
    cut('c', GET('/lost'), 'GET /lo'.length, 400); // a start line cut: a GET, URI unknown
    c.send('s', OK('fine'), 500);
    assert.deepEqual(c.http, [
      exchange('/cut'),
      { flow: 1, method: 'GET', requestNs: 400, status: 200, reason: 'OK', responseNs: 500, latencyNs: 100 },
    ]);
    assert.deepEqual(
      c.an.result().httpIssues.map((i) => i.message.replace(/\d+ payload/, 'N payload')),
      Array(3).fill('N payload bytes not captured (snaplen): lost the HTTP message boundary'),
    );
  });

  test('heads cut inside their start line still count: later responses pair with their own requests', () => {
    const c = new Conv().handshake();
    const cut = (from: 'c' | 's', payload: string, captured: number) => {
      c.an.add(tcpPacket({ ...c.spec(from, ACK | PSH, payload), captured }), c.tick(), 66 + payload.length);
      c.seq[from] += payload.length;
    };
    const BIG = (s: string) => `HTTP/1.1 ${s}\r\nContent-Length: 0\r\n\r\n`;
    // `-s 96` with TCP timestamps keeps 30 payload bytes: "200 OK" fits, these do not.
    cut('c', GET('/x'), 30);
    cut('s', BIG('503 Service Unavailable'), 30); // the status code was captured
    cut('c', GET('/y'), 30);
    cut('s', BIG('500 Internal Server Error'), 'HTTP/1.1 5'.length); // not even that
    cut('c', GET('/w'), 30);
    cut('s', BIG('502 Bad Gateway'), 2); // "HT"
    cut('c', GET('/a-very-long-uri-that-the-snaplen-cuts'), 30); // a request without its URI
    c.send('s', OK('fine'));
    c.send('c', GET('/z'));
    c.send('s', OK('fine'));
    assert.deepEqual(
      c.http.map((t) => `${t.method} ${t.uri ?? '?'} -> ${t.status ?? 'none'}`),
      ['GET /x -> 503', 'GET /y -> none', 'GET /w -> none', 'GET ? -> 200', 'GET /z -> 200'],
    );
    assert.equal(c.an.result().httpIssues.length, 7);
  });

  test('a head over the cap that is then cut records nothing more', () => {
    const c = new Conv().handshake();
    const head = `GET /big HTTP/1.1\r\nX-Pad: ${'p'.repeat(MAX_HEAD)}\r\n\r\n`;
    c.an.add(
      tcpPacket({ ...c.spec('c', ACK | PSH, head), captured: head.length - 10 }),
      c.tick(),
      66 + head.length,
    );
    assert.deepEqual(c.http, []);
    assert.deepEqual(
      c.an.result().httpIssues.map((i) => i.message),
      [`HTTP head longer than ${MAX_HEAD} bytes: stopped parsing this connection`],
    );
  });

  test('more out-of-order segments than can be held: a gap is reported and parsing resumes', () => {
    const log = new HttpLog();
    const h = new HttpConnection(1, log);
    const bytes = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
    const req = bytes(GET('/x'));
    h.segment(0, 100, req, 0, req.length, req.length, 1);
    const junk = bytes('0123456789');
    for (let i = 0; i < 6; i++) h.segment(0, 100 + req.length + 50 + i * 10, junk, 0, 10, 10, 2 + i);
    const req2 = bytes(GET('/y'));
    h.segment(0, 5000, req2, 0, req2.length, req2.length, 10);
    assert.deepEqual(
      log.transactions.map((t) => t.uri),
      ['/x', '/y'],
    );
    assert.equal(log.issues.length, 1);
    assert.match(log.issues[0]!.message, /gap in the TCP stream/);
  });

  test('startsLikeHttp', () => {
    const b = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
    assert.equal(startsLikeHttp(b('GET / HTTP/1.1'), 0, 14), 1);
    assert.equal(startsLikeHttp(b('HTTP/1.0 200'), 0, 12), 1);
    assert.equal(startsLikeHttp(b('GE'), 0, 2), 2);
    assert.equal(startsLikeHttp(b('GETX'), 0, 4), 0);
    assert.equal(startsLikeHttp(b('HTTP/2'), 0, 6), 0);
    assert.equal(startsLikeHttp(b('PRI * HTTP/2.0'), 0, 14), 0);
  });
});
