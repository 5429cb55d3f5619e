import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tcpFields } from './tcp.ts';
import { ascii, be32, eth, ipv4, ipv6, tcp, tcp4Frame } from './test-support/l4-build.ts';
import { assertNeverThrows, decodeFrame, f, issueCodes, layer, protos } from './test-support/l4-decode.ts';
import { corpusDiffTests, type KnownDiff } from './test-support/l4-diff.ts';

const TS = [1, 1, 8, 10, ...be32(3707257633), ...be32(891304888)];
const ETH_IP = 14 + 20;

describe('tcp: well-formed segments', () => {
  test('a SYN with every option nettrace reads', () => {
    const opts = [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, ...TS];
    const p = decodeFrame(
      tcp4Frame(55920, 80, new Uint8Array(0), {
        flags: 0x002,
        seq: 928549246,
        win: 32767,
        checksum: 0x1421,
        options: opts,
      }),
    );
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp']);
    assert.equal(p.issues, undefined);
    const t = layer(p, 'tcp');
    assert.equal(t.hlen, 44, '22 bytes of options, padded to 24');
    assert.equal(t.mss, 1460);
    assert.equal(t.wscale, 7);
    assert.equal(t.sackPermitted, true);
    assert.equal(t.tsval, 3707257633);
    assert.equal(t.tsecr, 891304888);
    assert.equal(t.sack, undefined);
    assert.equal(t.unknownOptions, undefined);
    assert.equal(t.payloadLen, 0);
    assert.equal(f(p, 'tcp.flags'), '0x0002');
    assert.equal(f(p, 'tcp.flags.str'), '··········S·');
    assert.equal(f(p, 'tcp.seq_raw'), '928549246');
    assert.equal(f(p, 'tcp.ack_raw'), '0');
    assert.equal(f(p, 'tcp.window_size_value'), '32767');
    assert.equal(f(p, 'tcp.checksum'), '0x1421');
    assert.equal(f(p, 'tcp.hdr_len'), '44');
    assert.equal(f(p, 'tcp.len'), '0');
    assert.equal(f(p, 'tcp.options.mss_val'), '1460');
    assert.equal(f(p, 'tcp.options.wscale.shift'), '7');
    assert.equal(f(p, 'tcp.options.timestamp.tsval'), '3707257633');
    assert.equal(f(p, 'tcp.options.timestamp.tsecr'), '891304888');
  });

  test('data on an HTTP port is handed to HTTP; the payload bounds are the IP bounds', () => {
    const body = ascii('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const p = decodeFrame(tcp4Frame(40000, 80, body, { options: TS }));
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp', 'http']);
    const t = layer(p, 'tcp');
    assert.equal(t.payloadOffset, ETH_IP + 32);
    assert.equal(t.payloadLen, body.length);
    assert.equal(t.payloadCaptured, body.length);
    assert.equal(layer(p, 'http').offset, ETH_IP + 32);
  });

  test('data on an unbound port stops at TCP', () => {
    const p = decodeFrame(tcp4Frame(40000, 40001, new Uint8Array(10)));
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp']);
    assert.equal(layer(p, 'tcp').payloadCaptured, 10);
  });

  test('SACK blocks, unknown kinds in order, and nothing read after EOL', () => {
    const opts = [
      1,
      1,
      5,
      18,
      ...be32(5000),
      ...be32(6000),
      ...be32(7000),
      ...be32(8000),
      30,
      4,
      0,
      0,
      99,
      2,
      0,
      2,
      4,
      5,
      0xb4,
    ];
    const t = layer(decodeFrame(tcp4Frame(1, 2, new Uint8Array(0), { options: opts })), 'tcp');
    assert.deepEqual(t.sack, [
      [5000, 6000],
      [7000, 8000],
    ]);
    assert.deepEqual(t.unknownOptions, [30, 99]);
    assert.equal(t.mss, undefined, 'the MSS after EOL is padding, not an option');
  });

  test('AE/CWR/ECE and the reserved bits in tcp.flags and tcp.flags.str', () => {
    const ace = decodeFrame(tcp4Frame(1, 2, new Uint8Array(0), { flags: 0x1c2 }));
    assert.equal(f(ace, 'tcp.flags'), '0x01c2');
    assert.equal(f(ace, 'tcp.flags.str'), '···ACE····S·');
    assert.equal(f(ace, 'tcp.flags.ae'), '1');
    assert.equal(f(ace, 'tcp.flags.cwr'), '1');
    assert.equal(f(ace, 'tcp.flags.fin'), '0');
    const rsv = decodeFrame(tcp4Frame(1, 2, new Uint8Array(0), { flags: 0xe3f }));
    assert.equal(f(rsv, 'tcp.flags.str'), 'RRR···UAPRSF');
    assert.equal(layer(rsv, 'tcp').flags, 0xe3f);
  });

  test('IPv6: the segment length comes from the payload-length field', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: 0x18 }, new Uint8Array(7));
    const p = decodeFrame(eth(0x86dd, ipv6({ nxt: 6 }, seg)));
    assert.equal(layer(p, 'tcp').payloadLen, 7);
    assert.equal(f(p, 'tcp.len'), '7');
  });
});

describe('tcp: lengths from IP, capture and GSO', () => {
  test('Ethernet padding after the IP datagram is not payload', () => {
    const frame = tcp4Frame(1, 2, new Uint8Array(0));
    const padded = new Uint8Array(60);
    padded.set(frame);
    const t = layer(decodeFrame(padded), 'tcp');
    assert.equal(t.payloadLen, 0);
    assert.equal(t.payloadCaptured, 0);
  });

  test('snaplen cut: payloadLen from the IP length, payloadCaptured from the capture, no issue', () => {
    const body = ascii('HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 100\r\n\r\n');
    const frame = tcp4Frame(80, 40000, body);
    const p = decodeFrame(frame.subarray(0, frame.length - 20), frame.length);
    const t = layer(p, 'tcp');
    assert.equal(t.payloadLen, body.length);
    assert.equal(t.payloadCaptured, body.length - 20);
    assert.equal(f(p, 'tcp.len'), String(body.length));
    assert.deepEqual(issueCodes(p), []);
    assert.equal(f(p, 'http.response.code'), '200', 'the captured part is still decoded');
  });

  test('TSO/GSO (IPv4 total length 0): the segment runs to the end of the frame', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: 0x18, options: TS }, new Uint8Array(6990));
    const frame = eth(0x0800, ipv4({ proto: 6, totalLen: 0 }, seg));
    const p = decodeFrame(frame);
    assert.equal(layer(p, 'tcp').payloadLen, 6990);
    assert.equal(f(p, 'tcp.len'), '6990');
    // and when the super-packet was also cut by the snap length, from the frame's wire length
    const cut = decodeFrame(frame.subarray(0, 200), frame.length);
    assert.equal(layer(cut, 'tcp').payloadLen, 6990);
    assert.equal(layer(cut, 'tcp').payloadCaptured, 200 - ETH_IP - 32);
  });
});

describe('tcp: malformed and truncated headers', () => {
  test('every cut inside the fixed header: one truncated issue, no layer', () => {
    const frame = tcp4Frame(1, 2, new Uint8Array(0));
    for (let n = 0; n < 20; n++) {
      const p = decodeFrame(frame.subarray(0, ETH_IP + n), frame.length);
      assert.deepEqual(protos(p), ['eth', 'ip'], `cut at ${n}`);
      assert.deepEqual(issueCodes(p), ['truncated tcp'], `cut at ${n}`);
    }
  });

  test('an IP length that leaves less than 20 bytes is a bad length', () => {
    const seg = tcp({ sport: 1, dport: 2 }, new Uint8Array(12));
    const p = decodeFrame(eth(0x0800, ipv4({ proto: 6, totalLen: 35 }, seg)));
    assert.deepEqual(protos(p), ['eth', 'ip']);
    assert.deepEqual(issueCodes(p), ['bad-length tcp']);
  });

  test('data offset below 5 words: ports, seq and lengths only, nothing decoded after', () => {
    const p = decodeFrame(tcp4Frame(1000, 80, ascii('GET / HTTP/1.1\r\n\r\n'), { dataOffset: 3 }));
    assert.deepEqual(protos(p), ['eth', 'ip', 'tcp']);
    assert.deepEqual(issueCodes(p), ['malformed tcp']);
    assert.equal(f(p, 'tcp.hdr_len'), '12');
    assert.equal(f(p, 'tcp.len'), String(20 + 18 - 12));
    assert.equal(f(p, 'tcp.seq_raw'), '1000');
    assert.equal(f(p, 'tcp.flags'), '');
    assert.equal(f(p, 'tcp.ack_raw'), '');
    assert.equal(f(p, 'tcp.window_size_value'), '');
    assert.equal(layer(p, 'tcp').payloadCaptured, 0);
  });

  test('data offset past the IP segment: bad length, no tcp.len, options read as far as they go', () => {
    const seg = tcp(
      { sport: 1, dport: 2, options: [2, 4, 5, 0xb4, 1, 1, 1, 1, 3, 3, 7, 1] },
      new Uint8Array(0),
    );
    // IP says the segment is 26 bytes: the MSS option is inside, the window scale is not
    const p = decodeFrame(eth(0x0800, ipv4({ proto: 6, totalLen: 20 + 26 }, seg)));
    assert.deepEqual(issueCodes(p), ['bad-length tcp']);
    assert.equal(f(p, 'tcp.len'), '');
    assert.equal(f(p, 'tcp.hdr_len'), '32');
    assert.equal(layer(p, 'tcp').mss, 1460);
    assert.equal(layer(p, 'tcp').wscale, undefined);
  });

  test('data offset past the capture only (snaplen): truncated, tcp.len still from IP', () => {
    const frame = tcp4Frame(1, 2, new Uint8Array(100), { options: TS });
    const p = decodeFrame(frame.subarray(0, ETH_IP + 24), frame.length);
    assert.deepEqual(issueCodes(p), ['truncated tcp']);
    assert.equal(f(p, 'tcp.len'), '100');
    assert.equal(layer(p, 'tcp').payloadCaptured, 0);
    assert.equal(layer(p, 'tcp').tsval, undefined);
  });

  test('a known option with the wrong length is skipped, and the scan goes on', () => {
    const p = decodeFrame(
      tcp4Frame(1, 2, new Uint8Array(0), { flags: 2, options: [2, 5, 5, 0xb4, 0, 3, 3, 7] }),
    );
    assert.deepEqual(issueCodes(p), ['bad-length tcp']);
    assert.equal(layer(p, 'tcp').mss, undefined);
    assert.equal(layer(p, 'tcp').wscale, 7);
    assert.equal(f(p, 'tcp.options.mss_val'), '');
  });

  test('an option length below 2 or past the options stops the scan', () => {
    const short = decodeFrame(
      tcp4Frame(1, 2, new Uint8Array(0), { options: [2, 4, 5, 0xb4, 99, 1, 0, 0, 3, 3, 7] }),
    );
    assert.deepEqual(issueCodes(short), ['malformed tcp']);
    assert.equal(layer(short, 'tcp').mss, 1460);
    assert.equal(layer(short, 'tcp').wscale, undefined);
    const long = decodeFrame(tcp4Frame(1, 2, new Uint8Array(0), { options: [3, 3, 7, 8, 20, 0, 0, 0] }));
    assert.deepEqual(issueCodes(long), ['malformed tcp']);
    assert.equal(layer(long, 'tcp').wscale, 7);
    assert.equal(layer(long, 'tcp').tsval, undefined);
    const noLen = decodeFrame(tcp4Frame(1, 2, new Uint8Array(0), { options: [1, 1, 1, 8], dataOffset: 6 }));
    assert.deepEqual(issueCodes(noLen), ['malformed tcp']);
  });

  test('a bad SACK length is reported and skipped', () => {
    const p = decodeFrame(
      tcp4Frame(1, 2, new Uint8Array(0), { options: [5, 11, ...be32(1), ...be32(2), 0, 1] }),
    );
    assert.deepEqual(issueCodes(p), ['bad-length tcp']);
    assert.equal(layer(p, 'tcp').sack, undefined);
  });
});

test('tcp: random bytes after the header on TCP ports never throw', () => {
  assertNeverThrows('tcp', [53, 80, 8080, 3128, 1900, 12345]);
});

const TCP_FIELDS = Object.keys(tcpFields);
const BIGTCP: KnownDiff = {
  field: /^tcp\./,
  frames: [1],
  reason:
    'BIG TCP: tshark stops at the length-0 outer UDP (IPv4) or IPv6 header; nettrace decodes it as tcpdump does',
};
const CORPUS: [string, KnownDiff[]][] = [
  ['tcpdump/print-flags.pcap', []],
  ['tcpdump/ipv4_tcp_http_xml.pcap', []],
  ['tcpdump/ipv4_tcp_http_xml_tso.pcap', []],
  ['tcpdump/gso-ipv4-geneve-ipv4.pcap', []],
  ['tcpdump/gso-ipv6-geneve-ipv6.pcap', []],
  ['tcpdump/gso-ipv4-vxlan-ipv4.pcap', []],
  ['tcpdump/bigtcp-ipv4-geneve-ipv4.pcap', [BIGTCP]],
  ['tcpdump/bigtcp-ipv6-geneve-ipv6.pcap', [BIGTCP]],
  ['tcpdump/tcp_rst_data.pcap', []],
  ['tcpdump/tcp_rst_data-trunc.pcap', []],
  ['tcpdump/tcp_eight_lowest_weight_flags_set.pcap', []],
  [
    'tcpdump/tcp_header_heapoverflow.pcap',
    [
      {
        field: /^tcp\.(src|dst)?port$/,
        reason: 'a cut fixed header: tshark shows the ports it could read, nettrace no layer',
      },
    ],
  ],
  ['tcpdump/heapoverflow-tcp_print.pcap', []],
  ['tcpdump/mptcp-v1.pcap', []],
  ['tcpdump/tfo-5c1fa7f9ae91.pcap', []],
  ['tcpdump/tcp-handshake-nano.pcap', []],
  [
    'tcpdump/accecn_handshake.pcap',
    [
      {
        field: /^tcp\.flags\.(str|ae|cwr|ece)$/,
        frames: [3, 4, 5, 6],
        reason:
          'once a connection negotiated AccECN tshark shows the three bits as one ACE counter (-N-); nettrace keeps no per-connection state here',
      },
    ],
  ],
  ['zeek/http__get.pcap', []],
  ['zeek/tunnels__geneve-many-options.pcap', []],
  ['zeek/tunnels__vxlan-encapsulated-http.pcap', []],
];

describe('tcp: differential against tshark', () => {
  corpusDiffTests(CORPUS, TCP_FIELDS);
});
