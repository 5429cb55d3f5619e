import assert from 'node:assert/strict';
import { test } from 'node:test';
import { underHost } from './kube-node.ts';

test('netns paths are named under /host through /run, not the /var/run symlink', () => {
  // CRI-O and containerd report /var/run/netns/...; Debian's /var/run is an absolute link to /run.
  assert.equal(underHost('/var/run/netns/3f1c'), '/host/run/netns/3f1c', 'CRI-O form');
  assert.equal(underHost('/run/netns/cni-1'), '/host/run/netns/cni-1', 'already /run');
  assert.equal(underHost('/proc/4242/ns/net'), '/host/proc/4242/ns/net', 'other paths unchanged');
  assert.equal(underHost('/var/running/x'), '/host/var/running/x', 'only the /var/run directory');
});
