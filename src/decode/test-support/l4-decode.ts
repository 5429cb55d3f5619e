// Decoding hand-built frames for the transport/tunnel/application tests: the real default
// bindings, and field text through fields.ts, so a test checks exactly what `--fields` prints.
import fc from 'fast-check';
import { defaultDissector } from '../bindings.ts';
import type { Dissector } from '../dissector.ts';
import { fieldValues, newFrameInfo } from '../fields.ts';
import type { Layer } from '../layers.ts';
import type { DecodeIssue, Packet } from '../packet.ts';
import { eth, ipv4, tcp, udp } from './l4-build.ts';

const shared = defaultDissector();

/** Decodes an Ethernet frame; `origLen` defaults to the captured length. */
export function decodeFrame(frame: Uint8Array, origLen = frame.length, d: Dissector = shared): Packet {
  return d.decode(frame, origLen, 1);
}

const NO_FRAME = { ...newFrameInfo(), number: 1 };

/** A field's occurrences joined with `,`, as `--fields` prints them. */
export function f(p: Packet, name: string): string {
  return fieldValues(name, p, NO_FRAME).join(',');
}

export function protos(p: Packet): string[] {
  return p.layers.map((l) => l.proto);
}

export function layer<P extends Layer['proto']>(p: Packet, proto: P, nth = 0): Extract<Layer, { proto: P }> {
  const all = p.layers.filter((l) => l.proto === proto);
  const l = all[nth];
  if (!l) throw new Error(`no ${proto} layer #${nth} in ${protos(p).join('/')}`);
  return l as Extract<Layer, { proto: P }>;
}

/** Issues as `code layer` strings, in order (offsets and messages checked separately where it matters). */
export function issueCodes(p: Packet): string[] {
  return (p.issues ?? []).map((i: DecodeIssue) => `${i.code} ${i.layer}`);
}

/** Bytes that matter to these decoders (pointers, label types, line ends, colons) come up often. */
const byteArb = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0, 1, 2, 4, 12, 0x40, 0x41, 0x80, 0xc0, 13, 10, 32, 58),
);
/** A protocol-shaped start (DNS header with small counts, HTTP start lines, Geneve/VXLAN headers) or none. */
const prefixArb = fc.constantFrom(
  [],
  [0x12, 0x34, 0x81, 0x80, 0, 2, 0, 3, 0, 1, 0, 2],
  [0, 40, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1],
  [...Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')],
  [...Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')],
  [0x02, 0x40, 0x65, 0x58, 0, 0, 5, 0, 0x01, 0x02, 0x80, 0x01],
  [0x00, 0x00, 0x08, 0x00, 0, 0, 5, 0],
  [0x08, 0, 0, 0, 0, 0, 100, 0],
);
const payloadArb = fc
  .tuple(prefixArb, fc.array(byteArb, { maxLength: 600 }))
  .map(([prefix, rest]) => Uint8Array.from([...prefix, ...rest]));

/**
 * Property: random bytes after a valid Ethernet/IPv4/UDP (or TCP) header on each of `ports` never
 * make decoding throw or report an `internal` issue, and every layer stays inside the frame.
 */
export function assertNeverThrows(transport: 'udp' | 'tcp', ports: number[], runs = 300): void {
  fc.assert(
    fc.property(
      fc.constantFrom(...ports),
      fc.integer({ min: 1024, max: 65535 }),
      fc.boolean(),
      payloadArb,
      fc.integer({ min: 0, max: 40 }),
      (port, other, swap, payload, cut) => {
        const [sport, dport] = swap ? [port, other] : [other, port];
        const l4 =
          transport === 'udp' ? udp({ sport, dport }, payload) : tcp({ sport, dport, flags: 0x18 }, payload);
        const frame = eth(0x0800, ipv4({ proto: transport === 'udp' ? 17 : 6 }, l4));
        const data = frame.subarray(0, Math.max(0, frame.length - cut));
        const p = decodeFrame(data, frame.length);
        for (const i of p.issues ?? []) {
          if (i.code === 'internal') throw new Error(`internal issue: ${i.message}`);
        }
        for (const l of p.layers) {
          if (l.offset < 0 || l.offset > data.length)
            throw new Error(`${l.proto} layer at ${l.offset} is outside the frame`);
        }
        // the field table must also cope with whatever was decoded
        for (const name of [
          'dns.qry.name',
          'dns.txt',
          'http.host',
          'geneve.option.length',
          'tcp.len',
          'vxlan.vni',
        ]) {
          f(p, name);
        }
      },
    ),
    { numRuns: runs },
  );
}
