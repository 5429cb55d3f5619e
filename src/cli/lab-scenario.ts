// `nettrace lab scenario NAME|all`: the seed's walkthrough on the lab — each scenario a real trace
// whose lesson is checked against its findings. With --up/--down it builds and removes the lab
// around the run (the demo). Flags and printing only; the scenarios are in src/lab/scenarios.ts.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { withCleanup } from '../cleanup.ts';
import { NettraceError } from '../errors.ts';
import { upLab } from '../lab/builder.ts';
import { requireRoot } from '../lab/preflight.ts';
import { findScenario, runScenario, SCENARIOS, type ScenarioRun } from '../lab/scenarios.ts';
import { defaultStateDir, StateStore } from '../lab/state.ts';
import { teardown } from '../lab/teardown.ts';
import { bold } from '../render/table.ts';
import { renderTraceText } from '../render/trace-text.ts';
import { LiveSource } from '../topology/collect.ts';
import { openTopologySource } from '../topology/open.ts';
import { Output } from './output.ts';

interface ScenarioFlags {
  stateDir: string;
  out: string;
  up?: boolean;
  down?: boolean;
  output: 'text' | 'json';
}

function say(m: string): void {
  process.stderr.write(`${m}\n`);
}

function renderRun(r: ScenarioRun, color: boolean): string {
  const lines = [bold(`=== ${r.scenario.name}: ${r.scenario.title}`, { color }), ''];
  if (r.inspect) {
    const i = r.inspect;
    lines.push(
      `namespaces of ${i.pod}'s containers: shared ${i.sharedNamespaces.join(', ') || 'none'}; ` +
        `isolated ${i.isolatedNamespaces.join(', ') || 'none'}`,
    );
    for (const c of i.containers) {
      lines.push(
        `  ${c.name.padEnd(22)} pid ${c.pid ?? '-'}  net:[${c.namespaces.net}] pid:[${c.namespaces.pid}] mnt:[${c.namespaces.mnt}]`,
      );
    }
    lines.push('');
  }
  lines.push(renderTraceText(r.trace, { color, maxJourneys: 8 }), '');
  for (const c of r.checks) lines.push(`  ${c.ok ? '✓' : '✗'} ${c.what}`);
  return lines.join('\n');
}

export function scenarioCommand(): Command {
  return new Command('scenario')
    .description("run the seed's walkthrough on the lab as traces, and check what each must show")
    .argument('<name>', `one of ${SCENARIOS.map((s) => s.name).join(', ')}, or all`)
    .addOption(
      new Option('--state-dir <dir>', "the lab's state dir").default(
        defaultStateDir(),
        '$NETTRACE_LAB_DIR or /run/nettrace-lab',
      ),
    )
    .option('--out <dir>', 'where the bundles go (one folder per scenario)', 'nettrace-scenarios')
    .option('--up', 'build the lab first if it is not up')
    .option('--down', 'remove the lab afterwards (also after an error)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(24)} ${s.title}`).join('\n')}

Examples:
  sudo nettrace lab scenario pod-to-external
  sudo nettrace lab scenario all --up --down --out ./demo     # what npm run demo does`,
    )
    .action(async (name: string, flags: ScenarioFlags) => {
      const chosen = findScenario(name);
      if (chosen.length === 0) {
        throw new NettraceError(
          'lab.no-scenario',
          `no scenario "${name}" (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}, all)`,
        );
      }
      requireRoot('nettrace lab scenario');
      const runs: ScenarioRun[] = [];
      const o = new Output(process.stdout);
      await withCleanup(
        async (cleanup, signal) => {
          if (flags.down) {
            cleanup.add('lab down', async () => {
              const store = new StateStore(flags.stateDir);
              if (store.load()) {
                const r = await teardown(store);
                say(`lab: down in ${(r.durationMs / 1000).toFixed(2)} s`);
              }
            });
          }
          if (flags.up) {
            const r = await upLab({ stateDir: flags.stateDir, signal, progress: (m) => say(`lab: ${m}`) });
            say(r.alreadyUp ? 'lab: already up' : `lab: up in ${(r.durationMs / 1000).toFixed(2)} s`);
          }
          const source = await openTopologySource({
            command: 'nettrace lab scenario',
            stateDir: flags.stateDir,
          });
          if (!(source instanceof LiveSource))
            throw new NettraceError('lab.not-live', 'scenarios need the live lab');
          for (const s of chosen) {
            if (signal.aborted) break;
            say(`scenario ${s.name}: ${s.title}`);
            const run = await runScenario(s, source, {
              out: join(flags.out, s.name),
              cleanup,
              signal,
              progress: (m) => say(`  ${m}`),
            });
            runs.push(run);
            if (flags.output === 'text') {
              o.line(renderRun(run, o.color));
              o.line('');
              o.flush();
            }
          }
        },
        {
          onSignal: (sig) => say(`nettrace: ${sig}: stopping and cleaning up`),
          onCleanupFailure: (f) => say(`nettrace: cleanup problems: ${f.join('; ')}`),
        },
      );
      const failed = runs.flatMap((r) =>
        r.checks.filter((c) => !c.ok).map((c) => `${r.scenario.name}: ${c.what}`),
      );
      const total = runs.reduce((n, r) => n + r.checks.length, 0);
      if (flags.output === 'json') {
        o.line(
          JSON.stringify(
            runs.map((r) => ({
              scenario: r.scenario.name,
              checks: r.checks,
              bundle: r.trace.bundle,
              inspect: r.inspect,
              trace: r.trace,
            })),
            null,
            2,
          ),
        );
      } else {
        o.line(`${runs.length} scenarios, ${total - failed.length} of ${total} checks hold`);
        for (const r of runs)
          o.line(`  ${r.scenario.name.padEnd(24)} ${join(r.trace.bundle ?? '', 'report.html')}`);
        for (const f of failed) o.line(`  ✗ ${f}`);
      }
      o.flush();
      if (failed.length > 0 || runs.length < chosen.length) process.exitCode = 1;
    });
}
