// The admin listener through the real binary: bearer-token auth, status JSON, config redaction, drain/undrain.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminRequest, request, simpleConfig, startOrigin, startProxy } from '../helpers.mjs';

const TOKEN = 'test-admin-token-0123456789';
const cleanup = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()();
});

async function start(config) {
  const proxy = await startProxy(config);
  cleanup.push(() => proxy.close());
  return proxy;
}

async function origin(name) {
  const o = await startOrigin((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  cleanup.push(() => o.close());
  return o;
}

test('a configured token is required (401 with WWW-Authenticate), even on loopback', async () => {
  const o = await origin('a');
  const proxy = await start({ ...simpleConfig(o.url), admin: { address: '127.0.0.1:0', token: TOKEN } });
  for (const path of ['/api/status', '/metrics', '/api/config']) {
    const none = await adminRequest(proxy, path);
    assert.equal(none.status, 401, path);
    assert.match(none.headers['www-authenticate'], /^Bearer/);
    assert.equal(none.json().error.code, 'UNAUTHORIZED');
    assert.equal((await adminRequest(proxy, path, { token: 'wrong' })).status, 401);
    assert.equal((await adminRequest(proxy, path, { token: `${TOKEN}x` })).status, 401);
    assert.equal((await adminRequest(proxy, path, { token: TOKEN })).status, 200, path);
  }
  const reload = await adminRequest(proxy, '/api/reload', { method: 'POST' });
  assert.equal(reload.status, 401, 'reload is not possible without the token');
  assert.doesNotMatch(proxy.stderr(), new RegExp(TOKEN), 'the token never appears in the log');
});

test('without a token, a loopback admin listener answers; unknown paths 404, wrong methods 405', async () => {
  const o = await origin('a');
  const proxy = await start({ ...simpleConfig(o.url), admin: { address: '127.0.0.1:0' } });
  assert.equal((await adminRequest(proxy, '/api/status')).status, 200);
  assert.equal((await adminRequest(proxy, '/nope')).status, 404);
  const wrong = await adminRequest(proxy, '/api/reload');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.json().error.code, 'METHOD_NOT_ALLOWED');
});

test('GET /api/status: routes, upstreams and every target with health, in-flight, latency, weight, backup', async () => {
  const a = await origin('a');
  const b = await origin('b');
  const proxy = await start({
    upstreams: { app: { targets: [{ url: a.url, weight: 2 }, { url: b.url, backup: true }], balancer: 'leastLatency' } },
    routes: [
      { name: 'api', match: { pathPrefix: '/api/' }, upstream: 'app' },
      { name: 'ping', match: { path: '/ping' }, respond: { status: 200, body: 'pong' } },
    ],
    admin: { address: '127.0.0.1:0', token: TOKEN },
  });
  await request(`${proxy.url}/api/x`);
  const status = (await adminRequest(proxy, '/api/status', { token: TOKEN })).json();
  assert.deepEqual(
    status.routes.map((r) => [r.name, r.kind]),
    [
      ['api', 'upstream'],
      ['ping', 'respond'],
    ],
  );
  assert.equal(status.routes[0].upstream, 'app');
  assert.equal(status.upstreams.length, 1);
  const up = status.upstreams[0];
  assert.equal(up.name, 'app');
  assert.equal(up.balancer, 'leastLatency');
  const [ta, tb] = up.targets;
  for (const t of [ta, tb]) {
    for (const key of ['url', 'available', 'healthy', 'draining', 'ejected', 'ejectedUntil', 'ejections', 'inFlight', 'latencyEwmaMs', 'weight', 'backup']) {
      assert.ok(key in t, `target has ${key}`);
    }
  }
  assert.equal(ta.url, a.url);
  assert.equal(ta.weight, 2);
  assert.equal(ta.backup, false);
  assert.equal(tb.backup, true);
  assert.equal(ta.available, true);
  assert.equal(ta.ejectedUntil, null);
  assert.equal(ta.inFlight, 0);
  assert.ok(ta.latencyEwmaMs > 0, 'leastLatency measured the answer');
  assert.equal(typeof status.uptimeSeconds, 'number');
  assert.equal(status.reload, null, 'no reload yet');
});

test('GET /api/config shows the running config with every secret redacted', async () => {
  const o = await origin('a');
  const secret = 'jwt-secret-that-is-long-enough-for-hs256-0123456789';
  const proxy = await start({
    upstreams: { app: { targets: [{ url: o.url }], sticky: { cookie: 'srv', secret: 'sticky-secret-0123456789abcdef' } } },
    routes: [
      {
        name: 'main',
        upstream: 'app',
        requestHeaders: { set: { authorization: 'Basic c2VjcmV0OnNlY3JldA==', 'x-env': 'prod' } },
        access: { jwt: { secret, algorithms: ['HS256'] } },
      },
    ],
    admin: { address: '127.0.0.1:0', token: TOKEN },
  });
  const res = await adminRequest(proxy, '/api/config', { token: TOKEN });
  assert.equal(res.status, 200);
  const text = res.body.toString();
  for (const leaked of [TOKEN, secret, 'sticky-secret-0123456789abcdef', 'c2VjcmV0OnNlY3JldA==']) assert.ok(!text.includes(leaked), `${leaked} is not shown`);
  const config = res.json();
  assert.equal(config.admin.token, '[redacted]');
  assert.equal(config.routes[0].access.jwt.secret, '[redacted]');
  assert.equal(config.upstreams.app.sticky.secret, '[redacted]');
  assert.equal(config.routes[0].requestHeaders.set.authorization, '[redacted]');
  assert.equal(config.routes[0].requestHeaders.set['x-env'], 'prod', 'other values are shown');
  assert.equal(config.upstreams.app.targets[0].url, o.url);
});

/** Which origin answers `n` GETs (keep-alive), as { a: count, b: count }. */
async function spread(proxy, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const counts = {};
  try {
    for (let i = 0; i < n; i++) {
      const res = await request(`${proxy.url}/`, { agent });
      const who = res.body.toString();
      counts[who] = (counts[who] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return counts;
}

test('POST /api/targets/drain takes a target out of rotation; /undrain puts it back', async () => {
  const a = await origin('a');
  const b = await origin('b');
  const proxy = await start({
    upstreams: { app: { targets: [{ url: a.url }, { url: b.url }] } },
    routes: [{ name: 'main', upstream: 'app' }],
    admin: { address: '127.0.0.1:0', token: TOKEN },
  });
  assert.deepEqual(await spread(proxy, 10), { a: 5, b: 5 });

  const drained = await adminRequest(proxy, '/api/targets/drain', { method: 'POST', token: TOKEN, json: { upstream: 'app', target: b.url } });
  assert.equal(drained.status, 200);
  assert.equal(drained.json().target.draining, true);
  assert.equal(drained.json().target.available, false);
  assert.deepEqual(await spread(proxy, 10), { a: 10 });
  const status = (await adminRequest(proxy, '/api/status', { token: TOKEN })).json();
  assert.equal(status.upstreams[0].targets[1].draining, true);

  // The query string works too, and a trailing slash does not matter.
  const undrained = await adminRequest(proxy, `/api/targets/undrain?upstream=app&target=${encodeURIComponent(`${b.url}/`)}`, { method: 'POST', token: TOKEN });
  assert.equal(undrained.status, 200);
  assert.equal(undrained.json().target.draining, false);
  assert.deepEqual(await spread(proxy, 10), { a: 5, b: 5 });

  const unknown = await adminRequest(proxy, '/api/targets/drain', { method: 'POST', token: TOKEN, json: { upstream: 'app', target: 'http://127.0.0.1:1' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json().error.code, 'UNKNOWN_TARGET');
  assert.equal((await adminRequest(proxy, '/api/targets/drain', { method: 'POST', token: TOKEN, json: { upstream: 'nope', target: a.url } })).status, 404);
  assert.equal((await adminRequest(proxy, '/api/targets/drain', { method: 'POST', token: TOKEN })).status, 400);
});

test('a non-loopback admin address without a token is a config error', async () => {
  const o = await origin('a');
  await assert.rejects(start({ ...simpleConfig(o.url), admin: { address: '0.0.0.0:0' } }), /admin\.token: a token is required/);
});
