// How nettrace runs tcpdump, and what it reads back from tcpdump's stderr.

export interface TcpdumpOptions {
  interface: string;
  filter?: string;
  snaplen?: number;
}

/**
 * `--immediate-mode` so packets are not held in the kernel buffer, `-U` so each is written as it
 * arrives, nanosecond timestamps for per-hop latency, `-n` (no lookups), `-w -` to stream pcap.
 */
export function tcpdumpArgv(o: TcpdumpOptions): string[] {
  const argv = [
    'tcpdump',
    '--immediate-mode',
    '-U',
    '-n',
    '--time-stamp-precision=nano',
    '-B',
    '4096',
    '-s',
    String(o.snaplen ?? 262144),
    '-i',
    o.interface,
    '-w',
    '-',
  ];
  if (o.filter) argv.push(o.filter);
  return argv;
}

export interface TcpdumpStats {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
}

/** The counters tcpdump prints when it stops ("3 packets captured", ...). */
export function parseTcpdumpStats(stderr: string): TcpdumpStats | undefined {
  const num = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : undefined;
  };
  const captured = num(/(\d+) packets? captured/);
  const received = num(/(\d+) packets? received by filter/);
  const dropped = num(/(\d+) packets? dropped by kernel/);
  if (captured === undefined) return undefined;
  return { captured, receivedByFilter: received ?? captured, droppedByKernel: dropped ?? 0 };
}
