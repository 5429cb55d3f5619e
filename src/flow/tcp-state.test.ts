import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlowTable } from './flow-table.ts';
import { MAX_TRANSITIONS, seqLT, TcpTracker } from './tcp-state.ts';
import { ACK, FIN, PSH, RST, SYN, type TcpSpec, tcpPacket } from './test-packets.ts';

const C = { src: '10.128.2.43', sport: 40000 };
const S = { src: '10.129.0.5', sport: 8080 };

/** A segment from the client (c) or server (s). */
function seg(from: 'c' | 's', flags: number, seq: number, ack: number, payload?: string): TcpSpec {
  const [me, peer] = from === 'c' ? [C, S] : [S, C];
  return { src: me.src, sport: me.sport, dst: peer.src, dport: peer.sport, flags, seq, ack, payload };
}

function run(segs: TcpSpec[]) {
  const t = new FlowTable();
  segs.forEach((s, i) => {
    t.add(tcpPacket(s), (i + 1) * 1000, 60);
  });
  assert.equal(t.size, 1);
  return t.flows()[0]!;
}

const transitions = (f: ReturnType<typeof run>) =>
  f.tcp!.transitions.map((x) => `${x.state}@${x.tNs}/${x.by}${x.pickedUp ? '*' : ''}`);

describe('TCP state (conntrack vocabulary)', () => {
  test('handshake, data, FIN/ACK close, TIME_WAIT, with times and sides', () => {
    const f = run([
      seg('c', SYN, 100, 0),
      seg('s', SYN | ACK, 500, 101),
      seg('c', ACK, 101, 501),
      seg('c', PSH | ACK, 101, 501, 'hello'),
      seg('s', ACK, 501, 106),
      seg('c', FIN | ACK, 106, 501),
      seg('s', ACK, 501, 107),
      seg('s', FIN | ACK, 501, 107),
      seg('c', ACK, 107, 502),
    ]);
    assert.deepEqual(transitions(f), [
      'SYN_SENT@1000/A',
      'SYN_RECV@2000/B',
      'ESTABLISHED@3000/A',
      'FIN_WAIT@6000/A',
      'CLOSE_WAIT@7000/B',
      'LAST_ACK@8000/B',
      'TIME_WAIT@9000/A',
    ]);
    const s = f.tcp!.summary();
    assert.equal(s.state, 'TIME_WAIT');
    assert.equal(s.pickedUp, false);
    assert.deepEqual(s.retransmissions, { A: 0, B: 0 });
    assert.equal(s.invalid, 0);
    assert.equal(f.aAddr, C.src);
    assert.equal(f.packetsAB, 5);
    assert.equal(f.packetsBA, 4);
  });

  test('FIN/ACK answered by FIN/ACK skips CLOSE_WAIT; an ACK of older data does not end the close', () => {
    const f = run([
      seg('c', SYN, 1, 0),
      seg('s', SYN | ACK, 9, 2),
      seg('c', ACK, 2, 10),
      seg('s', PSH | ACK, 10, 2, 'data'),
      seg('c', FIN | ACK, 2, 10), // FIN before acking the server's data
      seg('c', FIN | ACK, 2, 10), // the client repeats its FIN: still FIN_WAIT
      seg('s', ACK, 14, 2), // acks nothing new (not the FIN): stays FIN_WAIT
      seg('s', FIN | ACK, 14, 3),
      seg('c', ACK, 3, 14), // acks the data but not the server's FIN (seq 14): LAST_ACK holds
      seg('c', ACK, 3, 15),
    ]);
    assert.deepEqual(transitions(f), [
      'SYN_SENT@1000/A',
      'SYN_RECV@2000/B',
      'ESTABLISHED@3000/A',
      'FIN_WAIT@5000/A',
      'LAST_ACK@8000/B',
      'TIME_WAIT@10000/A',
    ]);
    assert.deepEqual(f.tcp!.summary().retransmissions, { A: 1, B: 0 });
  });

  test('RST closes from any state and records who sent it', () => {
    const f = run([seg('c', SYN, 7, 0), seg('s', RST | ACK, 0, 8)]);
    assert.deepEqual(transitions(f), ['SYN_SENT@1000/A', 'CLOSE@2000/B']);
    assert.deepEqual(f.tcp!.summary().resets, { A: 0, B: 1 });

    const g = run([seg('c', ACK, 50, 70, 'x'), seg('c', RST, 51, 0)]);
    assert.deepEqual(transitions(g), ['ESTABLISHED@1000/A*', 'CLOSE@2000/A']);
    assert.deepEqual(g.tcp!.summary().resets, { A: 1, B: 0 });
  });

  test('capture started mid-connection: ESTABLISHED picked up, then closes normally', () => {
    const f = run([
      seg('s', PSH | ACK, 1000, 2000, 'response bytes'),
      seg('c', ACK, 2000, 1014),
      seg('s', FIN | ACK, 1014, 2000),
      seg('c', FIN | ACK, 2000, 1015),
      seg('s', ACK, 1015, 2001),
    ]);
    // The first packet's sender is side A.
    assert.equal(f.aAddr, S.src);
    assert.equal(f.aPort, 8080);
    assert.deepEqual(transitions(f), [
      'ESTABLISHED@1000/A*',
      'FIN_WAIT@3000/A',
      'LAST_ACK@4000/B',
      'TIME_WAIT@5000/A',
    ]);
    assert.equal(f.tcp!.pickedUp, true);
  });

  test('a SYN-ACK seen first makes its destination the initiator', () => {
    const f = run([seg('s', SYN | ACK, 9, 2), seg('c', ACK, 2, 10)]);
    assert.equal(f.aAddr, C.src);
    assert.equal(f.aPort, C.sport);
    assert.equal(f.packetsBA, 1);
    assert.equal(f.packetsAB, 1);
    assert.deepEqual(transitions(f), ['SYN_RECV@1000/B*', 'ESTABLISHED@2000/A']);
  });

  test('retransmissions: repeated SYN and repeated data; keep-alives are not counted', () => {
    const f = run([
      seg('c', SYN, 100, 0),
      seg('c', SYN, 100, 0),
      seg('s', SYN | ACK, 500, 101),
      seg('c', ACK, 101, 501),
      seg('c', PSH | ACK, 101, 501, 'abcdef'),
      seg('c', PSH | ACK, 101, 501, 'abcdef'), // whole segment again
      seg('c', PSH | ACK, 104, 501, 'defghi'), // overlaps the end
      seg('c', ACK, 109, 501, 'i'), // keep-alive: one byte at next-expected − 1
      seg('c', ACK, 110, 501), // plain ACK: no sequence space
    ]);
    assert.deepEqual(f.tcp!.summary().retransmissions, { A: 3, B: 0 });
    assert.deepEqual(transitions(f), ['SYN_SENT@1000/A', 'SYN_RECV@3000/B', 'ESTABLISHED@4000/A']);
  });

  test('a new SYN after TIME_WAIT opens a new flow; conntrack INVALID packets are counted', () => {
    const t = new FlowTable();
    const segs = [
      seg('c', SYN, 1, 0),
      seg('c', ACK, 2, 5), // ACK before any SYN-ACK: INVALID in SYN_SENT
      seg('s', SYN | ACK, 9, 2),
      seg('c', ACK, 2, 10),
      seg('c', FIN | ACK, 2, 10),
      seg('s', FIN | ACK, 10, 3),
      seg('c', ACK, 3, 11),
      seg('c', SYN, 7000, 0),
      seg('s', SYN | ACK, 9000, 7001),
    ];
    segs.forEach((s, i) => {
      t.add(tcpPacket(s), i, 60);
    });
    const [f1, f2] = t.flows();
    assert.equal(t.size, 2);
    assert.equal(f1!.tcp!.stateName, 'TIME_WAIT');
    assert.equal(f1!.tcp!.invalid, 1);
    assert.equal(f1!.packetsAB + f1!.packetsBA, 7);
    assert.equal(f2!.id, 2);
    assert.equal(f2!.tcp!.stateName, 'SYN_RECV');
    assert.equal(f2!.packetsAB, 1);
    assert.equal(f2!.packetsBA, 1);
  });

  test('zero windows counted per side; transitions bounded', () => {
    const f = run([
      seg('c', ACK, 1, 1),
      { ...seg('s', ACK, 1, 1), win: 0 },
      { ...seg('s', ACK, 1, 1), win: 0 },
    ]);
    assert.deepEqual(f.tcp!.summary().zeroWindow, { A: 0, B: 2 });

    const tr = new TcpTracker();
    // RST then a SYN/SYN-ACK cycle repeatedly (simultaneous-open-ish churn) never exceeds the bound.
    for (let i = 0; i < 200; i++) {
      tr.update(0, SYN, 1, 0, 0, 100, i);
      tr.update(1, SYN | ACK, 1, 2, 0, 100, i);
      tr.update(1, RST, 2, 0, 0, 0, i);
    }
    assert.ok(tr.transitions.length <= MAX_TRANSITIONS);
    assert.ok(tr.droppedTransitions > 0);
  });

  test('sequence numbers above 2^31 and wrapping past 2^32 tell the same story as small ones', () => {
    // One connection with retransmissions, a keep-alive and a FIN/ACK close, replayed at other
    // initial sequence numbers: only the numbers' distance matters.
    const story = (c0: number, s0: number) => {
      const c = (n: number) => (c0 + n) >>> 0;
      const s = (n: number) => (s0 + n) >>> 0;
      return run([
        seg('c', SYN, c(0), 0),
        seg('s', SYN | ACK, s(0), c(1)),
        seg('c', ACK, c(1), s(1)),
        seg('c', PSH | ACK, c(1), s(1), 'abcdef'),
        seg('c', PSH | ACK, c(1), s(1), 'abcdef'),
        seg('c', ACK, c(6), s(1), 'x'), // keep-alive
        seg('s', PSH | ACK, s(1), c(7), 'reply'),
        seg('c', FIN | ACK, c(7), s(6)),
        seg('s', ACK, s(6), c(7)), // acks data, not the FIN
        seg('s', FIN | ACK, s(6), c(8)),
        seg('c', ACK, c(8), s(7)),
      ]);
    };
    const small = story(100, 500);
    const want = { ...small.tcp!.summary() };
    for (const [c0, s0] of [
      [0x80000005, 0xfffffff0],
      [0xfffffffe, 0x7ffffffd],
      [0xffffffff, 0xfffffffb],
    ] as const) {
      const f = story(c0, s0);
      assert.deepEqual(f.tcp!.summary(), want, `c0=${c0} s0=${s0}`);
    }
    assert.equal(want.state, 'TIME_WAIT');
    assert.deepEqual(want.retransmissions, { A: 1, B: 0 });
  });

  test('summaryJson() is JSON.stringify(summary())', () => {
    const f = run([seg('s', PSH | ACK, 1000, 2000, 'x'), seg('c', RST, 2000, 0)]);
    assert.equal(f.tcp!.summaryJson(), JSON.stringify(f.tcp!.summary()));
    const tr = new TcpTracker();
    for (let i = 0; i < 100; i++) {
      tr.update(0, SYN, 1, 0, 0, 0, i * 3e9);
      tr.update(1, RST, 2, 0, 0, 0, i * 3e9 + 1);
    }
    assert.ok(tr.droppedTransitions > 0);
    assert.equal(tr.summaryJson(), JSON.stringify(tr.summary()));
  });

  test('sequence comparison wraps', () => {
    assert.equal(seqLT(0xfffffff0, 5), true);
    assert.equal(seqLT(5, 0xfffffff0), false);
    assert.equal(seqLT(1, 2), true);
    assert.equal(seqLT(2, 2), false);
  });
});
