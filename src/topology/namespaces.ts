// Which namespaces a pod's containers share: the inode behind each /proc/PID/ns/KIND link (what
// `readlink` shows as `net:[4026532...]`) is the namespace's identity. Two containers with the same
// net inode see the same interfaces (the seed's `ip a` in both); different pid and mnt inodes are
// why `ps` and a file in /tmp differ between them. The stat process's own (`/proc/self`) are the
// node's, since it runs on the node.
import type { ClusterPod } from './cluster-view.ts';
import type { Container, NamespaceKind } from './model.ts';
import { NAMESPACE_KINDS } from './model.ts';
import { contentLines, issue, type ParseIssue, ToolOutputError } from './parsers/errors.ts';

const COMMAND = "stat -L -c '%n %i'";

/** `stat -L -c '%n %i' PATH...`: path → inode. Lines that are not `PATH INODE` are an error naming the line. */
export function parseNamespaceStat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const issues: ParseIssue[] = [];
  for (const { no, line } of contentLines(text)) {
    const m = /^(\/\S+) (\d+)$/.exec(line.trim());
    if (!m) {
      issues.push(
        issue(
          'unrecognized-line',
          COMMAND,
          [no - 1],
          `line ${no}`,
          `not "PATH INODE": ${JSON.stringify(line.trim().slice(0, 60))}`,
        ),
      );
      continue;
    }
    out.set(m[1]!, Number(m[2]));
  }
  if (issues.length) throw new ToolOutputError(issues);
  return out;
}

function inodesOf(pid: number | 'self', stat: Map<string, number>): Partial<Record<NamespaceKind, number>> {
  const ns: Partial<Record<NamespaceKind, number>> = {};
  for (const k of NAMESPACE_KINDS) {
    const v = stat.get(`/proc/${pid}/ns/${k}`);
    if (v !== undefined) ns[k] = v;
  }
  return ns;
}

export interface PodNamespaces {
  containers: Container[];
  netnsInode?: number;
  shared: NamespaceKind[];
  isolated: NamespaceKind[];
  partlyShared: NamespaceKind[];
  host: NamespaceKind[];
  warnings: string[];
}

/** Compares the containers' namespaces, kind by kind, from the stat output. */
export function podNamespaces(pod: ClusterPod, stat: Map<string, number>): PodNamespaces {
  const warnings: string[] = [];
  const containers: Container[] = pod.containers.map((c) => {
    const namespaces = c.pid !== undefined ? inodesOf(c.pid, stat) : {};
    // A pid whose /proc entry is gone: the container stopped since the orchestrator answered.
    const running = c.running && Object.keys(namespaces).length > 0;
    if (c.running && !running)
      warnings.push(`container ${c.name}: pid ${c.pid ?? '?'} has no /proc/PID/ns (exited?)`);
    return {
      name: c.name,
      id: c.id,
      ...(c.pid !== undefined ? { pid: c.pid } : {}),
      running,
      namespaces,
    };
  });
  const live = containers.filter((c) => c.running);
  const hostNs = inodesOf('self', stat);
  const shared: NamespaceKind[] = [];
  const isolated: NamespaceKind[] = [];
  const partlyShared: NamespaceKind[] = [];
  const host: NamespaceKind[] = [];
  for (const k of NAMESPACE_KINDS) {
    const inodes = live.map((c) => c.namespaces[k]).filter((v): v is number => v !== undefined);
    if (hostNs[k] !== undefined && inodes.includes(hostNs[k])) host.push(k);
    if (inodes.length < 2) continue;
    const distinct = new Set(inodes).size;
    if (distinct === 1) shared.push(k);
    else if (distinct === inodes.length) isolated.push(k);
    else partlyShared.push(k);
  }
  if (live.length < 2 && pod.containers.length >= 2)
    warnings.push('fewer than two containers are running: nothing to compare namespaces with');
  const netnsInode = pod.netns !== undefined ? stat.get(pod.netns) : undefined;
  if (pod.netns !== undefined && netnsInode === undefined)
    warnings.push(`the pod's network namespace ${pod.netns} does not exist`);
  for (const c of live) {
    if (netnsInode !== undefined && c.namespaces.net !== undefined && c.namespaces.net !== netnsInode) {
      warnings.push(`container ${c.name} is not in the pod's network namespace ${pod.netns}`);
    }
  }
  return {
    containers,
    ...(netnsInode !== undefined ? { netnsInode } : {}),
    shared,
    isolated,
    partlyShared,
    host,
    warnings,
  };
}

/** `net:[4026532345]`: the readlink form people know, for text output. */
export function nsLink(kind: NamespaceKind, inode: number): string {
  return `${kind}:[${inode}]`;
}
