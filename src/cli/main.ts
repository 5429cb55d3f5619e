#!/usr/bin/env node
// nettrace's command line: one file per command; this file only assembles them and turns errors
// into one clear line (a NettraceError's message, never a stack trace).
import { Command, CommanderError } from 'commander';
import { isNettraceError } from '../errors.ts';
import { analyzeCommand } from './analyze.ts';
import { inspectCommand } from './inspect.ts';
import { labCommand } from './lab.ts';
import { topoCommand } from './topo.ts';
import { traceCommand } from './trace.ts';

export function buildProgram(): Command {
  const program = new Command('nettrace')
    .description(
      'Follow packets through a Kubernetes/OpenShift (OVN-Kubernetes) pod network path, hop by hop.\n' +
        'Works against a local lab built on this host (nettrace lab up) or a recorded capture.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // `lab exec pod/x -- cmd -x`: options after the subcommand belong to it.
    .enablePositionalOptions()
    .exitOverride();
  program.addCommand(analyzeCommand());
  program.addCommand(traceCommand());
  program.addCommand(labCommand());
  program.addCommand(inspectCommand());
  program.addCommand(topoCommand());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (isNettraceError(e)) {
      process.stderr.write(`nettrace: ${e.message}\n`);
      return 1;
    }
    if (process.env.NETTRACE_DEBUG) throw e;
    process.stderr.write(
      `nettrace: unexpected error: ${(e as Error)?.message ?? e} (NETTRACE_DEBUG=1 shows the stack)\n`,
    );
    return 70;
  }
}

const invokedAs = process.argv[1] ?? '';
if (/(?:^|[/\\])(?:main\.[jt]s|nettrace|kubectl-nettrace)$/.test(invokedAs)) {
  main(process.argv).then(
    (code) => {
      // exitCode, not exit(): a pipe may still hold unwritten output.
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(70);
    },
  );
}
