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
//   flow table, which starts a new flow for it (see `isReopen`).
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

// One flat object per flow (no per-side sub-objects): the tracker is touched by every TCP packet,
// and each extra object to reach is one more likely cache miss on a large capture.
export class TcpTracker {
  state = NO;
  readonly transitions: TcpTransition[] = [];
  /** Transitions not stored because MAX_TRANSITIONS was reached. */
  droppedTransitions = 0;
  pickedUp = false;
  /** Packets conntrack's matrix calls INVALID in the state they arrived in. */
  invalid = 0;
  /** The side whose FIN came first (valid once a FIN was seen). */
  private firstFin: Dir = 0;
  private bits = 0;
  /** Highest sequence end (seq + payload + SYN + FIN) seen per side (valid once SEEN). */
  private endA = 0;
  private endB = 0;
  /** Sequence end of each side's FIN (valid once FIN_SENT). */
  private finEndA = 0;
  private finEndB = 0;
  retransA = 0;
  retransB = 0;
  resetsA = 0;
  resetsB = 0;
  zeroWindowA = 0;
  zeroWindowB = 0;

  get stateName(): TcpStateName {
    return TCP_STATES[this.state]!;
  }

  /** True when this SYN starts a new connection on a closed one (the flow table opens a new flow). */
  isReopen(flags: number): boolean {
    return (this.state === TW || this.state === CL) && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
  }

  update(dir: Dir, flags: number, seq: number, ack: number, payloadLen: number, window: number, tNs: number) {
    const cls = classOf(flags);
    if (cls === RST) {
      if (dir === 0) this.resetsA++;
      else this.resetsB++;
    } else {
      const me = dir === 0 ? 0 : 3;
      const other = 3 - me;
      let bits = this.bits;
      const segLen = payloadLen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
      const end = (seq + segLen) >>> 0;
      let myEnd = dir === 0 ? this.endA : this.endB;
      if (!(bits & (SEEN << me))) {
        bits |= SEEN << me;
        myEnd = end;
      } else if (segLen > 0) {
        if (seqLT(seq, myEnd)) {
          const keepAlive = payloadLen <= 1 && segLen === payloadLen && seq === (myEnd - 1) >>> 0;
          if (!keepAlive) {
            if (dir === 0) this.retransA++;
            else this.retransB++;
          }
        }
        if (seqLT(myEnd, end)) myEnd = end;
      }
      if (dir === 0) this.endA = myEnd;
      else this.endB = myEnd;
      if (flags & TCP_FIN && !(bits & (FIN_SENT << me))) {
        bits |= FIN_SENT << me;
        if (dir === 0) this.finEndA = end;
        else this.finEndB = end;
      }
      if (
        flags & TCP_ACK &&
        (bits & ((FIN_SENT | FIN_ACKED) << other)) === FIN_SENT << other &&
        !seqLT(ack, dir === 0 ? this.finEndB : this.finEndA)
      ) {
        bits |= FIN_ACKED << other;
      }
      this.bits = bits;
      if (window === 0 && !(flags & (TCP_SYN | TCP_FIN))) {
        if (dir === 0) this.zeroWindowA++;
        else this.zeroWindowB++;
      }
    }

    const old = this.state;
    if (old === NO) {
      this.pickUp(dir, cls, tNs);
      return;
    }
    let next = MATRIX[(dir * 6 + cls) * 10 + old]!;
    if (next === IV) {
      this.invalid++;
      return;
    }
    if (next === IG) return;
    if (cls === ACK) {
      // Only the ACK of the FIN (both FINs in LAST_ACK) moves the close on.
      const acked = this.bits & (FIN_ACKED | (FIN_ACKED << 3));
      if (next === CW && !(acked & (FIN_ACKED << (this.firstFin === 0 ? 0 : 3)))) next = old;
      else if (next === TW && old === LA && acked !== (FIN_ACKED | (FIN_ACKED << 3))) next = old;
    }
    if (cls === FIN) {
      if (old < FW) this.firstFin = dir;
      // The closing side repeating its FIN is a retransmission, not the other side's FIN.
      else if ((old === FW || old === CW) && dir === this.firstFin) next = old;
    }
    if (next !== old) this.enter(next, dir, tNs, false);
  }

  private pickUp(dir: Dir, cls: number, tNs: number) {
    switch (cls) {
      case SYN:
        this.enter(SS, dir, tNs, false);
        return;
      case SYNACK:
        this.pickedUp = true;
        this.enter(SR, dir, tNs, true);
        return;
      case ACK:
        this.pickedUp = true;
        this.enter(ES, dir, tNs, true);
        return;
      case FIN:
        this.pickedUp = true;
        this.enter(ES, dir, tNs, true);
        this.firstFin = dir;
        this.enter(FW, dir, tNs, false);
        return;
      default:
        this.invalid++;
    }
  }

  private enter(state: number, dir: Dir, tNs: number, pickedUp: boolean) {
    this.state = state;
    if (this.transitions.length >= MAX_TRANSITIONS) {
      this.droppedTransitions++;
      return;
    }
    const t: TcpTransition = { state: TCP_STATES[state]!, tNs, by: dir === 0 ? 'A' : 'B' };
    if (pickedUp) t.pickedUp = true;
    this.transitions.push(t);
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
    if (this.droppedTransitions) s.droppedTransitions = this.droppedTransitions;
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
