// `conntrack -L` and `conntrack -E` lines, in libnetfilter_conntrack's default format:
//
//   [1795696912.754926]\t [UPDATE] ipv4     2 tcp      6 432000 ESTABLISHED src=A dst=B sport=a dport=b
//   ^-o timestamp          ^-E only ^-o extended  ^timeout  ^tcp/sctp/dccp  ^original tuple [packets= bytes=]
//     [UNREPLIED] src=B' dst=A' sport=b' dport=a' [ASSURED] mark=42 secctx=... zone=7 use=1
//                 ^reply tuple (what the reply looks like: differs from the mirror when NATed)
//
// Timestamps are printed `%ld.%-6ld`: the microseconds are NOT zero-padded (`.48414 ` is 48414 µs,
// not 484140), so they are read as an integer. The `N flow entries have been shown.` summary (stderr,
// but often pasted) is skipped. ICMP tuples carry type/code/id, GRE tuples srckey/dstkey.
import type { ParseIssue } from './errors.ts';
import { BadLine, parseLines, parseOneLine, uint } from './lines.ts';

export type ConntrackEvent = 'NEW' | 'UPDATE' | 'DESTROY';

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** GRE keys, as printed (hex). */
  srcKey?: string;
  dstKey?: string;
  /** Directional zone (`zone-orig=` / `zone-reply=`); the common case is ConntrackEntry.zone. */
  zone?: number;
  /** With accounting on (`nf_conntrack_acct`). */
  packets?: number;
  bytes?: number;
}

/** One connection-tracking entry or event, from `conntrack` or from `ovs-appctl dpctl/dump-conntrack`. */
export interface ConntrackEntry {
  tool: 'conntrack' | 'dpctl';
  /** `-E` only. */
  event?: ConntrackEvent;
  /** `-o timestamp`: microseconds since the epoch when conntrack printed the event. */
  timeUs?: number;
  family: 'ipv4' | 'ipv6';
  /** tcp, udp, icmp, icmpv6, sctp, gre, dccp, udplite, or `unknown`. */
  protocol: string;
  protocolNumber?: number;
  /** Seconds left. */
  timeout?: number;
  /** TCP/SCTP/DCCP state as printed (conntrack: SYN_SENT...TIME_WAIT; OVS: also FIN_WAIT_1, CLOSED...). */
  state?: string;
  orig: ConntrackTuple;
  reply: ConntrackTuple;
  /** `[UNREPLIED]`: no packet seen in the reply direction. (dpctl: only with -m, from status.) */
  unreplied?: boolean;
  /** `[ASSURED]`; conntrack prints `[OFFLOAD]`/`[HW_OFFLOAD]` in its place (see offload). (dpctl: only with -m.) */
  assured?: boolean;
  offload?: 'OFFLOAD' | 'HW_OFFLOAD';
  mark?: number;
  secmark?: number;
  secctx?: string;
  zone?: number;
  use?: number;
  /** Conntrack id (`-o id`, dpctl -m). */
  id?: number;
  labels?: string;
  helper?: string;
  /** dpctl -m: SEEN_REPLY, ASSURED, CONFIRMED, SRC_NAT, DST_NAT, ... */
  status?: string[];
  /** dpctl: protoinfo=(state=..., ...). */
  protoinfo?: Record<string, string>;
  /** Other bracketed words (`[DYING]`, `[USERSPACE]`, `[start=...]`). */
  flags: string[];
  /** key=value pairs this type does not name (`delta-time=`, ...). */
  extra: Record<string, string>;
  line: string;
}

const COMMAND = 'conntrack';
const SUMMARY =
  /^conntrack v[\d.]+ \(conntrack-tools\): \d+ (flow|expectation) (entries|events) ha(ve|s) been shown\.$/;
const EVENTS: Record<string, ConntrackEvent> = {
  '[NEW]': 'NEW',
  '[UPDATE]': 'UPDATE',
  '[DESTROY]': 'DESTROY',
};
const PORT_PROTOS = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp']);
const ICMP_PROTOS = new Set(['icmp', 'icmpv6']);

function tupleKeys(protocol: string): Set<string> {
  if (PORT_PROTOS.has(protocol)) return new Set(['src', 'dst', 'sport', 'dport', 'packets', 'bytes']);
  if (ICMP_PROTOS.has(protocol)) return new Set(['src', 'dst', 'type', 'code', 'id', 'packets', 'bytes']);
  if (protocol === 'gre') return new Set(['src', 'dst', 'srckey', 'dstkey', 'packets', 'bytes']);
  return new Set(['src', 'dst', 'packets', 'bytes']);
}

function setTupleField(t: Partial<ConntrackTuple>, key: string, v: string, dir: string): void {
  const what = `${dir} ${key}`;
  if (key === 'src' || key === 'dst') t[key] = v;
  else if (key === 'sport' || key === 'dport') t[key] = uint(v, what, 65535);
  else if (key === 'type') t.icmpType = uint(v, what, 255);
  else if (key === 'code') t.icmpCode = uint(v, what, 255);
  else if (key === 'id') t.icmpId = uint(v, what, 65535);
  else if (key === 'srckey') t.srcKey = v;
  else if (key === 'dstkey') t.dstKey = v;
  else if (key === 'packets' || key === 'bytes') t[key] = uint(v, what, Number.MAX_SAFE_INTEGER);
  else if (key === 'zone-orig' || key === 'zone-reply') t.zone = uint(v, what, 65535);
}

function finishTuple(t: Partial<ConntrackTuple>, dir: string): ConntrackTuple {
  if (t.src === undefined || t.dst === undefined)
    throw new BadLine(`${dir} tuple has no ${t.src === undefined ? 'src' : 'dst'}=`);
  return t as ConntrackTuple;
}

/** Tokens, keeping `[start=Sat Jan  1 00:00:00 2022]` whole. */
function tokens(s: string): string[] {
  return s.match(/\[[^\]]*\]|\S+/g) ?? [];
}

function parseEntry(line: string): ConntrackEntry {
  let rest = line;
  let timeUs: number | undefined;
  const ts = /^\s*\[(\d+)\.(\d+)\s*\]\s*/.exec(rest);
  if (ts) {
    timeUs = Number(ts[1]) * 1_000_000 + Number(ts[2]);
    rest = rest.slice(ts[0].length);
  }
  const tok = tokens(rest);
  let i = 0;
  const e: Partial<ConntrackEntry> & { flags: string[]; extra: Record<string, string> } = {
    tool: 'conntrack',
    flags: [],
    extra: {},
    line,
  };
  if (timeUs !== undefined) e.timeUs = timeUs;
  const ev = tok[i] !== undefined ? EVENTS[tok[i]!] : undefined;
  if (ev) {
    e.event = ev;
    i++;
  }
  // `-o extended`: layer-3 name and number first (`ipv4     2`).
  if (
    (tok[i] === 'ipv4' || tok[i] === 'ipv6') &&
    /^\d+$/.test(tok[i + 1] ?? '') &&
    /^[a-z]/.test(tok[i + 2] ?? '')
  ) {
    e.family = tok[i] as 'ipv4' | 'ipv6';
    i += 2;
  }
  const proto = tok[i];
  if (proto === undefined || !/^[a-z][a-z0-9]*$/.test(proto) || !/^\d+$/.test(tok[i + 1] ?? '')) {
    throw new BadLine('expected "PROTOCOL NUMBER" (e.g. "tcp 6") at the start');
  }
  e.protocol = proto;
  e.protocolNumber = uint(tok[i + 1]!, 'protocol number', 255);
  i += 2;
  if (/^\d+$/.test(tok[i] ?? '')) e.timeout = uint(tok[i++]!, 'timeout');
  if (/^[A-Z][A-Z0-9_]*$/.test(tok[i] ?? '')) e.state = tok[i++];

  const keys = tupleKeys(proto);
  const orig: Partial<ConntrackTuple> = {};
  const reply: Partial<ConntrackTuple> = {};
  let cur: Partial<ConntrackTuple> | undefined = orig;
  let dir = 'original';
  const seen = new Set<string>();
  for (; i < tok.length; i++) {
    const t = tok[i]!;
    const eq = t.indexOf('=');
    const key = eq > 0 && !t.startsWith('[') ? t.slice(0, eq) : undefined;
    const v = key !== undefined ? t.slice(eq + 1) : '';
    if (
      cur &&
      key !== undefined &&
      (keys.has(key) || key === `zone-${dir === 'original' ? 'orig' : 'reply'}`)
    ) {
      if (seen.has(key)) {
        if (cur === orig && key === 'src') {
          cur = reply;
          dir = 'reply';
          seen.clear();
        } else cur = undefined; // a repeated key after the reply tuple belongs to the trailer
      }
      if (cur) {
        seen.add(key);
        setTupleField(cur, key, v, dir);
        continue;
      }
    }
    if (t === '[UNREPLIED]') {
      e.unreplied = true;
      if (cur === orig) {
        cur = reply;
        dir = 'reply';
        seen.clear();
      }
      continue;
    }
    if (cur === orig && key === undefined)
      throw new BadLine(`unexpected ${JSON.stringify(t)} inside the original tuple`);
    if (cur === reply && seen.size > 0) cur = undefined; // first non-tuple token ends the reply tuple
    if (t === '[ASSURED]') e.assured = true;
    else if (t === '[OFFLOAD]' || t === '[HW_OFFLOAD]') {
      e.offload = t.slice(1, -1) as 'OFFLOAD' | 'HW_OFFLOAD';
    } else if (t.startsWith('[')) e.flags.push(t);
    else if (key === 'mark') e.mark = uint(v, 'mark');
    else if (key === 'secmark') e.secmark = uint(v, 'secmark');
    else if (key === 'secctx') e.secctx = v;
    else if (key === 'zone') e.zone = uint(v, 'zone', 65535);
    else if (key === 'use') e.use = uint(v, 'use');
    else if (key === 'id') e.id = uint(v, 'id');
    else if (key === 'labels') e.labels = v;
    else if (key === 'helper') e.helper = v;
    else if (key !== undefined) e.extra[key] = v;
    else throw new BadLine(`unexpected ${JSON.stringify(t)}`);
  }
  e.orig = finishTuple(orig, 'original');
  e.reply = finishTuple(reply, 'reply');
  e.unreplied ??= false;
  e.assured ??= false;
  e.family ??= e.orig.src.includes(':') ? 'ipv6' : 'ipv4';
  return e as ConntrackEntry;
}

/** Parses one `conntrack -L`/`-E` line; throws a ToolOutputError naming the problem. */
export function parseConntrackLine(line: string): ConntrackEntry {
  return parseOneLine(COMMAND, line, parseEntry);
}

/**
 * Parses `conntrack -L`, `-L -o extended`, `-E`, `-E -o timestamp` output. Bad lines become issues
 * (`line N`), the rest are kept; the `flow entries have been shown` summary is skipped.
 */
export function parseConntrack(text: string): { entries: ConntrackEntry[]; issues: ParseIssue[] } {
  return parseLines(COMMAND, text, parseEntry, (l) => SUMMARY.test(l.trim()));
}

export interface NatEndpoint {
  address: string;
  port?: number;
  icmpId?: number;
}

export interface NatChange {
  from: NatEndpoint;
  to: NatEndpoint;
}

function endpoint(address: string, port: number | undefined, icmpId: number | undefined): NatEndpoint {
  const ep: NatEndpoint = { address };
  if (port !== undefined) ep.port = port;
  if (icmpId !== undefined) ep.icmpId = icmpId;
  return ep;
}

/**
 * The address translation an entry records. Without NAT the reply tuple is the original mirrored
 * (reply.src = orig.dst, reply.dst = orig.src, ports swapped). Where the reply's source differs from
 * the original destination the destination was rewritten (DNAT: from orig.dst to reply.src); where
 * the reply's destination differs from the original source, the source was (SNAT: from orig.src to
 * reply.dst). An ICMP id that differs between the tuples is a source-side rewrite.
 */
export function natOf(e: ConntrackEntry): { snat?: NatChange; dnat?: NatChange } {
  const { orig: o, reply: r } = e;
  const out: { snat?: NatChange; dnat?: NatChange } = {};
  if (r.src !== o.dst || r.sport !== o.dport) {
    out.dnat = { from: endpoint(o.dst, o.dport, undefined), to: endpoint(r.src, r.sport, undefined) };
  }
  if (r.dst !== o.src || r.dport !== o.sport || r.icmpId !== o.icmpId) {
    out.snat = { from: endpoint(o.src, o.sport, o.icmpId), to: endpoint(r.dst, r.dport, r.icmpId) };
  }
  return out;
}
