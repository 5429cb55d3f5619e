// Namespaces of the test API server (test code, not product): GET, POST (create), server-side apply
// and DELETE of /api/v1/namespaces[/NAME]. The namespaces of the lab's pods exist from the start
// (unlabelled, as a project a user made); others exist once created. Each namespace has a uid (a
// new one when made again) and a resourceVersion (bumped on every change), and a DELETE honours
// the preconditions on them, as the API server does (409). Deleting one is what the namespace
// controller does: Terminating for a while (namespaceDeletionMs), then gone with everything in it.
// `afterNamespaceGet` lets a test act as someone else between nettrace's read and its next call.
import type { LabClusterView } from '../../src/topology/lab-view.ts';
import { namespaceObject, type Obj, statusObject as status } from './objects.ts';

export interface NamespaceOptions {
  /** Answer 403 to creating a namespace (a user without create on namespaces). */
  forbidNamespaceCreate?: boolean;
  /** Answer 403 to reading a namespace, as Kubernetes does for one the user may not see. */
  forbidNamespaceGet?: boolean;
  /** How long a deleted namespace stays Terminating before it is gone (default 0: at once). */
  namespaceDeletionMs?: number;
  /**
   * Called right after a GET of a namespace was answered (with its status), before the client
   * can make its next call: a test makes, replaces or relabels the namespace there, as another
   * user would in between.
   */
  afterNamespaceGet?: (name: string, status: number, store: NamespaceStore) => void;
}

export interface NamespaceServer {
  readonly o: NamespaceOptions;
  /** Applied objects by path, and created pods by namespace/name: a deleted namespace empties them. */
  readonly applied: Map<string, Obj>;
  readonly created: Map<string, Obj>;
  readonly applyManagers: string[];
  view(): LabClusterView;
}

type Labels = Record<string, string>;
const meta = (o: Obj) => o.metadata as Obj;

export class NamespaceStore {
  private readonly byName = new Map<string, Obj>();
  private seeded = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private version = 1;
  private generation = 0;

  constructor(private readonly s: NamespaceServer) {}

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  /** The namespace NAME, or undefined. */
  async get(name: string): Promise<Obj | undefined> {
    if (!this.seeded) {
      // On first use, not at construction: the lab may come up after the server object is made.
      this.seeded = true;
      for (const p of await this.s.view().pods())
        if (!this.byName.has(p.namespace)) this.byName.set(p.namespace, namespaceObject(p.namespace));
    }
    return this.byName.get(name);
  }

  /** Makes NAME now (someone else's namespace, as `kubectl create namespace` would); a new uid. */
  make(name: string, labels: Labels = {}): Obj {
    const made = namespaceObject(name, labels, `${name}-uid-${++this.generation}`, String(++this.version));
    this.byName.set(name, made);
    return made;
  }

  /** Someone deletes NAME (with what is in it) and makes it again with the same labels. */
  replace(name: string): Obj {
    const old = this.byName.get(name);
    const labels = { ...((old && (meta(old).labels as Labels)) ?? {}) };
    if (old) this.finalize(name, old);
    return this.make(name, labels);
  }

  /** Someone merges LABELS into NAME's (a change: a new resourceVersion). */
  relabel(name: string, labels: Labels): void {
    const o = this.byName.get(name);
    if (!o) return;
    meta(o).labels = { ...(meta(o).labels as Labels), ...labels };
    meta(o).resourceVersion = String(++this.version);
  }

  private forbidCreate(name: string): [number, Obj] {
    return [
      403,
      status(
        403,
        `namespaces "${name}" is forbidden: User "tester" cannot create resource "namespaces" in API group "" at the cluster scope`,
      ),
    ];
  }

  /** POST /api/v1/namespaces: 201, 409 AlreadyExists, or 403 with forbidNamespaceCreate. */
  async create(body: Obj): Promise<[number, Obj]> {
    const name = String(meta(body)?.name ?? '');
    // Authorization comes before the existence check, as on a cluster.
    if (this.s.o.forbidNamespaceCreate) return this.forbidCreate(name);
    if (await this.get(name))
      return [409, { ...status(409, `namespaces "${name}" already exists`), reason: 'AlreadyExists' }];
    return [201, this.make(name, (meta(body).labels ?? {}) as Labels)];
  }

  /** One request on /api/v1/namespaces/NAME: the HTTP status and the body to answer. */
  async request(
    method: string,
    name: string,
    body: Obj | undefined,
    fieldManager: string,
  ): Promise<[number, Obj]> {
    const existing = await this.get(name);
    const notFound: [number, Obj] = [404, status(404, `namespaces "${name}" not found`)];
    if (method === 'GET') {
      if (this.s.o.forbidNamespaceGet)
        return [
          403,
          status(
            403,
            `namespaces "${name}" is forbidden: User "tester" cannot get resource "namespaces" in API group "" in the namespace "${name}"`,
          ),
        ];
      return existing ? [200, existing] : notFound;
    }
    if (method === 'PATCH') {
      const labels = ((body?.metadata as Obj | undefined)?.labels ?? {}) as Labels;
      this.s.applyManagers.push(fieldManager);
      if (existing) {
        // Apply to an existing namespace merges what it sets (here: labels) into it.
        this.relabel(name, labels);
        return [200, existing];
      }
      if (this.s.o.forbidNamespaceCreate) return this.forbidCreate(name);
      return [201, this.make(name, labels)];
    }
    if (method === 'DELETE') {
      if (!existing) return notFound;
      const pre = (body?.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
      const m = meta(existing);
      if (pre.uid !== undefined && pre.uid !== m.uid)
        return [
          409,
          status(
            409,
            `Operation cannot be fulfilled on namespaces "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`,
          ),
        ];
      if (pre.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion)
        return [
          409,
          status(
            409,
            `Operation cannot be fulfilled on namespaces "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`,
          ),
        ];
      (existing.status as Obj).phase = 'Terminating';
      m.deletionTimestamp = new Date().toISOString();
      m.resourceVersion = String(++this.version);
      const ms = this.s.o.namespaceDeletionMs ?? 0;
      if (ms > 0) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.finalize(name, existing);
        }, ms);
        this.timers.add(t);
      } else this.finalize(name, existing);
      return [200, existing];
    }
    return [405, status(405, `${method} on namespaces is not served here`)];
  }

  /** What was in it goes with it, as the namespace controller does. */
  private finalize(name: string, o: Obj): void {
    if (this.byName.get(name) === o) this.byName.delete(name);
    for (const k of [...this.s.applied.keys()])
      if (k.includes(`/namespaces/${name}/`)) this.s.applied.delete(k);
    for (const k of [...this.s.created.keys()]) if (k.startsWith(`${name}/`)) this.s.created.delete(k);
  }
}
