// Bad input: a malformed or truncated tool output is an error naming where it came from, the
// command and the field; a recording that lacks a file says which. Also the live path without
// root: a ClusterView whose hosts answer with canned outputs (from the recording) — what it records
// must be byte-identical to what it read, and a broken output must be named by node and command.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isNettraceError } from '../errors.ts';
import { CommandLog, type Host, type RunOptions, type RunResult } from '../hosts/host.ts';
import type { ClusterPod, ClusterView } from './cluster-view.ts';
import { findNode, findPod } from './cluster-view.ts';
import { LiveSource, NODE_COMMANDS, RecordedSource } from './collect.ts';
import { discover } from './discover.ts';

const RECORDING = fileURLToPath(new URL('../../testdata/topology/lab-recorded', import.meta.url));
const POD = { namespace: 'network-trace', name: 'nettools-dual-pod' };
const tmp = mkdtempSync(join(tmpdir(), 'nettrace-topo-bad-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function copy(): string {
  const d = join(tmp, `rec-${n++}`);
  cpSync(RECORDING, d, { recursive: true });
  return d;
}

async function failure(dir: string): Promise<{ code: string; message: string }> {
  try {
    await discover(new RecordedSource(dir), { pods: [POD] });
  } catch (e) {
    assert.ok(isNettraceError(e), `a NettraceError, not ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('discovery accepted bad input');
}

describe('bad recorded outputs are named: file, command, field', () => {
  test('a truncated ovs-vsctl table', async () => {
    const d = copy();
    const f = join(d, 'nodes/worker-0/ovs-interfaces.json');
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.slice(0, Math.floor(text.length / 2)));
    const e = await failure(d);
    assert.equal(e.code, 'topology.bad-output');
    assert.match(
      e.message,
      /^\S+\/nodes\/worker-0\/ovs-interfaces\.json: ovs-vsctl list Interface: output is cut short/,
    );
  });

  test('an ofport that is not a number names the row and the column', async () => {
    const d = copy();
    const f = join(d, 'nodes/worker-0/ovs-interfaces.json');
    const t = JSON.parse(readFileSync(f, 'utf8')) as { headings: string[]; data: unknown[][] };
    const row = t.data.findIndex((r) => r[t.headings.indexOf('name')] === 'ovn-k8s-mp0');
    t.data[row]![t.headings.indexOf('ofport')] = 'abc';
    writeFileSync(f, JSON.stringify(t));
    const e = await failure(d);
    assert.match(
      e.message,
      new RegExp(
        `ovs-interfaces\\.json: ovs-vsctl list Interface: row ${row + 1}: column "ofport": expected integer, got "abc"`,
      ),
    );
  });

  test('eth0 without an ifindex in the pod’s ip output', async () => {
    const d = copy();
    const f = join(d, 'pods/network-trace/nettools-dual-pod/ip-addr.json');
    const links = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>[];
    const i = links.findIndex((l) => l.ifname === 'eth0');
    delete links[i]!.ifindex;
    writeFileSync(f, JSON.stringify(links));
    const e = await failure(d);
    assert.match(
      e.message,
      new RegExp(
        `nettools-dual-pod/ip-addr\\.json: ip -j addr show: interface ${i + 1} \\(eth0\\): field "ifindex": missing`,
      ),
    );
  });

  test('empty output', async () => {
    const d = copy();
    writeFileSync(join(d, 'nodes/worker-0/ip-addr.json'), '');
    assert.match(
      (await failure(d)).message,
      /worker-0\/ip-addr\.json: ip -j addr show: empty output \(expected JSON\)/,
    );
  });

  test('a stat line that is not PATH INODE', async () => {
    const d = copy();
    const f = join(d, 'pods/network-trace/nettools-dual-pod/namespaces.txt');
    const lines = readFileSync(f, 'utf8').split('\n');
    lines[2] = '/proc/1/ns/mnt mnt:[4026531840]';
    writeFileSync(f, lines.join('\n'));
    const e = await failure(d);
    assert.match(
      e.message,
      /namespaces\.txt: stat -L -c '%n %i': line 3: not "PATH INODE": "\/proc\/1\/ns\/mnt mnt:\[4026531840\]"/,
    );
  });

  test('cluster.json with a wrong field type', async () => {
    const d = copy();
    const f = join(d, 'cluster.json');
    const doc = JSON.parse(readFileSync(f, 'utf8')) as { pods: { node: unknown }[] };
    doc.pods[0]!.node = 5;
    writeFileSync(f, JSON.stringify(doc));
    const e = await failure(d);
    assert.match(e.message, /cluster\.json: field "pods\[0\]\.node": expected string, got 5/);
  });

  test('a file the recording lacks; a folder that is no recording', async () => {
    const d = copy();
    unlinkSync(join(d, 'nodes/worker-0/ovs-ports.json'));
    const e = await failure(d);
    assert.equal(e.code, 'topology.not-recorded');
    assert.match(
      e.message,
      /node worker-0 was not recorded in .* \(missing .*nodes\/worker-0\/ovs-ports\.json\)/,
    );
    assert.throws(
      () => new RecordedSource(tmp),
      (x: unknown) => isNettraceError(x) && x.code === 'topology.not-a-recording',
    );
  });

  test('the optional ip netns list-id may be missing: peers then have no names, nothing fails', async () => {
    const d = copy();
    unlinkSync(join(d, 'nodes/worker-0/ip-netns-list-id.txt'));
    const t = await discover(new RecordedSource(d), { pods: [POD] });
    assert.equal(t.pods[0]!.hostVeth?.peerNetns, undefined);
    assert.ok(t.pods[0]!.hostVeth?.ofport);
  });
});

/** Answers each command with the recording's output for it; `breakFile` is answered cut in half. */
class CannedHost implements Host {
  constructor(
    readonly name: string,
    private readonly files: Map<string, string>,
    private readonly log: CommandLog,
  ) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const key = argv.join(' ');
    const text = this.files.get(key);
    const r: RunResult =
      text === undefined
        ? { code: 127, stdout: '', stderr: `no canned output for ${key}`, durationMs: 0 }
        : { code: 0, stdout: text, stderr: '', durationMs: 0 };
    this.log.record({ host: this.name, argv, code: r.code, durationMs: 0, startedAt: Date.now() });
    if (opts.check && r.code !== 0) throw new Error(r.stderr);
    return r;
  }
  spawn(): never {
    throw new Error('not needed');
  }
  async readFile(): Promise<Uint8Array> {
    throw new Error('not needed');
  }
}

function cannedView(dir: string, breakFile?: string): ClusterView {
  const log = new CommandLog();
  const doc = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as {
    nodes: { name: string; internalIP?: string }[];
    pods: ClusterPod[];
    services: never[];
  };
  const read = (p: string) => {
    const t = readFileSync(join(dir, p), 'utf8');
    return p === breakFile ? t.slice(0, t.length >> 1) : t;
  };
  const nodeFiles = (node: string) =>
    new Map([
      ...NODE_COMMANDS.map((c) => [c.argv.join(' '), read(`nodes/${node}/${c.file}`)] as [string, string]),
      ...doc.pods
        .filter((p) => p.node === node)
        .map((p) => {
          const pids = p.containers.map((c) => String(c.pid));
          const paths = [...pids, 'self'].flatMap((x) =>
            ['net', 'pid', 'mnt', 'uts', 'ipc', 'cgroup'].map((k) => `/proc/${x}/ns/${k}`),
          );
          return [
            ['stat', '-L', '-c', '%n %i', ...paths, p.netns!].join(' '),
            read(`pods/${p.namespace}/${p.name}/namespaces.txt`),
          ] as [string, string];
        }),
    ]);
  return {
    kind: 'canned',
    log,
    nodes: async () => doc.nodes,
    node: async (name) => findNode(doc.nodes, name),
    pods: async () => doc.pods,
    completePod: async (p) => p,
    pod: async (ns, name) => findPod(doc.pods, ns, name),
    services: async () => doc.services,
    nodeHost: (node) => new CannedHost(`node/${node}`, nodeFiles(node), log),
    podNetHost: (p) =>
      new CannedHost(
        `pod/${p.namespace}/${p.name}`,
        new Map([['ip -j -d addr show', read(`pods/${p.namespace}/${p.name}/ip-addr.json`)]]),
        log,
      ),
    containerHost: () => {
      throw new Error('not needed');
    },
  };
}

describe('the live path through a ClusterView (canned hosts)', () => {
  test('--record writes exactly what the hosts answered, and replays to the same model', async () => {
    const out = join(tmp, 'recorded-again');
    const view = cannedView(RECORDING);
    const live = await discover(new LiveSource(view, out), { pods: [POD] });
    for (const f of [
      ...NODE_COMMANDS.map((c) => `nodes/worker-0/${c.file}`),
      'pods/network-trace/nettools-dual-pod/ip-addr.json',
      'pods/network-trace/nettools-dual-pod/namespaces.txt',
    ]) {
      assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(RECORDING, f), 'utf8'), f);
    }
    assert.equal(view.log.entries.length, NODE_COMMANDS.length + 2, 'one command per output');
    assert.match(
      readFileSync(join(out, 'commands.log'), 'utf8'),
      /\tnode\/worker-0\t0\t.*\tovs-vsctl --format=json list Bridge\n/,
    );
    const replay = await discover(new RecordedSource(out), { pods: [POD] });
    assert.deepEqual({ ...replay, source: undefined }, { ...live, source: undefined });
    assert.equal(live.source.kind, 'live');
    assert.equal(replay.source.kind, 'recorded');
  });

  test('a truncated live output names the node and the command', async () => {
    const view = cannedView(RECORDING, 'nodes/worker-0/ovs-bridges.json');
    await assert.rejects(discover(new LiveSource(view), { pods: [POD] }), (e: unknown) => {
      assert.ok(isNettraceError(e));
      assert.equal(e.code, 'topology.bad-output');
      assert.match(e.message, /^node worker-0: ovs-vsctl list Bridge: output is cut short/);
      return true;
    });
  });

  test('unknown pods and nodes list what exists', async () => {
    const view = cannedView(RECORDING);
    await assert.rejects(
      discover(new LiveSource(view), { pods: [{ namespace: 'network-trace', name: 'x' }] }),
      /no pod network-trace\/x in the canned \(pods in network-trace: nettools-dual-pod, static-server\)/,
    );
    await assert.rejects(
      discover(new LiveSource(view), { nodes: ['worker-7'] }),
      /no node worker-7 in the canned \(nodes: worker-0, worker-1\)/,
    );
  });
});
