// What the decoder differential (decode/tshark-diff.test.ts) asks of tshark, and the differences it
// accepts: shared with the display-filter differential, which runs tshark the same way over the
// same captures and so meets the same decoder differences.

/**
 * tshark preferences used for the comparison, each a display/analysis preference rather than a
 * statement about the bytes: nettrace reports per packet, without reassembly.
 */
export const TSHARK_PREFS = [
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
export const TSHARK_DISABLED_HEURISTICS = ['http_tcp', 'dns_udp'];

export interface Difference {
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
export const DIFFERENCES: Difference[] = [
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
  ...['frame.time_relative', 'frame.time_delta'].map((field) => ({
    field,
    file: /timestamp_invalid_nano\.pcap$/,
    when: () => true,
    reason:
      'invalid nanosecond fractions (>= 10^9, or wrapping negative): tshark subtracts them ' +
      'unnormalised, nettrace as the signed times it reads; the capture is broken on purpose',
  })),
  {
    field: '*',
    file: /dns_fwdptr\.pcap$/,
    when: shorter,
    reason:
      'a packet of 10,518 forward-pointing DNS names: nettrace stops after its per-message work budget ' +
      '(a "loop" issue); tshark walks them all',
  },
];

/** tshark's arguments for reading like nettrace: the preferences and heuristics above. */
export function tsharkReadArgs(): string[] {
  const args: string[] = [];
  for (const [k, v] of TSHARK_PREFS) args.push('-o', `${k}:${v}`);
  for (const h of TSHARK_DISABLED_HEURISTICS) args.push('--disable-heuristic', h);
  return args;
}
