// Real OVN: NB and SB ovsdb-servers plus ovn-northd in the central namespace, ovn-controller on
// each node, and an OVN-Kubernetes-shaped logical topology written with one ovn-nbctl transaction.
// ovn-controller then creates the localnet patch ports and the ovn-<chassis>-0 Geneve ports itself.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../hosts/host.ts';
import { centralHost, checkAborted, type LabContext, nodeHost, settleAll, waitFor } from './context.ts';
import { startDaemon } from './daemons.ts';
import { CLUSTER_ROUTER, JOIN_SWITCH, type LabPlan, type NodePlan, PHYSNET } from './plan.ts';
import { SCHEMAS } from './preflight.ts';
import { podMac, prefixLength } from './spec.ts';

/** Starts OVN_Northbound, OVN_Southbound and ovn-northd in the central namespace (unix sockets only). */
export async function startCentral(ctx: LabContext): Promise<void> {
  const dir = ctx.paths.centralDir;
  const host = centralHost(ctx, ctx.plan.centralNetns);
  await mkdir(dir, { recursive: true });
  const central = ctx.plan.centralNetns;
  await settleAll(
    ctx,
    (['nb', 'sb'] as const).map(async (db) => {
      const file = join(dir, `ovn${db}_db.db`);
      checkAborted(ctx);
      await ctx.ns(central).run(['ovsdb-tool', 'create', file, SCHEMAS[db]!.path], { check: true });
      await startDaemon(ctx, host, central, `ovsdb-server-${db}`, join(dir, `ovn${db}_db.pid`), [
        'ovsdb-server',
        file,
        `--remote=punix:${db === 'nb' ? ctx.paths.nbSocket : ctx.paths.sbSocket}`,
        `--unixctl=${join(dir, `ovn${db}_db.ctl`)}`,
        `--log-file=${join(dir, `ovsdb-server-${db}.log`)}`,
      ]);
    }),
  );
  await startDaemon(ctx, host, central, 'ovn-northd', join(dir, 'ovn-northd.pid'), [
    'ovn-northd',
    `--ovnnb-db=unix:${ctx.paths.nbSocket}`,
    `--ovnsb-db=unix:${ctx.paths.sbSocket}`,
    `--unixctl=${join(dir, 'ovn-northd.ctl')}`,
    `--log-file=${join(dir, 'ovn-northd.log')}`,
  ]);
}

/**
 * The logical topology, as ovn-nbctl argv (one transaction): node switches with the pods and the
 * management port, ovn_cluster_router, join, a gateway router per node pinned to its chassis with
 * SNAT of the node's pod subnet to the node IP, an external switch with localnet port br-ex_<node>,
 * and one load balancer per Service on every node switch and gateway router.
 */
export function northboundCommands(plan: LabPlan): string[] {
  const { spec } = plan;
  const argv = ['ovn-nbctl'];
  const cmd = (...words: string[]) => {
    if (argv.length > 1) argv.push('--');
    argv.push(...words);
  };
  const routerPort = (sw: string, lsp: string, lrp: string) => {
    cmd('lsp-add', sw, lsp);
    cmd('lsp-set-type', lsp, 'router');
    cmd('lsp-set-addresses', lsp, 'router');
    cmd('lsp-set-options', lsp, `router-port=${lrp}`);
  };
  const joinLen = prefixLength(spec.joinNetwork);
  cmd('lr-add', CLUSTER_ROUTER);
  cmd('ls-add', JOIN_SWITCH);
  cmd(
    'lrp-add',
    CLUSTER_ROUTER,
    `rtoj-${CLUSTER_ROUTER}`,
    podMac(plan.joinRouterIp),
    `${plan.joinRouterIp}/${joinLen}`,
  );
  routerPort(JOIN_SWITCH, `jtor-${CLUSTER_ROUTER}`, `rtoj-${CLUSTER_ROUTER}`);
  for (const n of plan.nodes) {
    const len = prefixLength(n.podSubnet);
    cmd('ls-add', n.logicalSwitch);
    cmd('set', 'Logical_Switch', n.logicalSwitch, `other_config:subnet=${n.podSubnet}`);
    cmd('lrp-add', CLUSTER_ROUTER, `rtos-${n.name}`, n.gatewayMac, `${n.gatewayIp}/${len}`);
    routerPort(n.logicalSwitch, `stor-${n.name}`, `rtos-${n.name}`);
    cmd('lsp-add', n.logicalSwitch, n.mgmtPort);
    cmd('lsp-set-addresses', n.mgmtPort, `${n.mp0Mac} ${n.mp0Ip}`);
    for (const p of plan.pods.filter((x) => x.node === n.name)) {
      cmd('lsp-add', n.logicalSwitch, p.ovnPort);
      cmd('lsp-set-addresses', p.ovnPort, `${p.mac} ${p.ip}`);
      cmd('lsp-set-port-security', p.ovnPort, `${p.mac} ${p.ip}`);
      cmd(
        'set',
        'Logical_Switch_Port',
        p.ovnPort,
        `external_ids:pod=true`,
        `external_ids:namespace=${p.namespace}`,
      );
    }
    cmd('lr-add', n.gatewayRouter);
    cmd('set', 'Logical_Router', n.gatewayRouter, `options:chassis=${n.chassis}`);
    cmd('lrp-add', n.gatewayRouter, `rtoj-${n.gatewayRouter}`, podMac(n.joinIp), `${n.joinIp}/${joinLen}`);
    routerPort(JOIN_SWITCH, `jtor-${n.gatewayRouter}`, `rtoj-${n.gatewayRouter}`);
    cmd(
      'lrp-add',
      n.gatewayRouter,
      `rtoe-${n.gatewayRouter}`,
      n.mac,
      `${n.ip}/${prefixLength(spec.underlayNetwork)}`,
    );
    cmd('ls-add', n.externalSwitch);
    routerPort(n.externalSwitch, `etor-${n.gatewayRouter}`, `rtoe-${n.gatewayRouter}`);
    cmd('lsp-add', n.externalSwitch, n.localnetPort);
    cmd('lsp-set-type', n.localnetPort, 'localnet');
    cmd('lsp-set-addresses', n.localnetPort, 'unknown');
    cmd('lsp-set-options', n.localnetPort, `network_name=${PHYSNET}`);
    cmd('lr-route-add', n.gatewayRouter, '0.0.0.0/0', spec.underlayGatewayIp, `rtoe-${n.gatewayRouter}`);
    cmd('lr-route-add', n.gatewayRouter, spec.clusterNetwork, plan.joinRouterIp);
    cmd('lr-nat-add', n.gatewayRouter, 'snat', n.ip, n.podSubnet);
    // Egress of this node's pods leaves through this node's gateway router.
    cmd('--policy=src-ip', 'lr-route-add', CLUSTER_ROUTER, n.podSubnet, n.joinIp);
  }
  for (const s of plan.services) {
    const backends = s.endpoints.map((e) => `${e.ip}:${s.targetPort}`).join(',');
    cmd('lb-add', s.loadBalancer, `${s.clusterIP}:${s.port}`, backends, s.protocol.toLowerCase());
    cmd('set', 'Load_Balancer', s.loadBalancer, `external_ids:k8s.ovn.org/owner=${s.namespace}/${s.name}`);
    for (const n of plan.nodes) {
      cmd('ls-lb-add', n.logicalSwitch, s.loadBalancer);
      cmd('lr-lb-add', n.gatewayRouter, s.loadBalancer);
    }
  }
  return argv;
}

export async function configureNorthbound(ctx: LabContext): Promise<void> {
  checkAborted(ctx);
  await centralHost(ctx, ctx.plan.centralNetns).run(northboundCommands(ctx.plan), { check: true });
}

export async function startOvnController(ctx: LabContext, node: NodePlan): Promise<void> {
  const dir = ctx.paths.nodeDir(node.name);
  await startDaemon(ctx, nodeHost(ctx, node), node.netns, 'ovn-controller', join(dir, 'ovn-controller.pid'), [
    'ovn-controller',
    `unix:${join(dir, 'db.sock')}`,
    `--log-file=${join(dir, 'ovn-controller.log')}`,
  ]);
}

export interface PortBinding {
  logicalPort: string;
  /** Chassis name (OVN system-id) the port is bound to, or undefined when unbound. */
  chassis: string | undefined;
}

/** Port_Binding rows with the name of the chassis each is bound to (`host` must have OVN_SB_DB set). */
export async function portBindings(host: Host): Promise<PortBinding[]> {
  const [pb, ch] = await Promise.all([
    host.run(
      [
        'ovn-sbctl',
        '--format=csv',
        '--no-headings',
        '--data=bare',
        '--columns=logical_port,chassis',
        'list',
        'Port_Binding',
      ],
      {
        check: true,
      },
    ),
    host.run(
      [
        'ovn-sbctl',
        '--format=csv',
        '--no-headings',
        '--data=bare',
        '--columns=_uuid,name',
        'list',
        'Chassis',
      ],
      {
        check: true,
      },
    ),
  ]);
  const names = new Map(csvRows(ch.stdout).map(([uuid, name]) => [uuid ?? '', name ?? '']));
  return csvRows(pb.stdout).map(([logicalPort, chassis]) => ({
    logicalPort: logicalPort ?? '',
    chassis: chassis ? (names.get(chassis) ?? chassis) : undefined,
  }));
}

function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(',').map((f) => f.replace(/^"|"$/g, '')));
}

/** Waits until both chassis registered, every hypervisor caught up with the NB, and every port is bound. */
export async function waitForOvn(ctx: LabContext): Promise<void> {
  const host = centralHost(ctx, ctx.plan.centralNetns);
  const chassis = ctx.plan.nodes.map((n) => n.chassis);
  await waitFor(ctx, 'every ovn-controller to register its chassis', async () => {
    const r = await host.run(['ovn-sbctl', '--bare', '--columns=name', 'list', 'Chassis']);
    const have = new Set(r.stdout.split('\n').map((l) => l.trim()));
    return chassis.every((c) => have.has(c)) ? true : undefined;
  });
  checkAborted(ctx);
  await host.run(['ovn-nbctl', '--wait=hv', '--timeout=20', 'sync'], { check: true, timeoutMs: 25_000 });
  const wanted = new Map<string, string>();
  for (const n of ctx.plan.nodes) wanted.set(n.mgmtPort, n.chassis);
  for (const p of ctx.plan.pods)
    wanted.set(p.ovnPort, ctx.plan.nodes.find((n) => n.name === p.node)!.chassis);
  await waitFor(ctx, 'ovn-controller to bind every pod and management port', async () => {
    const bound = await portBindings(host);
    return [...wanted].every(([port, ch]) => bound.some((b) => b.logicalPort === port && b.chassis === ch))
      ? true
      : undefined;
  });
}
