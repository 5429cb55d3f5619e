// The text of `ovs-vsctl show`: a tree told by indentation.
//
//   74488b8d-c193-4629-88a9-bc7cd5262e17          Open_vSwitch row uuid
//       Manager "ptcp:6640"                        is_connected: true
//       Bridge br-int                              fail_mode / datapath_type / Controller ...
//           Port "3f1c9e2b7a4d5e6"                 tag / trunks / bond_mode ...
//               Interface "3f1c9e2b7a4d5e6"        type / options {peer=..., remote_ip=...} / error
//       ovs_version: "3.1.0"
//
// Nesting is decided by relative indentation and by keyword (a Port belongs to the nearest Bridge
// above it), not by exact column counts: pasted docs misindent (`   ovs_version:` with 3 spaces).
// Doc remarks (`tag: 25 # example`) are dropped; lines that are not part of the format (`...`
// elisions) become issues and everything around them is kept.
import { contentLines, issue, type ParseIssue, stripRemark } from './errors.ts';
import { type OvsdbText, parseOvsdbText, unquoteOvsdb } from './ovsdb.ts';

export interface OvsShowTarget {
  target: string;
  isConnected?: boolean;
  other: Record<string, OvsdbText>;
}

export interface OvsShowInterface {
  name: string;
  /** "" when no `type:` line is printed (an ordinary system device). */
  type: string;
  options: Record<string, string>;
  error?: string;
  other: Record<string, OvsdbText>;
}

export interface OvsShowPort {
  name: string;
  tag?: number;
  trunks?: number[];
  interfaces: OvsShowInterface[];
  other: Record<string, OvsdbText>;
}

export interface OvsShowBridge {
  name: string;
  controllers: OvsShowTarget[];
  failMode?: string;
  datapathType?: string;
  ports: OvsShowPort[];
  other: Record<string, OvsdbText>;
}

export interface OvsShow {
  /** The Open_vSwitch row's uuid (first line); absent in partial pastes. */
  uuid?: string;
  managers: OvsShowTarget[];
  bridges: OvsShowBridge[];
  ovsVersion?: string;
  other: Record<string, OvsdbText>;
}

type Node =
  | { kind: 'root'; indent: number; v: OvsShow }
  | { kind: 'target'; indent: number; v: OvsShowTarget }
  | { kind: 'bridge'; indent: number; v: OvsShowBridge }
  | { kind: 'port'; indent: number; v: OvsShowPort }
  | { kind: 'interface'; indent: number; v: OvsShowInterface };

const COMMAND = 'ovs-vsctl show';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PARENT: Record<string, Node['kind']> = {
  Manager: 'root',
  Bridge: 'root',
  Controller: 'bridge',
  Port: 'bridge',
  Interface: 'port',
};

export function parseOvsVsctlShow(text: string): { show: OvsShow; issues: ParseIssue[] } {
  const show: OvsShow = { managers: [], bridges: [], other: {} };
  const issues: ParseIssue[] = [];
  const stack: Node[] = [{ kind: 'root', indent: -1, v: show }];
  const at = (no: number, field?: string) => (field ? `line ${no}: ${field}` : `line ${no}`);

  for (const { no, line: rawLine } of contentLines(text)) {
    const line = stripRemark(rawLine);
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (UUID.test(body) && show.uuid === undefined && show.bridges.length === 0) {
      show.uuid = body;
      continue;
    }
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();

    const kw = /^(Manager|Bridge|Controller|Port|Interface)\s+(.+)$/.exec(body);
    if (kw) {
      const [, word, rest] = kw as unknown as [string, keyof typeof PARENT, string];
      const want = PARENT[word]!;
      let pi = stack.length - 1;
      while (pi >= 0 && stack[pi]!.kind !== want) pi--;
      if (pi < 0) {
        issues.push(
          issue(
            'unrecognized-line',
            COMMAND,
            [no - 1],
            at(no),
            `${word} outside a ${want === 'port' ? 'Port' : 'Bridge'}`,
          ),
        );
        continue;
      }
      stack.length = pi + 1;
      const parent = stack[pi]!;
      const name = unquoteOvsdb(rest);
      if (word === 'Bridge' && parent.kind === 'root') {
        const b: OvsShowBridge = { name, controllers: [], ports: [], other: {} };
        parent.v.bridges.push(b);
        stack.push({ kind: 'bridge', indent, v: b });
      } else if (word === 'Manager' && parent.kind === 'root') {
        const t: OvsShowTarget = { target: name, other: {} };
        parent.v.managers.push(t);
        stack.push({ kind: 'target', indent, v: t });
      } else if (word === 'Controller' && parent.kind === 'bridge') {
        const t: OvsShowTarget = { target: name, other: {} };
        parent.v.controllers.push(t);
        stack.push({ kind: 'target', indent, v: t });
      } else if (word === 'Port' && parent.kind === 'bridge') {
        const p: OvsShowPort = { name, interfaces: [], other: {} };
        parent.v.ports.push(p);
        stack.push({ kind: 'port', indent, v: p });
      } else if (word === 'Interface' && parent.kind === 'port') {
        const i: OvsShowInterface = { name, type: '', options: {}, other: {} };
        parent.v.interfaces.push(i);
        stack.push({ kind: 'interface', indent, v: i });
      }
      continue;
    }

    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(body);
    if (!kv) {
      issues.push(
        issue(
          'unrecognized-line',
          COMMAND,
          [no - 1],
          at(no),
          `not part of ovs-vsctl show: ${JSON.stringify(body.slice(0, 60))}`,
        ),
      );
      continue;
    }
    const [, key, raw] = kv as unknown as [string, string, string];
    const value = parseOvsdbText(raw);
    const node = stack[stack.length - 1]!;
    const bad = (what: string) =>
      issues.push(
        issue(
          'invalid-value',
          COMMAND,
          [no - 1, key],
          at(no, `"${key}"`),
          `expected ${what}, got ${JSON.stringify(raw.slice(0, 60))}`,
        ),
      );
    if (value === undefined) {
      bad('an OVSDB value');
      continue;
    }
    switch (node.kind) {
      case 'root':
        if (key === 'ovs_version' && typeof value === 'string') node.v.ovsVersion = value;
        else node.v.other[key] = value;
        break;
      case 'target':
        if (key === 'is_connected' && (value === 'true' || value === 'false'))
          node.v.isConnected = value === 'true';
        else node.v.other[key] = value;
        break;
      case 'bridge':
        if (key === 'fail_mode' && typeof value === 'string') node.v.failMode = value;
        else if (key === 'datapath_type' && typeof value === 'string') node.v.datapathType = value;
        else node.v.other[key] = value;
        break;
      case 'port':
        if (key === 'tag') {
          if (typeof value === 'string' && /^\d+$/.test(value)) node.v.tag = Number(value);
          else bad('a VLAN number');
        } else if (key === 'trunks') {
          const list = typeof value === 'string' ? [value] : value;
          if (Array.isArray(list) && list.every((x) => typeof x === 'string' && /^\d+$/.test(x))) {
            node.v.trunks = list.map(Number);
          } else bad('a list of VLAN numbers');
        } else node.v.other[key] = value;
        break;
      case 'interface':
        if (key === 'type' && typeof value === 'string') node.v.type = value;
        else if (key === 'options') {
          if (typeof value === 'object' && !Array.isArray(value)) node.v.options = value;
          else bad('a map {key=value, ...}');
        } else if (key === 'error' && typeof value === 'string') node.v.error = value;
        else node.v.other[key] = value;
        break;
    }
  }
  return { show, issues };
}
