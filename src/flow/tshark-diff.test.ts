// The conversation analysis against tshark on every corpus capture, from one tshark run per file:
// - flows against tshark's conversation tables (`-z conv,tcp -z conv,udp`): the same TCP and UDP
//   conversations; per direction the same frames and the same bytes (exactly where tshark prints
//   bytes, to its precision where it prints kB or MB); the same relative start and duration where
//   both sides see the 5-tuple as one conversation;
// - DNS transactions against tshark's request/response matching (two passes): the same answered
//   pairs (name, id, latency to the nanosecond), unanswered queries and unsolicited responses
//   (tshark's retransmitted copies are nettrace's `queries`/`responses` counts);
// - HTTP transactions against tshark's HTTP, segment by segment (no reassembly): the same requests
//   (method, URI) and responses (status, and the latency to the nanosecond when paired);
// - TCP retransmissions and resets per sender against tshark's analysis flags.
// A difference passes only if DIFFERENCES names it, with its reason.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { analyzeFiles } from '../analyze.ts';
import { CORPORA, captures } from '../pcap/test-support/captures.ts';
import {
  type Conversation,
  ours,
  oursTransactions,
  parseTshark,
  splitTshark,
  type Transactions,
  TSHARK_ARGS,
  tsharkTransactions,
} from './test-support/tshark-reference.ts';

const run = promisify(execFile);

type Kind = 'only tshark' | 'only nettrace' | 'frames' | 'bytes' | 'times' | 'dns' | 'http' | 'tcp';

interface Found {
  rel: string;
  kind: Kind;
  /** The conversation concerned (none for a DNS difference). */
  conv?: Conversation;
  text: string;
}

interface Difference {
  kind: Kind;
  /** Corpus files (relative path) where it applies; all when absent. */
  file?: RegExp;
  when?: (c: Conversation) => boolean;
  /** For DNS, HTTP and TCP: the one item it excuses (`tshark only: …` / `nettrace only: …`). */
  item?: RegExp;
  reason: string;
}

const TUNNEL_PORTS = new Set(['4789', '8472', '6081']);
const port = (endpoint: string) => endpoint.slice(endpoint.lastIndexOf(':') + 1);
/** 2^53 ns, in seconds: beyond it a double holds nanoseconds only to some of their last digits. */
const EXACT_NS_LIMIT_SEC = 2 ** 53 / 1e9;

/** Every accepted difference, with its reason. Keep this list short and honest. */
const DIFFERENCES: Difference[] = [
  {
    kind: 'only tshark',
    when: (c) => c.proto === 'udp' && (TUNNEL_PORTS.has(port(c.from)) || TUNNEL_PORTS.has(port(c.to))),
    reason:
      "a tunnel's outer UDP conversation (VXLAN 4789/8472, Geneve 6081): nettrace keys a tunnelled packet " +
      "by its innermost 5-tuple and records the outer addresses and VNI as the flow's tunnel; tshark " +
      'counts the packet in both conversations',
  },
  {
    kind: 'only nettrace',
    file: /bigtcp-ipv(4|6)-geneve-ipv(4|6)\.pcap$/,
    reason:
      'BIG TCP: tshark 4.0 stops at a UDP length / IPv6 payload length of 0; nettrace, like tcpdump, ' +
      'decodes the Geneve tunnel and the inner TCP (the decoder differential lists it too)',
  },
  {
    kind: 'only tshark',
    file: /nsh-over-vxlan-gpe\.pcap$/,
    reason:
      'UDP 4790 is VXLAN-GPE (here carrying NSH): nettrace does not decode it as VXLAN, so no inner flow',
  },
  {
    kind: 'only nettrace',
    file: /(heapoverflow-tcp_print|tcp_header_heapoverflow|udp-length-heapoverflow|ipv4_invalid_hdr_length)\.pcap$/,
    reason:
      'a transport header cut short or behind a malformed IP header: nettrace counts the packet in a flow ' +
      'keyed by what it could read (the ports, or port 0 as for a later fragment) and reports the issue; ' +
      'tshark records no conversation for a packet whose header it could not dissect',
  },
  ...(['only tshark', 'only nettrace', 'bytes', 'times'] as const).map(
    (kind): Difference => ({
      kind,
      file: /ipv6-routing-header\.pcap$/,
      reason:
        "a packet with an IPv6 routing header: tshark files it under the route's final destination, " +
        "nettrace under the header's destination address (the next hop), as conntrack does",
    }),
  ),
  {
    kind: 'times',
    file: /timestamp_invalid_nano\.pcap$/,
    reason:
      'invalid nanosecond fractions (>= 10^9, or wrapping negative): tshark subtracts them unnormalised, ' +
      "nettrace keeps a flow's latest time; the capture is broken on purpose",
  },
  {
    kind: 'dns',
    file: /dns_udp_8053\.pcap$/,
    item: /^tshark only: answered www\.tcpdump\.org#323@148718000$/,
    reason:
      'DNS on UDP 8053: tshark finds it by its content (heuristic), nettrace binds protocols by port ' +
      '(`--decode-as udp.port==8053:dns` reads it)',
  },
  {
    kind: 'dns',
    file: /tunnels__geneve-vxlan-dns-truncated\.pcap$/,
    item: /^(tshark only: (unanswered|unsolicited) corelight\.com#64072|nettrace only: answered corelight\.com#64072@)/,
    reason:
      "a query and its response inside VXLAN inside Geneve (zeek's synthetic capture: the outer headers " +
      'are not mirrored in the response): nettrace pairs them by the innermost 5-tuple, tshark 4.0 does not',
  },
  {
    kind: 'http',
    file: /netns-scenario\/any-sll2\.pcap$/,
    item: /^tshark only: 200@-$/,
    reason:
      'a capture on `any` sees each segment at two points: nettrace reads the second copy as a ' +
      'retransmission of bytes its stream has seen, tshark (segment by segment) parses it again',
  },
  {
    kind: 'http',
    file: /mixed-vlan-mpls\.pcap$/,
    item: /^tshark only: GET \/$/,
    reason:
      'an HTTP/0.9 simple request ("GET /" without a version, and a response without a head): tshark ' +
      "lists the request, nettrace's analysis is HTTP/1.x and reports an issue instead",
  },
  {
    kind: 'times',
    when: (c) => Number(c.start) >= EXACT_NS_LIMIT_SEC,
    reason:
      "a time more than 2^53 ns (104 days) after the capture's first packet: nettrace's times are " +
      'nanoseconds in a double, exact up to there, rounded in their last digits beyond',
  },
];

function compare(rel: string, theirs: Map<string, Conversation>, mine: Map<string, Conversation>): Found[] {
  const found: Found[] = [];
  const add = (kind: Kind, conv: Conversation, text: string) => found.push({ rel, kind, conv, text });
  for (const [k, t] of theirs) {
    const o = mine.get(k);
    if (o === undefined) {
      add('only tshark', t, `${k}: tshark ${t.frames.join('/')} frames, nettrace no flow`);
      continue;
    }
    const flip = o.from !== t.from;
    const frames = flip ? [o.frames[1], o.frames[0]] : o.frames;
    const bytes = flip ? [o.bytes[1], o.bytes[0]] : o.bytes;
    if (frames[0] !== t.frames[0] || frames[1] !== t.frames[1]) {
      add(
        'frames',
        t,
        `${k}: frames ${t.from} -> ${t.to}, back: tshark ${t.frames.join('/')}, nettrace ${frames.join('/')}`,
      );
    }
    // tshark prints 10,000 bytes and more in kB (then MB...), rounded down.
    const shown = [0, 1].map((d) =>
      Number.isNaN(t.unit[d]) ? t.bytes[d] : Math.floor(bytes[d]! / t.unit[d]!),
    );
    if (shown[0] !== t.bytes[0] || shown[1] !== t.bytes[1]) {
      add(
        'bytes',
        t,
        `${k}: bytes tshark ${t.bytes.join('/')} (units ${t.unit.join('/')}), nettrace ${bytes.join('/')}`,
      );
    }
    if (t.parts === 1 && o.parts === 1 && (t.start !== o.start || t.duration !== o.duration)) {
      add(
        'times',
        t,
        `${k}: start+duration tshark ${t.start}+${t.duration}, nettrace ${o.start}+${o.duration}`,
      );
    }
  }
  for (const [k, o] of mine) {
    if (!theirs.has(k))
      add('only nettrace', o, `${k}: nettrace ${o.frames.join('/')} frames, tshark no conversation`);
  }
  return found;
}

/** Items one side has and the other not (as many times as it has more of them). */
function compareTransactions(rel: string, theirs: Transactions, mine: Transactions): Found[] {
  const found: Found[] = [];
  for (const kind of ['dns', 'http', 'tcp'] as const) {
    const left = new Map<string, number>();
    for (const x of theirs[kind]) left.set(x, (left.get(x) ?? 0) + 1);
    for (const x of mine[kind]) {
      const n = left.get(x) ?? 0;
      if (n > 0) left.set(x, n - 1);
      else found.push({ rel, kind, text: `nettrace only: ${x}` });
    }
    for (const [x, n] of left)
      for (let i = 0; i < n; i++) found.push({ rel, kind, text: `tshark only: ${x}` });
  }
  return found;
}

function accepted(f: Found): Difference | undefined {
  return DIFFERENCES.find(
    (d) =>
      d.kind === f.kind &&
      (!d.file || d.file.test(f.rel)) &&
      (!d.when || (f.conv !== undefined && d.when(f.conv))) &&
      (!d.item || d.item.test(f.text)),
  );
}

describe('flows, DNS and HTTP transactions equal tshark 4.0 on every corpus capture', {
  concurrency: false,
}, () => {
  assert.ok(existsSync(CORPORA), `corpora not found at ${CORPORA} (shared/ must sit beside the clone)`);
  const files = captures(CORPORA);
  const tshark = new Map<string, string>();
  const used = new Set<Difference>();

  before(async () => {
    // Two tshark at a time (the machine has two cores): ~0.3 s each, mostly its start-up.
    const queue = files.slice();
    const worker = async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
        const r = await run('tshark', ['-r', f, ...TSHARK_ARGS], { maxBuffer: 64 * 2 ** 20 }).catch(
          (e: Error) => {
            throw new Error(`tshark could not read ${f} (apt-get install tshark): ${e.message}`);
          },
        );
        tshark.set(f, r.stdout);
      }
    };
    await Promise.all([worker(), worker()]);
  });

  test('the corpora hold enough TCP and UDP traffic to mean something', () => {
    assert.ok(files.length >= 100, `only ${files.length} captures under ${CORPORA}`);
    let n = 0;
    let dns = 0;
    let http = 0;
    for (const f of files) {
      const t = splitTshark(tshark.get(f)!);
      n += parseTshark(t.stats, f).size;
      const tx = tsharkTransactions(t.rows);
      dns += tx.dns.filter((x) => x.startsWith('answered')).length;
      http += tx.http.filter((x) => /@\d/.test(x)).length;
    }
    assert.ok(n >= 150, `only ${n} TCP/UDP conversations in the corpora`);
    assert.ok(dns >= 30, `only ${dns} answered DNS queries in the corpora`);
    assert.ok(http >= 10, `only ${http} paired HTTP responses in the corpora`);
  });

  for (const file of files) {
    const rel = relative(CORPORA, file);
    test(rel, () => {
      const t = splitTshark(tshark.get(file)!);
      const r = analyzeFiles([file]).conversations;
      const found = [
        ...compare(rel, parseTshark(t.stats, rel), ours(r)),
        ...compareTransactions(rel, tsharkTransactions(t.rows), oursTransactions(r)),
      ];
      const problems: string[] = [];
      for (const f of found) {
        const d = accepted(f);
        if (d) used.add(d);
        else problems.push(`${f.kind}: ${f.text}`);
      }
      assert.deepEqual(problems, [], `${rel} differs from tshark:\n${problems.join('\n')}`);
    });
  }

  test('every listed difference still occurs', () => {
    const stale = DIFFERENCES.filter((d) => !used.has(d)).map(
      (d) => `${d.kind} ${d.file ?? ''}: ${d.reason}`,
    );
    assert.deepEqual(stale, [], `listed differences that no capture shows any more:\n${stale.join('\n')}`);
  });
});
