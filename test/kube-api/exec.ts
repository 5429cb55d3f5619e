// pods/exec of the test API server (test code, not product), over the real WebSocket protocol
// (v5.channel.k8s.io, or v4 when asked): channel 0 stdin, 1 stdout, 2 stderr, 3 the final Status
// (Success, or Failure with an ExitCode cause), 255 "close stdin" from the client. An exec in a lab
// pod's container runs there (the lab's nsenter into its net, pid and mount namespaces); an exec in
// an agent runs in the lab node's namespace with this host's root, through a small shim, since the
// lab has no /host and no crictl:
//   - `chroot /host` is dropped and `/host/…` paths (`nsenter --net=/host/run/netns/X`) lose /host;
//   - `crictl pods|inspectp|inspect -o json` becomes `printf %s JSON`, the JSON being what CRI-O's
//     crictl prints, made from the lab's state (sandbox id, /run/netns path, container host pids).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SpawnedProcess } from '../../src/hosts/host.ts';
import { Lab } from '../../src/lab/lab.ts';
import { LabClusterView } from '../../src/topology/lab-view.ts';
import { crictlJson, type Obj, statusObject } from './objects.ts';

export interface ExecOptions {
  stateDir: string;
  /** Answer 403 to every pods/exec. */
  forbidExec?: boolean;
  /** Refuse (500) an exec whose command matches. */
  failExec?: (argv: string[], pod: string) => boolean;
  /** Offer only this subprotocol (default: v5 then v4, as the client asks). */
  protocol?: 'v5.channel.k8s.io' | 'v4.channel.k8s.io';
}

export interface ExecServer {
  readonly o: ExecOptions;
  readonly requests: { method: string; path: string }[];
  /** Agent pods (and any other created pod): namespace/name → object. */
  readonly created: Map<string, Obj>;
  authorized(req: IncomingMessage): boolean;
}

export class ExecEndpoint {
  private readonly wss: WebSocketServer;
  private readonly running = new Set<SpawnedProcess>();

  constructor(private readonly s: ExecServer) {
    const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered: Set<string>) =>
        (s.o.protocol ? [s.o.protocol] : protocols).find((p) => offered.has(p)) ?? false,
    });
  }

  async stop(): Promise<void> {
    for (const p of this.running) await p.stop('SIGKILL').catch(() => {});
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): undefined {
    const url = new URL(req.url ?? '/', 'http://x');
    this.s.requests.push({ method: 'WS', path: url.pathname });
    const refuse = (code: number, body: Obj): undefined => {
      socket.end(
        `HTTP/1.1 ${code} ${code === 403 ? 'Forbidden' : 'Error'}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(body)}`,
      );
    };
    if (!this.s.authorized(req)) return refuse(401, statusObject(401, 'Unauthorized'));
    const g = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!g) return refuse(404, statusObject(404, 'not found'));
    const [, pns, pname] = g as unknown as [string, string, string];
    if (this.s.o.forbidExec)
      return refuse(
        403,
        statusObject(
          403,
          `pods "${pname}" is forbidden: User "tester" cannot create resource "pods/exec" in API group "" in the namespace "${pns}"`,
        ),
      );
    const argv = url.searchParams.getAll('command');
    const container = url.searchParams.get('container') ?? '';
    if (this.s.o.failExec?.(argv, `${pns}/${pname}`))
      return refuse(500, statusObject(500, 'injected failure'));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.exec(ws, pns, pname, container, argv, url.searchParams.get('stdin') === 'true').catch((e) => {
        sendStatus(ws, {
          kind: 'Status',
          status: 'Failure',
          message: String(e?.message ?? e),
          reason: 'InternalError',
        });
        ws.close();
      });
    });
    return undefined;
  }

  private async exec(
    ws: WebSocket,
    pns: string,
    pname: string,
    container: string,
    argv: string[],
    stdin: boolean,
  ): Promise<void> {
    const agent = this.s.created.get(`${pns}/${pname}`);
    const lab = Lab.open({ stateDir: this.s.o.stateDir });
    let host: { spawn: (a: string[], o: { stdin: 'pipe' | 'ignore' }) => SpawnedProcess };
    if (agent) {
      host = lab.nodeHost(String((agent.spec as Obj).nodeName));
      argv = await this.shim(argv);
    } else host = lab.containerHost(pns, pname, container);
    const p = host.spawn(argv, { stdin: stdin ? 'pipe' : 'ignore' });
    this.running.add(p);
    const frame = (ch: number) => (b: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([ch]), b]));
    };
    p.stdout.on('data', frame(1));
    p.stderr.on('data', frame(2));
    const ends = [p.stdout, p.stderr].map((s) => new Promise((r) => s.on('end', r)));
    p.stdin?.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      const ch = data[0];
      if (ch === 0) p.stdin?.write(data.subarray(1));
      else if (ch === 255 && data[1] === 0) p.stdin?.end();
    });
    // Like kubelet, a closed connection does not stop the command at once.
    ws.on('close', () => {
      setTimeout(() => void p.stop('SIGKILL').catch(() => {}), 5000).unref();
    });
    const code = await p.exited;
    await Promise.all(ends);
    this.running.delete(p);
    const n = code ?? 137;
    sendStatus(
      ws,
      n === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${n}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(n) }] },
          },
    );
    ws.close();
  }

  /** The agent shim (see the header): no /host, and crictl answered from the lab's state. */
  private async shim(argv: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === 'chroot' && argv[i + 1] === '/host') {
        i++;
        continue;
      }
      if (a === 'crictl') {
        const view = new LabClusterView(Lab.open({ stateDir: this.s.o.stateDir }));
        const json = crictlJson(await view.pods(), argv.slice(i + 1));
        return json === undefined
          ? [...out, 'sh', '-c', 'echo "crictl: not found" >&2; exit 1']
          : [...out, 'printf', '%s', json];
      }
      out.push(a.replace(/^(--net=)?\/host\//, '$1/'));
    }
    return out;
  }
}

function sendStatus(ws: WebSocket, s: Obj): void {
  if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(s))]));
}
