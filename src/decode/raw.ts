// Raw IP (DLT 101): no link-layer header at all; the IP version nibble says which IP it is.
//
//   0 1 2 3 4 5 6 7
//  +-+-+-+-+-+-+-+-+
//  |Version|  ...  |   4: IPv4 header follows from byte 0; 6: IPv6
//  +-+-+-+-+-+-+-+-+
//
// Raw has no layer or fields of its own (Wireshark shows none either).
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import type { Decoder } from './packet.ts';

export const decodeRaw: Decoder = (p, off, end, d) => {
  if (end <= off) {
    p.issue('truncated', 'raw', off, 'raw IP frame is empty');
    return;
  }
  const version = p.data[off]! >> 4;
  if (version === 4) decodeIpv4(p, off, end, d);
  else if (version === 6) decodeIpv6(p, off, end, d);
  else p.issue('malformed', 'raw', off, `raw IP frame starts with IP version ${version}, neither 4 nor 6`);
};
