// The nettools image must carry every tool the seed lists (plus python3 for the HTTP server).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const SEED_PACKAGES = [
  'tcpdump',
  'wireshark-cli',
  'conntrack-tools',
  'iproute',
  'iputils',
  'bind-utils',
  'net-tools',
  'bridge-utils',
  'ethtool',
  'curl',
  'wget',
  'nmap-ncat',
  'iperf3',
  'nmap',
  'traceroute',
  'telnet',
  'socat',
  'iftop',
  'iotop',
  'htop',
  'mtr',
  'procps-ng',
  'lsof',
  'strace',
  'bash-completion',
  'vim',
  'less',
];

/** Package names of every `dnf install` in the Dockerfile (continuation lines joined, options skipped). */
function dnfPackages(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const pkgs: string[] = [];
  for (const m of joined.matchAll(/dnf\s+install\s+([^&;\n]*)/g)) {
    pkgs.push(...m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-')));
  }
  return pkgs;
}

test('image/Dockerfile is Fedora-based and installs exactly the seed tools plus python3', () => {
  const text = readFileSync(new URL('../../image/Dockerfile', import.meta.url), 'utf8');
  assert.match(text, /^FROM registry\.fedoraproject\.org\/fedora:/m);
  const pkgs = dnfPackages(text);
  assert.equal(new Set(pkgs).size, pkgs.length, 'no package twice');
  assert.deepEqual([...pkgs].sort(), [...SEED_PACKAGES, 'python3'].sort());
});

test('image/README.md documents build, tag and push with podman', () => {
  const text = readFileSync(new URL('../../image/README.md', import.meta.url), 'utf8');
  for (const cmd of ['podman build', 'podman tag', 'podman push', 'nettrace lab manifests --image']) {
    assert.ok(text.includes(cmd), `mentions ${cmd}`);
  }
});
