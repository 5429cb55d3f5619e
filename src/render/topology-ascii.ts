// A node's plumbing as a terminal drawing, the way one sketches it by hand after `ovs-vsctl show`:
// br-ex with the NIC, its own port and the patch; br-int with the patch, ovn-k8s-mp0, the tunnels
// and the pod ports. Hundreds of pod ports fold into a count; the pods of interest stay named.
import type { Bridge, NodeTopology, Port, Topology } from '../topology/model.ts';

export interface AsciiOptions {
  /** Pods (`namespace/name` or `name`) whose ports are always drawn. */
  pods?: string[];
  /** Draw every pod port when there are at most this many (default 8); fold the rest into a count. */
  maxPodPorts?: number;
}

const OFPP_LOCAL = 65534;

function ofport(p: Port): string {
  if (p.ofport === undefined) return '[-]';
  return p.ofport === OFPP_LOCAL ? '[LOCAL]' : `[${p.ofport}]`;
}

function interesting(p: Port, wanted: readonly string[]): boolean {
  if (!p.pod) return false;
  const name = p.pod.slice(p.pod.indexOf('/') + 1);
  return wanted.includes(p.pod) || wanted.includes(name);
}

// br-ex reads NIC, own port, patch; br-int reads patch, mp0, tunnels, pods, then its own (down) port.
const ROLE_ORDER: Record<Port['role'], number> = {
  nic: 0,
  'bridge-internal': 1,
  patch: 2,
  management: 3,
  tunnel: 4,
  pod: 5,
  other: 6,
};
const INTEGRATION_ORDER: Record<Port['role'], number> = { ...ROLE_ORDER, 'bridge-internal': 7 };

function describe(p: Port, node: NodeTopology, t: Topology): string {
  const iface = node.interfaces.find((i) => i.name === p.name);
  switch (p.role) {
    case 'nic': {
      const n = node.nic?.name === p.name ? node.nic : undefined;
      const bits = [
        'NIC',
        n?.kind ? `(${n.kind})` : '',
        p.mac ?? iface?.mac ?? '',
        iface?.mtu ? `mtu ${iface.mtu}` : '',
        iface?.operstate ?? '',
      ];
      return bits.filter(Boolean).join(' ');
    }
    case 'bridge-internal':
      return ['internal', ...(iface?.addresses ?? []), iface?.operstate === 'DOWN' ? '(down)' : '']
        .filter(Boolean)
        .join(' ');
    case 'patch': {
      const pair = node.patches.find((x) => x.a.port === p.name || x.b.port === p.name);
      const other = pair && (pair.a.port === p.name ? pair.b : pair.a);
      return other ? `patch ⇄ ${other.bridge} (${other.port})` : `patch → ${p.options.peer ?? '?'} (no peer)`;
    }
    case 'management':
      return ['management port', ...(iface?.addresses ?? []), p.ifaceId ? `iface-id ${p.ifaceId}` : '']
        .filter(Boolean)
        .join(' ');
    case 'tunnel': {
      const tun = node.tunnels.find((x) => x.port === p.name);
      const remote = tun?.remoteIp ? `${tun.remoteIp}${tun.remoteNode ? ` (${tun.remoteNode})` : ''}` : '?';
      return `${p.type} ${tun?.localIp ?? '?'} → ${remote}${tun?.key ? ` key=${tun.key}` : ''}`;
    }
    case 'pod': {
      const who = p.pod ? `pod ${p.pod}` : `pod ? (iface-id ${p.ifaceId ?? '?'})`;
      const known = t.pods.find((x) => `${x.namespace}/${x.name}` === p.pod);
      const peer = iface?.peerIfindex !== undefined ? ` ↔ if${iface.peerIfindex}` : '';
      const eth0 = known?.eth0 ? ` ↔ ${known.eth0.name} (${known.eth0.addresses.join(', ')})` : peer;
      return `${who}${eth0}`;
    }
    default:
      return p.type;
  }
}

function bridgeLines(
  b: Bridge,
  node: NodeTopology,
  t: Topology,
  opts: AsciiOptions,
  last: boolean,
): string[] {
  const head = `${last ? '└' : '├'}── ${b.name} (${b.role}${b.datapathType ? `, datapath ${b.datapathType}` : ''}${b.failMode ? `, fail_mode ${b.failMode}` : ''})`;
  const indent = last ? '    ' : '│   ';
  const wanted = opts.pods ?? [];
  const max = opts.maxPodPorts ?? 8;
  const order = b.role === 'integration' ? INTEGRATION_ORDER : ROLE_ORDER;
  const ports = [...b.ports].sort(
    (x, y) => order[x.role] - order[y.role] || (x.ofport ?? 0) - (y.ofport ?? 0),
  );
  const pods = ports.filter((p) => p.role === 'pod');
  const fold = pods.length > max;
  const shown = ports.filter((p) => p.role !== 'pod' || !fold || interesting(p, wanted));
  const folded = fold ? pods.filter((p) => !interesting(p, wanted)) : [];
  const rows: [string, string][] = shown.map((p) => [`${ofport(p)} ${p.name}`, describe(p, node, t)]);
  if (folded.length) {
    const nums = folded.map((p) => p.ofport).filter((n): n is number => n !== undefined);
    const range = nums.length ? ` (ofport ${Math.min(...nums)}-${Math.max(...nums)})` : '';
    const more = shown.some((p) => p.role === 'pod') ? 'more ' : '';
    rows.push([
      `… ${folded.length} ${more}pod port${folded.length === 1 ? '' : 's'}${range}`,
      wanted.length ? '' : '--pod NAME names one',
    ]);
  }
  const width = Math.max(0, ...rows.map((r) => r[0].length));
  const lines = [head];
  rows.forEach(([l, r], i) => {
    const branch = i === rows.length - 1 ? '└──' : '├──';
    lines.push(`${indent}${branch} ${r ? `${l.padEnd(width)}  ${r}` : l}`.trimEnd());
  });
  return lines;
}

export function renderNodeAscii(node: NodeTopology, t: Topology, opts: AsciiOptions = {}): string {
  const facts = [
    node.nodeIp ? `node IP ${node.nodeIp}` : '',
    node.chassis ? `chassis ${node.chassis}` : '',
    node.encapType ? `encap ${node.encapType} ${node.encapIp ?? ''}`.trim() : '',
  ].filter(Boolean);
  const lines = [`node ${node.name}${facts.length ? ` · ${facts.join(' · ')}` : ''}`];
  // Gateway bridge first (the NIC side), then the integration bridge, then anything else.
  const order = { gateway: 0, integration: 1, other: 2 } as const;
  const bridges = [...node.bridges].sort((a, b) => order[a.role] - order[b.role]);
  bridges.forEach((b, i) => {
    lines.push('│');
    lines.push(...bridgeLines(b, node, t, opts, i === bridges.length - 1));
  });
  if (node.warnings.length) {
    lines.push('', ...node.warnings.map((w) => `warning: ${w}`));
  }
  return lines.join('\n');
}

export function renderTopologyAscii(t: Topology, opts: AsciiOptions = {}): string {
  return `${t.nodes.map((n) => renderNodeAscii(n, t, opts)).join('\n\n')}\n`;
}
