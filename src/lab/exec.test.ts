import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { parseExecTarget } from './exec.ts';

describe('parseExecTarget (oc-style targets)', () => {
  test('node/NAME', () => {
    assert.deepEqual(parseExecTarget('node/worker-0'), { kind: 'node', name: 'worker-0' });
  });
  test('pod/NAME and a bare NAME default to the lab namespace; -n and -c apply', () => {
    assert.deepEqual(parseExecTarget('pod/nettools-dual-pod'), {
      kind: 'pod',
      namespace: 'network-trace',
      name: 'nettools-dual-pod',
    });
    assert.deepEqual(parseExecTarget('static-server', { namespace: 'x', container: 'c' }), {
      kind: 'pod',
      namespace: 'x',
      name: 'static-server',
      container: 'c',
    });
  });
  test('host/external and host/central', () => {
    assert.deepEqual(parseExecTarget('host/external'), { kind: 'external' });
    assert.deepEqual(parseExecTarget('host/central'), { kind: 'central' });
  });
  test('bad targets are lab.bad-target', () => {
    for (const [t, opts] of [
      ['svc/static-server', {}],
      ['node/', {}],
      ['host/elsewhere', {}],
      ['node/worker-0', { container: 'x' }],
    ] as const) {
      assert.throws(
        () => parseExecTarget(t, opts),
        (e: unknown) => isNettraceError(e) && e.code === 'lab.bad-target',
        t,
      );
    }
  });
});
