// Frame generators for the flat decoder's contract test (flat.test.ts), the layers below the link:
// TCP, UDP's building blocks, ICMP, IPv4 (with options and wrong lengths), DNS messages and ARP.
// Mostly what the flat decoder takes, often slightly off where it must decline (a length, an option,
// a label), sometimes anything. flat-frames-tunnel.ts puts them together, in tunnels and links.
import fc from 'fast-check';
import { arp, icmpEcho, icmpError, ip4 } from './l3-build.ts';
import { ascii, be16, be32, concat, dnsHeader, tcp, udp } from './l4-build.ts';

/** What a link header carries: the ethertype it names and the bytes after it. */
export interface L3 {
  type: number;
  payload: Uint8Array;
}

export const u8 = fc.integer({ min: 0, max: 255 });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u24 = fc.integer({ min: 0, max: 0xffffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
/** `arb` about once in `n` draws, else undefined (the builder's default). */
export const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
export const addr: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [10, 244, 1, 7], [172, 16, 0, 1]),
  fc.array(u8, { minLength: 4, maxLength: 4 }),
);
export const port = (...common: number[]) => fc.oneof(fc.constantFrom(...common), u16);

const tcpOption = fc.oneof(
  u16.map((v) => [2, 4, ...be16(v)]), // MSS
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]), // window scale
  fc.constant([4, 2]), // SACK permitted
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 })
    .map((bl) => [5, 2 + 8 * bl.length, ...bl.flatMap(([l, r]) => [...be32(l), ...be32(r)])]),
  fc.tuple(u32, u32).map(([v, e]) => [8, 10, ...be32(v), ...be32(e)]), // timestamps
  fc.constant([1]),
  fc.constant([0]),
  fc.tuple(fc.integer({ min: 6, max: 255 }), bytes(0, 6)).map(([k, d]) => [k, 2 + d.length, ...d]),
  // known kinds with a wrong length, and lengths that cannot be walked
  fc
    .tuple(fc.constantFrom(2, 3, 4, 5, 8, 30), fc.integer({ min: 0, max: 44 }), bytes(0, 10))
    .map(([k, len, d]) => [k, len, ...d]),
);
const tcpOptions = fc.array(tcpOption, { maxLength: 6 }).map((os) => os.flat().slice(0, 40));
const tcpFlags = fc.oneof(
  fc.constantFrom(0x002, 0x012, 0x010, 0x018, 0x011, 0x004, 0x014, 0x0c2),
  u16.map((f) => f & 0xfff),
);

const HTTP = [
  'GET /index.html HTTP/1.1\r\nHost: svc\r\nUser-Agent: t\r\n\r\n',
  'POST /api HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd',
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.0 404 Not Found\r\n\r\n',
  '\r\nGET / HTTP/1.1\r\n\r\n',
  'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n',
  'ICY 200 OK\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n',
  'GE',
  'HTTP/',
  'GETT / HTTP/1.1\r\n',
  'get / HTTP/1.1\r\n',
  'hello, this is the rest of a body\r\n',
  '{"items":[1,2,3]}',
].map(ascii);
const tcpPayload = fc.oneof(
  { weight: 3, arbitrary: bytes(0, 0) },
  { weight: 3, arbitrary: bytes(1, 80) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(...HTTP), bytes(0, 20)).map(([h, tail]) => concat(h, tail)),
  },
);
export const tcpSegment = fc
  .record({
    sport: port(8080, 80, 53, 9999, 443, 40000),
    dport: port(8080, 80, 53, 9999, 5432, 6081),
    seq: u32,
    ack: u32,
    flags: tcpFlags,
    win: u16,
    options: rarely(tcpOptions, 2),
    dataOffset: rarely(fc.integer({ min: 0, max: 15 }), 10),
    payload: tcpPayload,
  })
  .map((o) => ({ proto: 6, bytes: tcp(o, o.payload) }));

export const icmpMessage = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(0, 8, 13, 14, 15, 16, 17, 18, 42, 43),
      ident: u16,
      seq: u16,
      data: bytes(0, 40),
    })
    .map((o) => icmpEcho(o.type, o.ident, o.seq, o.data)),
  fc
    .record({
      type: fc.constantFrom(3, 4, 5, 11, 12),
      code: u8,
      quote: fc.oneof(
        bytes(0, 0),
        bytes(1, 30),
        fc
          .tuple(u16, u16)
          .map(([s, d]) => ip4({ proto: 17 }, udp({ sport: s, dport: d }, new Uint8Array(20))).slice(0, 28)),
      ),
    })
    .map((o) => icmpError(o.type, o.code, o.quote)),
  // short messages: 0 to 7 bytes, often of a type that needs 8
  fc
    .tuple(fc.constantFrom(0, 3, 8, 11, 42, 43, 9), bytes(0, 6))
    .map(([t, rest]) => concat([t], rest).slice(0, 7)),
  fc.tuple(u8, u8, bytes(0, 24)).map(([t, c, body]) => concat([t, c, 0, 0], body)),
);

const ipOption = fc.oneof(
  fc.constant([1]),
  fc.constant([0]),
  fc.tuple(fc.constantFrom(7, 68, 130, 131, 137, 148), bytes(0, 8)).map(([t, d]) => [t, 2 + d.length, ...d]),
  fc.tuple(u8, fc.integer({ min: 0, max: 50 }), bytes(0, 4)).map(([t, len, d]) => [t, len, ...d]),
);
const ipOptions = fc.array(ipOption, { minLength: 1, maxLength: 5 }).map((os) => os.flat().slice(0, 40));

export interface Ip4Spec {
  src: number[];
  dst: number[];
  ttl: number;
  id: number;
  flags: number;
  frag: number;
  options: number[] | undefined;
  ihl: number | undefined;
  lenDelta: number | undefined;
  lenAbs: number | undefined;
  version: number | undefined;
  proto: number | undefined;
}
export const ip4Spec: fc.Arbitrary<Ip4Spec> = fc.record({
  src: addr,
  dst: addr,
  ttl: u8,
  id: u16,
  flags: fc.oneof(
    { weight: 6, arbitrary: fc.constant(2) },
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) },
  ),
  frag: fc.oneof(
    { weight: 20, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x1fff }) },
  ),
  options: rarely(ipOptions, 6),
  ihl: rarely(fc.integer({ min: 0, max: 15 }), 25),
  // off by a little (where off-by-one errors show) or by a lot
  lenDelta: rarely(fc.oneof(fc.integer({ min: -12, max: 3 }), fc.integer({ min: -60, max: 100 })), 8),
  lenAbs: rarely(fc.oneof(fc.constant(0), u16), 25),
  version: rarely(fc.constantFrom(0, 5, 6, 15), 40),
  proto: rarely(fc.constantFrom(1, 4, 6, 17, 41, 47, 58, 132, 253), 20),
});

export function buildIp4(s: Ip4Spec, l4: { proto: number; bytes: Uint8Array }): Uint8Array {
  const opts = s.options === undefined ? [] : [...s.options];
  while (opts.length % 4) opts.push(0);
  const natural = 20 + opts.length + l4.bytes.length;
  const totalLen =
    s.lenAbs ?? (s.lenDelta === undefined ? undefined : Math.max(0, Math.min(0xffff, natural + s.lenDelta)));
  return ip4(
    {
      src: s.src,
      dst: s.dst,
      ttl: s.ttl,
      id: s.id,
      flags: s.flags,
      frag: s.frag,
      options: opts,
      ihl: s.ihl,
      totalLen,
      version: s.version,
      proto: s.proto ?? l4.proto,
    },
    l4.bytes,
  );
}

// A tunnel's or DNS client's source port is mostly an ephemeral one (a lower bound port would take
// the datagram).
export const ephemeral = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 32768, max: 65535 }) },
  { weight: 1, arbitrary: u16 },
);

/** DNS labels: host-name ones mostly, then any printable bytes (dots, backslashes), any bytes, long ones. */
const dnsLabel = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(fc.constantFrom(...ascii('abcdefghijklmnopqrstuvwxyz0123456789-')), {
      minLength: 1,
      maxLength: 12,
    }),
  },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 1, maxLength: 63 }) },
  // printable but for one byte at the edge of what is shown as it is
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 20 }),
        fc.constantFrom(0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff),
        fc.nat(),
      )
      .map(([l, x, at]) => [...l.slice(0, at % (l.length + 1)), x, ...l.slice(at % (l.length + 1))]),
  },
  { weight: 1, arbitrary: fc.array(u8, { minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 66 }).map((n) => new Array<number>(n).fill(0x61)) },
);
const dnsNameBytes = fc
  .record({
    labels: fc.oneof(
      { weight: 6, arbitrary: fc.array(dnsLabel, { maxLength: 6 }) },
      // names near Wireshark's 255-byte limit: three labels of 63, then one of 50 to 66
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 50, max: 66 })
          .map((n) => [
            ...new Array<number[]>(3).fill(new Array<number>(63).fill(0x62)),
            new Array<number>(n).fill(0x63),
          ]),
      },
      { weight: 1, arbitrary: fc.array(dnsLabel, { minLength: 7, maxLength: 40 }) },
    ),
    end: fc.oneof(
      { weight: 8, arbitrary: fc.constant([0]) },
      { weight: 1, arbitrary: fc.constant([0xc0, 12]) }, // a compression pointer
      { weight: 1, arbitrary: fc.constant([]) }, // no end: runs into the question
    ),
  })
  .map((n) => [...n.labels.flatMap((l) => [l.length & 255, ...l]), ...n.end]);
/** DNS messages, mostly queries of one question, some not (answers, two questions, a response, cut). */
export const dnsMessage = fc
  .record({
    id: u16,
    flags: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0x0100, 0x0000, 0x0120) },
      { weight: 1, arbitrary: fc.constantFrom(0x8180, 0x8183) },
      { weight: 1, arbitrary: u16 },
    ),
    qd: fc.oneof(
      { weight: 8, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 2, 0xffff) },
    ),
    an: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(1, 0x100) },
    ),
    ar: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
    name: dnsNameBytes,
    qtype: fc.oneof(fc.constantFrom(1, 28, 33, 255, 65), u16),
    qclass: fc.oneof(fc.constant(1), u16),
    tail: fc.oneof({ weight: 6, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 12) }),
    drop: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) },
    ),
  })
  .map((m) => {
    const msg = concat(
      dnsHeader({ id: m.id, flags: m.flags, qd: m.qd, an: m.an, ar: m.ar }),
      m.name,
      be16(m.qtype),
      be16(m.qclass),
      m.tail,
    );
    return msg.slice(0, Math.max(0, msg.length - m.drop));
  });

/**
 * ARP (and RARP) messages with the ethertype naming them: Ethernet/IPv4 ones mostly, other sizes and
 * hardware types, cut ones.
 */
export const arpMessage: fc.Arbitrary<L3> = fc
  .record({
    type: fc.constantFrom(0x0806, 0x0806, 0x0806, 0x8035),
    htype: fc.oneof(
      { weight: 6, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(6, 19, 32) },
      { weight: 1, arbitrary: u16 },
    ),
    ptype: fc.oneof({ weight: 6, arbitrary: fc.constant(0x0800) }, { weight: 1, arbitrary: u16 }),
    hsize: rarely(fc.oneof(fc.constantFrom(0, 8, 20), u8), 6),
    psize: rarely(fc.oneof(fc.constantFrom(0, 16), u8), 6),
    op: fc.oneof(fc.constantFrom(1, 2, 3, 4), u16),
    sha: fc.array(u8, { minLength: 6, maxLength: 6 }),
    spa: addr,
    tpa: addr,
    keep: rarely(fc.nat(), 6), // a message cut short (by the frame, not the capture)
    padding: fc.oneof({ weight: 2, arbitrary: bytes(0, 0) }, { weight: 1, arbitrary: bytes(1, 18) }),
  })
  .map((a) => {
    const body = arp(a);
    return {
      type: a.type,
      payload: concat(a.keep === undefined ? body : body.slice(0, a.keep % (body.length + 1)), a.padding),
    };
  });
