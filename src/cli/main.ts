#!/usr/bin/env node
// nettrace's command line: one file per command; this file only assembles them and turns errors
// into one clear line (a NettraceError's message, never a stack trace).
import { Command, CommanderError } from 'commander';
import { isNettraceError } from '../errors.ts';

// Each command's module is imported only when that command runs: `analyze` alone would otherwise
// load the lab, topology and trace code (and zod, yaml) on every start, tens of milliseconds per run.
const COMMANDS: readonly (readonly [string, () => Promise<Command>])[] = [
  ['analyze', async () => (await import('./analyze.ts')).analyzeCommand()],
  ['trace', async () => (await import('./trace.ts')).traceCommand()],
  ['lab', async () => (await import('./lab.ts')).labCommand()],
  ['inspect', async () => (await import('./inspect.ts')).inspectCommand()],
  ['topo', async () => (await import('./topo.ts')).topoCommand()],
  ['cleanup', async () => (await import('./cleanup.ts')).cleanupCommand()],
];

/** The command `argv` runs (its first non-option word), when it is one of ours. */
function commandOf(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return COMMANDS.some(([name]) => name === word) ? word : undefined;
}

/**
 * The program with every command, or with only the one `argv` names (help, an unknown command or
 * none at all loads them all, so usage lists every command).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('nettrace')
    .description(
      'Follow packets through a Kubernetes/OpenShift (OVN-Kubernetes) pod network path, hop by hop.\n' +
        'Works on a cluster (--kubeconfig/--context, like kubectl/oc), on a local lab built on this ' +
        'host (nettrace lab up), or offline on captures and recordings.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // `lab exec pod/x -- cmd -x`: options after the subcommand belong to it.
    .enablePositionalOptions()
    .exitOverride();
  const only = commandOf(argv);
  const words = argv.slice(2);
  // `--version` alone needs no command at all.
  if (words.length === 1 && (words[0] === '--version' || words[0] === '-V')) return program;
  for (const [name, load] of COMMANDS) {
    if (only === undefined || name === only) program.addCommand(await load());
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
