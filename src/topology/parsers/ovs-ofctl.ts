// `ovs-ofctl [-O OpenFlow13] dump-flows BRIDGE` and `ovs-ofctl show BRIDGE`.
//
// A flow line, as ofputil_flow_stats_format() prints it:
//   cookie=0x0, duration=2.7s, table=0, n_packets=5, n_bytes=426, [idle_timeout=N, ] [hard_timeout=N, ]
//   [send_flow_rem |reset_counts |...]  [importance=N, ] [idle_age=N, ] [hard_age=N, ]
//   priority=100,ip,in_port=LOCAL actions=ct(commit,zone=64000),output:1
// Stats are `key=value, ` (comma-space), flags are `word ` (space), the match is one comma-joined
// word with priority inside it (absent when it is the default 32768), and actions run to the end.
import { contentLines, issue, type ParseIssue, stripRemark } from './errors.ts';

export interface OfFlow {
  /** As printed (hex, up to 64 bits). */
  cookie?: string;
  /** Seconds. */
  duration?: number;
  /** Table number, or its name when printed with --names/table names. */
  table: number | string;
  nPackets?: number;
  nBytes?: number;
  idleTimeout?: number;
  hardTimeout?: number;
  idleAge?: number;
  hardAge?: number;
  importance?: number;
  /** send_flow_rem, check_overlap, reset_counts, no_packet_counts, no_byte_counts, ... */
  flags: string[];
  /** 32768 (OpenFlow's default) when not printed. */
  priority: number;
  /**
   * Match fields: `key → value`; bare protocol words (`ip`, `tcp`, `arp`, `ipv6`) map to "".
   * Values are as printed (`"pf0vf1_r"` keeps no quotes, `10.96.0.0/16`, `+est+trk`).
   */
  match: Record<string, string>;
  /** The actions text as printed. */
  actions: string;
  /** Actions split at top-level commas: `ct(commit,zone=64000,exec(...))`, `output:1`. */
  actionList: string[];
}

export interface OfPort {
  /** OpenFlow port number, or `LOCAL` (the bridge's own port, 65534). */
  ofport: number | 'LOCAL';
  /** Truncated by OpenFlow 1.0 to 15 characters (`patch-br-int-to`). */
  name: string;
  addr?: string;
  config: string[];
  state: string[];
  speedMbps?: number;
}

const COMMAND = 'ovs-ofctl dump-flows';
const STATS = new Set([
  'cookie',
  'duration',
  'table',
  'n_packets',
  'n_bytes',
  'idle_timeout',
  'hard_timeout',
  'importance',
  'idle_age',
  'hard_age',
]);
const FLAG_WORDS = new Set([
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
  'no_readonly_table',
]);

/** Splits at commas that are outside (), [] and double quotes. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

function num(v: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
}

/** Parses one flow line; returns a message instead of a flow when it is not one. */
export function parseOfFlowLine(line: string): OfFlow | string {
  const text = stripRemark(line.trim());
  const am = /(^|[\s,])actions=/.exec(text);
  if (!am) return 'no "actions="';
  const actions = text.slice(am.index + am[0].length);
  let rest = text.slice(0, am.index + am[1]!.length).trim();
  const flow: OfFlow = {
    table: 0,
    flags: [],
    priority: 32768,
    match: {},
    actions,
    actionList: splitTopLevel(actions),
  };
  for (;;) {
    const stat = /^([a-z_]+)=([^,\s]*),\s*/.exec(rest);
    if (stat && STATS.has(stat[1]!)) {
      const [, key, value] = stat as unknown as [string, string, string];
      rest = rest.slice(stat[0].length);
      const n = num(value.replace(/s$/, ''));
      if (key === 'cookie') flow.cookie = value;
      else if (key === 'table') flow.table = /^\d+$/.test(value) ? Number(value) : value;
      else if (n === undefined) return `stat "${key}" is not a number: ${JSON.stringify(value)}`;
      else if (key === 'duration') flow.duration = n;
      else if (key === 'n_packets') flow.nPackets = n;
      else if (key === 'n_bytes') flow.nBytes = n;
      else if (key === 'idle_timeout') flow.idleTimeout = n;
      else if (key === 'hard_timeout') flow.hardTimeout = n;
      else if (key === 'importance') flow.importance = n;
      else if (key === 'idle_age') flow.idleAge = n;
      else if (key === 'hard_age') flow.hardAge = n;
      continue;
    }
    const flag = /^([a-z_]+)(\s+|$)/.exec(rest);
    if (flag && FLAG_WORDS.has(flag[1]!)) {
      flow.flags.push(flag[1]!);
      rest = rest.slice(flag[0].length);
      continue;
    }
    break;
  }
  if (/\s/.test(rest)) return `unexpected text before the match: ${JSON.stringify(rest.slice(0, 60))}`;
  for (const field of splitTopLevel(rest)) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : unquote(field.slice(eq + 1));
    if (key === 'priority') {
      const p = num(value);
      if (p === undefined) return `priority is not a number: ${JSON.stringify(value)}`;
      flow.priority = p;
    } else flow.match[key] = value;
  }
  return flow;
}

/** Header lines of a dump (`NXST_FLOW reply (xid=0x4):`, `OFPST_FLOW reply (OF1.3) (xid=0x2):`). */
const REPLY_HEADER = /^(NXST|OFPST)_[A-Z_]+ reply\b.*:$/;

/** `ovs-ofctl dump-flows BRIDGE` (any OpenFlow version). Unparsable lines become issues. */
export function parseOvsOfctlDumpFlows(text: string): { flows: OfFlow[]; issues: ParseIssue[] } {
  const flows: OfFlow[] = [];
  const issues: ParseIssue[] = [];
  for (const { no, line } of contentLines(text)) {
    if (REPLY_HEADER.test(line.trim())) continue;
    const f = parseOfFlowLine(line);
    if (typeof f === 'string') {
      issues.push(
        issue(
          'unrecognized-line',
          COMMAND,
          [no - 1],
          `line ${no}`,
          `not a flow (${f}): ${JSON.stringify(line.trim().slice(0, 60))}`,
        ),
      );
    } else flows.push(f);
  }
  return { flows, issues };
}

/**
 * `ovs-ofctl show BRIDGE`: the port list (` 1(name): addr:..`, `     config: ...`, `     state: ...`).
 * Feature/capability lines are skipped; `dpid` is returned when present.
 */
export function parseOvsOfctlShow(text: string): { dpid?: string; ports: OfPort[]; issues: ParseIssue[] } {
  const ports: OfPort[] = [];
  const issues: ParseIssue[] = [];
  let dpid: string | undefined;
  let cur: OfPort | undefined;
  for (const { no, line } of contentLines(text)) {
    const t = line.trim();
    const d = /\bdpid:([0-9a-fA-F]+)/.exec(t);
    if (d) dpid = d[1];
    const pm = /^(\d+|LOCAL)\((.*)\):\s*addr:(\S+)$/.exec(t);
    if (pm) {
      cur = {
        ofport: pm[1] === 'LOCAL' ? 'LOCAL' : Number(pm[1]),
        name: pm[2]!,
        addr: pm[3]!,
        config: [],
        state: [],
      };
      ports.push(cur);
      continue;
    }
    const kv = /^(config|state|current|advertised|supported|peer|speed):\s*(.*)$/.exec(t);
    if (kv && cur && /^\s/.test(line)) {
      const [, key, value] = kv as unknown as [string, string, string];
      const words = value === '0' ? [] : value.split(/\s+/).filter(Boolean);
      if (key === 'config') cur.config = words;
      else if (key === 'state') cur.state = words;
      else if (key === 'speed') {
        const s = /^(\d+) Mbps now/.exec(value);
        if (s) cur.speedMbps = Number(s[1]);
      }
      continue;
    }
    if (/^(OFPT_|n_tables|capabilities|actions):?/.test(t)) continue;
    issues.push(
      issue(
        'unrecognized-line',
        'ovs-ofctl show',
        [no - 1],
        `line ${no}`,
        `unexpected line: ${JSON.stringify(t.slice(0, 60))}`,
      ),
    );
  }
  return dpid !== undefined ? { dpid, ports, issues } : { ports, issues };
}
