// `crictl inspectp POD` / `crictl inspect CONTAINER` (and `crictl pods|ps -o json`): the CRI status
// plus the runtime's verbose `info`. crictl turns the runtime's Info map ({"info": "<json>"}) into
// `"info": {...}` when the string is JSON; anything reading the CRI API directly (or an old crictl)
// sees the string, so both are accepted. The runtimes fill `info` differently:
//
//   containerd sandbox:   pid, processStatus, image, runtimeType, snapshotter, config, runtimeSpec, cniResult
//   containerd container: sandboxID, pid, snapshotter, runtimeType, config, runtimeSpec
//   CRI-O sandbox:        image, pid, runtimeSpec              (server/sandbox_status.go createSandboxInfo)
//   CRI-O container:      sandboxID, pid, runtimeSpec, privileged   (server/container_status.go)
//
// The network namespace is the `network` entry of runtimeSpec.linux.namespaces: a pinned path for a
// sandbox (/var/run/netns/cni-<uuid> on containerd, /var/run/netns/<uuid> on CRI-O), or
// /proc/<sandbox pid>/ns/net for a containerd container. Host-network pods have no such path.
import { z } from 'zod';
import { fieldWords, parseJsonText, validate, zInt } from './errors.ts';

export type CriRuntime = 'containerd' | 'cri-o' | 'unknown';

export interface CriPodSandbox {
  runtime: CriRuntime;
  id: string;
  name?: string;
  namespace?: string;
  uid?: string;
  attempt?: number;
  /** SANDBOX_READY / SANDBOX_NOTREADY. */
  state?: string;
  createdAt?: string;
  ip?: string;
  additionalIps: string[];
  /** Path of the pod's network namespace, when it has its own. */
  netnsPath?: string;
  /** Pid of the sandbox (pause/infra) process. */
  pid?: number;
  /** CRI namespace modes: POD, CONTAINER, NODE (NODE network = hostNetwork). */
  namespaceModes: { network?: string; pid?: string; ipc?: string };
  /** Every namespace path in runtimeSpec.linux.namespaces, by type (network, ipc, uts, ...). */
  namespacePaths: Record<string, string>;
  /** The sandbox (pause) image. */
  image?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** containerd's cniResult: the interfaces CNI made (host veth, eth0 in the pod). */
  cniInterfaces?: { name: string; mac?: string; sandbox?: string; ips: string[] }[];
}

export interface CriContainer {
  runtime: CriRuntime;
  id: string;
  name?: string;
  attempt?: number;
  sandboxId?: string;
  /** CONTAINER_RUNNING, CONTAINER_EXITED, ... */
  state?: string;
  image?: string;
  imageRef?: string;
  pid?: number;
  netnsPath?: string;
  namespacePaths: Record<string, string>;
  podName?: string;
  podNamespace?: string;
  podUid?: string;
  createdAt?: string;
  startedAt?: string;
  exitCode?: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const strMap = z.record(z.string(), z.string());
const metadata = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  attempt: zInt().optional(),
});
// protobuf-JSON prints int64 timestamps as strings; crictl inspect prints RFC 3339 strings.
const time = z.union([z.string(), z.number()]).transform(String);

const runtimeSpec = z.object({
  linux: z
    .object({ namespaces: z.array(z.object({ type: z.string(), path: z.string().optional() })).optional() })
    .optional(),
});

const info = z.object({
  pid: zInt().optional(),
  image: z.string().optional(),
  sandboxID: z.string().optional(),
  snapshotter: z.string().optional(),
  runtimeType: z.string().optional(),
  runtimeSpec: runtimeSpec.nullable().optional(),
  cniResult: z
    .object({
      Interfaces: z
        .record(
          z.string(),
          z.object({
            Mac: z.string().optional(),
            Sandbox: z.string().optional(),
            IPConfigs: z
              .array(z.object({ IP: z.string() }))
              .nullable()
              .optional(),
          }),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

const podStatus = z.object({
  id: z.string(),
  metadata: metadata.optional(),
  state: z.string().optional(),
  createdAt: time.optional(),
  network: z
    .object({
      ip: z.string().optional(),
      additionalIps: z
        .array(z.object({ ip: z.string() }))
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  linux: z
    .object({
      namespaces: z
        .object({
          // v1alpha1-era runtimes put the netns path here.
          network: z.string().optional(),
          options: z
            .object({
              network: z.string().optional(),
              pid: z.string().optional(),
              ipc: z.string().optional(),
            })
            .nullable()
            .optional(),
        })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  labels: strMap.nullable().optional(),
  annotations: strMap.nullable().optional(),
});

const containerStatus = z.object({
  id: z.string(),
  podSandboxId: z.string().optional(),
  metadata: metadata.optional(),
  state: z.string().optional(),
  createdAt: time.optional(),
  startedAt: time.optional(),
  exitCode: zInt().optional(),
  image: z.object({ image: z.string().optional() }).nullable().optional(),
  imageRef: z.string().optional(),
  labels: strMap.nullable().optional(),
  annotations: strMap.nullable().optional(),
});

/** `info` as an object, a JSON string, or the raw CRI map {"info": "<json>"}: always an object. */
const infoField = z
  .unknown()
  .transform((v, ctx) => {
    let x = v;
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const keys = Object.keys(x);
      if (keys.length === 1 && keys[0] === 'info' && typeof (x as { info: unknown }).info === 'string') {
        x = (x as { info: string }).info;
      }
    }
    if (typeof x === 'string') {
      try {
        x = JSON.parse(x);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is a string but not JSON' });
        return z.NEVER;
      }
    }
    return x;
  })
  .pipe(info.optional());

const where = (path: (string | number)[]) => fieldWords(path);

function runtimeOf(i: z.output<typeof info> | undefined): CriRuntime {
  if (!i) return 'unknown';
  if (i.snapshotter !== undefined || i.runtimeType !== undefined) return 'containerd';
  return 'cri-o';
}

function namespacePaths(i: z.output<typeof info> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ns of i?.runtimeSpec?.linux?.namespaces ?? []) if (ns.path) out[ns.type] = ns.path;
  return out;
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** `crictl inspectp POD` (containerd or CRI-O). Throws ToolOutputError naming the field on bad input. */
export function parseCrictlInspectp(text: string): CriPodSandbox {
  const command = 'crictl inspectp';
  const doc = validate(
    z.object({ status: podStatus, info: infoField.optional() }),
    parseJsonText(text, command),
    command,
    where,
  );
  const { status: s, info: i } = doc;
  const paths = namespacePaths(i);
  const opts = s.linux?.namespaces?.options ?? {};
  const pod: CriPodSandbox = defined({
    runtime: runtimeOf(i),
    id: s.id,
    name: s.metadata?.name,
    namespace: s.metadata?.namespace,
    uid: s.metadata?.uid,
    attempt: s.metadata?.attempt,
    state: s.state,
    createdAt: s.createdAt,
    ip: s.network?.ip || undefined,
    additionalIps: (s.network?.additionalIps ?? []).map((a) => a.ip),
    netnsPath: paths.network ?? (s.linux?.namespaces?.network || undefined),
    pid: i?.pid,
    namespaceModes: defined({ network: opts.network, pid: opts.pid, ipc: opts.ipc }),
    namespacePaths: paths,
    image: i?.image,
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  });
  const ifs = i?.cniResult?.Interfaces;
  if (ifs) {
    pod.cniInterfaces = Object.entries(ifs).map(([name, v]) =>
      defined({
        name,
        mac: v.Mac || undefined,
        sandbox: v.Sandbox || undefined,
        ips: (v.IPConfigs ?? []).map((c) => c.IP),
      }),
    );
  }
  return pod;
}

function containerOf(
  s: z.output<typeof containerStatus>,
  i: z.output<typeof info> | undefined,
): CriContainer {
  const labels = s.labels ?? {};
  const paths = namespacePaths(i);
  return defined({
    runtime: runtimeOf(i),
    id: s.id,
    name: s.metadata?.name,
    attempt: s.metadata?.attempt,
    sandboxId: i?.sandboxID ?? s.podSandboxId,
    state: s.state,
    image: s.image?.image,
    imageRef: s.imageRef,
    pid: i?.pid,
    netnsPath: paths.network,
    namespacePaths: paths,
    podName: labels['io.kubernetes.pod.name'],
    podNamespace: labels['io.kubernetes.pod.namespace'],
    podUid: labels['io.kubernetes.pod.uid'],
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    exitCode: s.exitCode,
    labels,
    annotations: s.annotations ?? {},
  });
}

/** `crictl inspect CONTAINER` (containerd or CRI-O). */
export function parseCrictlInspect(text: string): CriContainer {
  const command = 'crictl inspect';
  const doc = validate(
    z.object({ status: containerStatus, info: infoField.optional() }),
    parseJsonText(text, command),
    command,
    where,
  );
  return containerOf(doc.status, doc.info);
}

/** `crictl pods -o json`: sandboxes without the verbose info (no netns path, no pid). */
export function parseCrictlPods(text: string): CriPodSandbox[] {
  const command = 'crictl pods -o json';
  const doc = validate(
    z.object({ items: z.array(podStatus).nullable() }),
    parseJsonText(text, command),
    command,
    where,
  );
  return (doc.items ?? []).map((s) =>
    defined({
      runtime: 'unknown' as const,
      id: s.id,
      name: s.metadata?.name,
      namespace: s.metadata?.namespace,
      uid: s.metadata?.uid,
      attempt: s.metadata?.attempt,
      state: s.state,
      createdAt: s.createdAt,
      additionalIps: [],
      namespaceModes: {},
      namespacePaths: {},
      labels: s.labels ?? {},
      annotations: s.annotations ?? {},
    }),
  );
}

/** `crictl ps -o json`: containers without the verbose info. */
export function parseCrictlPs(text: string): CriContainer[] {
  const command = 'crictl ps -o json';
  const doc = validate(
    z.object({ containers: z.array(containerStatus).nullable() }),
    parseJsonText(text, command),
    command,
    where,
  );
  return (doc.containers ?? []).map((s) => containerOf(s, undefined));
}
