// The one error type the library throws: a stable `code` for scripts, a message that names the
// thing (file and byte offset, pod, node, field) and the underlying `cause`.

export class NettraceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NettraceError';
  }
}

export function isNettraceError(e: unknown): e is NettraceError {
  return e instanceof NettraceError;
}
