// One userspace Open vSwitch per node: ovsdb-server and `ovs-vswitchd --disable-system` inside the
// node's namespace, with the node's own run/db/log directory; br-int and br-ex (netdev datapath)
// shaped like an OVN-Kubernetes node in shared gateway mode.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetnsHost } from '../hosts/netns.ts';
import { checkAborted, type LabContext, nodeHost, waitFor } from './context.ts';
import { startDaemon } from './daemons.ts';
import type { LabPlan, NodePlan, PodPlan } from './plan.ts';
import { PHYSNET } from './plan.ts';
import { SCHEMAS } from './preflight.ts';

/** The conntrack zone OVN-K uses on br-ex to send replies back to the gateway router or the host. */
export const BR_EX_CT_ZONE = 64000;
const NIC_OFPORT = 1;
const MP0_OFPORT = 2;

function q(v: string): string {
  // ovs-vsctl parses values itself: MACs and lists must be double-quoted inside the argument.
  return `"${v}"`;
}

/** Open_vSwitch external_ids an OVN-K node carries for ovn-controller. */
export function ovsExternalIds(plan: LabPlan, node: NodePlan, sbSocket: string): string[] {
  return [
    `external_ids:system-id=${node.chassis}`,
    `external_ids:hostname=${node.name}`,
    `external_ids:ovn-remote=${q(`unix:${sbSocket}`)}`,
    'external_ids:ovn-encap-type=geneve',
    `external_ids:ovn-encap-ip=${node.ip}`,
    `external_ids:ovn-bridge-mappings=${q(`${PHYSNET}:br-ex`)}`,
    'external_ids:ovn-bridge-datapath-type=netdev',
    `external_ids:ovn-k8s-node-subnet=${q(node.podSubnet)}`,
    `external_ids:ovn-k8s-cluster-network=${q(plan.spec.clusterNetwork)}`,
  ];
}

/** One ovs-vsctl transaction: bridges, the NIC, the management port and every pod's host veth. */
export function ovsBridgeCommands(
  plan: LabPlan,
  node: NodePlan,
  pods: PodPlan[],
  sbSocket: string,
): string[] {
  const argv = [
    'ovs-vsctl',
    '--no-wait',
    'init',
    '--',
    'set',
    'Open_vSwitch',
    '.',
    ...ovsExternalIds(plan, node, sbSocket),
  ];
  const cmd = (...words: string[]) => argv.push('--', ...words);
  cmd('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev', 'fail_mode=secure');
  cmd('add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev', 'fail_mode=secure');
  cmd('set', 'Bridge', 'br-ex', `other_config:hwaddr=${q(node.mac)}`);
  cmd('add-port', 'br-ex', node.nic, '--', 'set', 'Interface', node.nic, `ofport_request=${NIC_OFPORT}`);
  cmd('add-port', 'br-int', 'ovn-k8s-mp0');
  cmd(
    'set',
    'Interface',
    'ovn-k8s-mp0',
    'type=internal',
    `ofport_request=${MP0_OFPORT}`,
    `mac=${q(node.mp0Mac)}`,
    `external_ids:iface-id=${node.mgmtPort}`,
  );
  for (const p of pods) {
    cmd('add-port', 'br-int', p.veth);
    cmd(
      'set',
      'Interface',
      p.veth,
      `external_ids:iface-id=${p.ovnPort}`,
      `external_ids:iface-id-ver=${p.uid}`,
      `external_ids:attached_mac=${q(p.mac)}`,
      `external_ids:ip_addresses=${q(`${p.ip}/${p.prefixLength}`)}`,
      `external_ids:sandbox=${p.sandboxId}`,
    );
  }
  return argv;
}

/** Starts the node's ovsdb-server and ovs-vswitchd and configures its bridges (ports must already exist). */
export async function startNodeOvs(ctx: LabContext, node: NodePlan, pods: PodPlan[]): Promise<NetnsHost> {
  const dir = ctx.paths.nodeDir(node.name);
  const host = nodeHost(ctx, node);
  await mkdir(dir, { recursive: true });
  checkAborted(ctx);
  await ctx
    .ns(node.netns)
    .run(['ovsdb-tool', 'create', join(dir, 'conf.db'), SCHEMAS.vswitch!.path], { check: true });
  await startDaemon(ctx, host, node.netns, 'ovsdb-server', join(dir, 'ovsdb-server.pid'), [
    'ovsdb-server',
    join(dir, 'conf.db'),
    `--remote=punix:${join(dir, 'db.sock')}`,
    '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
  ]);
  await host.run(ovsBridgeCommands(ctx.plan, node, pods, ctx.paths.sbSocket), { check: true });
  // vswitchd detaches only after its first reconfiguration, so the taps br-ex/ovn-k8s-mp0 exist then.
  await startDaemon(ctx, host, node.netns, 'ovs-vswitchd', join(dir, 'ovs-vswitchd.pid'), [
    'ovs-vswitchd',
    `unix:${join(dir, 'db.sock')}`,
    '--disable-system',
    `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
    '-vconsole:off',
  ]);
  return host;
}

/**
 * br-ex as OVN-K's shared gateway programs it: the gateway router's external port and the node
 * stack share the node IP and MAC, so conntrack (zone 64000, mark 1 = from OVN, 2 = from the host)
 * decides whether a reply goes to the patch port or to the host. Geneve to/from the node IP goes
 * through the host port, where the userspace datapath terminates the tunnel.
 */
export function brExFlows(node: NodePlan, patchOfport: number): string {
  const nic = NIC_OFPORT;
  const pp = patchOfport;
  const z = BR_EX_CT_ZONE;
  return [
    `table=0,priority=110,in_port=${nic},udp,nw_dst=${node.ip},tp_dst=6081 actions=LOCAL`,
    `table=0,priority=110,in_port=LOCAL,udp,nw_src=${node.ip},tp_dst=6081 actions=output:${nic}`,
    `table=0,priority=100,in_port=${nic},ip,nw_dst=${node.ip} actions=ct(zone=${z},table=1)`,
    `table=0,priority=100,in_port=${pp},ip actions=ct(commit,zone=${z},exec(set_field:0x1->ct_mark)),output:${nic}`,
    `table=0,priority=100,in_port=LOCAL,ip actions=ct(commit,zone=${z},exec(set_field:0x2->ct_mark)),output:${nic}`,
    `table=0,priority=50,in_port=${nic},arp actions=LOCAL,output:${pp}`,
    `table=0,priority=50,in_port=${pp},arp actions=output:${nic}`,
    `table=0,priority=50,in_port=LOCAL,arp actions=output:${nic}`,
    'table=0,priority=0 actions=NORMAL',
    `table=1,priority=100,ct_state=+est+trk,ct_mark=0x1,ip actions=output:${pp}`,
    `table=1,priority=100,ct_state=+rel+trk,ct_mark=0x1,ip actions=output:${pp}`,
    'table=1,priority=0 actions=LOCAL',
    '',
  ].join('\n');
}

/** Once ovn-controller created the localnet patch port: br-ex's flows and static tunnel neighbours. */
export async function programBrEx(ctx: LabContext, node: NodePlan): Promise<void> {
  const host = nodeHost(ctx, node);
  const ofport = await waitFor(
    ctx,
    `ovn-controller to create ${node.patchPortOnBrEx} on ${node.name}`,
    async () => {
      const r = await host.run([
        'ovs-vsctl',
        '--if-exists',
        'get',
        'Interface',
        node.patchPortOnBrEx,
        'ofport',
      ]);
      const n = Number(r.stdout.trim());
      return r.code === 0 && n > 0 ? n : undefined;
    },
    { timeoutMs: 8000 },
  );
  await host.run(['ovs-ofctl', '-O', 'OpenFlow15', 'replace-flows', 'br-ex', '-'], {
    input: brExFlows(node, ofport),
    check: true,
  });
  // The first packet to a tunnel peer is dropped while OVS resolves its MAC (and again after aging).
  for (const peer of ctx.plan.nodes.filter((n) => n.name !== node.name)) {
    checkAborted(ctx);
    await host.run(['ovs-appctl', 'tnl/neigh/set', 'br-ex', peer.ip, peer.mac], { check: true });
  }
}
