// The scaffolding every line-oriented tool parser shares (conntrack, dpctl/dump-conntrack): a
// line that cannot be read throws BadLine; one line alone is an error, a whole output keeps the
// good lines and turns the bad ones into `line N` issues.
import { contentLines, issue, type ParseIssue, ToolOutputError } from './errors.ts';

/** Thrown by a line parser for a line it cannot read; the message names the field. */
export class BadLine extends Error {}

/** An unsigned decimal field, or BadLine naming `what`. */
export function uint(v: string, what: string, max = 0xffffffff): number {
  if (!/^\d+$/.test(v)) throw new BadLine(`${what}: expected a number, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n > max) throw new BadLine(`${what}: ${n} is out of range (max ${max})`);
  return n;
}

function problem(err: unknown, command: string, line: string, no?: number): ParseIssue {
  if (!(err instanceof BadLine)) throw err;
  const text = `${err.message}: ${JSON.stringify(line.trim().slice(0, 80))}`;
  return no === undefined
    ? issue('unrecognized-line', command, [], '', text)
    : issue('unrecognized-line', command, [no - 1], `line ${no}`, text);
}

/** One line; a bad one is a ToolOutputError naming the command and the field. */
export function parseOneLine<T>(command: string, line: string, parse: (line: string) => T): T {
  try {
    return parse(line);
  } catch (err) {
    throw new ToolOutputError([problem(err, command, line)]);
  }
}

/** Every content line; bad lines become issues, lines `skip` accepts are passed over. */
export function parseLines<T>(
  command: string,
  text: string,
  parse: (line: string) => T,
  skip?: (line: string) => boolean,
): { entries: T[]; issues: ParseIssue[] } {
  const entries: T[] = [];
  const issues: ParseIssue[] = [];
  for (const { no, line } of contentLines(text)) {
    if (skip?.(line)) continue;
    try {
      entries.push(parse(line));
    } catch (err) {
      issues.push(problem(err, command, line, no));
    }
  }
  return { entries, issues };
}
