// `nettrace inspect` for people: the pod, its containers' namespaces (shared or not, and what that
// means in `ip a`/`ps`/`/tmp` terms), the veth pair, the OVS port, the node's NIC and tunnels, and
// the path to a destination hop by hop with what to expect at each capture point.

import { describeEndpoint } from '../topology/endpoints.ts';
import type { InspectResult } from '../topology/inspect.ts';
import type { NamespaceKind } from '../topology/model.ts';
import { nsLink } from '../topology/namespaces.ts';
import type { ExpectedChange, PathResult } from '../topology/path.ts';

const MEANING: Record<NamespaceKind, string> = {
  net: 'same interfaces and addresses (`ip a` is identical)',
  pid: 'processes (`ps`)',
  mnt: 'filesystems (a file in /tmp)',
  uts: 'hostname',
  ipc: 'SysV IPC and POSIX queues',
  cgroup: 'cgroup view',
};

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** One expected change in words: `SNAT 10.128.2.43 → 198.18.0.9 (GR_worker-0)`. */
export function describeChange(c: ExpectedChange): string {
  switch (c.kind) {
    case 'dnat':
      return `DNAT ${c.from} → ${c.to} (${c.by})`;
    case 'snat':
      return `SNAT ${c.from} → ${c.to} (${c.by})`;
    case 'routed':
      return `routed: TTL −${c.ttlDecrement} (${c.by.join(', ')})`;
    case 'mac-rewrite':
      return `MAC rewrite${c.src ? ` src ${c.src}` : ''}${c.dst ? ` dst ${c.dst}` : ''} (${c.by})`;
    case 'encap':
      return `${c.protocol} encap ${c.outerSrc ?? '?'} → ${c.outerDst ?? '?'}${c.dstPort ? ` udp/${c.dstPort}` : ''} (${c.tunnel})`;
    case 'decap':
      return `${c.protocol} decap (${c.tunnel})`;
  }
}

export function renderPathText(p: PathResult): string[] {
  const lines = [`path to ${describeEndpoint(p.to)}: ${p.kind}`];
  if (p.service) {
    lines.push(`  service ${p.service.name} ${p.service.vip} → ${p.service.endpoint}`);
  }
  const idW = Math.max(...p.hops.map((h) => h.id.length));
  const roleW = Math.max(...p.hops.map((h) => h.role.length));
  const pad = ' '.repeat(7);
  p.hops.forEach((h, i) => {
    const mark = h.capture ? '●' : '○';
    lines.push(
      `  ${String(i + 1).padStart(2)} ${mark} ${h.id.padEnd(idW)}  ${h.role.padEnd(roleW)}  ${h.note ?? ''}`.trimEnd(),
    );
    if (!h.capture && h.why) lines.push(`${pad}not seen: ${h.why}`);
    const changes = h.capture ? h.expect : h.does;
    const label = h.capture ? 'expect:' : 'does:  ';
    changes.forEach((c, j) => {
      lines.push(`${pad}${j === 0 ? label : '       '} ${describeChange(c)}`);
    });
  });
  lines.push('  ● capture point   ○ no capture here (a packet passes unseen)');
  for (const n of p.notes) lines.push(`  note: ${n}`);
  return lines;
}

export function renderInspectText(r: InspectResult): string {
  const out: string[] = [];
  out.push(`pod ${r.pod} on node ${r.node}`);
  out.push(
    ...table([
      ['  IPs', r.ips.join(', ') || '-'],
      ...(r.sandboxId ? [['  sandbox', r.sandboxId.slice(0, 13)]] : []),
      [
        '  netns',
        `${r.netns.path ?? '?'}${r.netns.inode !== undefined ? ` (${nsLink('net', r.netns.inode)})` : ''}`,
      ],
    ]),
  );

  out.push('', 'containers');
  const kinds: NamespaceKind[] = ['net', 'pid', 'mnt', 'uts', 'ipc', 'cgroup'];
  out.push(
    ...table([
      ['  NAME', 'PID', ...kinds.map((k) => k.toUpperCase())],
      ...r.containers.map((c) => [
        `  ${c.name}`,
        c.running ? String(c.pid ?? '?') : 'not running',
        ...kinds.map((k) => (c.namespaces[k] !== undefined ? String(c.namespaces[k]) : '-')),
      ]),
    ]),
  );
  if (r.sharedNamespaces.length)
    out.push(
      `  shared:   ${r.sharedNamespaces.join(', ')} — ${r.sharedNamespaces.map((k) => MEANING[k].split(' (')[0]).join('; ')}`,
    );
  if (r.isolatedNamespaces.length)
    out.push(
      `  isolated: ${r.isolatedNamespaces.join(', ')} — each container has its own ${r.isolatedNamespaces.map((k) => MEANING[k]).join(', ')}`,
    );
  if (r.partlySharedNamespaces.length) out.push(`  partly shared: ${r.partlySharedNamespaces.join(', ')}`);
  if (r.hostNamespaces.length) out.push(`  shared with the node: ${r.hostNamespaces.join(', ')}`);
  if (r.containers.filter((c) => c.running).length < 2)
    out.push('  (one running container: nothing to compare)');

  out.push('', 'veth pair');
  const rows: string[][] = [];
  if (r.eth0) {
    rows.push([
      `  ${r.eth0.name} (pod)`,
      `ifindex ${r.eth0.ifindex}`,
      `peer ifindex ${r.eth0.peerIfindex ?? '?'}`,
      r.eth0.mac ?? '',
      r.eth0.mtu ? `mtu ${r.eth0.mtu}` : '',
      r.eth0.addresses.join(', '),
    ]);
  }
  if (r.hostVeth) {
    rows.push([
      `  ${r.hostVeth.name} (node)`,
      `ifindex ${r.hostVeth.ifindex}`,
      `peer ifindex ${r.hostVeth.peerIfindex ?? '?'}`,
      r.hostVeth.mac ?? '',
      r.hostVeth.mtu ? `mtu ${r.hostVeth.mtu}` : '',
      `master ${r.hostVeth.master ?? 'none'}`,
    ]);
  }
  if (rows.length) out.push(...table(rows));
  if (r.hostVeth) {
    const v = r.hostVeth;
    const dp = v.datapathType
      ? ` (datapath ${v.datapathType}${v.master === null && v.datapathType === 'netdev' ? ': userspace, so no kernel master' : ''})`
      : '';
    out.push(
      v.bridge
        ? `  OVS: bridge ${v.bridge}${dp}, port ${v.port}, ofport ${v.ofport ?? '?'}${v.ifaceId ? `, iface-id ${v.ifaceId}` : ''}`
        : '  OVS: the host veth is not on any bridge',
    );
  } else out.push('  host veth: not found (see warnings)');

  out.push('', `node ${r.node}`);
  const nic = r.nic;
  out.push(
    ...table([
      ['  node IP', r.nodeIp ?? '?'],
      [
        '  NIC',
        nic
          ? [
              nic.name,
              `on ${nic.bridge}`,
              nic.ofport !== undefined ? `ofport ${nic.ofport}` : '',
              nic.mac ?? '',
              nic.mtu ? `mtu ${nic.mtu}` : '',
              nic.operstate ?? '',
            ]
              .filter(Boolean)
              .join(', ')
          : 'not found',
      ],
      ...r.tunnels.map((t, i) => [
        i === 0 ? '  tunnels' : '',
        `${t.port} ${t.type} ${t.localIp ?? '?'} → ${t.remoteIp ?? '?'}${t.remoteNode ? ` (${t.remoteNode})` : ''}${t.key ? `, key ${t.key}` : ''}${t.dstPort ? `, udp/${t.dstPort}` : ''}`,
      ]),
    ]),
  );
  if (r.tunnels.length === 0) out.push('  tunnels   none');

  if (r.path) out.push('', ...renderPathText(r.path));
  if (r.warnings.length) out.push('', ...r.warnings.map((w) => `warning: ${w}`));
  return `${out.join('\n')}\n`;
}
