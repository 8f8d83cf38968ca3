// Dependencies an instance may never need are loaded on first use, not at start-up
// (lazy-module.ts): acme-client (~26 MiB of RSS with its own dependencies), ioredis, undici.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes(`/node_modules/${name}/`));

test('loading the whole proxy loads neither acme-client, ioredis nor undici; the loader loads them once', async () => {
  // main.ts imports everything a process may run: listeners, TLS and ACME, the runtime (health
  // checks, access control), shared state, workers.
  await import('../dist/proxy/runtime.js');
  await import('../dist/server/listeners.js');
  await import('../dist/server/acme/acme-manager.js');
  await import('../dist/state/index.js');
  await import('../dist/workers/supervisor.js');
  for (const name of ['acme-client', 'ioredis', 'undici']) assert.deepEqual(loaded(name), [], `${name} is not loaded`);

  const { lazyModule } = await import('../dist/lazy-module.js');
  const acme = lazyModule('acme-client');
  assert.equal(typeof acme().Client, 'function');
  assert.equal(acme(), acme(), 'the same module every time');
  assert.ok(loaded('acme-client').length > 0, 'loaded on first use');
});
