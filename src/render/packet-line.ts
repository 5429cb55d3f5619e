// One line per packet in the spirit of `tcpdump -nn`: the outer headers, then each tunnel's inner
// packet after a colon, so an encapsulated flow reads left to right as it travelled.
import { ipv4ToString, macAt } from '../decode/bytes.ts';
import type { Layer, TcpLayer } from '../decode/layers.ts';
import type { Packet } from '../decode/packet.ts';

const TCP_FLAG_LETTERS: [number, string][] = [
  [0x02, 'S'],
  [0x01, 'F'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
  [0x100, 'e'],
];

function tcpFlags(t: TcpLayer): string {
  let s = '';
  for (const [bit, ch] of TCP_FLAG_LETTERS) if (t.flags & bit) s += ch;
  if (t.flags & 0x10) s += '.';
  return s || 'none';
}

function ipText(l: Layer): string | undefined {
  if (l.proto === 'ip') return ipv4ToString(l.src) + '\u0000' + ipv4ToString(l.dst);
  if (l.proto === 'ipv6') return l.src + '\u0000' + l.dst;
  return undefined;
}

/**
 * Describes the packet's layers as one line. Each IP layer starts a segment (`IP a > b: ...`);
 * tunnels (VXLAN, Geneve) end one and the inner frame starts the next.
 */
export function packetLine(p: Packet): string {
  const parts: string[] = [];
  let cur = '';
  let addrs: [string, string] | undefined;
  const ls = p.layers;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    switch (l.proto) {
      case 'eth':
        if (i + 1 >= ls.length || ls[i + 1]!.proto === 'arp' || ls.length === 1) {
          cur += `${macAt(p.data, l.offset + 6)} > ${macAt(p.data, l.offset)}, ethertype 0x${l.type.toString(16).padStart(4, '0')} `;
        }
        break;
      case 'vlan':
        cur += `vlan ${l.id}, `;
        break;
      case 'arp': {
        const spa = l.senderIp !== undefined ? ipv4ToString(l.senderIp) : '?';
        const tpa = l.targetIp !== undefined ? ipv4ToString(l.targetIp) : '?';
        if (l.opcode === 1) cur += `ARP, Request who-has ${tpa} tell ${spa}`;
        else if (l.opcode === 2) cur += `ARP, Reply ${spa} is-at ${macAt(p.data, l.shaOffset)}`;
        else cur += `ARP, opcode ${l.opcode}`;
        break;
      }
      case 'ip':
      case 'ipv6': {
        // A second IP header without a tunnel layer between (IP-in-IP): a new segment.
        if (addrs) {
          parts.push(cur.trimEnd());
          cur = '';
        }
        const [s, d] = ipText(l)!.split('\u0000') as [string, string];
        addrs = [s, d];
        cur += `${l.proto === 'ip' ? 'IP' : 'IP6'} ${s} > ${d}:`;
        if (l.proto === 'ip' && l.isFragment)
          cur += ` frag id ${l.id} off ${l.fragOffset * 8}${l.flags & 1 ? '+' : ''}`;
        break;
      }
      case 'tcp':
      case 'udp':
        if (addrs) {
          cur = cur.replace(
            `${addrs[0]} > ${addrs[1]}:`,
            `${addrs[0]}.${l.srcPort} > ${addrs[1]}.${l.dstPort}:`,
          );
        }
        if (l.proto === 'tcp') {
          cur += ` Flags [${tcpFlags(l)}], seq ${l.seq}`;
          if (l.flags & 0x10) cur += `, ack ${l.ack}`;
          cur += `, win ${l.window}, length ${l.payloadLen}`;
        } else if (i + 1 >= ls.length || (ls[i + 1]!.proto !== 'vxlan' && ls[i + 1]!.proto !== 'geneve')) {
          if (ls[i + 1]?.proto !== 'dns') cur += ` UDP, length ${l.length - 8}`;
        }
        break;
      case 'icmp':
        cur += ` ICMP ${icmpName(l.type)}`;
        if (l.ident !== undefined) cur += `, id ${l.ident}, seq ${l.seq}`;
        if (l.embedded) {
          parts.push(`${cur}, for`);
          cur = '';
          addrs = undefined;
        }
        break;
      case 'icmpv6':
        cur += ` ICMP6 type ${l.type} code ${l.code}`;
        if (l.ident !== undefined) cur += `, id ${l.ident}, seq ${l.seq}`;
        if (l.target) cur += `, target ${l.target}`;
        break;
      case 'vxlan':
        parts.push(`${cur} VXLAN vni ${l.vni}`);
        cur = '';
        addrs = undefined;
        break;
      case 'geneve':
        parts.push(
          `${cur} Geneve vni 0x${l.vni.toString(16)}${l.ovn ? ` (ovn in-port ${l.ovn.ingressPort} out-port ${l.ovn.egressPort})` : ''}`,
        );
        cur = '';
        addrs = undefined;
        break;
      case 'dns':
        cur += l.response
          ? ` DNS ${l.id} answer ${l.answers.map((a) => a.data).join(', ') || `rcode ${l.rcode}`}`
          : ` DNS ${l.id} ${l.questions.map((q) => `${q.name}`).join(', ')}?`;
        break;
      case 'http':
        cur +=
          l.kind === 'request'
            ? ` HTTP ${l.method} ${l.uri}`
            : ` HTTP ${l.status} ${l.reason ?? ''}`.trimEnd();
        break;
      default:
        break;
    }
  }
  if (cur) parts.push(cur.trimEnd());
  if (parts.length === 0) parts.push(`${p.data.length} bytes, link type ${p.linktype}`);
  let line = parts.join(': ');
  if (p.issues) line += ` [${p.issues.map((x) => `${x.layer} ${x.code}`).join('; ')}]`;
  return line;
}

function icmpName(type: number): string {
  switch (type) {
    case 0:
      return 'echo reply';
    case 3:
      return 'unreachable';
    case 8:
      return 'echo request';
    case 11:
      return 'time exceeded';
    default:
      return `type ${type}`;
  }
}
