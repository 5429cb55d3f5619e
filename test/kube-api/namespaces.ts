// Namespaces of the test API server (test code, not product): GET, server-side apply and DELETE of
// /api/v1/namespaces/NAME. The namespaces of the lab's pods exist from the start (unlabelled, as a
// project a user made); others exist once applied. Deleting one is what the namespace controller
// does: Terminating for a while (namespaceDeletionMs), then gone with everything that was in it.
import type { LabClusterView } from '../../src/topology/lab-view.ts';
import { namespaceObject, type Obj, statusObject as status } from './objects.ts';

export interface NamespaceOptions {
  /** Answer 403 to creating a namespace (a user without create on namespaces). */
  forbidNamespaceCreate?: boolean;
  /** Answer 403 to reading a namespace, as Kubernetes does for one the user may not see. */
  forbidNamespaceGet?: boolean;
  /** How long a deleted namespace stays Terminating before it is gone (default 0: at once). */
  namespaceDeletionMs?: number;
}

export interface NamespaceServer {
  readonly o: NamespaceOptions;
  /** Applied objects by path, and created pods by namespace/name: a deleted namespace empties them. */
  readonly applied: Map<string, Obj>;
  readonly created: Map<string, Obj>;
  readonly applyManagers: string[];
  view(): LabClusterView;
}

export class NamespaceStore {
  private readonly byName = new Map<string, Obj>();
  private seeded = false;
  private readonly timers = new Set<NodeJS.Timeout>();

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
      const labels = ((body?.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
      this.s.applyManagers.push(fieldManager);
      if (existing) {
        // Apply to an existing namespace merges what it sets (here: labels) into it.
        const meta = existing.metadata as Obj;
        meta.labels = { ...(meta.labels as Record<string, string>), ...labels };
        return [200, existing];
      }
      if (this.s.o.forbidNamespaceCreate)
        return [
          403,
          status(
            403,
            `namespaces "${name}" is forbidden: User "tester" cannot create resource "namespaces" in API group "" at the cluster scope`,
          ),
        ];
      const made = namespaceObject(name, labels);
      this.byName.set(name, made);
      return [201, made];
    }
    if (method === 'DELETE') {
      if (!existing) return notFound;
      (existing.status as Obj).phase = 'Terminating';
      (existing.metadata as Obj).deletionTimestamp = new Date().toISOString();
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
