// A stack of undo actions (citty's `cleanup`): everything a run creates registers how to remove
// it the moment it exists, and `run()` undoes it all in reverse order — on success, on error and
// on Ctrl-C — even when one undo fails.

export type CleanupFn = () => void | Promise<void>;

export class Cleanup {
  private readonly stack: { what: string; fn: CleanupFn }[] = [];
  private running: Promise<string[]> | undefined;

  /** Registers an undo; returns a function that runs (and forgets) just this one early. */
  add(what: string, fn: CleanupFn): () => Promise<void> {
    const entry = { what, fn };
    this.stack.push(entry);
    return async () => {
      const i = this.stack.indexOf(entry);
      if (i < 0) return;
      this.stack.splice(i, 1);
      await fn();
    };
  }

  get size(): number {
    return this.stack.length;
  }

  /** Runs every undo, last registered first; resolves to the failures (never throws). Idempotent. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      while (this.stack.length > 0) {
        const { what, fn } = this.stack.pop()!;
        try {
          await fn();
        } catch (e) {
          failures.push(`${what}: ${(e as Error)?.message ?? e}`);
        }
      }
      return failures;
    })();
    return this.running;
  }
}

/**
 * Runs `body` with a Cleanup that always runs afterwards, and with SIGINT/SIGTERM turned into an
 * abort of `signal` (a second signal is reported, not obeyed: cleanup must finish).
 */
export async function withCleanup<T>(
  body: (cleanup: Cleanup, signal: AbortSignal) => Promise<T>,
  opts: {
    onSignal?: (sig: NodeJS.Signals, again: boolean) => void;
    onCleanupFailure?: (f: string[]) => void;
  } = {},
): Promise<T> {
  const cleanup = new Cleanup();
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    opts.onSignal?.(sig, ac.signal.aborted);
    if (!ac.signal.aborted) ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(cleanup, ac.signal);
  } finally {
    const failures = await cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (failures.length > 0) opts.onCleanupFailure?.(failures);
  }
}
