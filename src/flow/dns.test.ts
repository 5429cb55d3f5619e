import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConversationAnalyzer } from './analyzer.ts';
import { type DnsSpec, dnsPacket } from './test-packets.ts';

const Q = (id: number, qname: string, sport = 40000, extra: Partial<DnsSpec> = {}): DnsSpec => ({
  src: '10.128.2.43',
  dst: '172.30.0.10',
  sport,
  dport: 53,
  id,
  qname,
  ...extra,
});
const R = (q: DnsSpec, extra: Partial<DnsSpec> = {}): DnsSpec => ({
  ...q,
  src: q.dst,
  dst: q.src,
  sport: q.dport,
  dport: q.sport,
  response: true,
  ...extra,
});

describe('DNS query/answer pairs', () => {
  test('pairs by flow, id and name; unanswered listed last; retransmissions and duplicates counted', () => {
    const an = new ConversationAnalyzer();
    const a = Q(1, 'static-server.network-trace.svc.cluster.local');
    const b = Q(2, 'nope.example', 40000, { qtype: 28 });
    const lost = Q(3, 'lost.example', 40001);
    const c = Q(1, 'other-socket.example', 40002); // same id, other flow
    an.add(dnsPacket(lost), 5, 80);
    an.add(dnsPacket(a), 10, 80);
    an.add(dnsPacket(b), 12, 80);
    an.add(dnsPacket(b), 1012, 80); // retransmitted
    an.add(dnsPacket(c), 15, 80);
    an.add(dnsPacket(R(a, { answers: [{ type: 1, data: '172.30.12.4' }] })), 250, 96);
    an.add(dnsPacket(R(b, { rcode: 3 })), 1100, 80);
    an.add(dnsPacket(R(b, { rcode: 3 })), 1101, 80); // duplicate answer
    an.add(
      dnsPacket(
        R(c, {
          answers: [
            { type: 5, data: 'x.example' },
            { type: 1, data: '192.0.2.1' },
          ],
        }),
      ),
      40,
      96,
    );
    const r = an.result();
    assert.deepEqual(
      r.dns.map((t) => [t.qname, t.qtype, t.status, t.rcode, t.answers, t.queryNs, t.answerNs, t.latencyNs]),
      [
        [
          'static-server.network-trace.svc.cluster.local',
          'A',
          'answered',
          'NOERROR',
          ['A 172.30.12.4'],
          10,
          250,
          240,
        ],
        ['nope.example', 'AAAA', 'answered', 'NXDOMAIN', [], 12, 1100, 1088],
        ['other-socket.example', 'A', 'answered', 'NOERROR', ['CNAME x.example', 'A 192.0.2.1'], 15, 40, 25],
        ['lost.example', 'A', 'unanswered', undefined, undefined, 5, undefined, undefined],
      ],
    );
    const nope = r.dns[1]!;
    assert.equal(nope.queries, 2);
    assert.equal(nope.responses, 2);
    assert.equal(r.dns[0]!.flow, r.dns[0]!.flow);
    assert.notEqual(r.dns[0]!.flow, r.dns[2]!.flow);
    assert.equal(r.summary.dnsUnanswered, 1);
    assert.equal(r.summary.dnsTransactions, 4);
  });

  test('an answer with no query seen is unsolicited; a reused id with a new name is a new query', () => {
    const an = new ConversationAnalyzer();
    const q = Q(7, 'a.example');
    an.add(dnsPacket(R(q, { answers: [{ type: 1, data: '192.0.2.7' }] })), 1, 90);
    an.add(dnsPacket(Q(8, 'b.example')), 2, 80);
    an.add(dnsPacket(R(Q(8, 'b.example'))), 3, 80);
    an.add(dnsPacket(Q(8, 'c.example')), 4, 80);
    const r = an.result();
    assert.deepEqual(
      r.dns.map((t) => [t.qname, t.status, t.queries, t.responses]),
      [
        ['a.example', 'unsolicited', 0, 1],
        ['b.example', 'answered', 1, 1],
        ['c.example', 'unanswered', 1, 0],
      ],
    );
  });
});
