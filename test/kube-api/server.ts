// A test API server (test code, not product): the part of the Kubernetes API nettrace uses, backed
// by a running local lab. Pods, nodes and Services are the lab's; pods nettrace creates (node
// agents) are kept in memory and "run" on the lab node named in spec.nodeName. pods/exec speaks
// the real WebSocket protocol (v5.channel.k8s.io, or v4 when asked): channel 0 stdin, 1 stdout,
// 2 stderr, 3 the final Status (Success, or Failure with an ExitCode cause), 255 "close stdin" from
// the client. An exec in a lab pod's container runs there (the lab's nsenter into its net, pid and
// mount namespaces); an exec in an agent runs in the lab node's namespace with this host's root,
// through a small shim, since the lab has no /host and no crictl:
//   - `chroot /host` is dropped and `/host/…` paths (`nsenter --net=/host/run/netns/X`) lose /host;
//   - `crictl pods|inspectp|inspect -o json` becomes `printf %s JSON`, the JSON being what CRI-O's
//     crictl prints, made from the lab's state (sandbox id, /run/netns path, container host pids).
// HTTPS with a self-signed certificate made at start (client-node refuses plain http unless TLS
// verification is off): the kubeconfig carries it as certificate-authority-data.
// Every request needs the bearer token of the kubeconfig this server writes (as `oc login` makes).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SpawnedProcess } from '../../src/hosts/host.ts';
import { Lab } from '../../src/lab/lab.ts';
import { stableUuid } from '../../src/lab/spec.ts';
import { LabClusterView } from '../../src/topology/lab-view.ts';
import {
  crictlJson,
  endpointSliceObject,
  nodeObject,
  type Obj,
  podObject,
  serviceObject,
} from './objects.ts';

export interface FakeApiOptions {
  stateDir: string;
  /** Answer 403 to every pods/exec (the permission message test). */
  forbidExec?: boolean;
  /** Answer 403 to creating pods in the way OpenShift's SCC admission does. */
  forbidPrivileged?: boolean;
  /** Refuse (500) an exec whose command matches: a failure injected mid-trace. */
  failExec?: (argv: string[], pod: string) => boolean;
  /** Offer only this subprotocol (default: v5 then v4, as the client asks). */
  protocol?: 'v5.channel.k8s.io' | 'v4.channel.k8s.io';
  /** Serve route.openshift.io in /apis. */
  openshift?: boolean;
}

interface ApiRequest {
  method: string;
  path: string;
}

export class FakeKubeApi {
  readonly token = randomBytes(12).toString('hex');
  readonly requests: ApiRequest[] = [];
  /** Agent pods (and any other created pod): namespace/name → object. */
  readonly created = new Map<string, Obj>();
  readonly deleted: string[] = [];
  /** Objects written by server-side apply (PATCH application/apply-patch+yaml): path → object. */
  readonly applied = new Map<string, Obj>();
  /** Field managers of those writes, in order. */
  readonly applyManagers: string[] = [];
  /** Pod creations seen, in order. */
  readonly creations: string[] = [];
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly running = new Set<SpawnedProcess>();
  private readonly reads = new Map<string, number>();
  url = '';
  private cert = '';

  constructor(readonly o: FakeApiOptions) {}

  private view(): LabClusterView {
    return new LabClusterView(Lab.open({ stateDir: this.o.stateDir }));
  }

  async start(): Promise<void> {
    const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered: Set<string>) =>
        (this.o.protocol ? [this.o.protocol] : protocols).find((p) => offered.has(p)) ?? false,
    });
    const dir = mkdtempSync(join(tmpdir(), 'nettrace-fakeapi-'));
    let key: string;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      this.cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    this.server = createServer({ key, cert: this.cert }, (req, res) => {
      this.handle(req, res).catch((e) => send(res, 500, status(500, String(e?.stack ?? e))));
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const p of this.running) await p.stop('SIGKILL').catch(() => {});
    for (const c of this.wss?.clients ?? []) c.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }

  /** A kubeconfig for this server: cluster, a token user (as `oc login` writes), context, namespace. */
  writeKubeconfig(path: string, namespace = 'network-trace'): void {
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${this.url}
    certificate-authority-data: ${Buffer.from(this.cert).toString('base64')}
users:
- name: tester/fake
  user:
    token: ${this.token}
- name: nobody
  user:
    token: wrong
contexts:
- name: fake-ctx
  context: {cluster: fake, user: tester/fake, namespace: ${namespace}}
- name: bad-token
  context: {cluster: fake, user: nobody}
current-context: fake-ctx
`,
    );
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  // ---- objects -----------------------------------------------------------------------------------

  private async pods(): Promise<Obj[]> {
    const lab = (await this.view().pods()).map(podObject);
    return [...lab, ...this.created.values()];
  }

  private agentObject(key: string): Obj | undefined {
    const pod = this.created.get(key);
    if (!pod) return undefined;
    // Pending on the first read, Running after: nettrace must wait.
    const n = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, n);
    (pod.status as Obj).phase = n > 1 ? 'Running' : 'Pending';
    return pod;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    this.requests.push({ method: req.method ?? '?', path });
    if (!this.authorized(req)) return send(res, 401, status(401, 'Unauthorized'));
    const m = (re: RegExp) => re.exec(path);
    const selector = url.searchParams.get('labelSelector');
    const filter = (items: Obj[]) => (selector ? items.filter((o) => matches(o, selector)) : items);
    let g: RegExpExecArray | null;
    if (req.method === 'GET' && path === '/apis') {
      const groups = [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }] }];
      if (this.o.openshift)
        groups.push({
          name: 'route.openshift.io',
          versions: [{ groupVersion: 'route.openshift.io/v1', version: 'v1' }],
        });
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const resources: Record<string, [string, string][]> = {
      '/api/v1': [
        ['configmaps', 'ConfigMap'],
        ['services', 'Service'],
        ['pods', 'Pod'],
        ['nodes', 'Node'],
      ],
      '/apis/apps/v1': [['deployments', 'Deployment']],
      ...(this.o.openshift ? { '/apis/route.openshift.io/v1': [['routes', 'Route']] } : {}),
    };
    if (req.method === 'GET' && resources[path])
      return send(res, 200, {
        kind: 'APIResourceList',
        groupVersion: path.replace(/^\/apis?\//, ''),
        resources: resources[path]!.map(([n, kind]) => ({
          name: n,
          kind,
          namespaced: n !== 'nodes',
          verbs: ['get', 'list', 'patch', 'delete'],
        })),
      });
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/apply-patch+yaml')
        return send(res, 415, status(415, `only server-side apply here, not ${req.headers['content-type']}`));
      const body = JSON.parse(await readBody(req)) as Obj;
      this.applied.set(path, body);
      this.applyManagers.push(url.searchParams.get('fieldManager') ?? '');
      return send(res, 200, body);
    }
    if (req.method === 'DELETE' && this.applied.has(path)) {
      const o = this.applied.get(path)!;
      this.applied.delete(path);
      return send(res, 200, o);
    }
    if (req.method === 'GET' && path === '/api/v1/pods')
      return send(res, 200, list('PodList', filter(await this.pods())));
    g = req.method === 'GET' ? m(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/) : null;
    if (g) return send(res, 200, list('PodList', filter((await this.pods()).filter((p) => ns(p) === g![1]))));
    g = req.method === 'GET' ? m(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/) : null;
    if (g) {
      const key = `${g[1]}/${g[2]}`;
      const p = this.agentObject(key) ?? (await this.pods()).find((x) => `${ns(x)}/${name(x)}` === key);
      return p ? send(res, 200, p) : send(res, 404, status(404, `pods "${g[2]}" not found`));
    }
    g = req.method === 'POST' ? m(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/) : null;
    if (g) {
      const body = JSON.parse(await readBody(req)) as Obj;
      const meta = body.metadata as Obj;
      const spec = body.spec as Obj;
      const privileged = JSON.stringify(spec).includes('"privileged":true');
      if (this.o.forbidPrivileged && privileged)
        return send(
          res,
          403,
          status(
            403,
            `pods "${meta.name}" is forbidden: unable to validate against any security context constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount, spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]`,
          ),
        );
      const key = `${g[1]}/${meta.name}`;
      meta.namespace = g[1];
      meta.uid = stableUuid(key);
      body.status = { phase: 'Pending', podIP: '', containerStatuses: [] };
      this.created.set(key, body);
      this.creations.push(key);
      return send(res, 201, body);
    }
    g = req.method === 'DELETE' ? m(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/) : null;
    if (g) {
      const key = `${g[1]}/${g[2]}`;
      const p = this.created.get(key);
      if (!p) return send(res, 404, status(404, `pods "${g[2]}" not found`));
      this.created.delete(key);
      this.deleted.push(key);
      return send(res, 200, p);
    }
    if (req.method === 'GET' && path === '/api/v1/nodes')
      return send(res, 200, list('NodeList', await this.nodes()));
    g = req.method === 'GET' ? m(/^\/api\/v1\/nodes\/([^/]+)$/) : null;
    if (g) {
      const n = (await this.nodes()).find((x) => name(x) === g![1]);
      return n ? send(res, 200, n) : send(res, 404, status(404, `nodes "${g[1]}" not found`));
    }
    g = req.method === 'GET' ? m(/^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/) : null;
    if (g) {
      const svcs = (await this.services()).filter((s) => ns(s) === g![1]);
      if (!g[2]) return send(res, 200, list('ServiceList', svcs));
      const s = svcs.find((x) => name(x) === g![2]);
      return s ? send(res, 200, s) : send(res, 404, status(404, `services "${g[2]}" not found`));
    }
    g =
      req.method === 'GET'
        ? m(/^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/)
        : null;
    if (g)
      return send(
        res,
        200,
        list(
          'EndpointSliceList',
          (await this.slices()).filter((s) => ns(s) === g![1]),
        ),
      );
    return send(
      res,
      404,
      status(404, `the server could not find the requested resource (${req.method} ${path})`),
    );
  }

  private async nodes(): Promise<Obj[]> {
    return (await this.view().nodes()).map(nodeObject);
  }

  private async services(): Promise<Obj[]> {
    return (await this.view().services()).map(serviceObject);
  }

  private async slices(): Promise<Obj[]> {
    return (await this.view().services()).map(endpointSliceObject);
  }

  // ---- exec --------------------------------------------------------------------------------------
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): undefined {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: 'WS', path: url.pathname });
    const refuse = (code: number, body: Obj): undefined => {
      socket.end(
        `HTTP/1.1 ${code} ${code === 403 ? 'Forbidden' : 'Error'}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(body)}`,
      );
    };
    if (!this.authorized(req)) return refuse(401, status(401, 'Unauthorized'));
    const g = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (!g) return refuse(404, status(404, 'not found'));
    const [, pns, pname] = g as unknown as [string, string, string];
    if (this.o.forbidExec)
      return refuse(
        403,
        status(
          403,
          `pods "${pname}" is forbidden: User "tester" cannot create resource "pods/exec" in API group "" in the namespace "${pns}"`,
        ),
      );
    const argv = url.searchParams.getAll('command');
    const container = url.searchParams.get('container') ?? '';
    if (this.o.failExec?.(argv, `${pns}/${pname}`)) return refuse(500, status(500, 'injected failure'));
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
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
    const agent = this.created.get(`${pns}/${pname}`);
    const lab = Lab.open({ stateDir: this.o.stateDir });
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
        const json = await this.crictl(argv.slice(i + 1));
        return json === undefined
          ? [...out, 'sh', '-c', 'echo "crictl: not found" >&2; exit 1']
          : [...out, 'printf', '%s', json];
      }
      out.push(a.replace(/^(--net=)?\/host\//, '$1/'));
    }
    return out;
  }

  private async crictl(args: string[]): Promise<string | undefined> {
    return crictlJson(await this.view().pods(), args);
  }
}

const ns = (o: Obj) => String((o.metadata as Obj).namespace);
const name = (o: Obj) => String((o.metadata as Obj).name);

function matches(o: Obj, selector: string): boolean {
  const labels = ((o.metadata as Obj).labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels[k!] === v;
  });
}

function list(kind: string, items: Obj[]): Obj {
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: '1' }, items };
}

function status(code: number, message: string): Obj {
  const reason =
    code === 403 ? 'Forbidden' : code === 404 ? 'NotFound' : code === 401 ? 'Unauthorized' : 'InternalError';
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function send(res: ServerResponse, code: number, body: Obj): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendStatus(ws: WebSocket, s: Obj): void {
  if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(s))]));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
