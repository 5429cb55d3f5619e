// A synthetic capture for the flat decoder's whole-analysis test (flat.test.ts): many TCP flows
// (some HTTP, some also seen inside Geneve, a few cut by the snap length), DNS, ICMP echo and ARP,
// built from a fixed seed so that the capture is the same every run.
import { arp, icmpEcho, ip4 } from './l3-build.ts';
import {
  ascii,
  be16,
  concat,
  dnsHeader,
  dnsName,
  dnsRR,
  eth,
  geneve,
  ovnOption,
  tcp,
  udp,
} from './l4-build.ts';

/** A small deterministic PRNG (mulberry32), so the synthetic capture is the same every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SynthPacket {
  tNs: number;
  data: Uint8Array;
  origLen?: number;
}

const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
const OUTER = [
  [172, 18, 0, 2],
  [172, 18, 0, 3],
];

/** Plain and Geneve-wrapped TCP flows (some HTTP), DNS, ICMP echo and ARP, in time order. */
export function syntheticTraffic(flows: number): SynthPacket[] {
  const rnd = prng(20240611);
  const pkts: SynthPacket[] = [];
  const geneveCopy = (ip: Uint8Array, i: number, outbound: boolean): Uint8Array => {
    const [a, b] = outbound ? [OUTER[0]!, OUTER[1]!] : [OUTER[1]!, OUTER[0]!];
    const g = geneve({ vni: 1 + (i % 3), options: [ovnOption(i % 7, (i + 1) % 7)] }, eth(0x0800, ip));
    return eth(
      0x0800,
      ip4({ proto: 17, src: a, dst: b }, udp({ sport: 49152 + (i % 1000), dport: 6081 }, g)),
    );
  };
  for (let i = 0; i < flows; i++) {
    const client = [10, 244, 1 + (i % 3), 10 + (i % 200)];
    const server = [10, 96, 0, 10 + (i % 5)];
    const cport = 33000 + i;
    const sport = [8080, 80, 5432, 443][i % 4]!;
    const http = sport === 8080 || sport === 80;
    const wrapped = i % 3 !== 2; // two flows in three are also seen inside Geneve
    let cseq = Math.floor(rnd() * 2 ** 32);
    let sseq = Math.floor(rnd() * 2 ** 32);
    let t = i * 2_000_000 + Math.floor(rnd() * 1_000_000);
    const send = (
      fromClient: boolean,
      flags: number,
      payload: Uint8Array,
      options?: number[],
      wire = 0,
    ): void => {
      const seg = tcp(
        {
          sport: fromClient ? cport : sport,
          dport: fromClient ? sport : cport,
          seq: fromClient ? cseq : sseq,
          ack: flags & 0x10 ? (fromClient ? sseq : cseq) : 0,
          flags,
          win: 502 + (i % 50),
          options,
        },
        payload,
      );
      const ip = ip4(
        { proto: 6, src: fromClient ? client : server, dst: fromClient ? server : client, id: i },
        seg,
      );
      t += 10_000 + Math.floor(rnd() * 50_000);
      const plain = eth(0x0800, ip);
      // Half the wrapped flows are seen in the tunnel first.
      const first = wrapped && i % 2 === 0 ? geneveCopy(ip, i, fromClient) : plain;
      const second = first === plain ? (wrapped ? geneveCopy(ip, i, fromClient) : undefined) : plain;
      // A few big segments are cut by the snap length.
      const cut = wire > 0 ? first.length - wire : 0;
      pkts.push({
        tNs: t,
        data: cut > 0 ? first.slice(0, first.length - cut) : first,
        origLen: first.length,
      });
      if (second !== undefined) pkts.push({ tNs: t + 15_000, data: second });
      const n = payload.length + (flags & 0x03 ? 1 : 0);
      if (fromClient) cseq = (cseq + n) >>> 0;
      else sseq = (sseq + n) >>> 0;
    };
    send(true, 0x002, new Uint8Array(0), SYN_OPTIONS);
    send(false, 0x012, new Uint8Array(0), SYN_OPTIONS);
    send(true, 0x010, new Uint8Array(0));
    const body = ascii('x'.repeat(300 + (i % 40) * 30));
    if (http) {
      send(true, 0x018, ascii(`GET /items/${i} HTTP/1.1\r\nHost: svc-${i % 5}\r\nAccept: */*\r\n\r\n`));
      send(false, 0x010, new Uint8Array(0));
      send(
        false,
        0x018,
        concat(ascii(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.slice(0, 100)),
      );
      send(false, 0x018, body.slice(100), undefined, i % 5 === 0 ? 120 : 0);
    } else {
      send(
        true,
        0x018,
        Uint8Array.from({ length: 40 + (i % 20) }, () => Math.floor(rnd() * 256)),
      );
      send(false, 0x018, body);
    }
    send(true, 0x010, new Uint8Array(0));
    if (i % 9 === 4) {
      send(true, 0x014, new Uint8Array(0));
      continue;
    }
    send(true, 0x011, new Uint8Array(0));
    send(false, 0x011, new Uint8Array(0));
    send(true, 0x010, new Uint8Array(0));
  }
  for (let i = 0; i < flows; i++) {
    const t = i * 2_000_000 + 700_000;
    const name = dnsName(`svc-${i % 17}.default.svc.cluster.local`);
    const id = (i * 7919) & 0xffff;
    const client = [10, 244, 2, 10 + (i % 50)];
    const dns = [10, 96, 0, 10];
    const q = concat(dnsHeader({ id, flags: 0x0100 }), name, be16(1), be16(1));
    const a = concat(
      dnsHeader({ id, flags: 0x8180, an: 1 }),
      name,
      be16(1),
      be16(1),
      dnsRR([0xc0, 12], 1, 1, 30, [10, 96, 1, i % 250]),
    );
    const qip = ip4({ proto: 17, src: client, dst: dns }, udp({ sport: 40000 + i, dport: 53 }, q));
    pkts.push({ tNs: t, data: eth(0x0800, qip) });
    // Some queries are seen in the tunnel too (the same DNS transaction, a second query packet).
    if (i % 5 === 0) pkts.push({ tNs: t + 20_000, data: geneveCopy(qip, i, true) });
    if (i % 11 !== 0)
      pkts.push({
        tNs: t + 300_000,
        data: eth(0x0800, ip4({ proto: 17, src: dns, dst: client }, udp({ sport: 53, dport: 40000 + i }, a))),
      });
    if (i % 4 === 0) {
      const ident = 0x100 + i;
      const pa = [10, 244, 3, 1];
      const pb = [10, 244, 3, 2 + (i % 3)];
      pkts.push({
        tNs: t + 100_000,
        data: eth(0x0800, ip4({ proto: 1, src: pa, dst: pb }, icmpEcho(8, ident, i, new Uint8Array(56)))),
      });
      pkts.push({
        tNs: t + 150_000,
        data: eth(0x0800, ip4({ proto: 1, src: pb, dst: pa }, icmpEcho(0, ident, i, new Uint8Array(56)))),
      });
    }
    if (i % 10 === 0) pkts.push({ tNs: t + 200_000, data: eth(0x0806, arp({ tpa: [10, 244, 3, i % 250] })) });
  }
  return pkts.sort((x, y) => x.tNs - y.tNs);
}
