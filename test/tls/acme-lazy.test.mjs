// acme-client (with axios, node-forge and @peculiar/x509: ~26 MiB of RSS) is loaded only when a
// certificate is managed by ACME, not by every instance (server/acme/acme-client-module.ts).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/node_modules/acme-client/'));

test('loading the server (listeners, TLS endpoints, the ACME manager) does not load acme-client', async () => {
  await import('../../dist/server/listeners.js');
  await import('../../dist/server/acme/acme-manager.js');
  assert.deepEqual(loaded(), []);
  const { acmeClient } = await import('../../dist/server/acme/acme-client-module.js');
  assert.equal(typeof acmeClient().Client, 'function');
  assert.ok(loaded().length > 0, 'loaded on first use');
});
