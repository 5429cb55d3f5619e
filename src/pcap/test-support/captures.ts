// The capture files the tests run over: the shared corpora beside the clone (../shared/corpora)
// and the repository's own testdata/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPORA = fileURLToPath(new URL('../../../../shared/corpora/', import.meta.url));
export const TESTDATA = fileURLToPath(new URL('../../../testdata/', import.meta.url));

/** Every capture file (.pcap, .pcapng, .cap) under `dir`, in a stable order. */
export function captures(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/i.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
