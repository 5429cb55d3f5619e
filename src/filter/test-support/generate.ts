// Random display filters for the differential, built from the values the fields really take in
// the captures (so that a comparison matches something), over design.md's field set — the fields
// the decoder differential holds equal to tshark's. Deterministic: the same seed, the same filters.
// Each filter avoids commas, which tshark's `-z io,stat` would take as the end of a filter.
import { STABLE_FIELDS } from '../../decode/fields.ts';

/** Fields tshark types as strings: their values are quoted, and `contains` applies. */
const STRING_FIELDS = new Set(['dns.qry.name', 'http.request.method', 'http.request.uri', 'http.host']);
/** Fields tshark types as booleans: only == and != apply. */
const BOOLEAN_FIELDS = new Set(['dns.flags.response']);
/** Fields tshark types as unsigned integers: `&` applies. */
const INTEGER = /^(0x[0-9a-f]+|[0-9]+)$/i;
/** The frame's own fields hold nothing a decoder decided, and the merged file's times are made up. */
export const GENERATED_FIELDS = STABLE_FIELDS.filter((f) => !f.startsWith('frame.'));

/** mulberry32: a small seeded generator, enough for picking. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `count` filters of up to three tests joined with and/or/not, each test on a field of `values`
 * (field → the values seen, as fields.ts prints them; fields never seen are left out).
 */
export function generateFilters(values: Map<string, string[]>, count: number, seed: number): string[] {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const fields = GENERATED_FIELDS.filter((f) => (values.get(f)?.length ?? 0) > 0);
  const literal = (field: string, v: string) => (STRING_FIELDS.has(field) ? quote(v) : v);

  const test = (): string | undefined => {
    const field = pick(fields);
    const vs = values.get(field)!;
    const v = pick(vs);
    const r = rnd();
    if (r < 0.1) return field;
    if (BOOLEAN_FIELDS.has(field)) return `${field} ${pick(['==', '!='])} ${v}`;
    if (r < 0.2 && STRING_FIELDS.has(field)) {
      const from = Math.floor(rnd() * v.length);
      const part = v.slice(from, from + 1 + Math.floor(rnd() * 6));
      return part === '' ? field : `${field} contains ${quote(part)}`;
    }
    if (r < 0.3 && INTEGER.test(v) && !STRING_FIELDS.has(field)) {
      // A bit the field can hold (tshark refuses a mask wider than the field): below its largest value's.
      const widest = Math.max(1, ...vs.filter((x) => INTEGER.test(x)).map((x) => Number(x)));
      const mask = 2 ** Math.floor(rnd() * Math.min(31, Math.floor(Math.log2(widest)) + 1));
      return `${field} & ${pick([String(mask), `0x${mask.toString(16)}`])}`;
    }
    if (r < 0.4 && !STRING_FIELDS.has(field)) {
      const [lo, hi] = [v, pick(vs)].sort((a, b) => order(a, b));
      return `${field} in {${lo}..${hi}}`;
    }
    const op = pick(['==', '==', '!=', '~=', '===', '<', '>', '<=', '>=']);
    const quantifier =
      (op === '==' || op === '<' || op === '>') && rnd() < 0.2 ? `${pick(['any', 'all'])} ` : '';
    return `${quantifier}${field} ${op} ${literal(field, v)}`;
  };

  const expr = (depth: number): string => {
    const r = rnd();
    if (depth >= 2 || r < 0.4) return test() ?? 'ip';
    if (r < 0.5) return `!(${expr(depth + 1)})`;
    const join = pick(['&&', '||', 'and', 'or']);
    return `(${expr(depth + 1)}) ${join} (${expr(depth + 1)})`;
  };

  const out = new Set<string>();
  for (let i = 0; out.size < count && i < count * 10; i++) {
    const f = expr(0);
    if (!f.includes(',')) out.add(f);
  }
  return [...out];
}

/** The order tshark gives two values of one field: as numbers when both are, else as text. */
function order(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  const v4 = (s: string) =>
    s
      .split('.')
      .map((p) => p.padStart(3, '0'))
      .join('.');
  if (/^[\d.]+$/.test(a) && /^[\d.]+$/.test(b)) return v4(a) < v4(b) ? -1 : v4(a) > v4(b) ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
