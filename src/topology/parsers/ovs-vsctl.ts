// `ovs-vsctl --format=json [--data=json] [--columns=...] list Bridge|Port|Interface` (also `find`):
// a table of headings and rows in OVSDB's JSON encoding (see ovsdb.ts). `--data` makes no difference
// with --format=json (cells are always JSON); `--columns` subsets make absent columns undefined.
// Also the text form of `ovs-vsctl list TABLE` (`column : value` blocks), which people paste.
import { z } from 'zod';
import { contentLines, issue, type ParseIssue, parseJsonText, validate } from './errors.ts';
import {
  type OvsdbText,
  ovsdbTable,
  ovsInt,
  ovsIntSet,
  ovsString,
  ovsStringMap,
  ovsUuidSet,
  parseOvsdbText,
} from './ovsdb.ts';

export type OvsdbRow = Record<string, unknown>;

export interface OvsBridge {
  uuid?: string;
  name?: string;
  /** Port row uuids. */
  ports?: string[];
  /** `system` (kernel), `netdev` (userspace), or "" (= system). */
  datapathType?: string;
  datapathId?: string;
  failMode?: string;
  externalIds?: Record<string, string>;
  otherConfig?: Record<string, string>;
}

export interface OvsPort {
  uuid?: string;
  name?: string;
  /** Interface row uuids. */
  interfaces?: string[];
  /** Access VLAN. */
  tag?: number;
  trunks?: number[];
  externalIds?: Record<string, string>;
  otherConfig?: Record<string, string>;
}

export interface OvsInterface {
  uuid?: string;
  name?: string;
  /** "" (a system/netdev device), internal, patch, geneve, vxlan, stt, gre, dpdk, ... */
  type?: string;
  /** OpenFlow port number; -1 when OVS could not add the interface, undefined before it tried. */
  ofport?: number;
  ofportRequest?: number;
  /** Patch: `peer`; tunnels: `remote_ip`, `local_ip`, `key`, `csum`, `dst_port`, ... */
  options?: Record<string, string>;
  /** OVN/CNI bindings: `iface-id` (logical port), `attached-mac`, `sandbox`, `ip_addresses`, ... */
  externalIds?: Record<string, string>;
  macInUse?: string;
  mac?: string;
  /** Kernel ifindex of the device (0 for patch ports and other OVS-only ports). */
  ifindex?: number;
  linkState?: string;
  adminState?: string;
  mtu?: number;
  mtuRequest?: number;
  /** Why OVS could not set the interface up (`could not open network device ... (No such device)`). */
  error?: string;
  status?: Record<string, string>;
  statistics?: Record<string, string>;
  otherConfig?: Record<string, string>;
}

export interface OvsdbTableRows {
  headings: string[];
  /** Rows keyed by heading; cells still in OVSDB's JSON encoding. */
  rows: OvsdbRow[];
}

function whereTable(headings: readonly string[]) {
  return (path: (string | number)[]): string => {
    const [a, b, c] = path;
    // Envelope paths are ['data', row, cell]; row paths are [row, column].
    if (a === 'data' && typeof b === 'number') {
      const col = typeof c === 'number' ? headings[c] : undefined;
      return col !== undefined ? `row ${b + 1}: column "${col}"` : `row ${b + 1}`;
    }
    if (typeof a === 'number')
      return b !== undefined ? `row ${a + 1}: column "${String(b)}"` : `row ${a + 1}`;
    return path.length ? `field "${path.join('.')}"` : '';
  };
}

/** Any table (`list Open_vSwitch`, `find ...`): headings and rows, cells validated as OVSDB values. */
export function parseOvsdbJsonTable(text: string, command = 'ovs-vsctl --format=json list'): OvsdbTableRows {
  const data = parseJsonText(text, command);
  const headingsGuess =
    data && typeof data === 'object' && Array.isArray((data as { headings?: unknown }).headings)
      ? ((data as { headings: unknown[] }).headings.map(String) as string[])
      : [];
  const table = validate(
    ovsdbTable.superRefine((t, ctx) => {
      t.data.forEach((row, i) => {
        if (row.length !== t.headings.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['data', i],
            message: `has ${row.length} cells for ${t.headings.length} headings (output cut short?)`,
          });
        }
      });
    }),
    data,
    command,
    whereTable(headingsGuess),
  );
  const rows = table.data.map((cells) => {
    const row: OvsdbRow = {};
    table.headings.forEach((h, i) => {
      row[h] = cells[i];
    });
    return row;
  });
  return { headings: table.headings, rows };
}

function parseTyped<S extends z.ZodType>(text: string, table: string, schema: S): z.output<S>[] {
  const command = `ovs-vsctl list ${table}`;
  const { headings, rows } = parseOvsdbJsonTable(text, command);
  return validate(z.array(schema), rows, command, whereTable(headings));
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const uuidCol = z
  .tuple([z.literal('uuid'), z.string()], { error: 'expected ["uuid", ...]' })
  .transform((u) => u[1])
  .optional();

const bridgeRow = z
  .object({
    _uuid: uuidCol,
    name: ovsString.optional(),
    ports: ovsUuidSet.optional(),
    datapath_type: ovsString.optional(),
    datapath_id: ovsString.optional(),
    fail_mode: ovsString.optional(),
    external_ids: ovsStringMap.optional(),
    other_config: ovsStringMap.optional(),
  })
  .transform(
    (r): OvsBridge =>
      compact({
        uuid: r._uuid,
        name: r.name,
        ports: r.ports,
        datapathType: r.datapath_type,
        datapathId: r.datapath_id,
        failMode: r.fail_mode,
        externalIds: r.external_ids,
        otherConfig: r.other_config,
      }),
  );

const portRow = z
  .object({
    _uuid: uuidCol,
    name: ovsString.optional(),
    interfaces: ovsUuidSet.optional(),
    tag: ovsInt.optional(),
    trunks: ovsIntSet.optional(),
    external_ids: ovsStringMap.optional(),
    other_config: ovsStringMap.optional(),
  })
  .transform(
    (r): OvsPort =>
      compact({
        uuid: r._uuid,
        name: r.name,
        interfaces: r.interfaces,
        tag: r.tag,
        trunks: r.trunks,
        externalIds: r.external_ids,
        otherConfig: r.other_config,
      }),
  );

const interfaceRow = z
  .object({
    _uuid: uuidCol,
    name: ovsString.optional(),
    type: ovsString.optional(),
    ofport: ovsInt.optional(),
    ofport_request: ovsInt.optional(),
    options: ovsStringMap.optional(),
    external_ids: ovsStringMap.optional(),
    mac_in_use: ovsString.optional(),
    mac: ovsString.optional(),
    ifindex: ovsInt.optional(),
    link_state: ovsString.optional(),
    admin_state: ovsString.optional(),
    mtu: ovsInt.optional(),
    mtu_request: ovsInt.optional(),
    error: ovsString.optional(),
    status: ovsStringMap.optional(),
    statistics: ovsStringMap.optional(),
    other_config: ovsStringMap.optional(),
  })
  .transform(
    (r): OvsInterface =>
      compact({
        uuid: r._uuid,
        name: r.name,
        type: r.type,
        ofport: r.ofport,
        ofportRequest: r.ofport_request,
        options: r.options,
        externalIds: r.external_ids,
        macInUse: r.mac_in_use,
        mac: r.mac,
        ifindex: r.ifindex,
        linkState: r.link_state,
        adminState: r.admin_state,
        mtu: r.mtu,
        mtuRequest: r.mtu_request,
        error: r.error,
        status: r.status,
        statistics: r.statistics,
        otherConfig: r.other_config,
      }),
  );

/** `ovs-vsctl --format=json list Bridge`. Throws ToolOutputError naming row and column. */
export function parseOvsBridges(text: string): OvsBridge[] {
  return parseTyped(text, 'Bridge', bridgeRow);
}

/** `ovs-vsctl --format=json list Port`. */
export function parseOvsPorts(text: string): OvsPort[] {
  return parseTyped(text, 'Port', portRow);
}

/** `ovs-vsctl --format=json list Interface`. */
export function parseOvsInterfaces(text: string): OvsInterface[] {
  return parseTyped(text, 'Interface', interfaceRow);
}

/**
 * The text form of `ovs-vsctl list TABLE`: one `column : value` line per column, records separated
 * by a blank line (or, in grep-filtered pastes, by a column repeating). Values are decoded from
 * OVSDB's text spelling: `[]`/`[a, b]` → arrays, `{k=v}` → records, quoted strings unquoted.
 */
export function parseOvsVsctlListText(
  text: string,
  command = 'ovs-vsctl list',
): { records: Record<string, OvsdbText>[]; issues: ParseIssue[] } {
  const records: Record<string, OvsdbText>[] = [];
  const issues: ParseIssue[] = [];
  let cur: Record<string, OvsdbText> | undefined;
  let lastNo = 0;
  for (const { no, line } of contentLines(text)) {
    // contentLines drops blank lines; a gap in line numbers is where the blank line was.
    if (no > lastNo + 1) cur = undefined;
    lastNo = no;
    const m = /^([A-Za-z_][\w-]*)\s*:\s?(.*)$/.exec(line);
    if (!m) {
      issues.push(
        issue(
          'unrecognized-line',
          command,
          [no - 1],
          `line ${no}`,
          `not "column : value": ${JSON.stringify(line.slice(0, 60))}`,
        ),
      );
      continue;
    }
    const [, key, raw] = m as unknown as [string, string, string];
    if (!cur || key in cur) {
      cur = {};
      records.push(cur);
    }
    const v = parseOvsdbText(raw);
    if (v === undefined) {
      issues.push(
        issue(
          'invalid-value',
          command,
          [no - 1, key],
          `line ${no}: column "${key}"`,
          `unbalanced value ${JSON.stringify(raw.slice(0, 60))}`,
        ),
      );
      cur[key] = raw;
    } else cur[key] = v;
  }
  return { records, issues };
}
