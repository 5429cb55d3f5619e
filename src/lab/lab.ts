// A running lab, opened from its state file: the entry point for everything that uses the lab
// after `up` (status, exec, and later inspect/topo/trace). It hands out Hosts for a node, the OVN
// central namespace, a pod's network namespace, a container and the external host.
import { NettraceError } from '../errors.ts';
import { CommandLog } from '../hosts/host.ts';
import { NetnsHost } from '../hosts/netns.ts';
import { centralHost, nodeHost } from './context.ts';
import { type LabPlan, type NodePlan, type PodPlan, planLab } from './plan.ts';
import { labPathEnv } from './preflight.ts';
import { defaultStateDir, isAlive, type LabState, labPaths, StateStore } from './state.ts';
import { CONTAINER_PATH } from './workloads.ts';

export interface ContainerRuntime {
  name: string;
  id: string;
  /** Host pid of the container's init (pid 1 in its pid namespace); undefined if it never started. */
  pid: number | undefined;
  alive: boolean;
}

export interface PodRuntime extends PodPlan {
  nodeIp: string;
  containers: (PodPlan['containers'][number] & ContainerRuntime)[];
}

export class Lab {
  readonly plan: LabPlan;
  readonly paths: ReturnType<typeof labPaths>;
  readonly log: CommandLog;

  private constructor(
    readonly stateDir: string,
    readonly state: LabState,
    log?: CommandLog,
  ) {
    this.plan = planLab(state.spec);
    this.paths = labPaths(stateDir);
    this.log = log ?? new CommandLog();
  }

  /** Opens the lab recorded in `stateDir` (default /run/nettrace-lab or $NETTRACE_LAB_DIR); `lab.not-up` if none. */
  static open(opts: { stateDir?: string; log?: CommandLog } = {}): Lab {
    const dir = opts.stateDir ?? defaultStateDir();
    const state = new StateStore(dir).load();
    if (!state)
      throw new NettraceError('lab.not-up', `no lab is up (no state in ${dir}): run \`nettrace lab up\``);
    return new Lab(dir, state, opts.log);
  }

  /** Like open(), but undefined when no lab state exists. */
  static tryOpen(opts: { stateDir?: string; log?: CommandLog } = {}): Lab | undefined {
    const dir = opts.stateDir ?? defaultStateDir();
    return new StateStore(dir).exists() ? Lab.open(opts) : undefined;
  }

  node(name: string): NodePlan {
    const n = this.plan.nodes.find((x) => x.name === name);
    if (!n) {
      throw new NettraceError(
        'lab.no-node',
        `no node ${name} in the lab (nodes: ${this.plan.nodes.map((x) => x.name).join(', ')})`,
      );
    }
    return n;
  }

  pod(namespace: string, name: string): PodRuntime {
    const p = this.plan.pods.find((x) => x.namespace === namespace && x.name === name);
    if (!p) {
      const known = this.plan.pods.map((x) => `${x.namespace}/${x.name}`).join(', ');
      throw new NettraceError('lab.no-pod', `no pod ${namespace}/${name} in the lab (pods: ${known})`);
    }
    return this.runtime(p);
  }

  pods(): PodRuntime[] {
    return this.plan.pods.map((p) => this.runtime(p));
  }

  private runtime(p: PodPlan): PodRuntime {
    return {
      ...p,
      nodeIp: this.node(p.node).ip,
      containers: p.containers.map((c) => {
        const r = this.state.resources.find(
          (x) => x.kind === 'process' && x.container?.pod === p.key && x.container.name === c.name,
        );
        const ref = r?.kind === 'process' ? r : undefined;
        return { ...c, pid: ref?.pid, alive: ref ? isAlive(ref) : false };
      }),
    };
  }

  /** The node's namespace, with OVS_RUNDIR/OVN_RUNDIR/OVN_NB_DB/OVN_SB_DB set for the client tools. */
  nodeHost(name: string): NetnsHost {
    return nodeHost(this, this.node(name));
  }

  /** The OVN central namespace (NB/SB ovsdb-servers, ovn-northd), with OVN_NB_DB/OVN_SB_DB set. */
  centralHost(): NetnsHost {
    return centralHost(this, this.plan.centralNetns);
  }

  /** The pod's network namespace by name (what a node-side capture of the pod's eth0 uses). */
  podNetnsHost(namespace: string, name: string): NetnsHost {
    const p = this.pod(namespace, name);
    return new NetnsHost(
      { netns: p.netns },
      { log: this.log, env: { PATH: labPathEnv() }, name: `netns/${p.netns}` },
    );
  }

  /** Inside one container: its network, pid and mount namespaces, entered through its host pid. */
  containerHost(namespace: string, name: string, container?: string): NetnsHost {
    const p = this.pod(namespace, name);
    const c = container === undefined ? p.containers[0] : p.containers.find((x) => x.name === container);
    if (!c) {
      throw new NettraceError(
        'lab.no-container',
        `pod ${p.key} has no container ${container} (containers: ${p.containers.map((x) => x.name).join(', ')})`,
      );
    }
    if (c.pid === undefined || !c.alive) {
      throw new NettraceError(
        'lab.container-not-running',
        `container ${c.name} of pod ${p.key} is not running`,
      );
    }
    return new NetnsHost(
      { pid: c.pid, namespaces: ['net', 'pid', 'mnt'] },
      {
        log: this.log,
        env: { PATH: CONTAINER_PATH, HOSTNAME: p.name },
        name: `pod/${p.key}/${c.name}`,
      },
    );
  }

  externalHost(): NetnsHost {
    const x = this.plan.external;
    return new NetnsHost(
      { netns: x.netns },
      { log: this.log, env: { PATH: labPathEnv() }, name: `external/${x.name}` },
    );
  }
}
