// The heap growing factor startInstance sets (heap-growth.ts): V8's own choice, from a marking
// speed inflated by concurrent marking, was its least (1.1) under proxy load, and the full
// collections it brought were the POST p99's tail. Each case runs a child node that grows its
// old generation past a forced full collection and reports where V8 started the next one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/heap/growth-child.mjs', import.meta.url));
const moduleUrl = new URL('../dist/heap-growth.js', import.meta.url).href;

async function measure(mode, nodeFlags = []) {
  const { stdout } = await run(process.execPath, ['--expose-gc', ...nodeFlags, child, moduleUrl, mode], { timeout: 60_000 });
  const result = JSON.parse(stdout.trim());
  assert.ok(result.nextMB > 0, `a full collection came within 600 MiB (${stdout.trim()})`);
  return result;
}

test('tuneHeapGrowth sets the factor while node runs: the next full collection waits for ~4x the live heap', async () => {
  const { HEAP_GROWING_PERCENT } = await import(moduleUrl);
  assert.equal(HEAP_GROWING_PERCENT, 300);
  const low = await measure('low');
  const tuned = await measure('low-then-tuned');
  assert.equal(tuned.applied, true);
  // Factor 1.1 starts the next one within ~2.5x of what was live (V8 adds a minimum step), 4 past 3x.
  assert.ok(low.nextMB < 2.5 * low.liveMB, `factor 1.1: next full collection at ${low.nextMB} MiB, ${low.liveMB} live`);
  assert.ok(tuned.nextMB > 3 * tuned.liveMB, `factor 4: next full collection at ${tuned.nextMB} MiB, ${tuned.liveMB} live`);
});

test("a --heap-growing-percent given to node is the operator's and stays", async () => {
  const { tuneHeapGrowth } = await import(moduleUrl);
  assert.equal(tuneHeapGrowth(['--heap-growing-percent=10']), false);
  assert.equal(tuneHeapGrowth(['--heap_growing_percent', '10']), false);
  assert.equal(tuneHeapGrowth(['--max-old-space-size=512']), true);
  const operator = await measure('operator', ['--heap-growing-percent=10']);
  assert.equal(operator.applied, false);
  assert.ok(operator.nextMB < 2.5 * operator.liveMB, `the operator's factor 1.1 holds: next at ${operator.nextMB} MiB, ${operator.liveMB} live`);
});
