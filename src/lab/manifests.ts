// The cluster lab as typed Kubernetes objects (client-node's model types), rendered to the two
// manifest files the seed applies: http-svc.yaml (nginx static server behind a Service and two
// Routes) and dual-container.yaml (one pod, two containers sharing a network namespace). The local
// lab's spec and these objects share the names, ports and static content in spec.ts.
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1ObjectMeta,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { DUAL_POD, HELLO_TXT, LAB_NAMESPACE, STATIC_CONTENT, STATIC_SERVER } from './spec.ts';

export const DEFAULT_NETTOOLS_IMAGE = 'quay.io/nettrace/nettools:latest';
/** nginx that runs as an arbitrary non-root UID and listens on 8080: fits OpenShift's restricted SCC. */
export const DEFAULT_NGINX_IMAGE = 'docker.io/nginxinc/nginx-unprivileged:stable-alpine';

/** OpenShift's Route (route.openshift.io/v1): not in client-node, so typed here. */
export interface RouteV1 {
  apiVersion: 'route.openshift.io/v1';
  kind: 'Route';
  metadata: V1ObjectMeta;
  spec: {
    to: { kind: 'Service'; name: string; weight?: number };
    port: { targetPort: string };
    tls?: {
      termination: 'edge' | 'passthrough' | 'reencrypt';
      insecureEdgeTerminationPolicy?: 'Allow' | 'Redirect' | 'None';
    };
  };
}

export interface ManifestOptions {
  namespace?: string;
  /** The nettools image of dual-container.yaml (see image/README.md). */
  image?: string;
  nginxImage?: string;
}

export const MANIFEST_FILES = ['http-svc.yaml', 'dual-container.yaml'] as const;
export type ManifestFile = (typeof MANIFEST_FILES)[number];

const NGINX_CONF = `server {
    listen       ${STATIC_SERVER.port};
    server_name  _;
    root         /usr/share/nginx/html;

    location / {
        index     index.html;
        try_files $uri $uri/ =404;
    }
}
`;

export function httpServiceObjects(
  opts: ManifestOptions = {},
): (V1ConfigMap | V1Deployment | V1Service | RouteV1)[] {
  const namespace = opts.namespace ?? LAB_NAMESPACE;
  const name = STATIC_SERVER.name;
  const labels = { app: name };
  const meta = (n: string): V1ObjectMeta => ({ name: n, namespace, labels });
  const content: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('static-content'),
    data: { ...STATIC_CONTENT },
  };
  const nginxConfig: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('nginx-config'),
    data: { 'default.conf': NGINX_CONF },
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name,
              image: opts.nginxImage ?? DEFAULT_NGINX_IMAGE,
              ports: [{ name: 'http', containerPort: STATIC_SERVER.port, protocol: 'TCP' }],
              volumeMounts: [
                { name: 'static-content', mountPath: '/usr/share/nginx/html', readOnly: true },
                { name: 'nginx-config', mountPath: '/etc/nginx/conf.d', readOnly: true },
              ],
              readinessProbe: { httpGet: { path: '/hello.txt', port: 'http' }, periodSeconds: 5 },
            },
          ],
          volumes: [
            { name: 'static-content', configMap: { name: 'static-content' } },
            { name: 'nginx-config', configMap: { name: 'nginx-config' } },
          ],
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [{ name: 'http', port: STATIC_SERVER.servicePort, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  const route = (n: string, tls: RouteV1['spec']['tls']): RouteV1 => ({
    apiVersion: 'route.openshift.io/v1',
    kind: 'Route',
    metadata: meta(n),
    spec: {
      to: { kind: 'Service', name, weight: 100 },
      port: { targetPort: 'http' },
      ...(tls ? { tls } : {}),
    },
  });
  return [
    content,
    nginxConfig,
    deployment,
    service,
    route(name, undefined),
    route(`${name}-tls`, { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' }),
  ];
}

export function dualContainerPod(opts: ManifestOptions = {}): V1Pod {
  const image = opts.image ?? DEFAULT_NETTOOLS_IMAGE;
  const container = (name: string, rest: Partial<V1Container>): V1Container => ({
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ...rest,
    securityContext: { privileged: true },
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: DUAL_POD.name,
      namespace: opts.namespace ?? LAB_NAMESPACE,
      labels: { app: 'nettools' },
    },
    spec: {
      containers: [
        container(DUAL_POD.server, {
          command: ['/bin/sh', '-c'],
          args: [
            `echo "${HELLO_TXT.trimEnd()}" > /tmp/hello.txt && exec python3 -m http.server ${DUAL_POD.httpPort}`,
          ],
          workingDir: '/tmp',
          ports: [{ name: 'http', containerPort: DUAL_POD.httpPort, protocol: 'TCP' }],
        }),
        container(DUAL_POD.sleeper, { command: ['sleep', 'infinity'] }),
      ],
    },
  };
}

const HEADER: Record<ManifestFile, string> = {
  'http-svc.yaml':
    'Static HTTP server for nettrace: nginx serving the static-content ConfigMap, a Service and\n' +
    'HTTP + HTTPS (edge TLS) Routes. Generated by `nettrace lab manifests`; do not edit by hand.',
  'dual-container.yaml':
    'One pod, two containers sharing a network namespace (separate PID and mount namespaces).\n' +
    'Privileged (tcpdump, nsenter): oc adm policy add-scc-to-user privileged -z default -n NAMESPACE\n' +
    'Generated by `nettrace lab manifests`; do not edit by hand.',
};

function render(header: string, objects: object[]): string {
  const comment = header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n');
  return `${comment}\n${objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n')}`;
}

/** Both files' text, keyed by file name. */
export function renderManifests(opts: ManifestOptions = {}): Record<ManifestFile, string> {
  return {
    'http-svc.yaml': render(HEADER['http-svc.yaml'], httpServiceObjects(opts)),
    'dual-container.yaml': render(HEADER['dual-container.yaml'], [dualContainerPod(opts)]),
  };
}
