// Random display filters for the differential, built from the values the fields really take in
// the captures (so that a comparison matches something), over design.md's field set — the fields
// the decoder differential holds equal to tshark's. Deterministic: the same seed, the same filters.
// Each filter avoids commas, which tshark's `-z io,stat` would take as the end of a filter.

import { ipv4FromString } from '../../decode/bytes.ts';
import { STABLE_FIELDS } from '../../decode/fields.ts';
import { prng } from '../../decode/test-support/flat-frames-traffic.ts';
import { fieldKind } from '../field-kinds.ts';

const INTEGER = /^(0x[0-9a-f]+|[0-9]+)$/i;
/**
 * The frame's own fields hold nothing a decoder decided (the merged file's times are made up: frame
 * k at second k - 1), but a time window is a common filter: frame.time_relative is kept.
 */
export const GENERATED_FIELDS = [
  ...STABLE_FIELDS.filter((f) => !f.startsWith('frame.')),
  'frame.time_relative',
];

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `count` filters of up to three tests joined with and/or/not, each test on a field of `values`
 * (field → the values seen, as fields.ts prints them; fields never seen are left out).
 */
export function generateFilters(values: Map<string, string[]>, count: number, seed: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const fields = GENERATED_FIELDS.filter((f) => (values.get(f)?.length ?? 0) > 0);
  const isString = (field: string) => fieldKind(field) === 'string';
  /** `v` as the filter writes it: quoted for a string, and in another of its forms now and then. */
  const literal = (field: string, v: string): string => {
    const kind = fieldKind(field);
    if (kind === 'string') return quote(v);
    if (rnd() < 0.5) return v;
    if (kind === 'uint' && INTEGER.test(v)) {
      const n = Number(v);
      return pick([
        `0x${n.toString(16)}`,
        n === 0 ? '0' : `0${n.toString(8)}`,
        `0b${n.toString(2)}`,
        String(n),
      ]);
    }
    if (kind === 'ipv4' && ipv4FromString(v) !== undefined) return `${v}/${pick([8, 16, 24, 31, 32])}`;
    if (kind === 'ipv6') return `${v}/${pick([16, 64, 127, 128])}`;
    if (kind === 'ether') return pick([v.replace(/:/g, '-'), v.replace(/:/g, ''), v.toUpperCase()]);
    if (kind === 'bool') return pick(['True', 'False', v]);
    return v;
  };
  const quantifier = () => (rnd() < 0.2 ? `${pick(['any', 'all'])} ` : '');

  const test = (): string | undefined => {
    const field = pick(fields);
    const kind = fieldKind(field)!;
    const vs = values.get(field)!;
    const v = pick(vs);
    const r = rnd();
    if (r < 0.1) return field;
    if (r < 0.2 && isString(field)) {
      const from = Math.floor(rnd() * v.length);
      const part = v.slice(from, from + 1 + Math.floor(rnd() * 6));
      return part === '' ? field : `${quantifier()}${field} contains ${quote(part)}`;
    }
    if (r < 0.3 && INTEGER.test(v) && kind === 'uint') {
      // A bit the field can hold (tshark refuses a mask wider than the field): below its largest value's.
      const widest = Math.max(1, ...vs.filter((x) => INTEGER.test(x)).map((x) => Number(x)));
      const mask = 2 ** Math.floor(rnd() * Math.min(31, Math.floor(Math.log2(widest)) + 1));
      const m = pick([String(mask), `0x${mask.toString(16)}`]);
      return rnd() < 0.5
        ? `${field} & ${m}`
        : `${field} & ${m} ${pick(['==', '!=', '>'])} ${Number(v) & mask}`;
    }
    if (r < 0.4 && !isString(field) && kind !== 'bool') {
      const [lo, hi] = [v, pick(vs)].sort((a, b) => order(a, b));
      return `${quantifier()}${field} in {${literal(field, lo!)}${pick(['..', ' .. ', '.. '])}${literal(field, hi!)}}`.replace(
        /\/\d+(?=\s*\.\.|\})/g,
        '',
      );
    }
    const op =
      kind === 'bool'
        ? pick(['==', '!='])
        : pick(['==', '==', '!=', '~=', '!==', '===', '<', '>', '<=', '>=']);
    return `${quantifier()}${field} ${op} ${literal(field, v)}`;
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
