// JSON text of a number, as JSON.stringify writes it, made faster for the big integers the analysis
// writes most (nanosecond times beyond 2^31, hundreds of thousands of them in a big capture's JSON):
// a double's general conversion to text is several times the work of joining its 3-digit groups.

const GROUPS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

export function jsonNumber(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  if (n < 1e9 || !Number.isSafeInteger(n)) return String(n);
  // n = hi * 1e9 + lo with 0 <= lo < 1e9, exactly (the division may round, the correction not).
  let hi = Math.floor(n / 1e9);
  let lo = n - hi * 1e9;
  if (lo < 0) {
    hi--;
    lo += 1e9;
  } else if (lo >= 1e9) {
    hi++;
    lo -= 1e9;
  }
  const m = Math.floor(lo / 1e6);
  const r = lo - m * 1e6;
  const k = Math.floor(r / 1e3);
  return String(hi) + GROUPS[m] + GROUPS[k] + GROUPS[r - k * 1e3];
}
