// `nettrace cleanup`: deletes every node agent pod nettrace left on the cluster (label
// app.kubernetes.io/managed-by=nettrace): after a run killed with SIGKILL, before the agents'
// own activeDeadlineSeconds ends them.
import { Command } from 'commander';
import { addKubeOptions, dryRun, type KubeFlags, openKubeApi } from './kube-flags.ts';

interface CleanupFlags extends KubeFlags {
  namespace?: string;
}

export function cleanupCommand(): Command {
  const cmd = new Command('cleanup')
    .description('delete the node agent pods nettrace left on the cluster (all namespaces, or -n NS)')
    .option('-n, --namespace <ns>', 'only this namespace (default: every namespace)')
    .action(async (flags: CleanupFlags) => {
      if (dryRun(flags, 'cleanup', flags.namespace ?? '(all namespaces)')) return;
      const api = await openKubeApi(flags);
      const { deleteLeftoverAgents } = await import('../kube/agent.ts');
      const deleted = await deleteLeftoverAgents(api, flags.namespace);
      process.stdout.write(
        deleted.length ? deleted.map((d) => `deleted pod ${d}\n`).join('') : 'no nettrace agent pods left\n',
      );
    });
  return addKubeOptions(cmd, { agent: false });
}
