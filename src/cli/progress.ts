// Progress for long reads: on a terminal only, and only once a file has taken more than a second.

export interface Progress {
  update: (file: string, bytesRead: number, fileSize: number, packets: number) => void;
  done: () => void;
}

export function makeProgress(stream: NodeJS.WriteStream): Progress {
  const start = Date.now();
  let shown = false;
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  return {
    update(file, bytesRead, fileSize, packets) {
      if (Date.now() - start < 1000) return;
      shown = true;
      // A pipe has no size: how much has come through it then.
      const done =
        fileSize > 0
          ? `${Math.min(100, Math.floor((bytesRead / fileSize) * 100))}%`
          : `${(bytesRead / 2 ** 20).toFixed(1)} MiB`;
      stream.write(`\r\x1b[Kreading ${file}: ${done} (${packets.toLocaleString('en-US')} packets)`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
