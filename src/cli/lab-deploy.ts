// `nettrace lab deploy | undeploy`: the cluster lab (http-svc + dual-container manifests) on a
// cluster, by server-side apply; Routes only where route.openshift.io is served. Deploy makes the
// namespace when it is missing (labelled, so undeploy removes it again); undeploy leaves a
// namespace it did not make.
import { Command } from 'commander';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { addKubeOptions, dryRun, type KubeFlags, openKubeApi } from './kube-flags.ts';

interface DeployFlags extends KubeFlags {
  namespace: string;
}

export function deployCommand(): Command {
  const cmd = new Command('deploy')
    .description(
      'apply the lab manifests to a cluster (server-side apply; Routes on OpenShift); creates the namespace when missing',
    )
    .option(
      '-n, --namespace <ns>',
      'namespace; created when missing, labelled app.kubernetes.io/managed-by=nettrace so undeploy removes it (an existing one is used as it is)',
      LAB_NAMESPACE,
    )
    .option('--image <image>', 'image of the lab pods (default: the nettools image)')
    .addHelpText(
      'after',
      `
Examples:
  nettrace lab deploy                                # into network-trace, made if missing
  nettrace lab deploy -n my-lab --image quay.io/me/nettools:1
  nettrace lab deploy --kubeconfig ~/.kube/ocp --context admin
  nettrace lab deploy -n my-lab --dry-run            # the API calls and the ClusterRole, nothing done
  nettrace lab undeploy -n my-lab                    # the objects, and my-lab if deploy made it
`,
    )
    .action(async (flags: DeployFlags) => {
      if (dryRun(flags, 'lab-deploy', flags.namespace)) return;
      const { deployLab } = await import('../kube/deploy.ts');
      const r = await deployLab(await openKubeApi(flags), {
        namespace: flags.namespace,
        ...(flags.image !== undefined ? { image: flags.image } : {}),
      });
      process.stdout.write(
        `${r.namespaceCreated ? `namespace/${r.namespace} created\n` : ''}${r.applied.map((a) => `${a} serverside-applied\n`).join('')}${r.routes ? '' : 'no route.openshift.io on this cluster: Routes skipped\n'}`,
      );
    });
  // --image is the lab pods' image here, not the node agent's: declared above.
  return addKubeOptions(cmd, { agent: false });
}

const NAMESPACE_LINE = {
  deleted: 'deleted',
  kept: 'kept (not made by nettrace)',
  absent: 'not found',
  terminating: 'already being deleted',
} as const;

export function undeployCommand(): Command {
  const cmd = new Command('undeploy')
    .description(
      'delete the lab objects that deploy applied, and the namespace when deploy made it (its label)',
    )
    .option(
      '-n, --namespace <ns>',
      'namespace; deleted only when labelled app.kubernetes.io/managed-by=nettrace (made by deploy)',
      LAB_NAMESPACE,
    )
    .addHelpText(
      'after',
      `
Examples:
  nettrace lab undeploy                              # network-trace: objects, then the namespace if deploy made it
  nettrace lab undeploy -n my-lab --kubeconfig ~/.kube/ocp
  nettrace lab undeploy -n my-lab --dry-run          # the API calls and the ClusterRole, nothing done
`,
    )
    .action(async (flags: DeployFlags) => {
      if (dryRun(flags, 'lab-undeploy', flags.namespace)) return;
      const { undeployLab } = await import('../kube/deploy.ts');
      const r = await undeployLab(await openKubeApi(flags), { namespace: flags.namespace });
      process.stdout.write(
        `${r.deleted.map((d) => `${d} deleted\n`).join('')}${r.absent.map((d) => `${d} not found\n`).join('')}namespace/${flags.namespace} ${NAMESPACE_LINE[r.namespace]}\n`,
      );
    });
  return addKubeOptions(cmd, { agent: false });
}
