// `nettrace lab deploy | undeploy`: the cluster lab (http-svc + dual-container manifests) on a
// cluster, by server-side apply; Routes only where route.openshift.io is served.
import { Command } from 'commander';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { addKubeOptions, dryRun, type KubeFlags, openKubeApi } from './kube-flags.ts';

interface DeployFlags extends KubeFlags {
  namespace: string;
}

export function deployCommand(): Command {
  const cmd = new Command('deploy')
    .description('apply the lab manifests to a cluster (server-side apply; Routes on OpenShift)')
    .option('-n, --namespace <ns>', 'namespace (must exist: oc new-project NS)', LAB_NAMESPACE)
    .action(async (flags: DeployFlags) => {
      if (dryRun(flags, 'lab-deploy', flags.namespace)) return;
      const { deployLab } = await import('../kube/deploy.ts');
      const r = await deployLab(await openKubeApi(flags), {
        namespace: flags.namespace,
        ...(flags.image !== undefined ? { image: flags.image } : {}),
      });
      process.stdout.write(
        `${r.applied.map((a) => `${a} serverside-applied\n`).join('')}${r.routes ? '' : 'no route.openshift.io on this cluster: Routes skipped\n'}`,
      );
    });
  return addKubeOptions(cmd);
}

export function undeployCommand(): Command {
  const cmd = new Command('undeploy')
    .description('delete the lab objects that deploy created (the namespace stays)')
    .option('-n, --namespace <ns>', 'namespace', LAB_NAMESPACE)
    .action(async (flags: DeployFlags) => {
      if (dryRun(flags, 'lab-undeploy', flags.namespace)) return;
      const { undeployLab } = await import('../kube/deploy.ts');
      const r = await undeployLab(await openKubeApi(flags), { namespace: flags.namespace });
      process.stdout.write(
        `${r.deleted.map((d) => `${d} deleted\n`).join('')}${r.absent.map((d) => `${d} not found\n`).join('')}`,
      );
    });
  return addKubeOptions(cmd);
}
