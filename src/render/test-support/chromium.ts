// Headless Chromium for tests that look at a rendered page (Debian's /usr/bin/chromium, or $CHROMIUM).
// Each run gets its own profile folder and no network chatter; the whole process group is killed
// when Chromium exits or overstays, so no renderer or zygote outlives the test.
import { type ChildProcess, spawn } from 'node:child_process';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Runs headless Chromium with a fresh profile; kills its whole process group when done or late. */
export function chromium(
  args: string[],
  profile: string,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      CHROMIUM,
      [
        '--headless',
        // Tests run as root, where Chromium refuses to start its sandbox.
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`chromium did not finish within ${timeoutMs} ms: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, stdout, stderr });
    });
  });
}
