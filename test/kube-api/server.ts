// A test API server (test code, not product): the part of the Kubernetes API nettrace uses, backed
// by a running local lab. Pods, nodes and Services are the lab's; pods nettrace creates (node
// agents) are kept in memory and "run" on the lab node named in spec.nodeName; pods/exec is in
// exec.ts. Namespaces (namespaces.ts): those of the lab's pods exist from the start; others are made
// by POST (or server-side apply) and deleted (with what is in them, preconditions honoured); objects
// go only into a namespace that exists, as on a cluster, so a client that forgets to make its
// namespace fails here too. Pod Security (`podSecurity`) refuses privileged pods on POST and on
// server-side apply alike, in the admission's words.
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
import { Lab } from '../../src/lab/lab.ts';
import { stableUuid } from '../../src/lab/spec.ts';
import { LabClusterView } from '../../src/topology/lab-view.ts';
import { ExecEndpoint, type ExecOptions } from './exec.ts';
import { type NamespaceOptions, NamespaceStore } from './namespaces.ts';
import {
  endpointSliceObject,
  nodeObject,
  type Obj,
  podObject,
  serviceObject,
  statusObject as status,
} from './objects.ts';

export interface FakeApiOptions extends ExecOptions, NamespaceOptions {
  /** Answer 403 to creating pods in the way OpenShift's SCC admission does. */
  forbidPrivileged?: boolean;
  /**
   * Pod Security admission: namespace → enforced level (`restricted`, `baseline`); a privileged pod
   * there is refused with the admission's own words.
   */
  podSecurity?: Record<string, string>;
  /** Serve route.openshift.io in /apis. */
  openshift?: boolean;
  /**
   * Hold each pod create this long before it is stored and answered (slow admission): a delete
   * in that window finds nothing, as on a cluster.
   */
  podCreateDelayMs?: number;
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
  /** Namespaces: the lab pods' from the start, and those made by server-side apply. */
  readonly namespaces = new NamespaceStore(this);
  private server: Server | undefined;
  private execs: ExecEndpoint | undefined;
  private readonly reads = new Map<string, number>();
  url = '';
  private cert = '';

  constructor(readonly o: FakeApiOptions) {}

  view(): LabClusterView {
    return new LabClusterView(Lab.open({ stateDir: this.o.stateDir }));
  }

  async start(): Promise<void> {
    this.execs = new ExecEndpoint(this);
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
    this.server.on('upgrade', (req, socket, head) => this.execs!.upgrade(req, socket as Socket, head));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await this.execs?.stop();
    this.namespaces.stop();
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

  authorized(req: IncomingMessage): boolean {
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
        ['namespaces', 'Namespace'],
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
          namespaced: n !== 'nodes' && n !== 'namespaces',
          verbs: ['get', 'list', 'patch', 'delete'],
        })),
      });
    if (req.method === 'PATCH' && req.headers['content-type'] !== 'application/apply-patch+yaml')
      return send(res, 415, status(415, `only server-side apply here, not ${req.headers['content-type']}`));
    if (req.method === 'POST' && path === '/api/v1/namespaces') {
      const [code, o] = await this.namespaces.create(JSON.parse(await readBody(req)) as Obj);
      return send(res, code, o);
    }
    g = m(/^\/api\/v1\/namespaces\/([^/]+)$/);
    if (g) {
      const text = req.method === 'PATCH' || req.method === 'DELETE' ? await readBody(req) : '';
      const body = text ? (JSON.parse(text) as Obj) : undefined;
      const manager = url.searchParams.get('fieldManager') ?? '';
      const [code, o] = await this.namespaces.request(req.method ?? '?', g[1]!, body, manager);
      send(res, code, o);
      if (req.method === 'GET') this.o.afterNamespaceGet?.(g[1]!, code, this.namespaces);
      return;
    }
    g = req.method === 'PATCH' || req.method === 'POST' ? m(/^\/apis?\/.*?\/namespaces\/([^/]+)\//) : null;
    if (g && !(await this.namespaces.get(g[1]!)))
      return send(res, 404, status(404, `namespaces "${g[1]}" not found`));
    if (req.method === 'PATCH') {
      const body = JSON.parse(await readBody(req)) as Obj;
      const pod = m(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/);
      const refusal = pod && this.podSecurityRefusal(pod[1]!, pod[2]!, body);
      if (refusal) return send(res, 403, status(403, refusal));
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
      const refusal = this.podSecurityRefusal(g[1]!, String(meta.name), body);
      if (refusal) return send(res, 403, status(403, refusal));
      if (this.o.podCreateDelayMs) await new Promise((r) => setTimeout(r, this.o.podCreateDelayMs));
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

  /**
   * Pod Security admission's refusal of a privileged pod in a namespace of `podSecurity`, listing
   * what the pod sets that the level forbids, as the admission does; undefined when admitted.
   */
  private podSecurityRefusal(namespace: string, name: string, pod: Obj): string | undefined {
    const level = this.o.podSecurity?.[namespace];
    const spec = (pod.spec ?? {}) as {
      containers?: { name: string; securityContext?: { privileged?: boolean } }[];
      volumes?: { name: string; hostPath?: unknown }[];
    } & Record<string, unknown>;
    const privileged = (spec.containers ?? []).filter((c) => c.securityContext?.privileged);
    if (!level || privileged.length === 0) return undefined;
    const quoted = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');
    const s = (xs: unknown[]) => (xs.length > 1 ? 's' : '');
    const what = [
      `privileged (container${s(privileged)} ${quoted(privileged.map((c) => c.name))} must not set securityContext.privileged=true)`,
    ];
    const hostNs = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true);
    if (hostNs.length) what.push(`host namespaces (${hostNs.map((k) => `${k}=true`).join(', ')})`);
    const hostPath = (spec.volumes ?? []).filter((v) => v.hostPath);
    if (hostPath.length)
      what.push(`hostPath volumes (volume${s(hostPath)} ${quoted(hostPath.map((v) => v.name))})`);
    return `pods "${name}" is forbidden: violates PodSecurity "${level}:latest": ${what.join(', ')}`;
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

function send(res: ServerResponse, code: number, body: Obj): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
