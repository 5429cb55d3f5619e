import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cleanup, withCleanup } from './cleanup.ts';

test('undo actions run in reverse order, and once', async () => {
  const c = new Cleanup();
  const seen: string[] = [];
  c.add('a', () => {
    seen.push('a');
  });
  c.add('b', async () => {
    seen.push('b');
  });
  assert.deepEqual(await c.run(), []);
  assert.deepEqual(await c.run(), []);
  assert.deepEqual(seen, ['b', 'a']);
});

test('a failing undo does not stop the others, and is reported', async () => {
  const c = new Cleanup();
  const seen: string[] = [];
  c.add('first', () => {
    seen.push('first');
  });
  c.add('broken', () => {
    throw new Error('boom');
  });
  c.add('last', () => {
    seen.push('last');
  });
  assert.deepEqual(await c.run(), ['broken: boom']);
  assert.deepEqual(seen, ['last', 'first']);
});

test('an undo run early is not run again', async () => {
  const c = new Cleanup();
  let n = 0;
  const early = c.add('x', () => {
    n++;
  });
  await early();
  await c.run();
  assert.equal(n, 1);
});

test('withCleanup cleans up after an error and rethrows it', async () => {
  let cleaned = false;
  await assert.rejects(
    withCleanup(async (c) => {
      c.add('thing', () => {
        cleaned = true;
      });
      throw new Error('body failed');
    }),
    /body failed/,
  );
  assert.equal(cleaned, true);
});

test('SIGINT aborts the body and still cleans up', async () => {
  let cleaned = false;
  const r = await withCleanup(async (c, signal) => {
    c.add('thing', () => {
      cleaned = true;
    });
    setTimeout(() => process.emit('SIGINT', 'SIGINT'), 10);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    return signal.aborted;
  });
  assert.equal(r, true);
  assert.equal(cleaned, true);
});
