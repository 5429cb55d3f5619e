import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isNettraceError } from '../errors.ts';
import { defaultSpec } from './spec.ts';
import { isAlive, labPaths, processRef, procStartTime, StateStore } from './state.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'nettrace-state-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('StateStore', () => {
  test('no state file: load() is undefined', () => {
    assert.equal(new StateStore(tmp()).load(), undefined);
  });
  test('begin + add are on disk immediately, in order, and load back', () => {
    const dir = join(tmp(), 'lab');
    const store = new StateStore(dir);
    store.begin(defaultSpec(), processRef(process.pid)!);
    store.add({ kind: 'netns', name: 'a' });
    store.add({ kind: 'dir', path: join(dir, 'x') }, { kind: 'netns', name: 'b' });
    const onDisk = JSON.parse(readFileSync(labPaths(dir).stateFile, 'utf8'));
    assert.deepEqual(
      onDisk.resources.map((r: { kind: string }) => r.kind),
      ['netns', 'dir', 'netns'],
    );
    const again = new StateStore(dir).load()!;
    assert.equal(again.status, 'building');
    assert.equal(again.createdStateDir, true);
    assert.equal(again.owner.pid, process.pid);
    assert.deepEqual(again.spec, defaultSpec());
    store.update((s) => {
      s.status = 'up';
    });
    assert.equal(new StateStore(dir).load()!.status, 'up');
    assert.ok(!existsSync(`${labPaths(dir).stateFile}.tmp`), 'writes go through a renamed temp file');
  });
  test('an existing directory is remembered as not ours', () => {
    const dir = tmp();
    new StateStore(dir).begin(defaultSpec(), processRef(process.pid)!);
    assert.equal(new StateStore(dir).load()!.createdStateDir, false);
  });
  test('a corrupt or foreign state file is lab.bad-state naming the file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'state.json'), '{"version": 99, "resources": []}');
    assert.throws(
      () => new StateStore(dir).load(),
      (e: unknown) =>
        isNettraceError(e) && e.code === 'lab.bad-state' && e.message.includes(join(dir, 'state.json')),
    );
    writeFileSync(join(dir, 'state.json'), '{not json');
    assert.throws(
      () => new StateStore(dir).load(),
      (e: unknown) => isNettraceError(e) && e.code === 'lab.bad-state',
    );
  });
  test('remove() deletes the state file', () => {
    const dir = tmp();
    const store = new StateStore(dir);
    store.begin(defaultSpec(), processRef(process.pid)!);
    store.remove();
    assert.equal(store.exists(), false);
  });
});

describe('process identity', () => {
  test('a live process has a start time; its ref is alive only with the same start time', () => {
    const st = procStartTime(process.pid);
    assert.ok(st !== undefined && st > 0);
    assert.ok(isAlive({ pid: process.pid, startTime: st }));
    assert.ok(!isAlive({ pid: process.pid, startTime: st + 1 }), 'a recycled pid is not ours');
    assert.ok(!isAlive({}));
  });
  test('a pid with no process is not alive', () => {
    assert.equal(procStartTime(2 ** 22 + 12345), undefined);
  });
});
