// Throughput of the conversation analysis on hand-made decoded packets (no decoding cost included).
// Run: node --import tsx src/flow/flow.bench.ts [PACKETS]
// Three runs: FlowTable.add alone on TCP packets over 5000 flows; FlowTable.add and then
// ConversationAnalyzer.add on the bench mix of shared/bench/genpcap.py (60% TCP to 8080 with an HTTP
// GET as each flow's 4th packet, 15% the same flows Geneve-encapsulated, 15% unanswered DNS queries
// from random ports, 5% ICMP echo, 5% ARP).
// Making a million Packet objects costs several times what analysing them does and drowns the
// measure in noise, and a pool of pre-made ones is cold in the cache (a freshly decoded packet is
// not). So one template Packet per kind (SYN, GET, ACK, 3 data sizes; plain and Geneve; DNS query;
// echo; ARP) is rewritten in place before each `add`: addresses, ports, sequence number, DNS id. The
// cost of that loop without `add` is measured and subtracted. Times are the process's CPU time.
import type { DnsLayer, Ipv4Layer, Layer, TcpLayer, UdpLayer } from '../decode/layers.ts';
import type { Packet } from '../decode/packet.ts';
import { ConversationAnalyzer } from './analyzer.ts';
import { FlowTable } from './flow-table.ts';
import {
  ACK,
  arpPacket,
  dnsPacket,
  geneveTcpPacket,
  icmpEchoPacket,
  ip4,
  PSH,
  SYN,
  type TcpSpec,
  tcpPacket,
} from './test-packets.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const FLOWS = 5000;
const GET =
  'GET /hello.txt HTTP/1.1\r\nHost: 10.128.2.43:8080\r\nUser-Agent: curl/7.82.0\r\nAccept: */*\r\n\r\n';

let seed = 1;
function rnd(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
}

const data = [16, 128, 1440].map((n) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256)));
const base = { src: '10.128.0.2', dst: '10.129.0.2', sport: 40000, dport: 8080, ack: 1 };
const specs: TcpSpec[] = [
  { ...base, flags: SYN },
  { ...base, flags: ACK | PSH, payload: GET },
  { ...base, flags: ACK },
  ...data.map((payload) => ({ ...base, flags: ACK | PSH, payload })),
];
const SYN_T = 0;
const GET_T = 1;
const ACK_T = 2;
const DATA_T = 3;
const plain = specs.map((s) => tcpPacket(s));
const geneve = specs.map((s) => geneveTcpPacket('198.18.0.9', '198.18.0.7', 1, s));
const TCP_KINDS = plain.length;
const DNS_K = 2 * TCP_KINDS;
const ICMP_K = DNS_K + 1;
const ARP_K = DNS_K + 2;
const templates: Packet[] = [
  ...plain,
  ...geneve,
  dnsPacket({
    src: '10.128.2.43',
    dst: '172.30.0.10',
    sport: 40000,
    dport: 53,
    id: 0,
    qname: 'static-server.network-trace.svc.cluster.local',
  }),
  icmpEchoPacket('10.128.2.43', '203.0.113.10', 15, 1),
  arpPacket('10.128.2.43', '10.128.2.1'),
];
const srcOf = Array.from({ length: FLOWS }, (_, fid) => ip4(`10.128.${fid % 4}.${2 + (fid % 250)}`));
const dstOf = Array.from({ length: FLOWS }, (_, fid) => ip4(`10.129.${fid % 3}.${2 + ((fid * 7) % 250)}`));

/** Per packet: template index, flow id (or DNS source port), TCP seq (or DNS id). */
function plan(mix: boolean) {
  seed = 7;
  const kind = new Uint8Array(N);
  const who = new Int32Array(N);
  const val = new Float64Array(N);
  const seq = Array.from({ length: FLOWS }, () => Math.floor(rnd() * 2 ** 32));
  const count = new Int32Array(FLOWS);
  for (let i = 0; i < N; i++) {
    const r = mix ? rnd() : 0;
    if (r < 0.75) {
      const fid = Math.floor(rnd() * FLOWS);
      const n = ++count[fid]!;
      const k = n === 1 ? SYN_T : n === 4 ? GET_T : rnd() < 0.45 ? ACK_T : DATA_T + Math.floor(rnd() * 3);
      kind[i] = (mix && r >= 0.6 ? TCP_KINDS : 0) + k;
      who[i] = fid;
      val[i] = seq[fid]!;
      seq[fid] = (seq[fid]! + (plain[k]!.layers[2] as TcpLayer).payloadLen) >>> 0;
    } else if (r < 0.9) {
      kind[i] = DNS_K;
      who[i] = 32768 + Math.floor(rnd() * 28232);
      val[i] = i & 0xffff;
    } else kind[i] = r < 0.95 ? ICMP_K : ARP_K;
  }
  return { kind, who, val };
}

type Add = (p: Packet, t: number, len: number) => unknown;
type Plan = ReturnType<typeof plan>;

function time({ kind, who, val }: Plan, add: Add | undefined): number {
  let sink = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const k = kind[i]!;
    const p = templates[k]!;
    const ls: Layer[] = p.layers;
    if (k < DNS_K) {
      const ip = ls[ls.length - 2] as Ipv4Layer;
      const tcp = ls[ls.length - 1] as TcpLayer;
      const fid = who[i]!;
      ip.src = srcOf[fid]!;
      ip.dst = dstOf[fid]!;
      tcp.srcPort = 40000 + (fid % 20000);
      tcp.seq = val[i]!;
    } else if (k === DNS_K) {
      (ls[2] as UdpLayer).srcPort = who[i]!;
      (ls[3] as DnsLayer).id = val[i]!;
    }
    if (add !== undefined) add(p, i * 5000, p.origLen);
    else sink += p.origLen;
  }
  const used = process.cpuUsage(t0);
  if (sink < 0) console.log(sink);
  return (used.user + used.system) * 1000;
}

function run(label: string, mix: boolean, fresh: () => Add) {
  const pl = plan(mix);
  const results: number[] = [];
  let loop = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    loop = Math.min(loop, time(pl, undefined));
    results.push(time(pl, fresh()));
  }
  results.sort((a, b) => a - b);
  const us = (ns: number) => ((ns - loop) / 1e3 / N).toFixed(3);
  console.log(
    `${label}: best ${us(results[0]!)} µs/packet, median ${us(results[2]!)} (${N} packets, 5 rounds)`,
  );
}

let table = new FlowTable();
run('FlowTable.add, TCP over 5000 flows', false, () => {
  table = new FlowTable();
  return (p, t, l) => table.add(p, t, l);
});
console.log(`  flows: ${table.size}`);
run('FlowTable.add, bench mix', true, () => {
  table = new FlowTable();
  return (p, t, l) => table.add(p, t, l);
});
let an = new ConversationAnalyzer();
run('ConversationAnalyzer.add, bench mix', true, () => {
  an = new ConversationAnalyzer();
  return (p, t, l) => an.add(p, t, l);
});
const t0 = process.cpuUsage();
const r = an.result();
const used = process.cpuUsage(t0);
console.log(
  `  result(): ${((used.user + used.system) / 1e3).toFixed(1)} ms; flows ${r.summary.flows}, http ${r.summary.httpTransactions}, dns ${r.summary.dnsTransactions}, nonIp ${JSON.stringify(r.nonIp)}`,
);
