// What `lab up` needs from this machine: root, and the tools of a handful of Debian packages.
// Checked before anything is created, so a missing package is one clear line, not a half-built lab.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NettraceError } from '../errors.ts';

/** Tool → the Debian package that provides it. */
export const LAB_TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  ss: 'iproute2',
  nft: 'nftables',
  ethtool: 'ethtool',
  sysctl: 'procps',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  ping: 'iputils-ping',
  python3: 'python3',
  'ovsdb-tool': 'openvswitch-switch',
  'ovsdb-server': 'openvswitch-switch',
  'ovs-vswitchd': 'openvswitch-switch',
  'ovs-vsctl': 'openvswitch-switch',
  'ovs-ofctl': 'openvswitch-switch',
  'ovs-appctl': 'openvswitch-switch',
  'ovn-nbctl': 'ovn-central',
  'ovn-sbctl': 'ovn-central',
  'ovn-northd': 'ovn-central',
  'ovn-controller': 'ovn-host',
};

export const SCHEMAS: Readonly<Record<string, { path: string; pkg: string }>> = {
  vswitch: { path: '/usr/share/openvswitch/vswitch.ovsschema', pkg: 'openvswitch-switch' },
  nb: { path: '/usr/share/ovn/ovn-nb.ovsschema', pkg: 'ovn-central' },
  sb: { path: '/usr/share/ovn/ovn-sb.ovsschema', pkg: 'ovn-central' },
};

/** System directories first: a user's PATH shims (pyenv, ...) must not become the lab's python. */
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export function searchPath(): string[] {
  return [...new Set([...SYSTEM_PATH, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)])];
}

/** The PATH every lab command and daemon runs with. */
export function labPathEnv(): string {
  return searchPath().join(delimiter);
}

export function findTool(name: string, path: string[] = searchPath()): string | undefined {
  for (const dir of path) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/** Missing tools and files, each with the package that provides it (empty when all is there). */
export function missingTools(
  tools: Readonly<Record<string, string>> = LAB_TOOLS,
  exists: (name: string) => boolean = (n) => findTool(n) !== undefined,
): { tool: string; pkg: string }[] {
  return Object.entries(tools)
    .filter(([tool]) => !exists(tool))
    .map(([tool, pkg]) => ({ tool, pkg }));
}

export function missingToolsMessage(missing: { tool: string; pkg: string }[]): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const first = missing[0]!;
  const more =
    missing.length > 1
      ? ` (also missing: ${missing
          .slice(1)
          .map((m) => m.tool)
          .join(', ')})`
      : '';
  return `${first.tool} not found: apt-get install ${pkgs.join(' ')}${more}`;
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new NettraceError(
      'lab.not-root',
      `${what} needs root (it creates network namespaces and runs Open vSwitch): run it with sudo`,
    );
  }
}

/** Throws `lab.missing-tool` naming the first missing tool and every package to install. */
export function requireTools(tools: Readonly<Record<string, string>> = LAB_TOOLS): void {
  const missing = missingTools(tools);
  for (const s of Object.values(SCHEMAS)) {
    try {
      accessSync(s.path, constants.R_OK);
    } catch {
      missing.push({ tool: s.path, pkg: s.pkg });
    }
  }
  if (missing.length) throw new NettraceError('lab.missing-tool', missingToolsMessage(missing));
}
