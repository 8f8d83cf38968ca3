// GET /healthz on the admin listener: the probe endpoint answers without the token (probes carry
// none) and says whether shared state is in use; every other admin endpoint still needs it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, startOrigin, startProxy, simpleConfig } from '../helpers.mjs';

const closing = [];
after(async () => {
  for (const c of closing.reverse()) await c.close();
});

test('GET /healthz answers 200 without the admin token; /api/status still requires it', async () => {
  const origin = await startOrigin();
  closing.push(origin);
  const proxy = await startProxy(simpleConfig(origin.url, {}, { admin: { address: '127.0.0.1:0', token: 'a-token-for-the-test' } }));
  closing.push(proxy);
  const health = await adminRequest(proxy, '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json(), { status: 'ok', redis: 'off' });
  assert.equal(health.headers['cache-control'], 'no-store');
  assert.equal((await adminRequest(proxy, '/healthz', { method: 'HEAD' })).status, 200);
  assert.equal((await adminRequest(proxy, '/api/status')).status, 401);
  assert.equal((await adminRequest(proxy, '/healthz', { method: 'POST' })).status, 401, 'only GET and HEAD are open');
});
