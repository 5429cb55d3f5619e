// The flat decoder on HTTP ports (flat.ts `tcp`): a segment is taken when checkHttp says the HTTP
// decoder would report no issue (with the http bit when a message starts in it) and declined when it
// would. Checked frame by frame on generated HTTP segments (plain, in Geneve or VXLAN, cut by a snap
// length) against the Dissector, and on a whole capture of HTTP conversations through analyzeFiles.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { analyzeFiles } from '../analyze.ts';
import { writePcapngFile } from '../pcap/writer.ts';
import { defaultDissector, LINKTYPE } from './bindings.ts';
import { FlatDecoder } from './flat.ts';
import { FlatPacket } from './flat-packet.ts';
import { checkHttp } from './http.ts';
import { PROTO_BITS } from './packet.ts';
import { flatMismatch } from './test-support/flat-check.ts';
import { httpFrame } from './test-support/flat-frames-http.ts';
import { ascii, concat, eth, geneve, ipv4, ovnOption, tcp, udp } from './test-support/l4-build.ts';

const HTTP_BIT = PROTO_BITS.http;
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('flat decoder: HTTP segments', () => {
  test('generated frames: the contract holds, and the flat decoder takes exactly what checkHttp passes', () => {
    const d = defaultDissector();
    const flat = new FlatDecoder(d);
    const out = new FlatPacket();
    const tally = new Map<string, number>();
    const bump = (k: string): void => {
      tally.set(k, (tally.get(k) ?? 0) + 1);
    };
    let runs = 0;
    fc.assert(
      fc.property(httpFrame, (f) => {
        const show = `frame ${toHex(f.data)} origLen ${f.origLen}`;
        const why = flatMismatch(d, flat, f.data, f.origLen, LINKTYPE.ETHERNET);
        assert.equal(why, undefined, `${why}\n${show}`);
        runs++;
        const taken = flat.decode(f.data, f.origLen, LINKTYPE.ETHERNET, out);
        // Only frames cut inside their headers fall outside this: the rest reach the HTTP check.
        if (f.data.length < f.payloadOffset) {
          bump('cut in the headers');
          return;
        }
        // What the capture kept of the payload (padding after it is not payload).
        const payload = f.segment.bytes.subarray(0, f.data.length - f.payloadOffset);
        const want = checkHttp(payload, 0, payload.length);
        assert.equal(taken, want >= 0, `checkHttp ${want}, taken ${taken}\n${show}`);
        // And the Dissector says the same of it: an issue exactly when checkHttp says -1.
        const p = d.decode(f.data, f.origLen, LINKTYPE.ETHERNET);
        assert.equal(
          p.issues !== undefined,
          want < 0,
          `checkHttp ${want}, issues ${JSON.stringify(p.issues)}`,
        );
        if (taken)
          assert.equal((out.protos & HTTP_BIT) !== 0, want === 1, `http bit, checkHttp ${want}\n${show}`);
        const where = `${f.tunnel}${f.cut ? ' cut' : ''}`;
        bump(`${where} ${want}`);
        if (want === 1 && p.layers.filter((l) => l.proto === 'http').length >= 2) bump(`${where} several`);
      }),
      { numRuns: 5000 },
    );
    assert.equal(runs, 5000);
    // Not vacuous: taken with the http bit, taken without it, declined; plain, tunnelled and cut.
    const counts = JSON.stringify([...tally].sort());
    const n = (k: string): number => tally.get(k) ?? 0;
    for (const where of ['none', 'geneve', 'vxlan']) {
      for (const want of [-1, 0, 1]) assert.ok(n(`${where} ${want}`) >= 50, `${where} ${want}: ${counts}`);
      assert.ok(n(`${where} several`) >= 20, `${where} several: ${counts}`);
    }
    for (const where of ['none cut', 'geneve cut']) {
      for (const want of [-1, 0, 1]) assert.ok(n(`${where} ${want}`) >= 10, `${where} ${want}: ${counts}`);
    }
  });
});

// ---- A capture of HTTP conversations -------------------------------------------------------

interface Frame {
  data: Uint8Array;
  origLen?: number;
}

/** One TCP connection's segments, sequence numbers kept; each frame plain or inside Geneve. */
class Connection {
  private cseq: number;
  private sseq: number;
  constructor(
    private readonly n: number,
    private readonly port: number,
    private readonly wrapped = false,
  ) {
    this.cseq = (0x1000_0000 + n * 7919) >>> 0;
    this.sseq = (0xf000_0000 + n * 104729) >>> 0;
  }

  /** The frame of one segment; its sequence space is used up. */
  seg(fromClient: boolean, flags: number, text: string | Uint8Array = ''): Uint8Array {
    const payload = typeof text === 'string' ? ascii(text) : text;
    const client = [10, 244, 1, 10 + this.n];
    const server = [10, 96, 0, 10];
    const cport = 40000 + this.n;
    const t = tcp(
      {
        sport: fromClient ? cport : this.port,
        dport: fromClient ? this.port : cport,
        seq: fromClient ? this.cseq : this.sseq,
        ack: flags & 0x10 ? (fromClient ? this.sseq : this.cseq) : 0,
        flags,
      },
      payload,
    );
    const used = payload.length + (flags & 0x03 ? 1 : 0);
    if (fromClient) this.cseq = (this.cseq + used) >>> 0;
    else this.sseq = (this.sseq + used) >>> 0;
    const frame = eth(
      0x0800,
      ipv4({ proto: 6, src: fromClient ? client : server, dst: fromClient ? server : client }, t),
    );
    if (!this.wrapped) return frame;
    const g = geneve({ vni: 7, options: [ovnOption(1, 2)] }, frame);
    return eth(
      0x0800,
      ipv4({ proto: 17, src: [172, 18, 0, 2], dst: [172, 18, 0, 3] }, udp({ sport: 51000, dport: 6081 }, g)),
    );
  }

  open(): Frame[] {
    return [
      { data: this.seg(true, 0x002) },
      { data: this.seg(false, 0x012) },
      { data: this.seg(true, 0x010) },
    ];
  }

  close(): Frame[] {
    return [
      { data: this.seg(true, 0x011) },
      { data: this.seg(false, 0x011) },
      { data: this.seg(true, 0x010) },
    ];
  }
}

const C = true;
const S = false;
const PSH = 0x018;

function conversations(): Frame[] {
  const frames: Frame[] = [];
  const add = (...f: (Frame | Uint8Array)[]): void => {
    for (const x of f) frames.push(x instanceof Uint8Array ? { data: x } : x);
  };
  // 1. A request, its response with the body in the same segment.
  let c = new Connection(1, 8080);
  add(...c.open());
  add(c.seg(C, PSH, 'GET /one HTTP/1.1\r\nHost: svc\r\nAccept: */*\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello'));
  add(...c.close());
  // 2. Pipelined requests; two responses in one segment, the third split inside a header line.
  c = new Connection(2, 80);
  add(...c.open());
  add(
    c.seg(
      C,
      PSH,
      'GET /a HTTP/1.1\r\nHost: svc\r\n\r\nGET /b HTTP/1.1\r\nHost: svc\r\n\r\nGET /c HTTP/1.1\r\nHost: svc\r\n\r\n',
    ),
  );
  add(c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No Content\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nServer: x\r\nContent-Ty'));
  add(c.seg(S, PSH, 'pe: text/plain\r\nContent-Length: 10\r\n\r\n0123456789'));
  add(...c.close());
  // 3. 100-continue, then a chunked response whose segments arrive out of order (1, 3, 2).
  c = new Connection(3, 8080);
  add(...c.open());
  add(c.seg(C, PSH, 'POST /up HTTP/1.1\r\nHost: svc\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 100 Continue\r\n\r\n'));
  add(c.seg(C, PSH, 'data'));
  const r1 = c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
  const r2 = c.seg(S, PSH, 'lo\r\n3\r\nabc\r\n');
  const r3 = c.seg(S, PSH, '0\r\n\r\n');
  add(r1, r3, r2);
  add(c.seg(C, PSH, 'GET /after HTTP/1.1\r\nHost: svc\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'));
  add(...c.close());
  // 4. Malformed heads: a header line without a colon, an illegal header name.
  c = new Connection(4, 8080);
  add(...c.open());
  add(c.seg(C, PSH, 'GET /bad HTTP/1.1\r\nHost: svc\r\nBad Header: x\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 403 Forbidden\r\nx-amz-request-id2 CA4D\r\nContent-Length: 0\r\n\r\n'));
  add(...c.close());
  // 5. Inside Geneve: a request and a response split in its body.
  c = new Connection(5, 8080, true);
  add(...c.open());
  add(c.seg(C, PSH, 'GET /tunnelled HTTP/1.1\r\nHost: svc\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello'));
  add(c.seg(S, PSH, ' world!'));
  add(...c.close());
  // 6. Eighteen pipelined requests in one segment (more than the decoder reads), answered in two.
  c = new Connection(6, 80);
  add(...c.open());
  add(
    c.seg(C, PSH, Array.from({ length: 18 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: svc\r\n\r\n`).join('')),
  );
  add(c.seg(S, PSH, 'HTTP/1.1 204 No Content\r\n\r\n'.repeat(9)));
  add(c.seg(S, PSH, 'HTTP/1.1 204 No Content\r\n\r\n'.repeat(9)));
  add(...c.close());
  // 7. A response body segment cut by the snap length, then binary data on the HTTP port.
  c = new Connection(7, 8080);
  add(...c.open());
  add(c.seg(C, PSH, 'GET /big HTTP/1.1\r\nHost: svc\r\n\r\n'));
  add(c.seg(S, PSH, 'HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n'));
  const big = c.seg(S, PSH, 'y'.repeat(400));
  add({ data: big.slice(0, 96), origLen: big.length });
  add(c.seg(C, PSH, concat([0x16, 0x03, 0x01, 0x02, 0x00], new Uint8Array(30).fill(0xa5))));
  add(...c.close());
  return frames;
}

describe('flat decoder: a capture of HTTP conversations', () => {
  test('analyzeFiles gives the same result with and without the flat decoder', () => {
    const frames = conversations();
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-flat-http-'));
    try {
      const path = join(dir, 'http.pcapng');
      writePcapngFile(path, (w) => {
        const ifc = w.addInterface({ linktype: LINKTYPE.ETHERNET, name: 'eth0' });
        frames.forEach((f, i) => {
          w.writePacket(ifc, {
            tsSec: 1_718_000_000,
            tsNsec: i * 1_000_000,
            data: f.data,
            origLen: f.origLen,
          });
        });
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const fast = analyzeFiles([path]);
      const slow = analyzeFiles([path], { flat: false });
      assert.deepStrictEqual(fast, slow);

      // The capture holds what it should, so the comparison means something.
      const d = defaultDissector();
      const flat = new FlatDecoder(d);
      const out = new FlatPacket();
      let httpPackets = 0;
      let takenHttp = 0;
      let declined = 0;
      for (const f of frames) {
        const origLen = f.origLen ?? f.data.length;
        assert.equal(flatMismatch(d, flat, f.data, origLen, LINKTYPE.ETHERNET), undefined, toHex(f.data));
        const p = d.decode(f.data, origLen, LINKTYPE.ETHERNET);
        if ((p.protos & HTTP_BIT) !== 0) httpPackets++;
        if (flat.decode(f.data, origLen, LINKTYPE.ETHERNET, out)) {
          if ((out.protos & HTTP_BIT) !== 0) takenHttp++;
        } else declined++;
      }
      assert.equal(slow.packets, frames.length);
      assert.equal(slow.protocols.http, httpPackets);
      assert.ok(takenHttp >= 15, `the flat decoder took ${takenHttp} HTTP packets`);
      // The two malformed heads (and nothing else) are the Dissector's, with their issues.
      assert.equal(declined, 2);
      assert.equal(slow.issues.packets, 2, JSON.stringify(slow.issues.samples));
      assert.deepEqual(new Set(slow.issues.samples.map((s) => s.layer)), new Set(['http']));
      const http = slow.conversations.http;
      // Every request, with its response: the 18 pipelined ones, the split and reordered responses.
      assert.equal(http.length, 27, JSON.stringify(http));
      assert.ok(
        http.every((t) => t.method !== undefined && t.status !== undefined),
        JSON.stringify(http),
      );
      const status = (uri: string): number | undefined => http.find((t) => t.uri === uri)?.status;
      assert.equal(status('/one'), 200);
      assert.equal(status('/c'), 200, 'the response split inside a header line');
      assert.equal(status('/up'), 200, 'after 100 Continue, the out-of-order chunked response');
      assert.equal(status('/after'), 304, 'the chunked body was followed to its end');
      assert.equal(status('/tunnelled'), 200);
      assert.equal(status('/p17'), 204, 'the 18th pipelined request');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
