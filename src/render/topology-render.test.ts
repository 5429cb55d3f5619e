// The topology and inspect renderers over the recorded lab, and over a node carrying 200 pods
// (the recorded node with its pod port multiplied): what is drawn, what is folded, and that the
// Mermaid and DOT texts reference only vertices they declare.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RecordedSource } from '../topology/collect.ts';
import { discover } from '../topology/discover.ts';
import { inspectPod } from '../topology/inspect.ts';
import type { Port, Topology } from '../topology/model.ts';
import { renderInspectText } from './inspect-text.ts';
import { renderNodeAscii, renderTopologyAscii } from './topology-ascii.ts';
import { renderTopologyDot } from './topology-dot.ts';
import { renderTopologyMermaid } from './topology-mermaid.ts';

const RECORDING = fileURLToPath(new URL('../../testdata/topology/lab-recorded', import.meta.url));

/** worker-0 with `n` extra pod ports on br-int (ofports 100..), as a busy node would have. */
function busy(t: Topology, n: number): Topology {
  const b: Topology = structuredClone(t);
  const brInt = b.nodes[0]!.bridges.find((x) => x.name === 'br-int')!;
  const model = brInt.ports.find((p) => p.role === 'pod')!;
  for (let i = 0; i < n; i++) {
    brInt.ports.push({ ...model, name: `veth${i}`, ofport: 100 + i, pod: `load/p${i}` } satisfies Port);
  }
  return b;
}

describe('topology renderers', () => {
  let t: Topology;
  before(async () => {
    t = await discover(new RecordedSource(RECORDING), {
      nodes: ['worker-0', 'worker-1'],
      pods: [{ namespace: 'network-trace', name: 'nettools-dual-pod' }],
    });
  });

  test('ascii: br-ex (NIC, own port, patch) above br-int (patch, mp0, tunnel, pods)', () => {
    const text = renderNodeAscii(t.nodes[0]!, t);
    const lines = text.split('\n');
    assert.match(
      lines[0]!,
      /^node worker-0 · node IP 198\.18\.0\.9 · chassis [0-9a-f-]{36} · encap geneve 198\.18\.0\.9$/,
    );
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      /^├── br-ex \(gateway, datapath netdev, fail_mode secure\)$/,
      /^│ {3}├── \[1\] ens2f0np0 +NIC \(veth\) 02:00:c6:12:00:09 mtu 1500 UP$/,
      /^│ {3}├── \[LOCAL\] br-ex +internal 198\.18\.0\.9\/24$/,
      /^│ {3}└── \[2\] patch-br-ex_worker-0-to-br-int +patch ⇄ br-int \(patch-br-int-to-br-ex_worker-0\)$/,
      /^└── br-int \(integration/,
      /^ {4}├── \[\d+\] patch-br-int-to-br-ex_worker-0 +patch ⇄ br-ex/,
      /^ {4}├── \[2\] ovn-k8s-mp0 +management port 10\.128\.2\.2\/23 iface-id k8s-worker-0$/,
      /^ {4}├── \[\d+\] ovn-[0-9a-f]{6}-0 +geneve 198\.18\.0\.9 → 198\.18\.0\.7 \(worker-1\) key=flow$/,
      /^ {4}├── \[1\] b6814bbdcf83f31 +pod network-trace\/nettools-dual-pod ↔ eth0 \(10\.128\.2\.43\/23\)$/,
      /^ {4}└── \[LOCAL\] br-int +internal \(down\)$/,
    ].map(at);
    assert.ok(
      order.every((i) => i > 0),
      `every line is drawn:\n${text}`,
    );
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `in this order:\n${text}`,
    );
  });

  test('ascii: 200 pod ports fold into a count; the pods of interest stay named', () => {
    const b = busy(t, 198);
    const folded = renderTopologyAscii(b, { pods: ['nettools-dual-pod'] });
    assert.match(folded, /├── \[1\] b6814bbdcf83f31 +pod network-trace\/nettools-dual-pod/);
    assert.match(folded, /… 199 more pod ports \(ofport 5-297\)/);
    assert.ok(folded.split('\n').length < 50, 'a screenful');
    const none = renderTopologyAscii(b);
    assert.match(none, /… 200 pod ports \(ofport 1-297\) +--pod NAME names one/);
    const all = renderTopologyAscii(b, { maxPodPorts: Number.POSITIVE_INFINITY });
    assert.equal(all.match(/ pod load\/p\d+/g)?.length, 198);
  });

  for (const [name, render, edge, vertexDecl] of [
    ['mermaid', renderTopologyMermaid, /^ {2}(\w+) -(?:--|\.-)(?:\|"[^"]*"\|)? (\w+)$/, /^\s*(\w+)[[(/]/],
    ['dot', renderTopologyDot, /^ {2}(\w+) -- (\w+)(?: \[.*\])?;$/, /^\s*(\w+) \[label=/],
  ] as const) {
    test(`${name}: every edge joins declared vertices; the tunnel joins both nodes`, () => {
      const text = render(busy(t, 198), { pods: ['nettools-dual-pod'] });
      const lines = text.split('\n');
      const declared = new Set(
        lines
          .filter((l) => !edge.test(l) && !/subgraph|cluster_/.test(l))
          .flatMap((l) => vertexDecl.exec(l)?.[1] ?? []),
      );
      const edges = lines.flatMap((l) => {
        const m = edge.exec(l);
        return m ? [[m[1]!, m[2]!] as const] : [];
      });
      assert.ok(edges.length >= 6, text);
      for (const [a, b] of edges) assert.ok(declared.has(a) && declared.has(b), `${a} -- ${b} declared`);
      const tunnels = lines.filter((l) => /geneve 198\.18\.0\.9 ⇄ 198\.18\.0\.7/.test(l));
      assert.equal(tunnels.length, 1, 'one tunnel edge for the pair of ports');
      assert.match(tunnels[0]!, /port__worker_0__ovn_\w+.*port__worker_1__ovn_/);
      assert.match(text, /199 more pod ports/);
      if (name === 'dot') {
        assert.equal((text.match(/{/g) ?? []).length, (text.match(/}/g) ?? []).length);
        assert.match(lines[0]!, /^graph nettrace \{$/);
      } else assert.equal(lines[0], 'flowchart LR');
    });
  }
});

describe('inspect text', () => {
  test('namespaces in words, the veth pair, the OVS port, the path with its expectations', async () => {
    const { result } = await inspectPod(new RecordedSource(RECORDING), 'network-trace', 'nettools-dual-pod', {
      to: 'svc/static-server',
    });
    const text = renderInspectText(result);
    assert.match(text, /^pod network-trace\/nettools-dual-pod on node worker-0\n/);
    assert.match(text, /\n {2}shared: {3}net, uts, ipc, cgroup — same interfaces and addresses;/);
    assert.match(
      text,
      /\n {2}isolated: pid, mnt — each container has its own processes \(`ps`\), filesystems \(a file in \/tmp\)/,
    );
    assert.match(text, /b6814bbdcf83f31 \(node\) +ifindex 3 +peer ifindex 2 .* master none/);
    assert.match(
      text,
      /OVS: bridge br-int \(datapath netdev: userspace, so no kernel master\), port b6814bbdcf83f31, ofport 1/,
    );
    assert.match(
      text,
      /path to service network-trace\/static-server \(172\.30\.112\.80:80\/TCP\): cross-node/,
    );
    assert.match(
      text,
      / {2}5 ● worker-0\/ens2f0np0 +nic +encapsulated\n {7}expect: DNAT 172\.30\.112\.80:80 → 10\.129\.0\.12:8080/,
    );
    assert.match(text, /\n {15}geneve encap 198\.18\.0\.9 → 198\.18\.0\.7 udp\/6081/);
  });
});
