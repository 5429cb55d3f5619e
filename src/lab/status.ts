// `lab status`: what the lab is (nodes, pods, services, external host) and whether it works
// (daemons alive, OVN ports bound to the right chassis, pings across nodes and to the outside).
import type { Lab } from './lab.ts';
import { portBindings } from './ovn.ts';
import { isAlive, type LabStatus } from './state.ts';

export interface DaemonHealth {
  /** `central` or the node name. */
  where: string;
  name: string;
  pid: number | undefined;
  alive: boolean;
}

export interface PortHealth {
  port: string;
  node: string;
  /** The chassis (OVN system-id) it is bound to; undefined when unbound. */
  chassis: string | undefined;
  bound: boolean;
}

export interface PingHealth {
  from: string;
  to: string;
  ip: string;
  ok: boolean;
  rttMs?: number;
}

export interface LabStatusReport {
  stateDir: string;
  status: LabStatus;
  startedAt: string;
  readyAt?: string;
  nodes: { name: string; ip: string; nic: string; netns: string; chassis: string; podSubnet: string }[];
  pods: {
    namespace: string;
    name: string;
    node: string;
    ip: string;
    mac: string;
    netns: string;
    sandboxId: string;
    veth: string;
    containers: { name: string; id: string; pid: number | undefined; running: boolean }[];
  }[];
  services: {
    namespace: string;
    name: string;
    clusterIP: string;
    port: number;
    targetPort: number;
    protocol: string;
    endpoints: string[];
  }[];
  external: { name: string; ip: string; netns: string };
  health: { ok: boolean; daemons: DaemonHealth[]; ports: PortHealth[]; pings: PingHealth[] };
}

/** Collects the report; `checks: false` skips the live checks (OVN queries and pings). */
export async function labStatus(lab: Lab, opts: { checks?: boolean } = {}): Promise<LabStatusReport> {
  const { plan, state } = lab;
  const checks = opts.checks ?? true;
  const nodeByNetns = new Map(plan.nodes.map((n) => [n.netns, n.name]));
  const daemons: DaemonHealth[] = state.resources.flatMap((r) =>
    r.kind === 'daemon'
      ? [
          {
            where: nodeByNetns.get(r.netns) ?? (r.netns === plan.centralNetns ? 'central' : r.netns),
            name: r.name,
            pid: r.pid,
            alive: isAlive(r),
          },
        ]
      : [],
  );
  const pods = lab.pods();
  const [ports, pings] =
    checks && state.status === 'up' ? await Promise.all([portHealth(lab), pingHealth(lab)]) : [[], []];
  const containersUp = pods.every((p) => p.containers.every((c) => c.alive));
  return {
    stateDir: lab.stateDir,
    status: state.status,
    startedAt: state.startedAt,
    ...(state.readyAt ? { readyAt: state.readyAt } : {}),
    nodes: plan.nodes.map((n) => ({
      name: n.name,
      ip: n.ip,
      nic: n.nic,
      netns: n.netns,
      chassis: n.chassis,
      podSubnet: n.podSubnet,
    })),
    pods: pods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      node: p.node,
      ip: p.ip,
      mac: p.mac,
      netns: p.netns,
      sandboxId: p.sandboxId,
      veth: p.veth,
      containers: p.containers.map((c) => ({ name: c.name, id: c.id, pid: c.pid, running: c.alive })),
    })),
    services: plan.services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      clusterIP: s.clusterIP,
      port: s.port,
      targetPort: s.targetPort,
      protocol: s.protocol,
      endpoints: s.endpoints.map((e) => `${e.ip}:${s.targetPort}`),
    })),
    external: { name: plan.external.name, ip: plan.external.ip, netns: plan.external.netns },
    health: {
      ok:
        state.status === 'up' &&
        daemons.every((d) => d.alive) &&
        containersUp &&
        (!checks || (ports.every((p) => p.bound) && pings.every((p) => p.ok))),
      daemons,
      ports,
      pings,
    },
  };
}

async function portHealth(lab: Lab): Promise<PortHealth[]> {
  const { plan } = lab;
  let bindings: Awaited<ReturnType<typeof portBindings>>;
  try {
    bindings = await portBindings(lab.centralHost());
  } catch {
    bindings = [];
  }
  const wanted = [
    ...plan.nodes.map((n) => ({ port: n.mgmtPort, node: n })),
    ...plan.pods.map((p) => ({ port: p.ovnPort, node: lab.node(p.node) })),
  ];
  return wanted.map(({ port, node }) => {
    const chassis = bindings.find((b) => b.logicalPort === port)?.chassis;
    return { port, node: node.name, chassis, bound: chassis === node.chassis };
  });
}

/** From each pod: one pod on another node, and the external host. */
async function pingHealth(lab: Lab): Promise<PingHealth[]> {
  const { plan } = lab;
  const targets = plan.pods.flatMap((from) => {
    const remote = plan.pods.find((to) => to.node !== from.node);
    return [
      ...(remote ? [{ from, to: remote.key, ip: remote.ip }] : []),
      { from, to: plan.external.name, ip: plan.external.ip },
    ];
  });
  return Promise.all(
    targets.map(async ({ from, to, ip }) => {
      const r = await lab.podNetnsHost(from.namespace, from.name).run(['ping', '-c1', '-W1', '-n', ip]);
      const rtt = /time=([\d.]+) ms/.exec(r.stdout)?.[1];
      return { from: from.key, to, ip, ok: r.code === 0, ...(rtt ? { rttMs: Number(rtt) } : {}) };
    }),
  );
}
