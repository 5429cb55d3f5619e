// `ovs-appctl dpctl/dump-conntrack [-m] [-s]`: OVS's own spelling of a conntrack entry
// (ct_dpif_format_entry), one per line, all commas and parentheses:
//
//   tcp,orig=(src=A,dst=B,sport=a,dport=b),reply=(src=B',dst=A',sport=b',dport=a'),zone=11,mark=2,protoinfo=(state=TIME_WAIT)
//   icmp,orig=(src=A,dst=B,id=7[,type=8,code=0]),reply=(...),id=123,status=SEEN_REPLY|ASSURED|CONFIRMED,timeout=29
//
// zone and mark are printed only when non-zero; id/status only with -m; packets/bytes/timeout/start
// only with -s; an unnamed IP protocol is printed as its number. The result is the same
// ConntrackEntry as conntrack.ts gives, so callers (and natOf) treat both alike.
import type { ConntrackEntry, ConntrackTuple } from './conntrack.ts';
import type { ParseIssue } from './errors.ts';
import { BadLine, parseLines, parseOneLine, uint } from './lines.ts';
import { splitTopLevel } from './ovs-ofctl.ts';

const COMMAND = 'ovs-appctl dpctl/dump-conntrack';
const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, icmpv6: 58, sctp: 132 };
const PROTO_NAMES: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  47: 'gre',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};

function inner(value: string, what: string): string[] {
  if (!value.startsWith('(') || !value.endsWith(')'))
    throw new BadLine(`${what}: expected (...), got ${JSON.stringify(value.slice(0, 40))}`);
  return splitTopLevel(value.slice(1, -1));
}

function pairs(items: string[], what: string): [string, string][] {
  return items.map((it) => {
    const eq = it.indexOf('=');
    if (eq <= 0) throw new BadLine(`${what}: expected key=value, got ${JSON.stringify(it.slice(0, 40))}`);
    return [it.slice(0, eq), it.slice(eq + 1)];
  });
}

function tuple(value: string, dir: string): ConntrackTuple {
  const t: Partial<ConntrackTuple> = {};
  for (const [k, v] of pairs(inner(value, dir), dir)) {
    const what = `${dir} ${k}`;
    if (k === 'src' || k === 'dst') t[k] = v;
    else if (k === 'sport' || k === 'dport') t[k] = uint(v, what, 65535);
    else if (k === 'id') t.icmpId = uint(v, what, 65535);
    else if (k === 'type') t.icmpType = uint(v, what, 255);
    else if (k === 'code') t.icmpCode = uint(v, what, 255);
    else if (k === 'packets' || k === 'bytes') t[k] = uint(v, what, Number.MAX_SAFE_INTEGER);
  }
  if (t.src === undefined || t.dst === undefined)
    throw new BadLine(`${dir} tuple has no ${t.src === undefined ? 'src' : 'dst'}=`);
  return t as ConntrackTuple;
}

function parseEntry(line: string): ConntrackEntry {
  const items = splitTopLevel(line.trim());
  const first = items.shift();
  if (first === undefined || first.includes('='))
    throw new BadLine('expected the protocol first (tcp, udp, icmp, ... or a number)');
  let protocol: string;
  let protocolNumber: number | undefined;
  if (/^\d+$/.test(first)) {
    protocolNumber = uint(first, 'protocol', 255);
    protocol = PROTO_NAMES[protocolNumber] ?? 'unknown';
  } else if (/^[a-z][a-z0-9]*$/.test(first)) {
    protocol = first;
    protocolNumber = PROTO_NUMBERS[first];
  } else throw new BadLine(`not a protocol: ${JSON.stringify(first.slice(0, 20))}`);

  let orig: ConntrackTuple | undefined;
  let reply: ConntrackTuple | undefined;
  const e: Omit<ConntrackEntry, 'orig' | 'reply' | 'family'> = {
    tool: 'dpctl',
    protocol,
    flags: [],
    extra: {},
    line,
  };
  if (protocolNumber !== undefined) e.protocolNumber = protocolNumber;
  for (const [k, v] of pairs(items, 'entry')) {
    if (k === 'orig') orig = tuple(v, 'orig');
    else if (k === 'reply') reply = tuple(v, 'reply');
    else if (k === 'zone') e.zone = uint(v, 'zone', 65535);
    else if (k === 'mark') e.mark = uint(v, 'mark');
    else if (k === 'id') e.id = uint(v, 'id');
    else if (k === 'timeout') e.timeout = uint(v, 'timeout');
    else if (k === 'labels') e.labels = v;
    else if (k === 'helper') e.helper = v;
    else if (k === 'status') {
      e.status = v.split('|').filter(Boolean);
      e.unreplied = !e.status.includes('SEEN_REPLY');
      e.assured = e.status.includes('ASSURED');
    } else if (k === 'protoinfo') {
      const info: Record<string, string> = {};
      for (const [pk, pv] of pairs(inner(v, 'protoinfo'), 'protoinfo')) info[pk] = pv;
      e.protoinfo = info;
      const state = info.state ?? info.state_orig;
      if (state !== undefined) e.state = state;
    } else e.extra[k] = v;
  }
  if (!orig) throw new BadLine('no orig=(...)');
  if (!reply) throw new BadLine('no reply=(...)');
  return { ...e, orig, reply, family: orig.src.includes(':') ? 'ipv6' : 'ipv4' };
}

/** Parses one dpctl/dump-conntrack line; throws a ToolOutputError naming the problem. */
export function parseDpctlConntrackLine(line: string): ConntrackEntry {
  return parseOneLine(COMMAND, line, parseEntry);
}

/** `ovs-appctl dpctl/dump-conntrack` output; bad lines become issues, the rest are kept. */
export function parseDpctlConntrack(text: string): { entries: ConntrackEntry[]; issues: ParseIssue[] } {
  return parseLines(COMMAND, text, parseEntry);
}
