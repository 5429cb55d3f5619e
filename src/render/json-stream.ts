// JSON for big results without building one giant string: top-level keys are written one by one,
// and the elements of large arrays one per line. The text parses to exactly JSON.stringify(value).

/** Writes `value` as JSON through `write`; arrays longer than `inlineMax` get one element per line. */
export function writeJson(value: unknown, write: (chunk: string) => void, inlineMax = 16): void {
  writeValue(value, write, '', inlineMax);
  write('\n');
}

function writeValue(v: unknown, write: (chunk: string) => void, indent: string, inlineMax: number): void {
  if (Array.isArray(v) && v.length > inlineMax) {
    write('[\n');
    const inner = indent + '  ';
    for (let i = 0; i < v.length; i++) {
      // JSON.stringify turns undefined/functions in arrays into null; keep that behaviour.
      write(inner + (JSON.stringify(v[i]) ?? 'null') + (i + 1 < v.length ? ',\n' : '\n'));
    }
    write(indent + ']');
    return;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isPlainLeaf(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(
      ([, x]) => x !== undefined && typeof x !== 'function',
    );
    if (entries.length === 0) {
      write('{}');
      return;
    }
    write('{\n');
    const inner = indent + '  ';
    entries.forEach(([k, x], i) => {
      write(`${inner}${JSON.stringify(k)}: `);
      writeValue(x, write, inner, inlineMax);
      write(i + 1 < entries.length ? ',\n' : '\n');
    });
    write(indent + '}');
    return;
  }
  write(JSON.stringify(v) ?? 'null');
}

// Objects with toJSON (Date, ...) are written by JSON.stringify itself.
function isPlainLeaf(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function';
}
