// The differential test: every capture in ../shared/corpora through nettrace and Debian's tshark,
// compared field by field, packet by packet, on design.md's stable field set. A difference passes
// only if it is listed in DIFFERENCES with its reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, test } from 'node:test';
import { writeFieldLines } from '../analyze.ts';
import { CORPORA, captures } from '../pcap/test-support/captures.ts';
import { STABLE_FIELDS as DESIGN_FIELDS } from './fields.ts';

/**
 * tshark preferences used for the comparison, each a display/analysis preference rather than a
 * statement about the bytes: nettrace reports per packet, without reassembly.
 */
const TSHARK_PREFS = [
  // HTTP and DNS-over-TCP fields then sit on the segment that carries them, not on the last
  // segment of a reassembled PDU.
  ['tcp.desegment_tcp_streams', 'FALSE'],
  // Fragments are reported as fragments; reassembly is not done per packet.
  ['ip.defragment', 'FALSE'],
  ['ipv6.defragment', 'FALSE'],
  // Otherwise a segment seen twice (a capture at several points, or on `any`) is called a
  // retransmission and its payload is not dissected again.
  ['tcp.analyze_sequence_numbers', 'FALSE'],
];

/** Protocols found by content on other ports: nettrace binds by port (and --decode-as) only. */
const TSHARK_DISABLED_HEURISTICS = ['http_tcp', 'dns_udp'];

interface Difference {
  /** A field name, or '*' for every field. */
  field: string;
  /** Corpus files (relative path) where it applies; all when absent. */
  file?: RegExp;
  /** Whether this pair of values is the named difference. */
  when: (ours: string, theirs: string) => boolean;
  reason: string;
}

/** nettrace shows more: tshark's value is a leading part of ours (extra inner occurrences). */
const extends_ = (ours: string, theirs: string) => theirs === '' || ours.startsWith(`${theirs},`);
/** nettrace shows less: ours is a leading part of tshark's, or nothing. */
const shorter = (ours: string, theirs: string) => ours === '' || theirs.startsWith(`${ours},`);

/** Every accepted difference, with its reason. Keep this list short and honest. */
const DIFFERENCES: Difference[] = [
  ...['bigtcp-ipv4-geneve-ipv4', 'bigtcp-ipv6-geneve-ipv6'].map((name) => ({
    field: '*',
    file: new RegExp(`${name}\\.pcap$`),
    when: extends_,
    reason:
      'BIG TCP: tshark 4.0 stops at a UDP length / IPv6 payload length of 0; nettrace, like tcpdump, ' +
      'takes the length from the capture and decodes the Geneve tunnel and the inner TCP',
  })),
  {
    field: '*',
    file: /vxlan_port_8472\.pcap$/,
    when: extends_,
    reason:
      "UDP 8472 is the Linux kernel's default VXLAN port (flannel, OVN-Kubernetes' VXLAN mode): " +
      'nettrace binds it to VXLAN, tshark 4.0 does not',
  },
  {
    field: '*',
    file: /nsh-over-vxlan-gpe\.pcap$/,
    when: shorter,
    reason:
      'UDP 4790 is VXLAN-GPE (here carrying NSH), a different header: nettrace does not decode it as VXLAN',
  },
  {
    field: '*',
    file: /(ipv4_invalid_length|ipv6_invalid_length|tcp_header_heapoverflow|udp-length-heapoverflow)\.pcap$/,
    when: (ours) => ours === '',
    reason:
      'a header cut inside its fixed part yields no layer (a "truncated" issue instead), so flows and ' +
      'journeys never see half-read addresses; tshark shows the fields it could read',
  },
  {
    field: '*',
    file: /dns_fwdptr\.pcap$/,
    when: shorter,
    reason:
      'a packet of 10,518 forward-pointing DNS names: nettrace stops after its per-message work budget ' +
      '(a "loop" issue); tshark walks them all',
  },
];

function tsharkLines(file: string): { lines: string[]; stderr: string } {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const [k, v] of TSHARK_PREFS) args.push('-o', `${k}:${v}`);
  for (const h of TSHARK_DISABLED_HEURISTICS) args.push('--disable-heuristic', h);
  for (const f of DESIGN_FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (r.error) throw new Error(`tshark could not run (apt-get install tshark): ${r.error.message}`);
  const lines = r.stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { lines, stderr: r.stderr };
}

function allowed(rel: string, field: string, ours: string, theirs: string): Difference | undefined {
  return DIFFERENCES.find(
    (d) => (d.field === '*' || d.field === field) && (!d.file || d.file.test(rel)) && d.when(ours, theirs),
  );
}

describe('fields equal tshark 4.0 on every corpus capture', { concurrency: false }, () => {
  assert.ok(existsSync(CORPORA), `corpora not found at ${CORPORA} (shared/ must sit beside the clone)`);
  for (const file of captures(CORPORA)) {
    const rel = relative(CORPORA, file);
    test(rel, () => {
      const theirs = tsharkLines(file);
      const ours: string[] = [];
      writeFieldLines([file], DESIGN_FIELDS, (l) => ours.push(l));
      // tshark stops at a corrupt record; nettrace must deliver at least as many packets.
      assert.ok(
        ours.length >= theirs.lines.length,
        `${rel}: nettrace read ${ours.length} packets, tshark ${theirs.lines.length}`,
      );
      const problems: string[] = [];
      for (let i = 0; i < theirs.lines.length; i++) {
        const a = ours[i]!.split('\t');
        const b = theirs.lines[i]!.split('\t');
        for (let j = 0; j < DESIGN_FIELDS.length; j++) {
          const field = DESIGN_FIELDS[j]!;
          const x = a[j] ?? '';
          const y = b[j] ?? '';
          if (x === y || allowed(rel, field, x, y)) continue;
          if (problems.length < 20) problems.push(`frame ${i + 1} ${field}: nettrace "${x}" tshark "${y}"`);
          else if (problems.length === 20) problems.push('...');
        }
      }
      assert.deepEqual(problems, [], `${rel} differs from tshark:\n${problems.join('\n')}`);
    });
  }
});
