// Which decoder handles which link type, ethertype, IP protocol and port: the default bindings,
// kept apart from the decoders themselves (scapy's bind_layers) so a run can override them.
import { decodeArp } from './arp.ts';
import { Dissector } from './dissector.ts';
import { decodeDns } from './dns.ts';
import { decodeEth } from './eth.ts';
import { decodeGeneve } from './geneve.ts';
import { decodeHttp } from './http.ts';
import { decodeIcmp } from './icmp.ts';
import { decodeIcmpv6 } from './icmpv6.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { decodeMpls } from './mpls.ts';
import { decodeLoop, decodeNull } from './null.ts';
import type { Decoder } from './packet.ts';
import { decodeRaw } from './raw.ts';
import { decodeSll, decodeSll2 } from './sll.ts';
import { decodeTcp } from './tcp.ts';
import { decodeUdp } from './udp.ts';
import { decodeVlan } from './vlan.ts';
import { decodeVxlan } from './vxlan.ts';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Decoders by the name `--decode-as` uses. */
export const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ['eth', decodeEth],
  ['vlan', decodeVlan],
  ['arp', decodeArp],
  ['mpls', decodeMpls],
  ['ip', decodeIpv4],
  ['ipv6', decodeIpv6],
  ['icmp', decodeIcmp],
  ['icmpv6', decodeIcmpv6],
  ['tcp', decodeTcp],
  ['udp', decodeUdp],
  ['vxlan', decodeVxlan],
  ['geneve', decodeGeneve],
  ['dns', decodeDns],
  ['http', decodeHttp],
]);

// Wireshark 4.0's default HTTP TCP ports ("http.tcp.port" preference).
const HTTP_TCP_PORTS = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710];

export function defaultDissector(): Dissector {
  const d = new Dissector(DECODERS);
  const t = d.tables;
  t.linktype.set(LINKTYPE.NULL, decodeNull);
  t.linktype.set(LINKTYPE.ETHERNET, decodeEth);
  t.linktype.set(LINKTYPE.RAW, decodeRaw);
  t.linktype.set(LINKTYPE.LOOP, decodeLoop);
  t.linktype.set(LINKTYPE.LINUX_SLL, decodeSll);
  t.linktype.set(LINKTYPE.IPV4, decodeIpv4);
  t.linktype.set(LINKTYPE.IPV6, decodeIpv6);
  t.linktype.set(LINKTYPE.LINUX_SLL2, decodeSll2);

  t.ethertype.set(0x0800, decodeIpv4);
  t.ethertype.set(0x86dd, decodeIpv6);
  t.ethertype.set(0x0806, decodeArp);
  t.ethertype.set(0x8035, decodeArp); // RARP: same header, opcodes 3 and 4
  t.ethertype.set(0x8847, decodeMpls);
  t.ethertype.set(0x8848, decodeMpls);
  t.ethertype.set(0x8100, decodeVlan);
  t.ethertype.set(0x88a8, decodeVlan);
  t.ethertype.set(0x9100, decodeVlan);
  t.ethertype.set(0x6558, decodeEth); // transparent Ethernet bridging (Geneve, GRE)

  t['ip.proto'].set(1, decodeIcmp);
  t['ip.proto'].set(6, decodeTcp);
  t['ip.proto'].set(17, decodeUdp);
  t['ip.proto'].set(58, decodeIcmpv6);
  t['ip.proto'].set(4, decodeIpv4); // IP in IP
  t['ip.proto'].set(41, decodeIpv6);

  t['udp.port'].set(4789, decodeVxlan);
  t['udp.port'].set(8472, decodeVxlan); // Linux's default VXLAN port
  t['udp.port'].set(6081, decodeGeneve);
  t['udp.port'].set(53, decodeDns);

  t['tcp.port'].set(53, decodeDns);
  for (const port of HTTP_TCP_PORTS) t['tcp.port'].set(port, decodeHttp);
  return d;
}
