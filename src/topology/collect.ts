// Where discovery's raw material comes from: the live system (commands run through a ClusterView's
// hosts, optionally saved to a folder as they come in) or such a saved folder, read offline. Both
// hand the same texts to the same pure model builders, so a recorded folder replays exactly.
//
// A recorded folder:
//   cluster.json                       what the orchestrator said (nodes, pods, services) + when
//   commands.log                       every command run while recording (host, argv, exit, duration)
//   nodes/<node>/ip-addr.json          ip -j -d addr show            (node namespace)
//               ip-netns-list-id.txt   ip netns list-id
//               ovs-bridges.json       ovs-vsctl --format=json list Bridge
//               ovs-ports.json         ovs-vsctl --format=json list Port
//               ovs-interfaces.json    ovs-vsctl --format=json --columns=... list Interface
//               ovs-open-vswitch.json  ovs-vsctl --format=json list Open_vSwitch
//   pods/<namespace>/<pod>/ip-addr.json     ip -j -d addr show   (pod network namespace)
//                          namespaces.txt   stat -L -c '%n %i' /proc/PID/ns/* /proc/self/ns/* NETNS
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isNettraceError, NettraceError } from '../errors.ts';
import type { ClusterPod, ClusterSnapshot, ClusterView } from './cluster-view.ts';
import { snapshotOf } from './cluster-view.ts';
import { NAMESPACE_KINDS } from './model.ts';
import { fieldWords, parseJsonText, validate } from './parsers/errors.ts';

/** One tool output, with where it came from for messages (`node worker-0: ip -j -d addr show`, a file path). */
export interface RawOutput {
  file: string;
  text: string;
  origin: string;
}

export type Outputs = Map<string, RawOutput>;

interface CommandSpec {
  file: string;
  argv: string[];
  /** Absent (failing) output is tolerated: the model says what it could not tell. */
  optional?: boolean;
}

const IFACE_COLUMNS = [
  '_uuid',
  'name',
  'type',
  'ofport',
  'options',
  'external_ids',
  'mac_in_use',
  'ifindex',
  'link_state',
  'admin_state',
  'mtu',
  'error',
];

/** What runs in a node's namespace, all at once. */
export const NODE_COMMANDS: readonly CommandSpec[] = [
  { file: 'ip-addr.json', argv: ['ip', '-j', '-d', 'addr', 'show'] },
  { file: 'ip-netns-list-id.txt', argv: ['ip', 'netns', 'list-id'], optional: true },
  { file: 'ovs-bridges.json', argv: ['ovs-vsctl', '--format=json', 'list', 'Bridge'] },
  { file: 'ovs-ports.json', argv: ['ovs-vsctl', '--format=json', 'list', 'Port'] },
  {
    file: 'ovs-interfaces.json',
    argv: ['ovs-vsctl', '--format=json', `--columns=${IFACE_COLUMNS.join(',')}`, 'list', 'Interface'],
  },
  {
    file: 'ovs-open-vswitch.json',
    argv: ['ovs-vsctl', '--format=json', '--columns=_uuid,external_ids,ovs_version', 'list', 'Open_vSwitch'],
  },
];

export const POD_NET_COMMAND: CommandSpec = {
  file: 'ip-addr.json',
  argv: ['ip', '-j', '-d', 'addr', 'show'],
};
export const NAMESPACES_FILE = 'namespaces.txt';

/**
 * The paths whose inodes tell the pod's namespaces: each container's, the node's own (`self`: the
 * stat process, which runs in the node's namespaces) and the pod's netns path.
 */
export function namespacePaths(pod: ClusterPod): string[] {
  const pids = pod.containers.flatMap((c) => (c.pid !== undefined ? [String(c.pid)] : []));
  return [
    ...[...pids, 'self'].flatMap((pid) => NAMESPACE_KINDS.map((k) => `/proc/${pid}/ns/${k}`)),
    ...(pod.netns ? [pod.netns] : []),
  ];
}

export interface TopologySource {
  readonly kind: 'live' | 'recorded';
  readonly view: string;
  readonly dir?: string;
  /** What the orchestrator says; its pods may lack the node-side facts until completePod. */
  cluster(): Promise<ClusterSnapshot>;
  /**
   * Adds the node-side facts (sandboxId, netns, container pids) to the pod and to its entry in
   * `cluster()` (the same object, updated in place), so every later reader of the snapshot has them.
   */
  completePod(pod: ClusterPod): Promise<ClusterPod>;
  nodeOutputs(node: string): Promise<Outputs>;
  podOutputs(pod: ClusterPod): Promise<Outputs>;
  /** Live with a record folder: writes commands.log and cluster.json (with the completed pods). */
  finish?(): Promise<void>;
}

function safeName(s: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) {
    throw new NettraceError('topology.bad-name', `${what} "${s}" cannot be a folder name in a recording`);
  }
  return s;
}

export function nodeDir(dir: string, node: string): string {
  return join(dir, 'nodes', safeName(node, 'node name'));
}

export function podDir(dir: string, pod: { namespace: string; name: string }): string {
  return join(dir, 'pods', safeName(pod.namespace, 'namespace'), safeName(pod.name, 'pod name'));
}

/** Runs the commands through a ClusterView's hosts; with `recordDir`, saves every output as it comes. */
export class LiveSource implements TopologySource {
  readonly kind = 'live';
  private snapshot: Promise<ClusterSnapshot> | undefined;
  private recordedAt = '';

  constructor(
    readonly clusterView: ClusterView,
    readonly dir?: string,
  ) {}

  get view(): string {
    return this.clusterView.kind;
  }

  cluster(): Promise<ClusterSnapshot> {
    this.snapshot ??= (async () => {
      const snap = await snapshotOf(this.clusterView);
      this.recordedAt = new Date().toISOString();
      await this.writeCluster(snap);
      return snap;
    })();
    return this.snapshot;
  }

  private async writeCluster(snap: ClusterSnapshot): Promise<void> {
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    const doc = { version: 1, view: this.view, recordedAt: this.recordedAt, ...snap };
    await writeFile(join(this.dir, 'cluster.json'), `${JSON.stringify(doc, null, 2)}\n`);
  }

  async completePod(pod: ClusterPod): Promise<ClusterPod> {
    const snap = await this.cluster();
    const entry = snap.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name) ?? pod;
    const done = await this.clusterView.completePod(entry);
    if (done !== entry) Object.assign(entry, done);
    return entry;
  }

  private async save(dir: string | undefined, outs: RawOutput[]): Promise<void> {
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    await Promise.all(outs.map((o) => writeFile(join(dir, o.file), o.text)));
  }

  async nodeOutputs(node: string): Promise<Outputs> {
    // Alongside the node's commands: the sandbox ids of the pods placed there (a cluster view
    // only). Best effort: without them the node's pod ports are just not checked against them.
    const view = this.clusterView;
    const sandboxes = view.completeNode
      ? this.cluster()
          .then((snap) =>
            view.completeNode?.(
              node,
              snap.pods.filter((p) => p.node === node),
            ),
          )
          .catch(() => undefined)
      : undefined;
    const host = view.nodeHost(node);
    const outs = await Promise.all(
      NODE_COMMANDS.map(async (c): Promise<RawOutput | undefined> => {
        const r = await host.run(c.argv, { check: !c.optional, timeoutMs: 15_000 });
        if (r.code !== 0) return undefined;
        return { file: c.file, text: r.stdout, origin: `node ${node}` };
      }),
    );
    const got = outs.filter((o): o is RawOutput => o !== undefined);
    await sandboxes;
    await this.save(this.dir && nodeDir(this.dir, node), got);
    return new Map(got.map((o) => [o.file, o]));
  }

  async podOutputs(pod: ClusterPod): Promise<Outputs> {
    const where = `pod ${pod.namespace}/${pod.name}`;
    const paths = namespacePaths(pod);
    const statArgv = ['stat', '-L', '-c', '%n %i', ...paths];
    const [net, ns] = await Promise.all([
      this.clusterView.podNetHost(pod).run(POD_NET_COMMAND.argv, { check: true, timeoutMs: 15_000 }),
      // Missing paths (a container that exited) make stat exit 1 but still print the others.
      this.clusterView.nodeHost(pod.node).run(statArgv, { timeoutMs: 15_000 }),
    ]);
    const got: RawOutput[] = [
      { file: POD_NET_COMMAND.file, text: net.stdout, origin: `${where} (network namespace)` },
      { file: NAMESPACES_FILE, text: ns.stdout, origin: `node ${pod.node}` },
    ];
    await this.save(this.dir && podDir(this.dir, pod), got);
    return new Map(got.map((o) => [o.file, o]));
  }

  async finish(): Promise<void> {
    if (!this.dir) return;
    // Again: the pods completed since cluster() was first written now carry their netns and pids.
    if (this.snapshot) await this.writeCluster(await this.snapshot);
    await writeFile(join(this.dir, 'commands.log'), this.clusterView.log.toText());
  }
}

const clusterDoc = z.object({
  version: z.literal(1),
  view: z.string(),
  recordedAt: z.string(),
  nodes: z.array(z.object({ name: z.string(), internalIP: z.string().optional() })),
  pods: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      node: z.string(),
      ips: z.array(z.string()),
      sandboxId: z.string().optional(),
      netns: z.string().optional(),
      containers: z.array(
        z.object({ name: z.string(), id: z.string(), pid: z.int().optional(), running: z.boolean() }),
      ),
    }),
  ),
  services: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      clusterIP: z.string(),
      ports: z.array(
        z.object({
          name: z.string().optional(),
          port: z.int(),
          targetPort: z.int(),
          protocol: z.string(),
        }),
      ),
      endpoints: z.array(z.object({ pod: z.string().optional(), ip: z.string() })),
    }),
  ),
});

/** A folder written by LiveSource (`--record DIR`), read back (`--from DIR`). */
export class RecordedSource implements TopologySource {
  readonly kind = 'recorded';
  private doc: Promise<z.output<typeof clusterDoc>> | undefined;

  constructor(readonly dir: string) {
    if (!existsSync(join(dir, 'cluster.json'))) {
      throw new NettraceError(
        'topology.not-a-recording',
        `${dir} is not a nettrace topology recording (no cluster.json): make one with --record ${dir}`,
      );
    }
  }

  get view(): string {
    return 'recorded';
  }

  private load() {
    this.doc ??= (async () => {
      const file = join(this.dir, 'cluster.json');
      const text = await readFile(file, 'utf8');
      return validate(clusterDoc, parseJsonText(text, file), file, fieldWords);
    })();
    return this.doc;
  }

  /** The view the recording was made through (`lab`). */
  async recordedView(): Promise<string> {
    return (await this.load()).view;
  }

  /** The nodes whose outputs the recording holds. */
  async recordedNodes(): Promise<string[]> {
    try {
      const entries = await readdir(join(this.dir, 'nodes'), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  async recordedAt(): Promise<string> {
    return (await this.load()).recordedAt;
  }

  async cluster(): Promise<ClusterSnapshot> {
    const { nodes, pods, services } = await this.load();
    return { nodes, pods, services };
  }

  /** The recording holds what was completed when it was made. */
  async completePod(pod: ClusterPod): Promise<ClusterPod> {
    return pod;
  }

  private async read(dir: string, files: readonly { file: string; optional?: boolean }[], what: string) {
    const outs = await Promise.all(
      files.map(async (f): Promise<RawOutput | undefined> => {
        const path = join(dir, f.file);
        try {
          return { file: f.file, text: await readFile(path, 'utf8'), origin: path };
        } catch (e) {
          if (f.optional) return undefined;
          throw new NettraceError(
            'topology.not-recorded',
            `${what} was not recorded in ${this.dir} (missing ${path})`,
            { cause: e },
          );
        }
      }),
    );
    return new Map(outs.filter((o): o is RawOutput => o !== undefined).map((o) => [o.file, o]));
  }

  nodeOutputs(node: string): Promise<Outputs> {
    return this.read(nodeDir(this.dir, node), NODE_COMMANDS, `node ${node}`);
  }

  podOutputs(pod: ClusterPod): Promise<Outputs> {
    return this.read(
      podDir(this.dir, pod),
      [POD_NET_COMMAND, { file: NAMESPACES_FILE }],
      `pod ${pod.namespace}/${pod.name}`,
    );
  }
}

/** Runs a parser on one output; its errors get the output's origin in front (node and command, or file). */
export function parseOutput<T>(out: RawOutput, parse: (text: string) => T): T {
  try {
    return parse(out.text);
  } catch (e) {
    if (isNettraceError(e)) throw new NettraceError(e.code, `${out.origin}: ${e.message}`, { cause: e });
    throw e;
  }
}
