// A LabSpec resolved into every concrete name and address the builder uses: namespace names, MACs,
// sandbox and container ids, veth names, OVN object names. Pure; validateSpec() says what is wrong.
import { NettraceError } from '../errors.ts';
import {
  type ContainerSpec,
  containerId,
  type ExternalHostSpec,
  hostMac,
  inCidr,
  type LabSpec,
  type NodeSpec,
  nthAddress,
  type PodSpec,
  parseCidr,
  podMac,
  prefixLength,
  type ServiceSpec,
  sandboxId,
  stableUuid,
  vethName,
} from './spec.ts';

export interface NodePlan extends NodeSpec {
  netns: string;
  /** MAC of the NIC, of br-ex and of the gateway router's external port (one MAC, as on a real node). */
  mac: string;
  /** OVN chassis name (Open_vSwitch external_ids:system-id); Geneve ports are named from it. */
  chassis: string;
  /** The underlay-side end of the NIC's veth, in the underlay namespace. */
  underlayPort: string;
  gatewayIp: string;
  gatewayMac: string;
  mp0Ip: string;
  mp0Mac: string;
  /** OVN-K names: node switch = node name, k8s-<node>, GR_<node>, ext_<node>, br-ex_<node>. */
  logicalSwitch: string;
  mgmtPort: string;
  gatewayRouter: string;
  externalSwitch: string;
  localnetPort: string;
  /** Created by ovn-controller from the localnet port, not by the lab. */
  patchPortOnBrEx: string;
  patchPortOnBrInt: string;
}

export interface ContainerPlan extends ContainerSpec {
  id: string;
}

export interface PodPlan extends PodSpec {
  /** `namespace/name`. */
  key: string;
  uid: string;
  sandboxId: string;
  netns: string;
  /** Host-side veth, in the node namespace, attached to br-int. */
  veth: string;
  mac: string;
  gatewayIp: string;
  prefixLength: number;
  /** OVN logical switch port = OVS interface external_ids:iface-id (`namespace_name`). */
  ovnPort: string;
  containers: ContainerPlan[];
}

export interface ServicePlan extends ServiceSpec {
  /** OVN load balancer name as OVN-K writes it. */
  loadBalancer: string;
  endpoints: { pod: string; ip: string }[];
}

export interface ExternalPlan extends ExternalHostSpec {
  netns: string;
  mac: string;
  underlayPort: string;
  gatewayMac: string;
}

export interface LabPlan {
  spec: LabSpec;
  centralNetns: string;
  underlayNetns: string;
  /** The underlay router: a Linux bridge holding the node segment's gateway address. */
  underlayBridge: string;
  underlayGatewayMac: string;
  joinRouterIp: string;
  nodes: NodePlan[];
  pods: PodPlan[];
  services: ServicePlan[];
  external: ExternalPlan;
}

/** OVS physical network name of the localnet ports (ovn-bridge-mappings physnet:br-ex). */
export const PHYSNET = 'physnet';
export const CLUSTER_ROUTER = 'ovn_cluster_router';
export const JOIN_SWITCH = 'join';

/** The Geneve port ovn-controller creates towards a remote chassis. */
export function tunnelPortName(remoteChassis: string): string {
  return `ovn-${remoteChassis.slice(0, 6)}-0`;
}

export interface SpecIssue {
  path: string;
  message: string;
}

/** Everything wrong with a spec (empty when it is usable). */
export function validateSpec(spec: LabSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const check = (path: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      add(path, (e as Error).message);
    }
  };
  const ips = new Map<string, string>();
  const claim = (ip: string, path: string) => {
    const prev = ips.get(ip);
    if (prev) add(path, `${ip} is already used by ${prev}`);
    else ips.set(ip, path);
  };
  for (const [k, c] of Object.entries({
    clusterNetwork: spec.clusterNetwork,
    serviceNetwork: spec.serviceNetwork,
    joinNetwork: spec.joinNetwork,
    underlayNetwork: spec.underlayNetwork,
  })) {
    check(k, () => parseCidr(c));
  }
  if (issues.length) return issues;
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(spec.prefix))
    add('prefix', `"${spec.prefix}" must be 1-31 of [a-z0-9-]`);
  if (!inCidr(spec.underlayGatewayIp, spec.underlayNetwork))
    add('underlayGatewayIp', 'not in underlayNetwork');
  claim(spec.underlayGatewayIp, 'underlayGatewayIp');
  const nodeNames = new Set<string>();
  spec.nodes.forEach((n, i) => {
    const p = `nodes[${i}]`;
    if (nodeNames.has(n.name)) add(`${p}.name`, `duplicate node ${n.name}`);
    nodeNames.add(n.name);
    if (n.nic.length > 15) add(`${p}.nic`, `${n.nic} is longer than 15 characters`);
    check(`${p}.ip`, () => {
      if (!inCidr(n.ip, spec.underlayNetwork)) add(`${p}.ip`, `${n.ip} is not in ${spec.underlayNetwork}`);
      claim(n.ip, `${p}.ip`);
    });
    check(`${p}.podSubnet`, () => {
      const first = nthAddress(n.podSubnet, 0);
      if (
        !inCidr(first, spec.clusterNetwork) ||
        prefixLength(n.podSubnet) < prefixLength(spec.clusterNetwork)
      ) {
        add(`${p}.podSubnet`, `${n.podSubnet} is not inside ${spec.clusterNetwork}`);
      }
      if (first !== n.podSubnet.split('/')[0]) add(`${p}.podSubnet`, `${n.podSubnet} has host bits set`);
    });
    check(`${p}.joinIp`, () => {
      if (!inCidr(n.joinIp, spec.joinNetwork))
        add(`${p}.joinIp`, `${n.joinIp} is not in ${spec.joinNetwork}`);
      if (n.joinIp === nthAddress(spec.joinNetwork, 1)) add(`${p}.joinIp`, 'is the cluster router address');
      claim(n.joinIp, `${p}.joinIp`);
    });
  });
  spec.nodes.forEach((a, i) => {
    for (const b of spec.nodes.slice(i + 1)) {
      if (
        inCidr(nthAddress(b.podSubnet, 0), a.podSubnet) ||
        inCidr(nthAddress(a.podSubnet, 0), b.podSubnet)
      ) {
        add(`nodes[${i}].podSubnet`, `${a.podSubnet} overlaps ${b.podSubnet} of ${b.name}`);
      }
    }
  });
  const podKeys = new Set<string>();
  spec.pods.forEach((pod, i) => {
    const p = `pods[${i}]`;
    const key = `${pod.namespace}/${pod.name}`;
    if (podKeys.has(key)) add(p, `duplicate pod ${key}`);
    podKeys.add(key);
    const node = spec.nodes.find((n) => n.name === pod.node);
    if (!node) add(`${p}.node`, `no node named ${pod.node}`);
    check(`${p}.ip`, () => {
      if (node) {
        const last = 2 ** (32 - prefixLength(node.podSubnet)) - 1;
        const reserved = [0, 1, 2, last].map((k) => nthAddress(node.podSubnet, k));
        if (!inCidr(pod.ip, node.podSubnet))
          add(`${p}.ip`, `${pod.ip} is not in ${pod.node}'s ${node.podSubnet}`);
        else if (reserved.includes(pod.ip))
          add(`${p}.ip`, `${pod.ip} is reserved (network, gateway, mp0, broadcast)`);
      }
      claim(pod.ip, `${p}.ip`);
    });
    if (pod.containers.length === 0) add(`${p}.containers`, 'a pod needs at least one container');
    const names = new Set<string>();
    pod.containers.forEach((c, j) => {
      if (names.has(c.name)) add(`${p}.containers[${j}]`, `duplicate container ${c.name}`);
      names.add(c.name);
      if (c.command.length === 0) add(`${p}.containers[${j}].command`, 'empty command');
      for (const f of Object.keys(c.files ?? {})) {
        if (!f.startsWith('/tmp/') || f.includes('/../'))
          add(`${p}.containers[${j}].files`, `${f} is not under /tmp`);
      }
    });
  });
  spec.services.forEach((s, i) => {
    const p = `services[${i}]`;
    check(`${p}.clusterIP`, () => {
      if (!inCidr(s.clusterIP, spec.serviceNetwork))
        add(`${p}.clusterIP`, `${s.clusterIP} is not in ${spec.serviceNetwork}`);
      claim(s.clusterIP, `${p}.clusterIP`);
    });
    if (endpointsOf(spec, s).length === 0)
      add(`${p}.selector`, `no pod in ${s.namespace} matches the selector`);
  });
  const x = spec.external;
  check('external.ip', () => {
    const seg = `${x.ip}/${x.prefixLength}`;
    if (!inCidr(x.gatewayIp, seg)) add('external.gatewayIp', `${x.gatewayIp} is not on ${seg}`);
    for (const net of [spec.clusterNetwork, spec.underlayNetwork, spec.serviceNetwork]) {
      if (inCidr(x.ip, net)) add('external.ip', `${x.ip} must be outside ${net}`);
    }
    claim(x.ip, 'external.ip');
    claim(x.gatewayIp, 'external.gatewayIp');
  });
  return issues;
}

function endpointsOf(spec: LabSpec, s: ServiceSpec): PodSpec[] {
  return spec.pods.filter(
    (p) => p.namespace === s.namespace && Object.entries(s.selector).every(([k, v]) => p.labels[k] === v),
  );
}

/** Resolves every derived name and address; throws `lab.bad-spec` listing all issues. */
export function planLab(spec: LabSpec): LabPlan {
  const issues = validateSpec(spec);
  if (issues.length) {
    throw new NettraceError(
      'lab.bad-spec',
      `invalid lab spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  const nodes = spec.nodes.map((n): NodePlan => {
    const gatewayIp = nthAddress(n.podSubnet, 1);
    const mp0Ip = nthAddress(n.podSubnet, 2);
    return {
      ...n,
      netns: `${spec.prefix}-${n.name}`,
      mac: hostMac(n.ip),
      chassis: stableUuid(`chassis/${n.name}`),
      underlayPort: `ul-${n.name}`.slice(0, 15),
      gatewayIp,
      gatewayMac: podMac(gatewayIp),
      mp0Ip,
      mp0Mac: podMac(mp0Ip),
      logicalSwitch: n.name,
      mgmtPort: `k8s-${n.name}`,
      gatewayRouter: `GR_${n.name}`,
      externalSwitch: `ext_${n.name}`,
      localnetPort: `br-ex_${n.name}`,
      patchPortOnBrEx: `patch-br-ex_${n.name}-to-br-int`,
      patchPortOnBrInt: `patch-br-int-to-br-ex_${n.name}`,
    };
  });
  const pods = spec.pods.map((p): PodPlan => {
    const node = nodes.find((n) => n.name === p.node)!;
    const sandbox = sandboxId(p.namespace, p.name);
    return {
      ...p,
      key: `${p.namespace}/${p.name}`,
      uid: stableUuid(`pod/${p.namespace}/${p.name}`),
      sandboxId: sandbox,
      netns: `${spec.prefix}-pod-${p.namespace}-${p.name}`,
      veth: vethName(sandbox),
      mac: podMac(p.ip),
      gatewayIp: node.gatewayIp,
      prefixLength: prefixLength(node.podSubnet),
      ovnPort: `${p.namespace}_${p.name}`,
      containers: p.containers.map((c) => ({ ...c, id: containerId(sandbox, c.name) })),
    };
  });
  const services = spec.services.map(
    (s): ServicePlan => ({
      ...s,
      loadBalancer: `Service_${s.namespace}/${s.name}_${s.protocol}_cluster`,
      endpoints: endpointsOf(spec, s).map((p) => ({ pod: `${p.namespace}/${p.name}`, ip: p.ip })),
    }),
  );
  return {
    spec,
    centralNetns: `${spec.prefix}-central`,
    underlayNetns: `${spec.prefix}-underlay`,
    underlayBridge: 'br-underlay',
    underlayGatewayMac: hostMac(spec.underlayGatewayIp),
    joinRouterIp: nthAddress(spec.joinNetwork, 1),
    nodes,
    pods,
    services,
    external: {
      ...spec.external,
      netns: `${spec.prefix}-${spec.external.name}`,
      mac: hostMac(spec.external.ip),
      underlayPort: `ul-${spec.external.name}`.slice(0, 15),
      gatewayMac: hostMac(spec.external.gatewayIp),
    },
  };
}

/** Every network namespace of a plan, in creation order. */
export function planNamespaces(plan: LabPlan): string[] {
  return [
    plan.underlayNetns,
    plan.external.netns,
    plan.centralNetns,
    ...plan.nodes.map((n) => n.netns),
    ...plan.pods.map((p) => p.netns),
  ];
}
