import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ConversationAnalyzer, slowestDns } from './analyzer.ts';
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

describe('DNS transactions kept column-wise', () => {
  test('thousands of transactions over many flows pair exactly as one Map would', () => {
    const an = new ConversationAnalyzer();
    // 60 sockets x 400 ids: the (flow, id) table grows several times; every third is answered,
    // every fifth retransmitted first.
    const want = new Map<string, { queryNs: number; answerNs?: number; queries: number }>();
    let t = 0;
    for (let i = 0; i < 24000; i++) {
      const q = Q(i % 400, `n${i}.example`, 30000 + (i % 60));
      const key = `${q.sport}/${q.id}`;
      t += 10;
      an.add(dnsPacket(q), t, 80);
      const w = { queryNs: t, queries: 1 } as { queryNs: number; answerNs?: number; queries: number };
      want.set(key, w);
      if (i % 5 === 0) {
        an.add(dnsPacket(q), t + 1, 80);
        w.queries++;
      }
      if (i % 3 === 0) {
        an.add(dnsPacket(R(q)), t + 5, 80);
        w.answerNs = t + 5;
      }
    }
    const r = an.result();
    assert.equal(r.dns.length, 24000);
    assert.equal(r.summary.dnsUnanswered, 16000);
    // The latest transaction of each (socket, id) is the one the reference map kept.
    const latest = new Map<string, (typeof r.dns)[number]>();
    for (const tx of r.dns) {
      const sport = Number(tx.qname.slice(1, tx.qname.indexOf('.'))) % 60;
      const key = `${30000 + sport}/${tx.id}`;
      const prev = latest.get(key);
      if (prev === undefined || (prev.queryNs ?? 0) < (tx.queryNs ?? 0)) latest.set(key, tx);
    }
    for (const [key, w] of want) {
      const tx = latest.get(key)!;
      assert.equal(tx.queryNs, w.queryNs, key);
      assert.equal(tx.queries, w.queries, key);
      assert.equal(tx.answerNs, w.answerNs, key);
      assert.equal(tx.status, w.answerNs === undefined ? 'unanswered' : 'answered', key);
    }
  });

  test('resultStream() gives the records of result() and JSON.stringify text for each', () => {
    const an = new ConversationAnalyzer();
    const odd = Q(1, 'quote"back\\slash\u00e9\u0001.example', 40000, { qtype: 99 });
    an.add(dnsPacket(odd), 3e9, 80);
    an.add(dnsPacket(Q(2, 'big.example', 40000, { qtype: 28 })), 4e9 + 0.5, 80);
    an.add(dnsPacket(R(Q(2, 'big.example'), { answers: [{ type: 28, data: '2001:db8::1' }] })), 5e9, 80);
    an.add(dnsPacket(R(Q(3, 'late.example'), { rcode: 3 })), 6e9, 80);
    const noQuestion = dnsPacket(R(Q(4, 'x.example')));
    const layer = noQuestion.layers[3]!;
    if (layer.proto !== 'dns') throw new Error('test setup');
    layer.questions = [];
    an.add(noQuestion, 7e9, 80);
    an.add(dnsPacket(Q(5, 'same.example')), 8, 80);
    an.add(dnsPacket(Q(5, 'same.example')), 9, 80);
    const records = an.result().dns;
    const s = an.resultStream().dns;
    assert.equal(s.length, records.length);
    assert.equal(records.length, 5);
    for (let i = 0; i < s.length; i++) {
      assert.deepEqual(s.item(i), records[i]);
      assert.equal(s.json(i), JSON.stringify(records[i]), `record ${i}`);
    }
    assert.deepEqual(
      records.map((t) => [t.qtype, t.status]),
      [
        ['AAAA', 'answered'],
        ['A', 'unsolicited'],
        ['', 'unsolicited'],
        ['TYPE99', 'unanswered'],
        ['A', 'unanswered'],
      ],
    );
  });

  test('result({ summaryOf: n }): what a summary of the top n shows, chosen as from the whole', () => {
    // Latencies from a few values (ties), unanswered and unsolicited ones among them.
    fc.assert(
      fc.property(
        fc.array(fc.record({ answer: fc.integer({ min: -1, max: 3 }), late: fc.boolean() }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 6 }),
        (txs, n) => {
          const an = new ConversationAnalyzer();
          txs.forEach((t, i) => {
            const q = Q(i, `n${i % 7}.example`);
            if (!t.late) an.add(dnsPacket(q), i * 1000, 80);
            if (t.answer >= 0) an.add(dnsPacket(R(q)), i * 1000 + 100 * (t.answer + 1), 80);
          });
          const all = an.result().dns;
          const some = an.result({ summaryOf: n }).dns;
          assert.deepEqual(slowestDns(some, n), slowestDns(all, n));
          assert.deepEqual(some.slice(0, n), all.slice(0, n));
          assert.ok(some.length <= 2 * n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
