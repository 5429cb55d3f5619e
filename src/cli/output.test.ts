import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const output = fileURLToPath(new URL('./output.ts', import.meta.url));

// A child writes through Output to a pipe read slowly, so writes come back partial or EAGAIN; the
// bytes read must be exactly the text (multi-byte UTF-8 across chunk and write boundaries).
test('Output delivers every byte through a slow pipe, multi-byte characters included', async () => {
  const script = `
    import { Output } from ${JSON.stringify(output)};
    const out = new Output(process.stdout);
    for (let i = 0; i < 40000; i++) out.line(i + ' héllo wörld ✓ 𝄞 ' + 'x'.repeat(i % 97));
    out.flush();
  `;
  let want = '';
  for (let i = 0; i < 40000; i++) want += `${i} héllo wörld ✓ 𝄞 ${'x'.repeat(i % 97)}\n`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Listened for before reading: the child may close while the last chunks are being read.
  const closed = new Promise((r) => child.on('close', r));
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) {
    chunks.push(chunk as Buffer);
    await new Promise((r) => setTimeout(r, 1));
  }
  const code = await closed;
  assert.equal(code, 0);
  const got = Buffer.concat(chunks);
  assert.equal(got.length, Buffer.byteLength(want));
  assert.equal(got.toString('utf8'), want);
});
