// Buffered stdout for commands that print many lines (a million `--fields` lines must not be a
// million writes), and the colour decision: only on a terminal, never with NO_COLOR.
import { writeSync } from 'node:fs';

export class Output {
  // One string appended to (a rope V8 flattens once, at the write): cheaper than an array and join.
  private buf = '';
  readonly color: boolean;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.color = Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  }

  line(s: string): void {
    this.write(s + '\n');
  }

  write(s: string): void {
    this.buf += s;
    if (this.buf.length > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf;
    this.buf = '';
    writeAll(this.stream, text);
  }
}

// Synchronous write so output is complete before exit, and a closed pipe (`| head`) ends quietly.
// The string is written as it is (no Buffer made for it) unless the pipe took only part of it.
function writeAll(stream: NodeJS.WriteStream, text: string): void {
  const fd = (stream as unknown as { fd?: number }).fd;
  if (typeof fd !== 'number') {
    stream.write(text);
    return;
  }
  let n = 0;
  for (;;) {
    try {
      n = writeSync(fd, text);
      break;
    } catch (e) {
      onWriteError(e);
    }
  }
  const size = Buffer.byteLength(text);
  if (n >= size) return;
  const data = Buffer.from(text);
  let off = n;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      onWriteError(e);
    }
  }
}

/** EAGAIN (a non-blocking pipe is full): try again; EPIPE: the reader is gone, stop quietly. */
function onWriteError(e: unknown): void {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EAGAIN') return;
  if (code === 'EPIPE') process.exit(0);
  throw e;
}
