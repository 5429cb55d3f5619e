// Small pieces the HTML report's parts share: escaping (everything from a capture or a cluster is
// untrusted text), time formatting, and text measuring for SVG, which cannot wrap text itself.

/** HTML-escapes text for element content and for double-quoted attribute values alike. */
export function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An element id from any text: ids are attribute values, and fragment links must not break on them. */
export function anchor(prefix: string, v: string | number): string {
  return `${prefix}-${String(v).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Nanoseconds for people: `850 ns`, `1.5 µs`, `180 µs`, `12.35 ms`, `2.05 s`. */
export function duration(ns: number): string {
  const a = Math.abs(ns);
  const sign = ns < 0 ? '−' : '';
  if (a < 1e3) return `${sign}${Math.round(a)} ns`;
  if (a < 1e6) return `${sign}${trim(a / 1e3, a < 1e4 ? 2 : a < 1e5 ? 1 : 0)} µs`;
  if (a < 1e9) return `${sign}${trim(a / 1e6, a < 1e7 ? 2 : a < 1e8 ? 1 : 0)} ms`;
  return `${sign}${trim(a / 1e9, 2)} s`;
}

/** A time since the journey's first sighting, always in µs so a column lines up: `+180.000`. */
export function micros(ns: number): string {
  return `${ns < 0 ? '−' : '+'}${(Math.abs(ns) / 1000).toFixed(3)}`;
}

function trim(n: number, digits: number): string {
  const t = n.toFixed(digits);
  return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The report's monospace text: the advance of DejaVu/Liberation Mono is 0.6 em. */
export const MONO_ADVANCE = 0.6;

export function textWidth(s: string, fontPx: number): number {
  return [...s].length * fontPx * MONO_ADVANCE;
}

/** Cuts text to `max` characters, with an ellipsis where it cut. */
export function clip(s: string, max: number): string {
  const cs = [...s];
  return cs.length <= max ? s : `${cs.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/**
 * Word-wraps to lines of at most `width` characters, breaking long words (interface ids, MACs) where
 * they must. Breaks after spaces, and after `/`, `,` or `→` inside words when that avoids a cut.
 */
export function wrap(text: string, width: number): string[] {
  const len = (s: string) => [...s].length;
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/(?<= )/)) {
      let w = word;
      while (len(line) + len(w.trimEnd()) > width) {
        if (line) {
          out.push(line.trimEnd());
          line = '';
          continue;
        }
        const chars = [...w];
        const head = chars.slice(0, width);
        const soft = Math.max(...['/', ',', '→', ':', '_', '-'].map((c) => head.lastIndexOf(c)));
        const cut = soft >= width / 2 ? soft + 1 : width;
        out.push(chars.slice(0, cut).join(''));
        w = chars.slice(cut).join('');
      }
      line += w;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** An SVG `<text>` of several lines (tspans), each escaped. */
export function svgLines(
  x: number,
  y: number,
  lines: string[],
  opts: { cls?: string; lineHeight: number; anchor?: 'start' | 'middle' | 'end' },
): string {
  if (lines.length === 0) return '';
  const a = opts.anchor && opts.anchor !== 'start' ? ` text-anchor="${opts.anchor}"` : '';
  const spans = lines
    .map((l, i) => `<tspan x="${r1(x)}" y="${r1(y + i * opts.lineHeight)}">${esc(l)}</tspan>`)
    .join('');
  return `<text${opts.cls ? ` class="${opts.cls}"` : ''}${a}>${spans}</text>`;
}

/** One decimal is plenty for SVG coordinates and keeps the file small. */
export function r1(n: number): string {
  return String(Math.round(n * 10) / 10);
}
