// Problems met while reading a tool's output, zod-style: each one is a typed issue with a code, a
// path and a message, and the message already names the command and the field in words
// (`ovs-vsctl list Interface: row 3: column "ofport": expected integer, got "abc"`), so nobody
// downstream ever shows a raw zod dump. JSON outputs are all-or-nothing (one ToolOutputError
// listing every issue); line-oriented outputs keep the good lines and collect the bad ones.
import { z } from 'zod';
import { NettraceError } from '../../errors.ts';

export type ParseIssueCode =
  | 'invalid-json' // the text is not JSON at all, or is cut short
  | 'invalid-type' // a field holds the wrong kind of value
  | 'missing-field' // a field the format always has is absent
  | 'invalid-value' // right kind, impossible value (a port of 70000, a tag of "25 # note")
  | 'unrecognized-line'; // a line that is not part of the format (garbage, doc elisions)

export interface ParseIssue {
  code: ParseIssueCode;
  /** The command whose output this is, as a person would type it (`ip -j link show`). */
  command: string;
  /** Where, machine-readable: indices and keys into the output (rows/lines are 0-based here). */
  path: (string | number)[];
  /** Where, in words (`row 3: column "ofport"`, `line 7`); empty when the whole output is meant. */
  at: string;
  message: string;
}

export function formatIssue(i: ParseIssue): string {
  return i.at ? `${i.command}: ${i.at}: ${i.message}` : `${i.command}: ${i.message}`;
}

/** Thrown by the JSON parsers (and single-line helpers); `issues` holds every problem found. */
export class ToolOutputError extends NettraceError {
  readonly issues: ParseIssue[];
  constructor(issues: ParseIssue[], options?: { cause?: unknown }) {
    const shown = issues.slice(0, 3).map(formatIssue).join('; ');
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    super('topology.bad-output', `${shown}${more}`, options);
    this.name = 'ToolOutputError';
    this.issues = issues;
  }
}

/** Throws a ToolOutputError when a lenient parse collected issues; for callers that want strictness. */
export function assertNoIssues<T extends { issues: ParseIssue[] }>(result: T): T {
  if (result.issues.length > 0) throw new ToolOutputError(result.issues);
  return result;
}

export function issue(
  code: ParseIssueCode,
  command: string,
  path: (string | number)[],
  at: string,
  message: string,
): ParseIssue {
  return { code, command, path, at, message };
}

/** A short, quoted rendering of an offending value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && (v[0] === 'set' || v[0] === 'map' || v[0] === 'uuid')) {
    const s = JSON.stringify(v);
    return s.length > 40 ? `${s.slice(0, 37)}...` : s;
  }
  return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
}

/** JSON.parse that reports where it broke instead of throwing a SyntaxError. */
export function parseJsonText(text: string, command: string): unknown {
  if (text.trim() === '') {
    throw new ToolOutputError([issue('invalid-json', command, [], '', 'empty output (expected JSON)')]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = (e as Error).message.replace(/^JSON\.parse: /, '');
    const truncated = /end of (JSON )?(data|input)|Unterminated/i.test(detail);
    const msg = truncated ? `output is cut short (${detail})` : `not valid JSON (${detail})`;
    throw new ToolOutputError([issue('invalid-json', command, [], '', msg)], { cause: e });
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

const KIND_WORDS: Record<string, string> = {
  int: 'integer',
  number: 'number',
  string: 'string',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
  record: 'object',
  tuple: 'array',
};

/**
 * Turns zod's issues into ours. `where` renders a path in the tool's own words; the offending value
 * is looked up in the input rather than asking zod to echo it.
 */
export function issuesFromZod(
  error: z.ZodError,
  input: unknown,
  command: string,
  where: (path: (string | number)[]) => string,
): ParseIssue[] {
  return error.issues.map((zi) => {
    const path = zi.path.filter((k): k is string | number => typeof k !== 'symbol');
    const got = valueAt(input, path);
    let code: ParseIssueCode = 'invalid-type';
    let message = zi.message;
    // Our schemas word their own messages; zod's defaults start "Invalid input".
    const custom = !zi.message.startsWith('Invalid input');
    if (zi.code === 'invalid_type') {
      const expected = KIND_WORDS[zi.expected] ?? zi.expected;
      code = got === undefined ? 'missing-field' : 'invalid-type';
      if (got === undefined) message = `missing (expected ${expected})`;
      else if (!custom) message = `expected ${expected}, got ${describeValue(got)}`;
    } else if (zi.code === 'too_small' || zi.code === 'too_big' || zi.code === 'invalid_value') {
      code = 'invalid-value';
      if (!custom) message = `${zi.message.replace(/^Invalid input: /, '')}, got ${describeValue(got)}`;
    } else if (zi.code === 'invalid_union' && got === undefined) {
      code = 'missing-field';
      message = 'missing';
    }
    return issue(code, command, path, where(path), message);
  });
}

/** An integer field whose message says "integer" whether the value is a string or a fraction. */
export function zInt() {
  return z.int({ error: (iss) => `expected integer, got ${describeValue(iss.input)}` });
}

/** Runs a zod schema and throws one ToolOutputError with all issues on failure. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  command: string,
  where: (path: (string | number)[]) => string,
): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ToolOutputError(issuesFromZod(r.error, input, command, where));
}

/** Renders a JSON path for messages: `[2, "linkinfo", "info_data", "id"]` → `field "linkinfo.info_data.id"`. */
export function fieldWords(path: (string | number)[]): string {
  if (path.length === 0) return '';
  return `field "${path.map((k) => (typeof k === 'number' ? `[${k}]` : k)).join('.')}"`.replace(/\.\[/g, '[');
}

/**
 * Splits text into lines numbered from 1, dropping blank lines and lines that are `#` comments
 * (corpus headers, shell prompts pasted by users): no tool here ever prints a line starting with `#`.
 */
export function contentLines(text: string): { no: number; line: string }[] {
  const out: { no: number; line: string }[] = [];
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    out.push({ no: i + 1, line });
  }
  return out;
}

/**
 * Drops a trailing ` # remark` that people add when pasting output into docs, outside double
 * quotes only (a quoted OVSDB string may hold a `#`).
 */
export function stripRemark(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted && i > 0 && /\s/.test(line[i - 1]!)) return line.slice(0, i).trimEnd();
  }
  return line;
}
