// JSON for big results without building one giant string: top-level keys are written one by one,
// and the elements of large arrays one per line. The text parses to exactly JSON.stringify(value).

/**
 * An array written without being built: `length` elements, element i made by `item(i)` and its JSON
 * text by `json(i)` (which must be what JSON.stringify writes for item(i)). writeJson writes it as
 * that array, an element at a time; JSON.stringify (through toJSON) builds the array.
 */
export class JsonArray<T = unknown> {
  constructor(
    readonly length: number,
    readonly item: (i: number) => T,
    readonly json: (i: number) => string = (i) => JSON.stringify(item(i)) ?? 'null',
  ) {}

  toJSON(): T[] {
    const out: T[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.item(i);
    return out;
  }
}

/** Writes `value` as JSON through `write`; arrays longer than `inlineMax` get one element per line. */
export function writeJson(value: unknown, write: (chunk: string) => void, inlineMax = 16): void {
  writeValue(value, write, '', inlineMax);
  write('\n');
}

function writeValue(v: unknown, write: (chunk: string) => void, indent: string, inlineMax: number): void {
  if (v instanceof JsonArray) {
    if (v.length <= inlineMax) {
      write(JSON.stringify(v));
      return;
    }
    write('[\n');
    const inner = indent + '  ';
    const last = v.length - 1;
    for (let i = 0; i < last; i++) write(`${inner}${v.json(i)},\n`);
    write(`${inner}${v.json(last)}\n${indent}]`);
    return;
  }
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
