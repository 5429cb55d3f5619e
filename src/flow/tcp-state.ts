// TCP connection state per flow, in conntrack's vocabulary, driven by the transition matrix of
// Linux's nf_conntrack_proto_tcp.c (`tcp_conntracks[dir][flag-class][state]`). We watch a capture,
// not a firewall, so a few entries are bent where the capture knows better (all listed here):
//
// - Pick-up (conntrack's `nf_conntrack_tcp_loose`): a flow whose first packet is a plain ACK or data
//   starts ESTABLISHED, marked `picked-up`. A first FIN (capture started during the close) picks up
//   ESTABLISHED then moves to FIN_WAIT; a first SYN-ACK (the SYN was missed) starts SYN_RECV, sent by
//   B (the flow table makes the SYN-ACK's destination side A). conntrack marks all three INVALID.
// - FIN_WAIT → CLOSE_WAIT and LAST_ACK → TIME_WAIT: conntrack moves on any ACK; we require the ACK to
//   acknowledge the FIN(s) (seq numbers are at hand), so an ACK of older data does not end a close;
//   likewise a FIN repeated by the side that closed first is not taken for the other side's FIN.
// - TIME_WAIT → CLOSE by timeout is not simulated (no clock runs between packets): CLOSE comes from
//   an RST. A new SYN after TIME_WAIT/CLOSE (conntrack's "reopened connection") is handled by the
//   flow table, which starts a new flow for it (see `tcpIsReopen`).
// - Window tracking (tcp_in_window) is not done: nothing is dropped as out of window. Packets the
//   matrix calls INVALID (sIV) leave the state alone and are counted; IGNORE (sIG) leaves it alone.
// - Retransmission here is Wireshark's idea, not conntrack's `retrans` counter: a segment that
//   consumes sequence space (payload, SYN or FIN) starting before the highest sequence already seen in
//   that direction, except a keep-alive (at most one byte at next-expected − 1).

export const TCP_STATES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;
export type TcpStateName = (typeof TCP_STATES)[number];

const NO = 0;
const SS = 1;
const SR = 2;
const ES = 3;
const FW = 4;
const CW = 5;
const LA = 6;
const TW = 7;
const CL = 8;
const S2 = 9;
const IV = 10;
const IG = 11;

// Flag classes, in get_conntrack_index's order of precedence: RST, then SYN(+ACK), FIN, ACK, none.
const SYN = 0;
const SYNACK = 1;
const FIN = 2;
const ACK = 3;
const RST = 4;
const NONE = 5;

// [dir][class][state], columns NO SS SR ES FW CW LA TW CL S2 as in the kernel source; flattened
// below into one typed array indexed (dir * 6 + class) * 10 + state.
const MATRIX_ROWS: readonly (readonly (readonly number[])[])[] = [
  [
    /* ORIGINAL (A) */
    /*syn*/ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
    /*synack*/ [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
    /*fin*/ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    /*ack*/ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
    /*rst*/ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    /*none*/ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
  [
    /* REPLY (B) */
    /*syn*/ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
    /*synack*/ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
    /*fin*/ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    /*ack*/ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
    /*rst*/ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    /*none*/ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
];
const MATRIX = Int8Array.from(MATRIX_ROWS.flat(2));

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Direction of a packet within its flow: 0 = A→B (A is the initiator), 1 = B→A. */
export type Dir = 0 | 1;

export interface TcpTransition {
  state: TcpStateName;
  tNs: number;
  by: 'A' | 'B';
  /** Set on the first transition of a connection whose start the capture missed. */
  pickedUp?: true;
}

/** Wrap-around comparison of 32-bit sequence numbers: a before b. */
export function seqLT(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

function classOf(flags: number): number {
  if (flags & TCP_RST) return RST;
  if (flags & TCP_SYN) return flags & TCP_ACK ? SYNACK : SYN;
  if (flags & TCP_FIN) return FIN;
  if (flags & TCP_ACK) return ACK;
  return NONE;
}

/** At most this many transitions are kept (a flow's states can only cycle through RST/FIN ignores). */
export const MAX_TRANSITIONS = 32;

// Per-side flag bits: side A's at shift 0, side B's at shift 3.
const SEEN = 1;
const FIN_SENT = 2;
const FIN_ACKED = 4;
// And for the connection: its start was missed; B's FIN came first.
const PICKED_UP = 1 << 6;
const FIRST_FIN_B = 1 << 7;

// A connection's state is TCP_WORDS int32 words, wherever its owner keeps them: a FlowTable keeps
// them next to the flow's counters (the cache line a packet's lookup has just read), so a TCP
// packet is tracked without reaching any object. Sequence numbers are stored as int32 (they are
// compared modulo 2^32 anyway); counters are read back as uint32.
export const TCP_WORDS = 16;
const W_STATE = 0;
const W_BITS = 1;
/** Highest sequence end (seq + payload + SYN + FIN) seen, per side (valid once SEEN). */
const W_END = 2;
/** Sequence end of each side's FIN (valid once FIN_SENT). */
const W_FIN_END = 4;
/** Packets conntrack's matrix calls INVALID in the state they arrived in. */
const W_INVALID = 6;
const W_RETRANS = 7;
const W_RESETS = 9;
const W_ZERO_WINDOW = 11;
/** Transitions kept, and those not kept because MAX_TRANSITIONS was reached. */
const W_KEPT = 13;
const W_DROPPED = 14;

/**
 * Where the words live (read through this on every access, since the owner may move them), and
 * where the connections' transitions go: tcpUpdate reports them to the store, which keeps them.
 */
export interface TcpWordStore extends TransitionSink {
  readonly words: Int32Array;
  /** Index in `words` of the first word of connection `key`. */
  tcpAt(key: number): number;
  /** Connection `key`'s transitions, in order. */
  transitionsOf(key: number): TcpTransition[];
}

/** A transition as records show it. */
export function transitionRecord(state: number, tNs: number, dir: Dir, pickedUp: boolean): TcpTransition {
  const t: TcpTransition = { state: TCP_STATES[state]!, tNs, by: dir === 0 ? 'A' : 'B' };
  if (pickedUp) t.pickedUp = true;
  return t;
}

/** One connection's words and transitions, when no table keeps them. */
class OwnWords implements TcpWordStore {
  readonly words = new Int32Array(TCP_WORDS);
  private readonly kept: TcpTransition[] = [];
  tcpAt(): number {
    return 0;
  }
  transition(_key: number, state: number, tNs: number, dir: Dir, pickedUp: boolean): void {
    this.kept.push(transitionRecord(state, tNs, dir, pickedUp));
  }
  transitionsOf(): TcpTransition[] {
    return this.kept;
  }
}

/**
 * Receives a connection's transitions as they happen; `key` is what tcpUpdate was given, `state`
 * an index of TCP_STATES, `dir` the side that sent the packet (0: A).
 */
export interface TransitionSink {
  transition(key: number, state: number, tNs: number, dir: Dir, pickedUp: boolean): void;
}

function bump(w: Int32Array, i: number): void {
  w[i] = w[i]! + 1;
}

/** The state of the connection whose words are at w[o..]. */
export function tcpStateAt(w: Int32Array, o: number): TcpStateName {
  return TCP_STATES[w[o + W_STATE]!]!;
}

/** True when this SYN starts a new connection on a closed one (the flow table opens a new flow). */
export function tcpIsReopen(w: Int32Array, o: number, flags: number): boolean {
  const state = w[o + W_STATE]!;
  return (state === TW || state === CL) && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
}

/** One segment of the connection whose words are at w[o..]; transitions go to `sink`. */
export function tcpUpdate(
  w: Int32Array,
  o: number,
  sink: TransitionSink,
  key: number,
  dir: Dir,
  flags: number,
  seq: number,
  ack: number,
  payloadLen: number,
  window: number,
  tNs: number,
): void {
  const cls = classOf(flags);
  let bits = w[o + W_BITS]!;
  if (cls === RST) {
    bump(w, o + W_RESETS + dir);
  } else {
    const me = dir === 0 ? 0 : 3;
    const other = 3 - me;
    const segLen = payloadLen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const end = (seq + segLen) | 0;
    let myEnd = w[o + W_END + dir]!;
    if (!(bits & (SEEN << me))) {
      bits |= SEEN << me;
      myEnd = end;
    } else if (segLen > 0) {
      if (seqLT(seq, myEnd)) {
        const keepAlive = payloadLen <= 1 && segLen === payloadLen && (seq | 0) === ((myEnd - 1) | 0);
        if (!keepAlive) bump(w, o + W_RETRANS + dir);
      }
      if (seqLT(myEnd, end)) myEnd = end;
    }
    w[o + W_END + dir] = myEnd;
    if (flags & TCP_FIN && !(bits & (FIN_SENT << me))) {
      bits |= FIN_SENT << me;
      w[o + W_FIN_END + dir] = end;
    }
    if (
      flags & TCP_ACK &&
      (bits & ((FIN_SENT | FIN_ACKED) << other)) === FIN_SENT << other &&
      !seqLT(ack, w[o + W_FIN_END + 1 - dir]!)
    ) {
      bits |= FIN_ACKED << other;
    }
    if (window === 0 && !(flags & (TCP_SYN | TCP_FIN))) bump(w, o + W_ZERO_WINDOW + dir);
  }

  const old = w[o + W_STATE]!;
  if (old === NO) {
    w[o + W_BITS] = bits;
    pickUp(w, o, sink, key, dir, cls, tNs);
    return;
  }
  let next = MATRIX[(dir * 6 + cls) * 10 + old]!;
  if (next === IV) {
    w[o + W_BITS] = bits;
    bump(w, o + W_INVALID);
    return;
  }
  if (next === IG) {
    w[o + W_BITS] = bits;
    return;
  }
  if (cls === ACK) {
    // Only the ACK of the FIN (both FINs in LAST_ACK) moves the close on.
    const acked = bits & (FIN_ACKED | (FIN_ACKED << 3));
    if (next === CW && !(acked & (FIN_ACKED << (bits & FIRST_FIN_B ? 3 : 0)))) next = old;
    else if (next === TW && old === LA && acked !== (FIN_ACKED | (FIN_ACKED << 3))) next = old;
  }
  if (cls === FIN) {
    if (old < FW) bits = dir === 0 ? bits & ~FIRST_FIN_B : bits | FIRST_FIN_B;
    // The closing side repeating its FIN is a retransmission, not the other side's FIN.
    else if ((old === FW || old === CW) && dir === (bits & FIRST_FIN_B ? 1 : 0)) next = old;
  }
  w[o + W_BITS] = bits;
  if (next !== old) enter(w, o, sink, key, next, dir, tNs, false);
}

function pickUp(
  w: Int32Array,
  o: number,
  sink: TransitionSink,
  key: number,
  dir: Dir,
  cls: number,
  tNs: number,
) {
  switch (cls) {
    case SYN:
      enter(w, o, sink, key, SS, dir, tNs, false);
      return;
    case SYNACK:
      w[o + W_BITS] = w[o + W_BITS]! | PICKED_UP;
      enter(w, o, sink, key, SR, dir, tNs, true);
      return;
    case ACK:
      w[o + W_BITS] = w[o + W_BITS]! | PICKED_UP;
      enter(w, o, sink, key, ES, dir, tNs, true);
      return;
    case FIN:
      w[o + W_BITS] = w[o + W_BITS]! | (dir === 0 ? PICKED_UP : PICKED_UP | FIRST_FIN_B);
      enter(w, o, sink, key, ES, dir, tNs, true);
      enter(w, o, sink, key, FW, dir, tNs, false);
      return;
    default:
      bump(w, o + W_INVALID);
  }
}

function enter(
  w: Int32Array,
  o: number,
  sink: TransitionSink,
  key: number,
  state: number,
  dir: Dir,
  tNs: number,
  pickedUp: boolean,
) {
  w[o + W_STATE] = state;
  if (w[o + W_KEPT]! >= MAX_TRANSITIONS) {
    bump(w, o + W_DROPPED);
    return;
  }
  bump(w, o + W_KEPT);
  sink.transition(key, state, tNs, dir, pickedUp);
}

/**
 * One connection's state. On its own it keeps its words itself; a FlowTable's trackers read
 * theirs from the table (updated by the table through tcpUpdate).
 */
export class TcpTracker {
  constructor(
    private readonly store: TcpWordStore = new OwnWords(),
    /** The connection's key in the store (a flow id). */
    private readonly key = 0,
  ) {}

  private word(i: number): number {
    return this.store.words[this.store.tcpAt(this.key) + i]!;
  }

  /** Its transitions in order (the store keeps them). */
  get transitions(): TcpTransition[] {
    return this.store.transitionsOf(this.key);
  }

  get state(): number {
    return this.word(W_STATE);
  }

  get stateName(): TcpStateName {
    return TCP_STATES[this.state]!;
  }

  get pickedUp(): boolean {
    return (this.word(W_BITS) & PICKED_UP) !== 0;
  }

  /** Packets conntrack's matrix calls INVALID in the state they arrived in. */
  get invalid(): number {
    return this.word(W_INVALID) >>> 0;
  }

  /** Transitions not stored because MAX_TRANSITIONS was reached. */
  get droppedTransitions(): number {
    return this.word(W_DROPPED) >>> 0;
  }

  get retransA(): number {
    return this.word(W_RETRANS) >>> 0;
  }
  get retransB(): number {
    return this.word(W_RETRANS + 1) >>> 0;
  }
  get resetsA(): number {
    return this.word(W_RESETS) >>> 0;
  }
  get resetsB(): number {
    return this.word(W_RESETS + 1) >>> 0;
  }
  get zeroWindowA(): number {
    return this.word(W_ZERO_WINDOW) >>> 0;
  }
  get zeroWindowB(): number {
    return this.word(W_ZERO_WINDOW + 1) >>> 0;
  }

  update(dir: Dir, flags: number, seq: number, ack: number, payloadLen: number, window: number, tNs: number) {
    const store = this.store;
    tcpUpdate(
      store.words,
      store.tcpAt(this.key),
      store,
      this.key,
      dir,
      flags,
      seq,
      ack,
      payloadLen,
      window,
      tNs,
    );
  }

  /** JSON.stringify(summary()), without building it. */
  summaryJson(): string {
    const s =
      `{"state":"${this.stateName}","pickedUp":${this.pickedUp},"transitions":${JSON.stringify(this.transitions)},` +
      `"retransmissions":{"A":${this.retransA},"B":${this.retransB}},"resets":{"A":${this.resetsA},"B":${this.resetsB}},` +
      `"zeroWindow":{"A":${this.zeroWindowA},"B":${this.zeroWindowB}},"invalid":${this.invalid}`;
    const dropped = this.droppedTransitions;
    return dropped ? `${s},"droppedTransitions":${dropped}}` : `${s}}`;
  }

  summary(): TcpSummary {
    const s: TcpSummary = {
      state: this.stateName,
      pickedUp: this.pickedUp,
      transitions: this.transitions.slice(),
      retransmissions: { A: this.retransA, B: this.retransB },
      resets: { A: this.resetsA, B: this.resetsB },
      zeroWindow: { A: this.zeroWindowA, B: this.zeroWindowB },
      invalid: this.invalid,
    };
    const dropped = this.droppedTransitions;
    if (dropped) s.droppedTransitions = dropped;
    return s;
  }
}

/** A flow's TCP story, JSON-ready. Counters are per sending side. */
export interface TcpSummary {
  /** State after the last packet. */
  state: TcpStateName;
  pickedUp: boolean;
  transitions: TcpTransition[];
  retransmissions: { A: number; B: number };
  resets: { A: number; B: number };
  zeroWindow: { A: number; B: number };
  invalid: number;
  droppedTransitions?: number;
}
