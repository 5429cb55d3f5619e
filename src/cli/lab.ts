// `nettrace lab ...`: build, inspect, enter and remove the local lab; print the cluster lab's
// manifests. Flags and printing only — the work is in src/lab/.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { isNettraceError } from '../errors.ts';
import { upLab } from '../lab/builder.ts';
import { execHost, parseExecTarget } from '../lab/exec.ts';
import { Lab } from '../lab/lab.ts';
import { MANIFEST_FILES, renderManifests } from '../lab/manifests.ts';
import { planLab, planNamespaces } from '../lab/plan.ts';
import { requireRoot } from '../lab/preflight.ts';
import { defaultSpec, LAB_NAMESPACE } from '../lab/spec.ts';
import { defaultStateDir, StateStore } from '../lab/state.ts';
import { type LabStatusReport, labStatus } from '../lab/status.ts';
import { teardown } from '../lab/teardown.ts';
import { deployCommand, undeployCommand } from './lab-deploy.ts';
import { scenarioCommand } from './lab-scenario.ts';

const stateDirOption = () =>
  new Option('--state-dir <dir>', 'where the lab keeps its state, sockets and logs').default(
    defaultStateDir(),
    '$NETTRACE_LAB_DIR or /run/nettrace-lab',
  );
const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

function upCommand(): Command {
  return new Command('up')
    .description('build the two-node OVN-Kubernetes lab in network namespaces (needs root)')
    .addOption(stateDirOption())
    .option('--rebuild', 'tear down a lab that is already up and build it again')
    .addOption(outputOption())
    .action(async (opts: { stateDir: string; rebuild?: boolean; output: string }) => {
      const ac = new AbortController();
      const t0 = performance.now();
      const onSignal = (sig: NodeJS.Signals) => {
        if (ac.signal.aborted) err(`nettrace: ${sig} again: still tearing down, please wait`);
        else {
          err(`nettrace: ${sig}: stopping lab up and removing what it built`);
          ac.abort();
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // A closed pipe (`lab up | head`) must not kill us half-way through a build.
      const ignoreEpipe = () => {};
      process.stdout.on('error', ignoreEpipe);
      process.stderr.on('error', ignoreEpipe);
      try {
        const r = await upLab({
          stateDir: opts.stateDir,
          signal: ac.signal,
          ...(opts.rebuild ? { rebuild: true } : {}),
          progress: (m) => err(`lab: [${((performance.now() - t0) / 1000).toFixed(2)}s] ${m}`),
        });
        if (opts.output === 'json') {
          process.stdout.write(
            `${JSON.stringify({ alreadyUp: r.alreadyUp, durationMs: Math.round(r.durationMs), stateDir: opts.stateDir, warnings: r.warnings }, null, 2)}\n`,
          );
          return;
        }
        for (const w of r.warnings) err(`lab: warning: ${w}`);
        if (r.alreadyUp) {
          process.stdout.write(
            `lab is already up (state ${opts.stateDir}); \`nettrace lab up --rebuild\` builds it again\n`,
          );
          return;
        }
        const lab = Lab.open({ stateDir: opts.stateDir });
        process.stdout.write(`lab is up in ${(r.durationMs / 1000).toFixed(2)} s (state ${opts.stateDir})\n`);
        process.stdout.write(`${summary(await labStatus(lab, { checks: false }))}\n`);
        process.stdout.write(
          '\ntry:\n' +
            `  nettrace lab exec pod/nettools-dual-pod -c nettools-container-2 -- curl -s 127.0.0.1:8080/hello.txt\n` +
            '  nettrace lab exec node/worker-0 -- ovs-vsctl show\n' +
            '  nettrace lab status\n',
        );
      } catch (e) {
        if (isNettraceError(e) && e.code === 'lab.interrupted') {
          err(`nettrace: ${e.message}`);
          process.exitCode = 130;
          return;
        }
        throw e;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function downCommand(): Command {
  return new Command('down')
    .description('remove everything the lab created: daemons, namespaces, links, run directories')
    .addOption(stateDirOption())
    .addOption(outputOption())
    .action(async (opts: { stateDir: string; output: string }) => {
      requireRoot('nettrace lab down');
      const store = new StateStore(opts.stateDir);
      if (!store.load()) {
        const leftovers = planNamespaces(planLab(defaultSpec())).filter((n) => existsSync(`/run/netns/${n}`));
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify({ wasUp: false, leftovers })}\n`);
        else process.stdout.write(`no lab is up (no state in ${opts.stateDir})\n`);
        if (leftovers.length) {
          err(
            `nettrace: warning: namespaces ${leftovers.join(', ')} exist without a lab state; remove them with ip netns del`,
          );
        }
        return;
      }
      const r = await teardown(store, { progress: (m) => err(`lab: ${m}`) });
      if (opts.output === 'json') {
        process.stdout.write(
          `${JSON.stringify({ wasUp: true, ...r, durationMs: Math.round(r.durationMs) }, null, 2)}\n`,
        );
        return;
      }
      for (const w of r.warnings) err(`lab: warning: ${w}`);
      process.stdout.write(
        `lab down in ${(r.durationMs / 1000).toFixed(2)} s: stopped ${r.stopped.length} processes, ` +
          `deleted ${r.namespaces.length} network namespaces\n`,
      );
    });
}

function summary(s: LabStatusReport): string {
  const nodes = table([
    ['NODE', 'IP', 'NIC', 'POD SUBNET', 'CHASSIS'],
    ...s.nodes.map((n) => [n.name, n.ip, n.nic, n.podSubnet, n.chassis]),
  ]);
  const pods = table([
    ['NAMESPACE', 'POD', 'NODE', 'IP', 'VETH', 'CONTAINERS'],
    ...s.pods.map((p) => [
      p.namespace,
      p.name,
      p.node,
      p.ip,
      p.veth,
      p.containers.map((c) => `${c.name}${c.running ? ` (pid ${c.pid})` : ' (not running)'}`).join(', '),
    ]),
  ]);
  const services = table([
    ['NAMESPACE', 'SERVICE', 'CLUSTER-IP', 'PORT', 'ENDPOINTS'],
    ...s.services.map((v) => [
      v.namespace,
      v.name,
      v.clusterIP,
      `${v.port}/${v.protocol}`,
      v.endpoints.join(','),
    ]),
  ]);
  return `${nodes}\n\n${pods}\n\n${services}\n\nexternal host ${s.external.name}: ${s.external.ip}`;
}

function health(s: LabStatusReport): string {
  const h = s.health;
  const lines = [
    `daemons: ${h.daemons.filter((d) => d.alive).length}/${h.daemons.length} alive` +
      (h.daemons.some((d) => !d.alive)
        ? ` (dead: ${h.daemons
            .filter((d) => !d.alive)
            .map((d) => `${d.where}/${d.name}`)
            .join(', ')})`
        : ''),
    `ovn ports bound: ${h.ports.filter((p) => p.bound).length}/${h.ports.length}` +
      (h.ports.some((p) => !p.bound)
        ? ` (unbound: ${h.ports
            .filter((p) => !p.bound)
            .map((p) => p.port)
            .join(', ')})`
        : ''),
    ...h.pings.map(
      (p) =>
        `ping ${p.from} -> ${p.to} (${p.ip}): ${p.ok ? `ok${p.rttMs !== undefined ? ` ${p.rttMs} ms` : ''}` : 'FAILED'}`,
    ),
    `overall: ${h.ok ? 'OK' : 'NOT OK'}`,
  ];
  return lines.join('\n');
}

function statusCommand(): Command {
  return new Command('status')
    .description(
      'nodes, pods, services and health (daemons, OVN port bindings, pings); exit code 1 when not healthy',
    )
    .addOption(stateDirOption())
    .addOption(outputOption())
    .option('--no-checks', 'skip the live checks (OVN port bindings, pings)')
    .action(async (opts: { stateDir: string; output: string; checks: boolean }) => {
      requireRoot('nettrace lab status');
      const lab = Lab.tryOpen({ stateDir: opts.stateDir });
      if (!lab) {
        if (opts.output === 'json')
          process.stdout.write(`${JSON.stringify({ status: 'down', stateDir: opts.stateDir })}\n`);
        else process.stdout.write(`no lab is up (no state in ${opts.stateDir})\n`);
        process.exitCode = 1;
        return;
      }
      const s = await labStatus(lab, { checks: opts.checks });
      if (opts.output === 'json') process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else {
        process.stdout.write(
          `lab ${s.status}, started ${s.startedAt} (state ${s.stateDir})\n\n${summary(s)}\n\n${health(s)}\n`,
        );
      }
      if (s.status !== 'up' && opts.output !== 'json') {
        err(
          `nettrace: the lab is ${s.status}, not up: \`nettrace lab down\` removes what is left, then \`nettrace lab up\``,
        );
      }
      if (!s.health.ok) process.exitCode = 1;
    });
}

function execCommand(): Command {
  return new Command('exec')
    .description('run a command on a lab node, in a pod container, or on the external host')
    .argument('<target>', 'node/NAME, pod/NAME (or NAME), host/external, host/central')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('-n, --namespace <ns>', 'namespace of the pod', LAB_NAMESPACE)
    .option('-c, --container <name>', 'container of the pod (default: its first)')
    .addOption(stateDirOption())
    .addHelpText(
      'after',
      `
Examples:
  sudo nettrace lab exec node/worker-0 -- ovs-ofctl dump-flows br-ex
  sudo nettrace lab exec node/worker-1 -- ovn-appctl -t ovn-controller connection-status
  sudo nettrace lab exec pod/nettools-dual-pod -c nettools-container-1 -- ip -br addr
  sudo nettrace lab exec static-server -- ls /tmp/www
  sudo nettrace lab exec host/external -- tcpdump -ni eth0 icmp
`,
    )
    .action(
      async (
        target: string,
        argv: string[],
        opts: { namespace: string; container?: string; stateDir: string },
      ) => {
        requireRoot('nettrace lab exec');
        const t = parseExecTarget(target, {
          namespace: opts.namespace,
          ...(opts.container !== undefined ? { container: opts.container } : {}),
        });
        const host = execHost(Lab.open({ stateDir: opts.stateDir }), t);
        process.exitCode = await host.interactive(argv);
      },
    );
}

function manifestsCommand(): Command {
  return new Command('manifests')
    .description('print (or write) the cluster lab manifests: http-svc.yaml and dual-container.yaml')
    .option('--namespace <ns>', 'namespace of every object', LAB_NAMESPACE)
    .option('--image <image>', 'nettools image of dual-container.yaml (see image/README.md)')
    .option('--nginx-image <image>', 'nginx image of the static-server Deployment')
    .option('--out <dir>', 'write the two files into DIR instead of printing them')
    .action(async (opts: { namespace: string; image?: string; nginxImage?: string; out?: string }) => {
      const files = renderManifests({
        namespace: opts.namespace,
        ...(opts.image ? { image: opts.image } : {}),
        ...(opts.nginxImage ? { nginxImage: opts.nginxImage } : {}),
      });
      if (opts.out) {
        await mkdir(opts.out, { recursive: true });
        for (const f of MANIFEST_FILES) {
          await writeFile(join(opts.out, f), files[f]);
          err(`wrote ${join(opts.out, f)}`);
        }
        return;
      }
      process.stdout.write(MANIFEST_FILES.map((f) => `# Source: ${f}\n${files[f]}`).join('---\n'));
    });
}

export function labCommand(): Command {
  return new Command('lab')
    .description(
      'the local lab (two OVN-Kubernetes nodes in network namespaces) and the cluster lab manifests',
    )
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(execCommand())
    .addCommand(manifestsCommand())
    .addCommand(scenarioCommand())
    .addCommand(deployCommand())
    .addCommand(undeployCommand())
    .addHelpText(
      'after',
      `
Examples:
  sudo nettrace lab up                      # build the lab (about 1 s)
  sudo nettrace lab status -o json
  sudo nettrace lab exec node/worker-0 -- ovs-vsctl show
  sudo nettrace lab exec node/worker-0 -- ovn-nbctl show
  sudo nettrace lab exec pod/nettools-dual-pod -c nettools-container-2 -- curl -s 127.0.0.1:8080/hello.txt
  sudo nettrace lab exec nettools-dual-pod -- ping -c1 203.0.113.10
  sudo nettrace lab scenario all            # the seed's walkthrough as traces, checked
  sudo nettrace lab down
  nettrace lab manifests --out manifests/   # the cluster lab
`,
    );
}
