// `nettrace topo [node/NAME...]`: a node's bridges, ports, patch pairs, tunnels and NIC as a drawing
// (ascii), a diagram (mermaid, dot) or the model (json). Flags and printing only.
import { Command, Option } from 'commander';
import { withCleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { LAB_NAMESPACE } from '../lab/spec.ts';
import { defaultStateDir } from '../lab/state.ts';
import { renderTopologyAscii } from '../render/topology-ascii.ts';
import { renderTopologyDot } from '../render/topology-dot.ts';
import { renderTopologyMermaid } from '../render/topology-mermaid.ts';
import { RecordedSource } from '../topology/collect.ts';
import { discover } from '../topology/discover.ts';
import { closeTopologySource, openTopologySource } from '../topology/open.ts';
import { addKubeOptions, dryRun, type KubeFlags, kubeSourceOptions } from './kube-flags.ts';

/** `node/NAME`, `nodes/NAME` or a bare `NAME`. */
export function parseNodeArg(arg: string): string {
  const m = /^(?:(node|nodes|no)\/)?([^/]+)$/.exec(arg);
  if (!m) throw new NettraceError('cli.bad-target', `"${arg}" is not a node: use node/NAME`);
  return m[2]!;
}

interface TopoFlags extends KubeFlags {
  output: 'ascii' | 'mermaid' | 'dot' | 'json';
  pod?: string[];
  namespace: string;
  allPorts?: boolean;
  stateDir: string;
  record?: string;
  from?: string;
}

export function topoCommand(): Command {
  const cmd = new Command('topo')
    .description("the nodes' plumbing: br-ex with the NIC and patch, br-int with mp0, tunnels and pod ports")
    .argument('[nodes...]', 'node/NAME ... (default: every node)')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['ascii', 'mermaid', 'dot', 'json'])
        .default('ascii'),
    )
    .option(
      '--pod <name>',
      'a pod of interest: named in the drawing and entered (eth0, namespaces); repeatable',
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option('-n, --namespace <ns>', 'namespace of the --pod pods', LAB_NAMESPACE)
    .option('--all-ports', 'draw every pod port instead of folding them into a count')
    .addOption(
      new Option('--state-dir <dir>', "the lab's state dir").default(
        defaultStateDir(),
        '$NETTRACE_LAB_DIR or /run/nettrace-lab',
      ),
    )
    .option('--record <dir>', 'save every tool output read into DIR (replay with --from DIR)')
    .option('--from <dir>', 'read a recording made with --record instead of the live system')
    .addHelpText(
      'after',
      `
Examples:
  sudo nettrace topo node/worker-0
  sudo nettrace topo node/worker-0 --pod nettools-dual-pod
  sudo nettrace topo -o mermaid > topo.mmd
  sudo nettrace topo -o dot | dot -Tsvg > topo.svg
  sudo nettrace topo node/worker-1 -o json --record /tmp/rec
  nettrace topo node/worker-1 --from /tmp/rec
`,
    )
    .action(async (nodeArgs: string[], flags: TopoFlags) => {
      if (dryRun(flags, 'topo', flags.namespace)) return;
      const source = await openTopologySource({
        command: 'nettrace topo',
        stateDir: flags.stateDir,
        ...(flags.from !== undefined ? { from: flags.from } : {}),
        ...(flags.record !== undefined ? { record: flags.record } : {}),
        ...kubeSourceOptions(flags, flags.namespace),
      });
      await withCleanup(async (cleanup) => {
        cleanup.add('delete the node agents', () => closeTopologySource(source));
        const cluster = await source.cluster();
        const nodes = nodeArgs.length
          ? nodeArgs.map(parseNodeArg)
          : source instanceof RecordedSource
            ? await source.recordedNodes()
            : cluster.nodes.map((n) => n.name);
        const pods = (flags.pod ?? []).map((p) => {
          const name = p.replace(/^(pod|pods|po)\//, '');
          return name.includes('/')
            ? { namespace: name.slice(0, name.indexOf('/')), name: name.slice(name.indexOf('/') + 1) }
            : { namespace: flags.namespace, name };
        });
        const topology = await discover(source, { nodes, pods });
        // Only the nodes asked for: a --pod elsewhere must not add its node to the drawing.
        topology.nodes = topology.nodes.filter((n) => nodes.includes(n.name));
        const opts = {
          pods: pods.map((p) => `${p.namespace}/${p.name}`),
          ...(flags.allPorts ? { maxPodPorts: Number.POSITIVE_INFINITY } : {}),
        };
        const text =
          flags.output === 'json'
            ? `${JSON.stringify(topology, null, 2)}\n`
            : flags.output === 'mermaid'
              ? renderTopologyMermaid(topology, opts)
              : flags.output === 'dot'
                ? renderTopologyDot(topology, opts)
                : renderTopologyAscii(topology, opts);
        process.stdout.write(text);
      });
    });
  return addKubeOptions(cmd);
}
