// DNS (RFC 1035) over UDP, and over TCP with its 2-byte length prefix (RFC 7766). Names are
// expanded the way Wireshark 4.0 does it (dns-name.ts), so the field text matches tshark.
import { hex, hexBytes, ipv4At, ipv6At, u16, u32 } from './bytes.ts';
import { type Msg, nameText, past, readName } from './dns-name.ts';
import type { FieldTable } from './fields.ts';
import type { DnsLayer, DnsQuestion, DnsRecord } from './layers.ts';
import { type Decoder, type Packet, PROTO_BITS } from './packet.ts';

const T_A = 1;
const T_NS = 2;
const T_CNAME = 5;
const T_PTR = 12;
const T_TXT = 16;
const T_AAAA = 28;
const T_SRV = 33;
const T_OPT = 41;
const OPCODE_UPDATE = 5;
/** Most messages one TCP segment is allowed to yield (each is its own layer). */
const MAX_TCP_MESSAGES = 64;

/** A record as decoded here: the contract's text form plus the pieces the field table prints. */
interface DnsRecordParts extends DnsRecord {
  txt?: string[];
  srv?: { priority: number; weight: number; port: number; target: string };
}

/*
 *                                 1  1  1  1  1  1
 *   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |          QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT |  (4 x 16 bits)
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * | Question: QNAME, QTYPE, QCLASS  (x QDCOUNT)    |
 * | Answer / Authority / Additional RRs:           |
 * |   NAME, TYPE, CLASS, TTL(32), RDLENGTH, RDATA  |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * Over TCP each message is preceded by its 16-bit length.
 */
export const decodeDns: Decoder = (p, off, end) => {
  const prev = p.layers[p.layers.length - 1];
  if (prev === undefined || prev.proto !== 'tcp') {
    const udpEnd = prev !== undefined && prev.proto === 'udp' ? prev.payloadOffset + prev.payloadLen : end;
    decodeMessage(p, off, off, end, udpEnd > end, false);
    return;
  }
  // Every message in the segment, as tshark does without reassembly; one cut by the segment end
  // is decoded as far as it goes.
  const b = p.data;
  let o = off;
  for (let n = 0; o < end; n++) {
    if (n === MAX_TCP_MESSAGES) {
      p.issue('malformed', 'dns', o, `more than ${MAX_TCP_MESSAGES} DNS messages in one TCP segment`);
      return;
    }
    if (end - o < 2) {
      p.issue('truncated', 'dns', o, 'DNS-over-TCP length prefix split across segments');
      return;
    }
    const len = u16(b, o);
    const msgEnd = o + 2 + len;
    if (len === 0) p.issue('malformed', 'dns', o, 'DNS-over-TCP message of length 0');
    else decodeMessage(p, o, o + 2, Math.min(msgEnd, end), msgEnd > end, true);
    o = msgEnd;
  }
};

/**
 * The list of a message section that has nothing: one shared empty array, frozen so that nothing
 * can add to it. A query (most DNS packets) has no records, and a message's first question makes
 * an array of exactly one: no empty arrays made per packet, nor room for 16 when there is one.
 */
const NONE = Object.freeze([]) as unknown as never[];

/** Decodes the message at [start, capEnd); `cut` when the message goes on past the captured bytes. */
function decodeMessage(
  p: Packet,
  layerOff: number,
  start: number,
  capEnd: number,
  cut: boolean,
  overTcp: boolean,
) {
  const b = p.data;
  if (capEnd - start < 12) {
    p.issue('truncated', 'dns', start, `DNS header needs 12 bytes, ${capEnd - start} available`);
    return;
  }
  const flags = u16(b, start + 2);
  const ancount = u16(b, start + 6);
  const nscount = u16(b, start + 8);
  const arcount = u16(b, start + 10);
  const layer: DnsLayer = {
    proto: 'dns',
    offset: layerOff,
    hlen: capEnd - layerOff,
    id: u16(b, start),
    flags,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    rcode: flags & 0xf,
    qdcount: u16(b, start + 4),
    ancount,
    nscount,
    arcount,
    questions: NONE,
    answers: ancount > 0 ? [] : NONE,
    authorities: nscount > 0 ? [] : NONE,
    additionals: arcount > 0 ? [] : NONE,
    overTcp,
  };
  p.add(layer, PROTO_BITS.dns);
  const m: Msg = { p, start, end: capEnd, cut, budget: 64 * (capEnd - start) + 4096 };
  let pos = start + 12;
  for (let i = 0; i < layer.qdcount; i++) {
    const n = readName(m, pos, 'question name');
    if (n < 0) return;
    if (pos + n + 4 > capEnd) return past(m, pos, 'question');
    const q: DnsQuestion = { name: nameText, type: u16(b, pos + n), class: u16(b, pos + n + 2) };
    if (layer.questions === NONE) layer.questions = [q];
    else layer.questions.push(q);
    pos += n + 4;
  }
  pos = readRecords(m, pos, layer.ancount, layer.answers);
  pos = readRecords(m, pos, layer.nscount, layer.authorities);
  readRecords(m, pos, layer.arcount, layer.additionals);
}

/** `count` records from `pos` into `out`; where they end, or -1 once the message cannot go on. */
function readRecords(m: Msg, pos: number, count: number, out: DnsRecord[]): number {
  for (let i = 0; i < count && pos >= 0; i++) pos = readRecord(m, pos, out);
  return pos;
}

/** Reads one resource record at `pos` into `out`; the position after it, or -1 to stop the message. */
function readRecord(m: Msg, pos: number, out: DnsRecord[]): number {
  const b = m.p.data;
  const n = readName(m, pos, 'record name');
  if (n < 0) return -1;
  const rd = pos + n + 10;
  if (rd > m.end) {
    past(m, pos, 'resource record');
    return -1;
  }
  const type = u16(b, pos + n);
  const rdlen = u16(b, rd - 2);
  if (rd + rdlen > m.end) {
    past(m, pos, `record data (${rdlen} bytes)`);
    return -1;
  }
  const rec: DnsRecordParts = {
    name: nameText,
    type,
    class: u16(b, pos + n + 2),
    ttl: u32(b, pos + n + 4),
    data: '',
  };
  out.push(rec);
  switch (type) {
    case T_A:
      if (rdlen >= 4) rec.data = ipv4At(b, rd);
      // rdlength 0 is an RFC 2136 update's "delete this RRset", not an error
      if (rdlen !== 4 && rdlen !== 0)
        m.p.issue('bad-length', 'dns', rd - 2, `A record data is ${rdlen} bytes, not 4`);
      break;
    case T_AAAA:
      if (rdlen >= 16) rec.data = ipv6At(b, rd);
      if (rdlen !== 16 && rdlen !== 0)
        m.p.issue('bad-length', 'dns', rd - 2, `AAAA record data is ${rdlen} bytes, not 16`);
      break;
    case T_CNAME:
    case T_NS:
    case T_PTR:
      if (readName(m, rd, 'record data name') < 0) return -1;
      rec.data = nameText;
      break;
    case T_SRV: {
      if (rdlen < 7) {
        m.p.issue('bad-length', 'dns', rd - 2, `SRV record data is ${rdlen} bytes, less than 7`);
        break;
      }
      if (readName(m, rd + 6, 'SRV target') < 0) return -1;
      const srv = { priority: u16(b, rd), weight: u16(b, rd + 2), port: u16(b, rd + 4), target: nameText };
      rec.srv = srv;
      rec.data = `${srv.priority} ${srv.weight} ${srv.port} ${srv.target}`;
      break;
    }
    case T_TXT: {
      const strings: string[] = [];
      rec.txt = strings;
      for (let o = rd; o < rd + rdlen; ) {
        const l = b[o]!;
        if (o + 1 + l > rd + rdlen) {
          m.p.issue('malformed', 'dns', o, `TXT string of ${l} bytes runs past the record data`);
          return -1;
        }
        strings.push(asciiText(b, o + 1, o + 1 + l));
        o += 1 + l;
      }
      rec.data = strings.join('');
      break;
    }
    default:
      // RFC 3597's generic form for everything not decoded above
      rec.data = rdlen ? `\\# ${rdlen} ${hexBytes(b, rd, rdlen, '')}` : '\\# 0';
  }
  return rd + rdlen;
}

/** Wireshark's ENC_ASCII string: bytes above 0x7f become U+FFFD; a NUL ends the C string. */
function asciiText(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += c < 0x80 ? String.fromCharCode(c) : '\ufffd';
  }
  return s;
}

/** tshark -T fields writes TAB, LF and CR inside a value as `\t`, `\n`, `\r`. */
function fieldText(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13)
      return s.replace(/[\t\n\r]/g, (x) => (x === '\t' ? '\\t' : x === '\n' ? '\\n' : '\\r'));
  }
  return s;
}

const records = (l: DnsLayer): DnsRecordParts[] => [...l.answers, ...l.authorities, ...l.additionals];
const ofType = (l: DnsLayer, type: number) => records(l).filter((r) => r.type === type && r.data !== '');
/** Part `i` of an SRV owner name split at its first two dots (`_sip`, `_tcp`, `example.com`). */
function srvOwner(l: DnsLayer, i: number): string[] {
  const out: string[] = [];
  for (const r of records(l)) {
    if (r.type !== T_SRV) continue;
    const a = r.name.indexOf('.');
    const b = a < 0 ? -1 : r.name.indexOf('.', a + 1);
    const part =
      i === 0
        ? r.name.slice(0, a < 0 ? undefined : a)
        : i === 1
          ? a < 0
            ? undefined
            : r.name.slice(a + 1, b < 0 ? undefined : b)
          : b < 0
            ? undefined
            : r.name.slice(b + 1);
    if (part !== undefined) out.push(part);
  }
  return out;
}
const notUpdate = (l: DnsLayer, v: number) => (l.opcode === OPCODE_UPDATE ? undefined : String(v));
const onlyUpdate = (l: DnsLayer, v: number) => (l.opcode === OPCODE_UPDATE ? String(v) : undefined);

export const dnsFields: FieldTable<DnsLayer> = {
  'dns.length': (l, p) => (l.overTcp ? String(u16(p.data, l.offset)) : undefined),
  'dns.id': (l) => hex(l.id, 4),
  'dns.flags': (l) => hex(l.flags, 4),
  'dns.flags.response': (l) => (l.response ? '1' : '0'),
  'dns.flags.opcode': (l) => String(l.opcode),
  'dns.flags.rcode': (l) => (l.response ? String(l.rcode) : undefined),
  'dns.count.queries': (l) => notUpdate(l, l.qdcount),
  'dns.count.answers': (l) => notUpdate(l, l.ancount),
  'dns.count.auth_rr': (l) => notUpdate(l, l.nscount),
  'dns.count.zones': (l) => onlyUpdate(l, l.qdcount),
  'dns.count.prerequisites': (l) => onlyUpdate(l, l.ancount),
  'dns.count.updates': (l) => onlyUpdate(l, l.nscount),
  'dns.count.add_rr': (l) => String(l.arcount),
  'dns.qry.name': (l) => l.questions.map((q) => q.name),
  'dns.qry.type': (l) => l.questions.map((q) => String(q.type)),
  'dns.qry.class': (l) => l.questions.map((q) => hex(q.class, 4)),
  // tshark shows an SRV record's owner as service, protocol and name instead
  'dns.resp.name': (l) => records(l).flatMap((r) => (r.type === T_SRV ? [] : [r.name])),
  'dns.srv.service': (l) => srvOwner(l, 0),
  'dns.srv.proto': (l) => srvOwner(l, 1),
  'dns.srv.name': (l) => srvOwner(l, 2),
  'dns.resp.type': (l) => records(l).map((r) => String(r.type)),
  // an OPT pseudo-record's class and TTL carry the EDNS payload size and flags instead
  'dns.resp.class': (l) => records(l).flatMap((r) => (r.type === T_OPT ? [] : [hex(r.class, 4)])),
  'dns.resp.ttl': (l) => records(l).flatMap((r) => (r.type === T_OPT ? [] : [String(r.ttl)])),
  'dns.a': (l) => ofType(l, T_A).map((r) => r.data),
  'dns.aaaa': (l) => ofType(l, T_AAAA).map((r) => r.data),
  'dns.cname': (l) => ofType(l, T_CNAME).map((r) => r.data),
  'dns.ns': (l) => ofType(l, T_NS).map((r) => r.data),
  'dns.ptr.domain_name': (l) => ofType(l, T_PTR).map((r) => r.data),
  'dns.srv.priority': (l) => records(l).flatMap((r) => (r.srv ? [String(r.srv.priority)] : [])),
  'dns.srv.weight': (l) => records(l).flatMap((r) => (r.srv ? [String(r.srv.weight)] : [])),
  'dns.srv.port': (l) => records(l).flatMap((r) => (r.srv ? [String(r.srv.port)] : [])),
  'dns.srv.target': (l) => records(l).flatMap((r) => (r.srv ? [r.srv.target] : [])),
  'dns.txt': (l) => records(l).flatMap((r) => (r.txt ?? []).map(fieldText)),
};
