// The lab as data: two OVN-Kubernetes nodes, the seed's two workloads, a Service and an external
// host (design.md, "The lab's defaults"). Everything the builder creates is derived from a LabSpec
// by the pure helpers here and in plan.ts, so tests can check names and addresses without root.
import { createHash } from 'node:crypto';
import { ipv4FromString, ipv4ToString } from '../decode/bytes.ts';

export interface NodeSpec {
  name: string;
  /** Node IP, on br-ex (OVN-Kubernetes shared gateway mode). */
  ip: string;
  /** The physical NIC, enslaved to br-ex. */
  nic: string;
  /** This node's slice of the cluster network (OVN-K's host subnet). */
  podSubnet: string;
  /** The gateway router's address on the `join` switch. */
  joinIp: string;
}

export interface ContainerSpec {
  name: string;
  command: string[];
  /** Files written before the command starts, by absolute path under /tmp (the container's private tmpfs). */
  files?: Record<string, string>;
  /** Working directory of the command (default /tmp). */
  workdir?: string;
  /** TCP port the command listens on: `lab up` waits for it like a readiness probe. */
  readyPort?: number;
}

export interface PodSpec {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  labels: Record<string, string>;
  containers: ContainerSpec[];
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  clusterIP: string;
  port: number;
  targetPort: number;
  protocol: 'TCP' | 'UDP';
  /** Pods whose labels include all of these are the endpoints. */
  selector: Record<string, string>;
}

export interface ExternalHostSpec {
  name: string;
  ip: string;
  /** The underlay router's address on the external segment. */
  gatewayIp: string;
  prefixLength: number;
  iface: string;
  /** What the external host runs (an HTTP server), in its own pid + mount namespace. */
  server: ContainerSpec;
}

export interface LabSpec {
  /** Prefix of every network namespace the lab creates (`<prefix>-worker-0`, ...). */
  prefix: string;
  clusterNetwork: string;
  serviceNetwork: string;
  /** OVN-K's join switch subnet; the cluster router takes its first address. */
  joinNetwork: string;
  /** The segment the node NICs are on; the underlay router takes `underlayGatewayIp`. */
  underlayNetwork: string;
  underlayGatewayIp: string;
  /** Pod eth0 MTU: 1400 = 1500 minus Geneve overhead, as OVN-K configures it. */
  podMtu: number;
  nodes: NodeSpec[];
  pods: PodSpec[];
  services: ServiceSpec[];
  external: ExternalHostSpec;
}

export const LAB_NAMESPACE = 'network-trace';
/** /tmp/hello.txt in nettools-container-1 and hello.txt of the static server (the seed's check). */
export const HELLO_TXT = 'Hello World\n';
export const STATIC_CONTENT: Readonly<Record<string, string>> = {
  'index.html':
    '<!DOCTYPE html>\n<html>\n<head><title>static-server</title></head>\n' +
    '<body><h1>static-server</h1><p>Served for nettrace from the static-content ConfigMap.</p></body>\n</html>\n',
  'hello.txt': HELLO_TXT,
};

export const DUAL_POD = {
  name: 'nettools-dual-pod',
  server: 'nettools-container-1',
  sleeper: 'nettools-container-2',
  httpPort: 8080,
} as const;

export const STATIC_SERVER = {
  name: 'static-server',
  port: 8080,
  servicePort: 80,
  docroot: '/tmp/www',
} as const;

/** The seed's lab: design.md's defaults table. `prefix` changes only namespace names (tests use their own). */
export function defaultSpec(opts: { prefix?: string } = {}): LabSpec {
  const staticFiles = Object.fromEntries(
    Object.entries(STATIC_CONTENT).map(([f, body]) => [`${STATIC_SERVER.docroot}/${f}`, body]),
  );
  return {
    prefix: opts.prefix ?? 'nettrace',
    clusterNetwork: '10.128.0.0/14',
    serviceNetwork: '172.30.0.0/16',
    joinNetwork: '100.64.0.0/16',
    underlayNetwork: '198.18.0.0/24',
    underlayGatewayIp: '198.18.0.1',
    podMtu: 1400,
    nodes: [
      {
        name: 'worker-0',
        ip: '198.18.0.9',
        nic: 'ens2f0np0',
        podSubnet: '10.128.2.0/23',
        joinIp: '100.64.0.2',
      },
      {
        name: 'worker-1',
        ip: '198.18.0.7',
        nic: 'ens2f0np0',
        podSubnet: '10.129.0.0/23',
        joinIp: '100.64.0.3',
      },
    ],
    pods: [
      {
        namespace: LAB_NAMESPACE,
        name: DUAL_POD.name,
        node: 'worker-0',
        ip: '10.128.2.43',
        labels: { app: 'nettools' },
        containers: [
          {
            name: DUAL_POD.server,
            command: ['python3', '-m', 'http.server', String(DUAL_POD.httpPort)],
            files: { '/tmp/hello.txt': HELLO_TXT },
            workdir: '/tmp',
            readyPort: DUAL_POD.httpPort,
          },
          { name: DUAL_POD.sleeper, command: ['sleep', 'infinity'] },
        ],
      },
      {
        namespace: LAB_NAMESPACE,
        name: STATIC_SERVER.name,
        node: 'worker-1',
        ip: '10.129.0.12',
        labels: { app: STATIC_SERVER.name },
        containers: [
          {
            name: STATIC_SERVER.name,
            command: ['python3', '-m', 'http.server', String(STATIC_SERVER.port)],
            files: staticFiles,
            workdir: STATIC_SERVER.docroot,
            readyPort: STATIC_SERVER.port,
          },
        ],
      },
    ],
    services: [
      {
        namespace: LAB_NAMESPACE,
        name: STATIC_SERVER.name,
        clusterIP: '172.30.112.80',
        port: STATIC_SERVER.servicePort,
        targetPort: STATIC_SERVER.port,
        protocol: 'TCP',
        selector: { app: STATIC_SERVER.name },
      },
    ],
    external: {
      name: 'external',
      ip: '203.0.113.10',
      gatewayIp: '203.0.113.1',
      prefixLength: 24,
      iface: 'eth0',
      server: {
        name: 'http',
        command: ['python3', '-m', 'http.server', '80', '--bind', '203.0.113.10'],
        files: { '/tmp/www/index.html': 'external host 203.0.113.10\n', '/tmp/www/hello.txt': HELLO_TXT },
        workdir: '/tmp/www',
        readyPort: 80,
      },
    },
  };
}

// ---- small pure helpers -------------------------------------------------------------------------

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A deterministic stand-in for the CRI sandbox id of a pod (64 hex characters). */
export function sandboxId(namespace: string, name: string): string {
  return sha256(`sandbox/${namespace}/${name}`);
}

/** A deterministic container id (64 hex characters), like crictl prints. */
export function containerId(sandbox: string, container: string): string {
  return sha256(`container/${sandbox}/${container}`);
}

/** The host-side veth of a pod: the first 15 characters of its sandbox id, as OVN-K names it. */
export function vethName(sandbox: string): string {
  return sandbox.slice(0, 15);
}

/** A UUID (v4 layout) derived from `seed`: stable pod UIDs and OVN chassis names. */
export function stableUuid(seed: string): string {
  const h = sha256(seed);
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function ipToInt(ip: string): number {
  const n = ipv4FromString(ip);
  if (n === undefined) throw new RangeError(`not an IPv4 address: ${ip}`);
  return n;
}

export const intToIp = ipv4ToString;

export function parseCidr(cidr: string): { network: number; prefixLength: number } {
  const [ip, len] = cidr.split('/');
  const prefixLength = Number(len);
  if (
    ip === undefined ||
    len === undefined ||
    !Number.isInteger(prefixLength) ||
    prefixLength < 0 ||
    prefixLength > 32
  ) {
    throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  }
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return { network: (ipToInt(ip) & mask) >>> 0, prefixLength };
}

export function inCidr(ip: string, cidr: string): boolean {
  const { network, prefixLength } = parseCidr(cidr);
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === network;
}

/** The n-th address of a subnet (1 = first host address). */
export function nthAddress(cidr: string, n: number): string {
  return intToIp(parseCidr(cidr).network + n);
}

export function prefixLength(cidr: string): number {
  return parseCidr(cidr).prefixLength;
}

/** OVN-Kubernetes' MAC for an IP: 0a:58 followed by the four address bytes. */
export function podMac(ip: string): string {
  return macFrom('0a:58', ip);
}

/** A locally administered MAC carrying the IP (02:00 + address bytes): node NICs, underlay, external. */
export function hostMac(ip: string): string {
  return macFrom('02:00', ip);
}

function macFrom(prefix: string, ip: string): string {
  const n = ipToInt(ip);
  const bytes = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return `${prefix}:${bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}
