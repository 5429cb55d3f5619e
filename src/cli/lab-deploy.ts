// `nettrace lab deploy | undeploy`: the cluster lab (http-svc + dual-container manifests) on a
// cluster, by server-side apply; Routes only where route.openshift.io is served. Deploy creates the
// namespace when it is missing (labelled, so undeploy removes it again) and never adopts an
// existing one; undeploy deletes only a namespace deploy made, still the same, holding nothing else.
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
      // Each line as it is done: a failure mid-way still shows what is on the cluster.
      const r = await deployLab(
        await openKubeApi(flags),
        { namespace: flags.namespace, ...(flags.image !== undefined ? { image: flags.image } : {}) },
        (line) => process.stdout.write(`${line}\n`),
      );
      if (!r.routes) process.stdout.write('no route.openshift.io on this cluster: Routes skipped\n');
    });
  // --image is the lab pods' image here, not the node agent's: declared above.
  return addKubeOptions(cmd, { agent: false });
}

const NAMESPACE_LINE = {
  deleted: 'deleted',
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
      'namespace; deleted only when labelled app.kubernetes.io/managed-by=nettrace (made by deploy), still the same and holding nothing else (below)',
      LAB_NAMESPACE,
    )
    .addHelpText(
      'after',
      `
The namespace is deleted only when deploy made it (the label), it is still the one undeploy read
(same uid: not deleted and made again meanwhile), and it holds no pods but the lab's and nettrace's
node agents: deleting a namespace deletes everything in it. Otherwise it is kept and the last line
says why: namespace/NS kept (not made by nettrace | it holds other pods: a, b | you may not read it
| you may not list its pods | it changed after undeploy read it: not deleted).

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
      const ns = r.namespace === 'kept' ? `kept (${r.keptBecause})` : NAMESPACE_LINE[r.namespace];
      process.stdout.write(
        `${r.deleted.map((d) => `${d} deleted\n`).join('')}${r.absent.map((d) => `${d} not found\n`).join('')}namespace/${flags.namespace} ${ns}\n`,
      );
    });
  return addKubeOptions(cmd, { agent: false });
}
