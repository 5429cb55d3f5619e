import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConversationAnalyzer, slowestDns, slowestHttp, sortFlows, topFlows } from './analyzer.ts';
import {
  ACK,
  arpPacket,
  dnsPacket,
  geneveTcpPacket,
  icmpEchoPacket,
  PSH,
  SYN,
  type TcpSpec,
  tcpPacket,
} from './test-packets.ts';

const GET = 'GET /hello.txt HTTP/1.1\r\nHost: 10.128.2.43:8080\r\nAccept: */*\r\n\r\n';

function mixed(): ConversationAnalyzer {
  const an = new ConversationAnalyzer();
  const c: TcpSpec = { src: '10.128.2.43', dst: '10.129.0.7', sport: 40000, dport: 8080, flags: SYN, seq: 1 };
  const back = { ...c, src: c.dst, dst: c.src, sport: c.dport, dport: c.sport };
  an.add(tcpPacket(c), 0, 74);
  an.add(tcpPacket({ ...back, flags: SYN | ACK, seq: 100, ack: 2 }), 10, 74);
  an.add(tcpPacket({ ...c, flags: ACK, seq: 2, ack: 101 }), 20, 66);
  an.add(tcpPacket({ ...c, flags: ACK | PSH, seq: 2, ack: 101, payload: GET }), 30, 66 + GET.length);
  const resp = 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello World\n';
  an.add(
    tcpPacket({ ...back, flags: ACK | PSH, seq: 101, ack: 2 + GET.length, payload: resp }),
    530,
    66 + resp.length,
  );
  const g: TcpSpec = { src: '10.128.2.50', dst: '10.129.0.8', sport: 40001, dport: 8080, flags: SYN, seq: 9 };
  an.add(geneveTcpPacket('198.18.0.9', '198.18.0.7', 3, g), 40, 124);
  an.add(
    dnsPacket({ src: '10.128.2.43', dst: '172.30.0.10', sport: 5000, dport: 53, id: 9, qname: 'x.svc' }),
    50,
    80,
  );
  an.add(icmpEchoPacket('10.128.2.43', '203.0.113.10', 15, 1), 60, 98);
  an.add(arpPacket('10.128.2.43', '10.128.2.1'), 70, 42);
  return an;
}

describe('ConversationAnalyzer', () => {
  test('result(): flows, non-IP, HTTP, DNS and a summary; plain JSON', () => {
    const r = mixed().result();
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'JSON round trip is lossless');
    assert.deepEqual(r.summary, {
      packets: 9,
      ipPackets: 8,
      nonIpPackets: 1,
      flows: 4,
      flowsByProto: { tcp: 2, udp: 1, icmp: 1 },
      tcpStates: { SYN_SENT: 1, ESTABLISHED: 1 },
      httpTransactions: 1,
      httpUnanswered: 0,
      dnsTransactions: 1,
      dnsUnanswered: 1,
      firstNs: 0,
      lastNs: 530,
    });
    assert.deepEqual(r.nonIp, { arp: { packets: 1, bytes: 42 } });
    const f1 = r.flows[0]!;
    assert.equal(f1.proto, 'tcp');
    assert.equal(f1.durationNs, 530);
    assert.equal(f1.tcp!.state, 'ESTABLISHED');
    assert.equal(r.flows[1]!.tunnel!.vni, 3);
    assert.deepEqual(
      r.http.map((t) => [t.flow, t.method, t.uri, t.status, t.latencyNs]),
      [[1, 'GET', '/hello.txt', 200, 500]],
    );
    assert.equal(r.dns[0]!.status, 'unanswered');
  });

  test('top-N and sorting helpers', () => {
    const an = mixed();
    const all = an.result().flows;
    assert.deepEqual(
      sortFlows(all, 'bytes').map((f) => f.id),
      [1, 2, 4, 3],
    );
    assert.deepEqual(
      topFlows(all, 2, 'packets').map((f) => f.id),
      [1, 2],
    );
    assert.deepEqual(
      an.result({ sortFlowsBy: 'duration', top: 1 }).flows.map((f) => f.id),
      [1],
    );
    assert.equal(an.result({ top: 2 }).summary.flows, 4, 'the summary covers every flow');
    const lim = an.result({ maxHttp: 0, maxDns: 0 });
    assert.deepEqual([lim.http.length, lim.dns.length], [0, 0]);
    assert.deepEqual([lim.summary.httpTransactions, lim.summary.dnsTransactions], [1, 1]);
    assert.equal(slowestHttp(an.result().http, 5).length, 1);
    assert.equal(slowestDns(an.result().dns, 5).length, 0);
  });

  test('memory: stored objects do not grow with packets of known conversations', () => {
    const an = new ConversationAnalyzer();
    const conns: TcpSpec[] = Array.from({ length: 10 }, (_, i) => ({
      src: `10.0.0.${i + 1}`,
      dst: '10.0.1.1',
      sport: 30000 + i,
      dport: 8080,
      flags: ACK | PSH,
    }));
    const seq = Array.from({ length: 10 }, () => new Float64Array(2));
    const body = 'x'.repeat(40);
    const req = `POST /u HTTP/1.1\r\nContent-Length: 40\r\n\r\n${body}`;
    const resp = `HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n${body}`;
    let k = 0;
    const feed = (n: number) => {
      for (const end = k + n; k < end; k++) {
        const i = k % 10;
        const round = Math.floor(k / 10);
        // Flows 0-4 carry request/response pairs, flows 5-9 opaque bytes; every other round the reply.
        const back = round % 2 === 1;
        const payload = i < 5 ? (back ? resp : req) : body;
        const c = conns[i]!;
        const s = back ? { ...c, src: c.dst, dst: c.src, sport: c.dport, dport: c.sport } : c;
        const side = seq[i]!;
        const d = back ? 1 : 0;
        an.add(tcpPacket({ ...s, seq: side[d], payload }), k, 66 + payload.length);
        side[d]! += payload.length;
      }
    };
    feed(1000);
    const before = an.storedObjects() - an.result().http.length;
    feed(200_000);
    const r = an.result();
    assert.equal(r.flows.length, 10);
    assert.equal(r.httpIssues.length, 0);
    // One transaction per request (the output grows with messages, by design); nothing else grows.
    assert.equal(r.http.length, 201_000 / 4);
    assert.equal(r.summary.httpUnanswered, 0);
    assert.equal(an.storedObjects() - r.http.length, before);
  });
});
