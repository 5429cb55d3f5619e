// The cluster flags every cluster-capable command shares (kubectl/oc words): --kubeconfig,
// --context, the node agent's --image and --agent-namespace, and --dry-run (print the API calls and
// the RBAC, do nothing).
import type { Command } from 'commander';
import type { KubeApi } from '../kube/client.ts';
import { callsFor, dryRunText, type Command as KubeCommand } from '../kube/rbac.ts';

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  image?: string;
  agentNamespace?: string;
  dryRun?: boolean;
}

/** `agent: false` for commands that make no node agent (cleanup, lab deploy). */
export function addKubeOptions(cmd: Command, opts: { agent?: boolean } = { agent: true }): Command {
  cmd
    .option('--kubeconfig <file>', 'use a cluster through this kubeconfig (like kubectl/oc)')
    .option('--context <name>', 'kubeconfig context (default: the current one)');
  if (opts.agent !== false)
    cmd
      .option('--image <image>', 'node agent image (default: the nettools image)')
      .option(
        '--agent-namespace <ns>',
        'create the node agents here instead of -n (one whose Pod Security admits privileged pods)',
      );
  return cmd.option(
    '--dry-run',
    'make no change and no API call: print the calls and the ClusterRole they need',
  );
}

/** With --dry-run, prints the plan and returns true: the command then stops. */
export function dryRun(flags: KubeFlags, command: KubeCommand, namespace: string): boolean {
  if (!flags.dryRun) return false;
  process.stdout.write(dryRunText(command, callsFor(command, namespace, flags.agentNamespace ?? namespace)));
  return true;
}

/** The source options these flags give. */
export function kubeSourceOptions(flags: KubeFlags, namespace: string) {
  return {
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(flags.agentNamespace !== undefined ? { agentNamespace: flags.agentNamespace } : {}),
    namespace,
  };
}

/** The API client these flags name; the Kubernetes client library is loaded only now (see open.ts). */
export async function openKubeApi(flags: KubeFlags): Promise<KubeApi> {
  const { KubeApi, loadKubeConfig } = await import('../kube/client.ts');
  return new KubeApi(
    loadKubeConfig({
      ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.context !== undefined ? { context: flags.context } : {}),
    }),
  );
}
