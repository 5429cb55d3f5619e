// `nettrace inspect POD`: the pod's network facts — containers and their namespaces, the veth pair,
// the OVS port, the node's NIC and tunnels — and with --to the path to a destination. Flags and
// printing only; the work is in src/topology/inspect.ts.
import { Command, Option } from 'commander';
import { withCleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { defaultStateDir } from '../lab/state.ts';
import { renderInspectText } from '../render/inspect-text.ts';
import { inspectPod } from '../topology/inspect.ts';
import { closeTopologySource, openTopologySource } from '../topology/open.ts';
import { addKubeOptions, dryRun, type KubeFlags, kubeSourceOptions } from './kube-flags.ts';

/** `pod/NAME`, `pods/NAME`, `po/NAME` or a bare `NAME`. */
export function parsePodArg(arg: string): string {
  const m = /^(?:(pod|pods|po)\/)?([^/]+)$/.exec(arg);
  if (!m) {
    throw new NettraceError('cli.bad-target', `"${arg}" is not a pod: use pod/NAME (and -n NAMESPACE)`);
  }
  return m[2]!;
}

interface InspectFlags extends KubeFlags {
  namespace: string;
  to?: string;
  lab?: boolean;
  stateDir: string;
  record?: string;
  from?: string;
  output: 'text' | 'json';
}

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description(
      "a pod's network: its containers and which namespaces they share, eth0 and its host veth, the OVS " +
        "port, the node's NIC and tunnels; with --to, the path to a destination hop by hop",
    )
    .argument('<pod>', 'pod/NAME (or NAME)')
    .option('-n, --namespace <ns>', 'namespace of the pod', LAB_NAMESPACE)
    .option('--to <dest>', 'also show the path to pod/NAME, svc/NAME[:PORT], node/NAME or an IP')
    .option('--lab', 'use the local lab (the default without --kubeconfig)')
    .addOption(
      new Option('--state-dir <dir>', "the lab's state dir").default(
        defaultStateDir(),
        '$NETTRACE_LAB_DIR or /run/nettrace-lab',
      ),
    )
    .option('--record <dir>', 'save every tool output read into DIR (replay with --from DIR)')
    .option('--from <dir>', 'read a recording made with --record instead of the live system')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  sudo nettrace inspect pod/nettools-dual-pod -n network-trace
  sudo nettrace inspect pod/nettools-dual-pod --to pod/static-server
  sudo nettrace inspect nettools-dual-pod --to svc/static-server -o json
  sudo nettrace inspect nettools-dual-pod --to 203.0.113.10
  sudo nettrace inspect nettools-dual-pod --to node/worker-1 --record /tmp/rec
  nettrace inspect nettools-dual-pod --to pod/static-server --from /tmp/rec
`,
    )
    .action(async (podArg: string, flags: InspectFlags) => {
      if (dryRun(flags, 'inspect', flags.namespace)) return;
      if (flags.lab && flags.kubeconfig !== undefined)
        throw new NettraceError('cli.bad-options', '--lab and --kubeconfig exclude each other');
      const name = parsePodArg(podArg);
      const source = await openTopologySource({
        command: 'nettrace inspect',
        stateDir: flags.stateDir,
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        ...(flags.record !== undefined ? { record: flags.record } : {}),
        ...kubeSourceOptions(flags, flags.namespace),
      });
      const { result } = await withCleanup(async (cleanup) => {
        cleanup.add('delete the node agents', () => closeTopologySource(source));
        return inspectPod(source, flags.namespace, name, {
          ...(flags.to !== undefined ? { to: flags.to } : {}),
        });
      });
      process.stdout.write(
        flags.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderInspectText(result),
      );
    });
  return addKubeOptions(cmd);
}
