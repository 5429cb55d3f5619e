// OVSDB values in the two spellings ovs-vsctl prints (RFC 7047 §5.1 for the JSON one):
//
//   JSON (--format=json): atom = string | number | boolean | ["uuid", "<uuid>"]
//                         set  = ["set", [atom, ...]]   (a set of exactly one is printed as the bare atom)
//                         map  = ["map", [[atom, atom], ...]]
//   text (show, list):    [] [a, b]   {} {k=v, k2="v 2"}   "quoted \"string\""   bare-word
//
// The JSON cell schemas below validate one column's raw cell and give it a plain TypeScript shape;
// their error messages say what was expected and what came, in words.
import { z } from 'zod';
import { describeValue } from './errors.ts';

const uuidAtom = z.tuple([z.enum(['uuid', 'named-uuid']), z.string()]);
const atom = z.union([z.string(), z.number(), z.boolean(), uuidAtom]);
const emptySet = z.tuple([z.literal('set'), z.tuple([])]);

/** Any OVSDB JSON cell: the envelope check before the per-column schemas run. */
export const ovsdbCell = z.union(
  [
    atom,
    z.tuple([z.literal('set'), z.array(atom)]),
    z.tuple([z.literal('map'), z.array(z.tuple([atom, atom]))]),
  ],
  {
    error: (iss) =>
      `expected an OVSDB value (atom, ["set", ...] or ["map", ...]), got ${describeValue(iss.input)}`,
  },
);

/** `{"headings": [...], "data": [[cell, ...], ...]}`, optionally with caption/time. */
export const ovsdbTable = z.object({
  headings: z.array(z.string()),
  data: z.array(z.array(ovsdbCell)),
});

const expected = (what: string) => ({
  error: (iss: { input?: unknown }) => `expected ${what}, got ${describeValue(iss.input)}`,
});

/** A string column, or an optional one that is empty (`["set", []]` → undefined). */
export const ovsString = z.union([z.string(), emptySet.transform(() => undefined)], expected('string'));

/** An integer column (ofport, tag, ifindex, mtu), empty → undefined. */
export const ovsInt = z.union([z.int(), emptySet.transform(() => undefined)], expected('integer'));

/** A set of uuids (ports, interfaces): a bare ["uuid", x] is a set of one. */
export const ovsUuidSet = z.union(
  [
    uuidAtom.transform((u) => [u[1]]),
    z.tuple([z.literal('set'), z.array(uuidAtom)]).transform((s) => s[1].map((u) => u[1])),
  ],
  expected('a set of uuids'),
);

/** A set of integers (trunks): a bare number is a set of one. */
export const ovsIntSet = z.union(
  [
    z
      .number()
      .int()
      .transform((n) => [n]),
    z.tuple([z.literal('set'), z.array(z.int())]).transform((s) => s[1]),
  ],
  expected('a set of integers'),
);

function atomText(a: z.output<typeof atom>): string {
  return Array.isArray(a) ? a[1] : String(a);
}

/** A map column (options, external_ids, status, statistics): every key and value as text. */
export const ovsStringMap = z
  .tuple([z.literal('map'), z.array(z.tuple([atom, atom]))], expected('a map (["map", [[key, value], ...]])'))
  .transform((m) => {
    const out: Record<string, string> = {};
    for (const [k, v] of m[1]) out[atomText(k)] = atomText(v);
    return out;
  });

// ---------------------------------------------------------------------------------------------
// Text spelling.

export type OvsdbText = string | OvsdbText[] | { [key: string]: string };

/** Thrown only inside this module; callers get `undefined` back from parseOvsdbText. */
class Stop extends Error {}

/**
 * Parses a value as `ovs-vsctl show` / `ovs-vsctl list` print it: sets become arrays, maps become
 * records, strings are unquoted (C escapes resolved). Returns undefined when the text is not a value
 * of that grammar (unbalanced brackets, an unterminated quote).
 */
export function parseOvsdbText(text: string): OvsdbText | undefined {
  let i = 0;
  const s = text.trim();
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const quoted = (): string => {
    let out = '';
    i++; // opening quote
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1]!;
        out += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c;
        i += 2;
      } else out += s[i++];
    }
    if (s[i] !== '"') throw new Stop();
    i++;
    return out;
  };
  const bare = (stops: string): string => {
    const start = i;
    while (i < s.length && !stops.includes(s[i]!)) i++;
    return s.slice(start, i).trim();
  };
  const scalar = (stops: string): string => (s[i] === '"' ? quoted() : bare(stops));
  const value = (stops: string): OvsdbText => {
    ws();
    if (s[i] === '[') {
      i++;
      const items: OvsdbText[] = [];
      ws();
      if (s[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value(',]'));
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return items;
        } else throw new Stop();
      }
    }
    if (s[i] === '{') {
      i++;
      const map: Record<string, string> = {};
      ws();
      if (s[i] === '}') {
        i++;
        return map;
      }
      for (;;) {
        ws();
        const k = scalar('=,}');
        if (s[i] !== '=') throw new Stop();
        i++;
        map[k] = scalar(',}');
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') {
          i++;
          return map;
        } else throw new Stop();
      }
    }
    return scalar(stops);
  };
  try {
    const v = value('');
    ws();
    return i === s.length ? v : undefined;
  } catch (e) {
    if (e instanceof Stop) return undefined;
    throw e;
  }
}

/** Unquotes one OVSDB string as printed in `ovs-vsctl show` (`"8b2d4f6a1c3e5a7"` → 8b2d4f6a1c3e5a7). */
export function unquoteOvsdb(text: string): string {
  const v = parseOvsdbText(text);
  return typeof v === 'string' ? v : text.trim();
}
