// The default dissector with the transport layer unbound (no TCP/UDP and above), so the link- and
// network-layer decoders' unit tests see exactly their own layers and issues. The corpus and
// property tests use the real defaultDissector() instead.
import { defaultDissector } from '../bindings.ts';
import type { Dissector } from '../dissector.ts';
import { checkFields, type FrameInfo, fieldValues, newFrameInfo } from '../fields.ts';
import type { Layer } from '../layers.ts';
import type { Packet } from '../packet.ts';

const FRAME: FrameInfo = { ...newFrameInfo(), number: 1 };

/** A field's occurrences joined with `,`, as `--fields` prints them. */
export function field(p: Packet, name: string): string {
  if (checkFields([name]).length > 0) throw new Error(`unknown field ${name}`);
  return fieldValues(name, p, FRAME).join(',');
}

export function l3Dissector(): Dissector {
  const d = defaultDissector();
  d.tables['ip.proto'].delete(6);
  d.tables['ip.proto'].delete(17);
  return d;
}

const shared = l3Dissector();

/** Decodes one frame with the L2/L3 dissector (orig_len = captured length unless given). */
export function decodeL3(data: Uint8Array | number[], linktype = 1, origLen?: number): Packet {
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
  return shared.decode(bytes, origLen ?? bytes.length, linktype);
}

/** The protocol names of the layers, outer first: `eth/ip/icmp`. */
export function protos(p: Packet): string {
  return p.layers.map((l: Layer) => l.proto).join('/');
}

/** The issues as `code:layer` strings, in order. */
export function issueCodes(p: Packet): string[] {
  return (p.issues ?? []).map((i) => `${i.code}:${i.layer}`);
}
