// The least privilege each command needs, as data: every API call nettrace makes is one row (verb,
// API group, resource, scope), so `--dry-run` prints the calls and a ClusterRole derived from
// exactly those rows, and a 403 message can name the missing permission.
import { stringify } from 'yaml';

export interface ApiCall {
  /** RBAC verb: get, list, create, delete, patch. */
  verb: string;
  /** '' for the core group. */
  group: string;
  /** Resource, with a subresource after a slash: pods/exec. */
  resource: string;
  /** Namespace, or undefined for cluster-scoped objects and all-namespace lists. */
  namespace?: string;
  /** What the call is for. */
  why: string;
  /** Restricts the rule to named objects (SCC `privileged`). */
  resourceNames?: string[];
}

export type Command = 'inspect' | 'topo' | 'trace' | 'cleanup' | 'lab-deploy' | 'lab-undeploy';

const read = (ns: string): ApiCall[] => [
  {
    verb: 'list',
    group: '',
    resource: 'pods',
    namespace: ns,
    why: 'pods of the namespace: node, IPs, containers',
  },
  { verb: 'get', group: '', resource: 'pods', namespace: ns, why: 'the pod named on the command line' },
  { verb: 'list', group: '', resource: 'nodes', why: 'node names and InternalIPs' },
  { verb: 'get', group: '', resource: 'nodes', why: 'the node named on the command line' },
  { verb: 'list', group: '', resource: 'services', namespace: ns, why: 'ClusterIPs and ports' },
  {
    verb: 'get',
    group: '',
    resource: 'services',
    namespace: ns,
    why: 'the service named on the command line',
  },
  {
    verb: 'list',
    group: 'discovery.k8s.io',
    resource: 'endpointslices',
    namespace: ns,
    why: "services' ready endpoints",
  },
];

const agent = (ns: string): ApiCall[] => [
  {
    verb: 'create',
    group: '',
    resource: 'pods',
    namespace: ns,
    why: 'one privileged node agent per involved node',
  },
  { verb: 'get', group: '', resource: 'pods', namespace: ns, why: 'wait until the agent runs' },
  {
    verb: 'delete',
    group: '',
    resource: 'pods',
    namespace: ns,
    why: 'remove the agents (success, error, Ctrl-C)',
  },
  {
    verb: 'create',
    group: '',
    resource: 'pods/exec',
    namespace: ns,
    why: 'run crictl/ip/ovs-vsctl/tcpdump in the agent',
  },
  {
    verb: 'get',
    group: '',
    resource: 'pods/exec',
    namespace: ns,
    why: 'exec over WebSocket is a GET on clusters before 1.30',
  },
  {
    verb: 'use',
    group: 'security.openshift.io',
    resource: 'securitycontextconstraints',
    resourceNames: ['privileged'],
    why: 'OpenShift only: the agent is privileged (hostNetwork, hostPID, host root)',
  },
];

const labObjects = ['configmaps', 'services', 'pods'];

export function callsFor(command: Command, namespace: string, agentNamespace = namespace): ApiCall[] {
  switch (command) {
    case 'inspect':
    case 'topo':
      return [...read(namespace), ...agent(agentNamespace)];
    case 'trace':
      return [
        ...read(namespace),
        ...agent(agentNamespace),
        {
          verb: 'create',
          group: '',
          resource: 'pods/exec',
          namespace,
          why: "send the probe from the source pod's container",
        },
      ];
    case 'cleanup':
      return [
        {
          verb: 'list',
          group: '',
          resource: 'pods',
          why: 'find agents labelled app.kubernetes.io/managed-by=nettrace',
        },
        { verb: 'delete', group: '', resource: 'pods', why: 'delete them' },
      ];
    case 'lab-deploy':
    case 'lab-undeploy': {
      const deploy = command === 'lab-deploy';
      // A server-side apply that makes a new object is authorized as create as well as patch
      // (k8s.io/apiserver .../handlers/patch.go: createAuthorizerAttributes), so deploy needs both.
      const verbs = deploy ? ['patch', 'create'] : ['delete'];
      const whyObject: Record<string, string> = {
        patch: 'server-side apply (field manager nettrace)',
        create: 'the same apply, authorized as create when the object is new',
        delete: 'undeploy',
      };
      const objs: [string, string][] = [
        ...labObjects.map((r): [string, string] => ['', r]),
        ['apps', 'deployments'],
        ['route.openshift.io', 'routes'],
      ];
      // Namespaces are cluster-scoped: the rules name the one namespace, nothing wider, except
      // create, which RBAC cannot restrict by name (the name is in the body, unknown when the
      // request is authorized). No patch: patch on a Namespace would let the role's holder rewrite
      // its Pod Security labels.
      const ns = (verb: string, why: string): ApiCall => ({
        verb,
        group: '',
        resource: 'namespaces',
        resourceNames: [namespace],
        why,
      });
      const nsCalls = deploy
        ? [
            ns('get', 'does the namespace exist? (an existing one is used as it is, never changed)'),
            {
              verb: 'create',
              group: '',
              resource: 'namespaces',
              why: `create ${namespace} when missing, labelled managed-by=nettrace (create cannot be restricted by resourceNames: this allows creating any namespace)`,
            },
          ]
        : [ns('get', 'did deploy make the namespace? (label managed-by=nettrace; uid for the delete)')];
      return [
        {
          verb: 'get',
          group: '',
          resource: 'apis (discovery, non-resource /apis)',
          why: 'does the cluster serve routes?',
        },
        ...nsCalls,
        ...objs.flatMap(([group, resource]) =>
          verbs.map((verb) => ({ verb, group, resource, namespace, why: whyObject[verb] ?? verb })),
        ),
        ...(deploy
          ? []
          : [
              {
                verb: 'list',
                group: '',
                resource: 'pods',
                namespace,
                why: 'does the namespace hold other pods? then it stays',
              },
              ns(
                'delete',
                'only when deploy made it (the label), it holds no other pods and has the uid read (preconditions)',
              ),
            ]),
      ];
    }
  }
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The rules for `calls`: one rule per (group, resource, names), verbs merged, in first-seen order. */
export function rulesFor(calls: readonly ApiCall[]): Rule[] {
  const rules = new Map<string, Rule>();
  for (const c of calls) {
    if (c.resource.startsWith('apis ')) continue;
    const key = `${c.group}|${c.resource}|${c.resourceNames?.join(',') ?? ''}`;
    let r = rules.get(key);
    if (!r) {
      r = { apiGroups: [c.group], resources: [c.resource], verbs: [] };
      if (c.resourceNames) r.resourceNames = c.resourceNames;
      rules.set(key, r);
    }
    if (!r.verbs.includes(c.verb)) r.verbs.push(c.verb);
  }
  return [...rules.values()];
}

export function clusterRoleYaml(command: Command, calls: readonly ApiCall[]): string {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `nettrace-${command}`, labels: { 'app.kubernetes.io/managed-by': 'nettrace' } },
    rules: rulesFor(calls),
  };
  return stringify(role, { lineWidth: 0 });
}

/** What `--dry-run` prints: each call, then the ClusterRole that allows exactly them. */
export function dryRunText(command: Command, calls: readonly ApiCall[]): string {
  const lines = calls.map((c) => {
    const res = c.group ? `${c.resource}.${c.group}` : c.resource;
    const names = c.resourceNames ? `/${c.resourceNames.join(',')}` : '';
    const where = c.namespace ? ` -n ${c.namespace}` : '';
    return `  ${c.verb.padEnd(6)} ${res}${names}${where}\t# ${c.why}`;
  });
  return [
    `nettrace ${command.replace('-', ' ')} --dry-run: no API call was made. It would make these calls:`,
    ...lines,
    '',
    'RBAC they need (kubectl apply -f - ; then bind it to your user or service account):',
    clusterRoleYaml(command, calls),
  ].join('\n');
}

/** The permission a 403 on (verb, resource) means is missing, in RBAC words. */
export function missingPermission(verb: string, resource: string, namespace?: string): string {
  return `${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ' (cluster-wide)'}`;
}
