// Plain-text tables and small formatters shared by the terminal renderers.

export interface Style {
  color: boolean;
}

export function bold(s: string, st: Style): string {
  return st.color ? `\x1b[1m${s}\x1b[0m` : s;
}

export function dim(s: string, st: Style): string {
  return st.color ? `\x1b[2m${s}\x1b[0m` : s;
}

/** Columns padded to their widest cell; columns whose header starts with '>' are right-aligned. */
export function table(headers: string[], rows: string[][], st: Style, indent = '  '): string {
  const align = headers.map((h) => (h.startsWith('>') ? 'r' : 'l'));
  const heads = headers.map((h) => (h.startsWith('>') ? h.slice(1) : h));
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [bold(fmt(heads), st), ...rows.map(fmt)].join('\n');
}

/** A duration in the most readable unit: 850 ns, 12.3 µs, 4.56 ms, 1.234 s. */
export function duration(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** `10.0.0.1:80` or `[fd00::1]:80`; the port left out when 0 for portless protocols. */
export function endpoint(addr: string, port: number, proto: string): string {
  const a = addr.includes(':') ? `[${addr}]` : addr;
  if (proto === 'tcp' || proto === 'udp' || proto === 'sctp') return `${a}:${port}`;
  return a;
}
