// Buffered stdout for commands that print many lines (a million `--fields` lines must not be a
// million writes), and the colour decision: only on a terminal, never with NO_COLOR.
import { writeSync } from 'node:fs';

export class Output {
  private buf: string[] = [];
  private size = 0;
  readonly color: boolean;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.color = Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  }

  line(s: string): void {
    this.write(s + '\n');
  }

  write(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('');
    this.buf = [];
    this.size = 0;
    writeAll(this.stream, text);
  }
}

// Synchronous write so output is complete before exit, and a closed pipe (`| head`) ends quietly.
function writeAll(stream: NodeJS.WriteStream, text: string): void {
  const fd = (stream as unknown as { fd?: number }).fd;
  if (typeof fd !== 'number') {
    stream.write(text);
    return;
  }
  const data = Buffer.from(text);
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}
