// The traffic a trace sends from its source: ping, a TCP connect, an HTTP GET, a UDP datagram or a
// DNS query, built as argv for the source's Host (a container on a cluster or in the lab). Nothing
// the user typed reaches a shell: addresses and ports are validated and passed as arguments; the
// few fixed `bash -c` scripts read them as $0/$1.
import { NettraceError } from '../errors.ts';
import type { ProbeSpec } from '../trace/types.ts';

export interface ProbeCommand {
  /** Runs once per `times`; ping counts itself (times 1, -c N). */
  argv: string[];
  times: number;
  describe: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function checkTarget(ip: string, port?: number): void {
  if (!IPV4.test(ip))
    throw new NettraceError('trace.bad-target', `probe target "${ip}" is not an IPv4 address`);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new NettraceError('trace.bad-port', `probe port ${port} is not a port number (1-65535)`);
  }
}

/** A DNS query for `name` (type A), sent by python3 over UDP; the reply (if any) is printed. */
const DNS_SCRIPT = `
import random, socket, struct, sys
name, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack('!HHHHHH', random.randrange(65536), 0x0100, 1, 0, 0, 0)
for label in name.rstrip('.').split('.'):
    b = label.encode('idna')
    q += bytes([len(b)]) + b
q += b'\\x00' + struct.pack('!HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, port))
try:
    data, _ = s.recvfrom(4096)
    print('answer', len(data), 'bytes, rcode', data[3] & 15)
except socket.timeout:
    print('no answer within 2 s')
`;

export function probeCommand(probe: ProbeSpec, dstIp: string, count: number): ProbeCommand {
  const n = Math.max(1, Math.min(count, 1000));
  switch (probe.kind) {
    case 'icmp':
      checkTarget(dstIp);
      return {
        argv: ['ping', '-n', '-c', String(n), '-i', '0.2', '-W', '2', dstIp],
        times: 1,
        describe: `ping ${dstIp} ×${n}`,
      };
    case 'tcp':
      checkTarget(dstIp, probe.port);
      return {
        argv: [
          'timeout',
          '3',
          'bash',
          '-c',
          'exec 3<>"/dev/tcp/$0/$1" && echo connected',
          dstIp,
          String(probe.port),
        ],
        times: n,
        describe: `TCP connect ${dstIp}:${probe.port} ×${n}`,
      };
    case 'http': {
      checkTarget(dstIp, probe.port);
      if (!/^\/[\x21-\x7e]*$/.test(probe.path)) {
        throw new NettraceError(
          'trace.bad-path',
          `--http path "${probe.path}" must start with / and have no spaces`,
        );
      }
      const url = `http://${dstIp}:${probe.port}${probe.path}`;
      return {
        argv: [
          'curl',
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code} in %{time_total}s\\n',
          '--max-time',
          '5',
          url,
        ],
        times: n,
        describe: `HTTP GET ${url} ×${n}`,
      };
    }
    case 'udp':
      checkTarget(dstIp, probe.port);
      return {
        argv: ['bash', '-c', 'echo nettrace-probe > "/dev/udp/$0/$1"', dstIp, String(probe.port)],
        times: n,
        describe: `UDP datagram to ${dstIp}:${probe.port} ×${n}`,
      };
    case 'dns':
      checkTarget(dstIp, probe.port);
      if (!/^[A-Za-z0-9_.-]{1,253}$/.test(probe.name)) {
        throw new NettraceError('trace.bad-name', `--dns name "${probe.name}" is not a DNS name`);
      }
      return {
        argv: ['python3', '-c', DNS_SCRIPT, probe.name, dstIp, String(probe.port)],
        times: n,
        describe: `DNS query ${probe.name} A to ${dstIp}:${probe.port} ×${n}`,
      };
  }
}

/** The BPF filter every point runs: the probe's protocol between the path's addresses, plain or in Geneve. */
export function bpfFilter(probe: ProbeSpec | undefined, addresses: readonly string[]): string {
  for (const a of addresses) checkTarget(a);
  const hosts = [...new Set(addresses)].map((a) => `host ${a}`).join(' or ');
  let proto: string;
  switch (probe?.kind) {
    case 'icmp':
      proto = 'icmp';
      break;
    case 'tcp':
    case 'http':
      proto = 'tcp';
      break;
    case 'udp':
    case 'dns':
      // ICMP too: a closed port answers with an ICMP error that belongs to the journey.
      proto = '(udp or icmp)';
      break;
    default:
      proto = '(tcp or udp or icmp)';
  }
  const inner = hosts ? `${proto} and (${hosts})` : proto;
  return `(${inner}) or (geneve and ${inner})`;
}
