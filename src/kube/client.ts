// KubeConfig loading the way kubectl/oc do it (--kubeconfig FILE, else $KUBECONFIG, else
// ~/.kube/config; --context NAME, else the current context; the bearer token `oc login` writes
// works as-is), and the few API objects nettrace uses. API errors become NettraceErrors that name
// the call and, for 401/403, what to do about it.
import { existsSync, readFileSync } from 'node:fs';
import {
  ApisApi,
  CoreV1Api,
  DiscoveryV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { NettraceError } from '../errors.ts';
import { missingPermission } from './rbac.ts';

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(o: KubeOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig !== undefined) {
      if (!existsSync(o.kubeconfig))
        throw new NettraceError('kube.no-kubeconfig', `kubeconfig ${o.kubeconfig} does not exist`);
      let doc: unknown;
      try {
        doc = parse(readFileSync(o.kubeconfig, 'utf8'));
      } catch {}
      if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { clusters?: unknown }).clusters))
        throw new NettraceError(
          'kube.bad-kubeconfig',
          `kubeconfig ${o.kubeconfig} is empty or not a kubeconfig (no clusters: log in with oc login, or pass another --kubeconfig)`,
        );
      kc.loadFromFile(o.kubeconfig);
    } else kc.loadFromDefault();
  } catch (e) {
    if (e instanceof NettraceError) throw e;
    throw new NettraceError(
      'kube.bad-kubeconfig',
      `cannot read kubeconfig ${o.kubeconfig ?? '(default)'}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (o.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(o.context))
      throw new NettraceError(
        'kube.no-context',
        `no context ${o.context} in kubeconfig ${o.kubeconfig ?? '(default)'} (contexts: ${names.join(', ') || 'none'})`,
      );
    kc.setCurrentContext(o.context);
  }
  if (!kc.getCurrentCluster())
    throw new NettraceError(
      'kube.no-cluster',
      `kubeconfig ${o.kubeconfig ?? '(default)'} has no current context with a cluster (log in with oc login, or pass --context)`,
    );
  return kc;
}

/** The API objects, built once from one KubeConfig. */
export class KubeApi {
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly apis: ApisApi;
  readonly exec: Exec;
  readonly objects: KubernetesObjectApi;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.apis = kc.makeApiClient(ApisApi);
    this.exec = new Exec(kc);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '?';
  }

  /** The context's namespace, as `oc project` sets it. */
  get contextNamespace(): string | undefined {
    return this.kc.getContextObject(this.kc.getCurrentContext())?.namespace;
  }

  /** Runs one API call; a failure becomes a NettraceError naming verb, resource and namespace. */
  async call<T>(
    verb: string,
    resource: string,
    namespace: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw apiError(e, verb, resource, namespace, this.server);
    }
  }
}

/** HTTP status of a client-node ApiException, or of a WebSocket handshake refusal. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number') return code;
  const m = /Unexpected server response: (\d{3})/.exec(String((e as Error)?.message ?? e));
  return m ? Number(m[1]) : undefined;
}

function bodyMessage(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      const j = JSON.parse(body) as { message?: string };
      if (j.message) return j.message;
    } catch {}
    return body.slice(0, 200);
  }
  return String((e as Error)?.message ?? e).split('\n')[0] ?? '';
}

/**
 * A pod refused by Pod Security admission (code `kube.pod-security`): the namespace, the level it
 * enforces, the refused object and the admission's own words, so a caller can say what to do.
 */
export class PodSecurityError extends NettraceError {
  readonly refused: string;
  readonly namespace: string;
  readonly level: string;
  readonly object: string;
  readonly admission: string;

  constructor(
    f: {
      refused: string;
      namespace: string;
      level: string;
      object: string;
      admission: string;
      cause?: unknown;
    },
    advice?: string,
  ) {
    super(
      'kube.pod-security',
      `${f.refused}: namespace ${f.namespace} enforces Pod Security "${f.level}" and refused ${f.object}${advice ? `: ${advice}` : ''}: ${f.admission}`,
      { cause: f.cause },
    );
    this.refused = f.refused;
    this.namespace = f.namespace;
    this.level = f.level;
    this.object = f.object;
    this.admission = f.admission;
  }

  /** The same refusal, with what to do about it said by the caller that knows what the pod is for. */
  withAdvice(advice: string): PodSecurityError {
    return new PodSecurityError(
      {
        refused: this.refused,
        namespace: this.namespace,
        level: this.level,
        object: this.object,
        admission: this.admission,
        cause: this.cause,
      },
      advice,
    );
  }
}

/** `pod/NAME` from an admission's `pods "NAME" is forbidden: ...`, else the resource called. */
function refusedObject(words: string, resource: string): string {
  const m = /^(\w+?)s? "([^"]+)" is forbidden/.exec(words);
  return m ? `${m[1]}/${m[2]}` : resource;
}

export function apiError(
  e: unknown,
  verb: string,
  resource: string,
  namespace: string | undefined,
  server: string,
): NettraceError {
  if (e instanceof NettraceError) return e;
  const status = statusOf(e);
  const what = `${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ''}`;
  if (status === 401)
    return new NettraceError(
      'kube.unauthorized',
      `${server} refused ${what}: not logged in or the token expired (run oc login / refresh the kubeconfig)`,
      { cause: e },
    );
  if (status === 403) {
    // Pod Security admission (namespace label pod-security.kubernetes.io/enforce): its refusal
    // also says "privileged", but the remedy is the namespace's label, not an SCC. The message is
    // neutral here (what was refused, where, the admission's words); the caller, which knows what
    // the pod is for, says what to do (AgentPool: --agent-namespace; lab deploy: the label).
    const words = bodyMessage(e);
    const psa = /violates PodSecurity "([^"]+)"/.exec(words);
    if (psa) {
      return new PodSecurityError({
        refused: `${server} refused ${what}`,
        namespace: namespace ?? '?',
        level: psa[1]!,
        object: refusedObject(words, resource),
        admission: words,
        cause: e,
      });
    }
    const object = refusedObject(words, resource);
    const scc = /securitycontextconstraint|unable to validate against any security context|privileged/i.test(
      words,
    );
    return new NettraceError(
      'kube.forbidden',
      scc
        ? `${server} refused ${what}: ${object} is privileged and needs the privileged SCC on OpenShift (oc adm policy add-scc-to-user privileged -z default -n ${namespace ?? 'NS'}, or run as a cluster admin): ${words}`
        : `${server} refused ${what}: missing permission ${missingPermission(verb, resource, namespace)} (nettrace ... --dry-run prints the ClusterRole it needs): ${words}`,
      { cause: e },
    );
  }
  if (status === 409)
    // AlreadyExists on create, Conflict on a delete whose preconditions (uid, resourceVersion) fail.
    return new NettraceError(
      'kube.conflict',
      `${what} on ${server}: conflict (HTTP 409): ${bodyMessage(e)}`,
      {
        cause: e,
      },
    );
  if (status === 404)
    return new NettraceError('kube.not-found', `${what}: not found on ${server}: ${bodyMessage(e)}`, {
      cause: e,
    });
  return new NettraceError(
    'kube.api-failed',
    `${what} on ${server} failed${status ? ` (HTTP ${status})` : ''}: ${bodyMessage(e)}`,
    { cause: e },
  );
}
