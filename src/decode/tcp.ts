// TCP (RFC 9293), with the options nettrace reads: MSS, window scale, SACK-permitted, SACK and
// timestamps. The flag word is 12 bits wide: AE (RFC 9768, formerly NS) is 0x100.
import { hex, u16, u32 } from './bytes.ts';
import type { Dissector } from './dissector.ts';
import type { FieldTable } from './fields.ts';
import type { TcpLayer } from './layers.ts';
import { type Packet, PROTO_BITS } from './packet.ts';

/**
 * Where the transport segment starting at `off` ends on the wire: the IP layer right before it
 * says how long its payload is (tshark's "reported length"), which may run past the captured
 * `end` (snaplen) or stop before it (Ethernet padding). A length-0 GSO/BIG TCP packet and anything
 * not directly inside IP take the frame's own length. Never beyond the frame's wire length.
 */
export function segmentWireEnd(p: Packet, off: number, end: number): number {
  const cap = p.data.length;
  const frameEnd = Math.max(p.origLen, cap);
  const declared = ipDeclaredEnd(p, off);
  const wire = declared >= 0 ? declared : end === cap ? frameEnd : end;
  return Math.min(wire, frameEnd);
}

/** The end of the IP payload per the IP header right before `off`, or -1 when it does not say. */
function ipDeclaredEnd(p: Packet, off: number): number {
  const prev = p.layers[p.layers.length - 1];
  if (prev === undefined || prev.offset + prev.hlen !== off) return -1;
  if (prev.proto === 'ip' && !prev.gso) return off + prev.payloadLen;
  if (prev.proto === 'ipv6' && prev.payloadLen > 0) return prev.offset + 40 + prev.payloadLen;
  return -1;
}

/** Segments whose header runs past the segment's IP length: tshark prints no tcp.len. */
const headerCut = new WeakSet<TcpLayer>();

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERM = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsv |E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             data                              |
 */
export function decodeTcp(p: Packet, off: number, end: number, d: Dissector): void {
  const b = p.data;
  const wireEnd = segmentWireEnd(p, off, end);
  const wireLen = wireEnd - off;
  if (wireLen < 20 && ipDeclaredEnd(p, off) === wireEnd) {
    p.issue('bad-length', 'tcp', off, `the IP length leaves ${wireLen} bytes, less than a TCP header`);
    return;
  }
  if (end - off < 20 || wireLen < 20) {
    p.issue('truncated', 'tcp', off, `TCP header needs 20 bytes, ${Math.max(end - off, 0)} captured`);
    return;
  }
  const hlen = (b[off + 12]! >>> 4) << 2;
  const layer: TcpLayer = {
    proto: 'tcp',
    offset: off,
    hlen,
    srcPort: u16(b, off),
    dstPort: u16(b, off + 2),
    seq: u32(b, off + 4),
    ack: u32(b, off + 8),
    flags: ((b[off + 12]! & 0x0f) << 8) | b[off + 13]!,
    window: u16(b, off + 14),
    checksum: u16(b, off + 16),
    urgent: u16(b, off + 18),
    mss: undefined,
    wscale: undefined,
    sackPermitted: undefined,
    sack: undefined,
    tsval: undefined,
    tsecr: undefined,
    unknownOptions: undefined,
    payloadOffset: off + hlen,
    payloadLen: wireLen > hlen ? wireLen - hlen : 0,
    payloadCaptured: 0,
  };
  p.add(layer, PROTO_BITS.tcp);
  if (hlen < 20) {
    p.issue('malformed', 'tcp', off + 12, `data offset ${hlen} bytes is less than 20`);
    return;
  }
  const capEnd = Math.min(end, wireEnd);
  if (off + hlen > wireEnd) {
    headerCut.add(layer);
    p.issue('bad-length', 'tcp', off + 12, `data offset ${hlen} runs past the segment (${wireLen} bytes)`);
  } else if (off + hlen > capEnd) {
    p.issue('truncated', 'tcp', off, `TCP header is ${hlen} bytes, ${capEnd - off} captured`);
  }
  if (hlen > 20) parseOptions(p, layer, off + 20, off + hlen, capEnd);
  if (off + hlen >= capEnd) return;
  layer.payloadCaptured = capEnd - (off + hlen);
  d.nextPort('tcp.port', layer.srcPort, layer.dstPort, p, off + hlen, capEnd);
}

/**
 * Options in [o, optEnd) (the declared header end), read no further than `capEnd`. A known option
 * with the wrong length is skipped, as tshark does; a length that cannot be walked stops the scan.
 */
function parseOptions(p: Packet, t: TcpLayer, o: number, optEnd: number, capEnd: number): void {
  const b = p.data;
  const stop = Math.min(optEnd, capEnd);
  while (o < stop) {
    const kind = b[o]!;
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= stop) {
      if (o + 1 >= optEnd) p.issue('malformed', 'tcp', o, `option ${kind} has no length byte`);
      return;
    }
    const len = b[o + 1]!;
    if (len < 2) {
      p.issue('malformed', 'tcp', o, `option ${kind} has length ${len}`);
      return;
    }
    if (o + len > optEnd) {
      p.issue('malformed', 'tcp', o, `option ${kind} (length ${len}) runs past the end of the options`);
      return;
    }
    if (o + len > capEnd) return;
    switch (kind) {
      case OPT_MSS:
        if (len === 4) t.mss = u16(b, o + 2);
        else badLength(p, o, 'MSS', len, 4);
        break;
      case OPT_WSCALE:
        if (len === 3) t.wscale = b[o + 2]!;
        else badLength(p, o, 'window scale', len, 3);
        break;
      case OPT_SACK_PERM:
        if (len === 2) t.sackPermitted = true;
        else badLength(p, o, 'SACK permitted', len, 2);
        break;
      case OPT_SACK:
        if (len >= 10 && (len - 2) % 8 === 0) {
          const blocks: [number, number][] = [];
          for (let i = o + 2; i < o + len; i += 8) blocks.push([u32(b, i), u32(b, i + 4)]);
          t.sack = blocks;
        } else {
          p.issue('bad-length', 'tcp', o, `SACK option length ${len} is not 2 + 8n`);
        }
        break;
      case OPT_TIMESTAMP:
        if (len === 10) {
          t.tsval = u32(b, o + 2);
          t.tsecr = u32(b, o + 6);
        } else {
          badLength(p, o, 'timestamps', len, 10);
        }
        break;
      default:
        if (t.unknownOptions === undefined) t.unknownOptions = [kind];
        else t.unknownOptions.push(kind);
    }
    o += len;
  }
}

function badLength(p: Packet, o: number, name: string, len: number, want: number): void {
  p.issue('bad-length', 'tcp', o, `${name} option length ${len}, should be ${want}`);
}

/** Wireshark's one-letter flag summary: reserved bits R, then AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. */
const FLAG_LETTERS = 'RRRACEUAPRSF';

function flagsString(flags: number): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += (flags >>> (11 - i)) & 1 ? FLAG_LETTERS[i] : '\u00b7';
  return s;
}

/** The fixed header is there but the data offset is below 20: tshark prints only ports, seq and lengths. */
const bogus = (l: TcpLayer) => l.hlen < 20;

export const tcpFields: FieldTable<TcpLayer> = {
  'tcp.srcport': (l) => String(l.srcPort),
  'tcp.dstport': (l) => String(l.dstPort),
  'tcp.port': (l) => [String(l.srcPort), String(l.dstPort)],
  'tcp.seq_raw': (l) => String(l.seq),
  'tcp.ack_raw': (l) => (bogus(l) ? undefined : String(l.ack)),
  'tcp.hdr_len': (l) => String(l.hlen),
  'tcp.flags': (l) => (bogus(l) ? undefined : hex(l.flags, 4)),
  'tcp.flags.str': (l) => (bogus(l) ? undefined : flagsString(l.flags)),
  'tcp.flags.ae': (l) => (bogus(l) ? undefined : String((l.flags >>> 8) & 1)),
  'tcp.flags.cwr': (l) => (bogus(l) ? undefined : String((l.flags >>> 7) & 1)),
  'tcp.flags.ece': (l) => (bogus(l) ? undefined : String((l.flags >>> 6) & 1)),
  'tcp.flags.urg': (l) => (bogus(l) ? undefined : String((l.flags >>> 5) & 1)),
  'tcp.flags.ack': (l) => (bogus(l) ? undefined : String((l.flags >>> 4) & 1)),
  'tcp.flags.push': (l) => (bogus(l) ? undefined : String((l.flags >>> 3) & 1)),
  'tcp.flags.reset': (l) => (bogus(l) ? undefined : String((l.flags >>> 2) & 1)),
  'tcp.flags.syn': (l) => (bogus(l) ? undefined : String((l.flags >>> 1) & 1)),
  'tcp.flags.fin': (l) => (bogus(l) ? undefined : String(l.flags & 1)),
  'tcp.window_size_value': (l) => (bogus(l) ? undefined : String(l.window)),
  'tcp.checksum': (l) => (bogus(l) ? undefined : hex(l.checksum, 4)),
  'tcp.urgent_pointer': (l) => (bogus(l) ? undefined : String(l.urgent)),
  'tcp.len': (l) => (headerCut.has(l) ? undefined : String(l.payloadLen)),
  'tcp.options.mss_val': (l) => (l.mss === undefined ? undefined : String(l.mss)),
  'tcp.options.wscale.shift': (l) => (l.wscale === undefined ? undefined : String(l.wscale)),
  'tcp.options.timestamp.tsval': (l) => (l.tsval === undefined ? undefined : String(l.tsval)),
  'tcp.options.timestamp.tsecr': (l) => (l.tsecr === undefined ? undefined : String(l.tsecr)),
};
