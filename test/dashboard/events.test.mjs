// The dashboard without a browser: token → cookie session, the page and its assets (no other
// host referenced, CSP set), and GET /api/events parsed as an SSE stream whose numbers follow traffic.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminPort, adminRequest, readEvents, request, rewriteConfig, simpleConfig, startOrigin, startProxy } from '../helpers.mjs';

const TOKEN = 'dashboard-test-token-0123456789';
const cleanup = [];
after(async () => {
  while (cleanup.length) await cleanup.pop()();
});

const origin = await startOrigin((req, res) => {
  res.writeHead(req.url === '/boom' ? 502 : 200, { 'content-type': 'text/plain' });
  res.end('ok');
});
cleanup.push(() => origin.close());
const proxy = await startProxy({ ...simpleConfig(origin.url), admin: { address: '127.0.0.1:0', token: TOKEN } });
cleanup.push(() => proxy.close());
const port = await adminPort(proxy);

test('the page needs the token once: ?token= answers 303 with an HttpOnly SameSite=Strict cookie', async () => {
  const none = await adminRequest(proxy, '/');
  assert.equal(none.status, 401);
  assert.match(none.headers['content-type'], /^text\/html/);
  assert.equal((await adminRequest(proxy, '/?token=wrong')).status, 401);
  assert.equal((await adminRequest(proxy, '/api/events')).status, 401);
  assert.equal((await adminRequest(proxy, '/dashboard.js')).status, 401);

  const ok = await adminRequest(proxy, `/?token=${TOKEN}`);
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.location, '/');
  const cookie = ok.headers['set-cookie'][0];
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.ok(!cookie.includes(TOKEN), 'the cookie is not the token');
  const session = cookie.split(';')[0];

  const page = await adminRequest(proxy, '/', { headers: { cookie: session } });
  assert.equal(page.status, 200);
  assert.match(page.headers['content-security-policy'], /default-src 'none'/);
  const html = page.body.toString();
  assert.match(html, /<h1>Barbican<\/h1>/);
  for (const asset of ['/dashboard.js', '/dashboard.css']) {
    const r = await adminRequest(proxy, asset, { headers: { cookie: session } });
    assert.equal(r.status, 200, asset);
    assert.doesNotMatch(r.body.toString(), /(src|href|url)\s*[=(]\s*["']?(https?:)?\/\//i, `${asset} references no other host`);
  }
  assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//i, 'the page references no other host');

  // The cookie opens the dashboard only: the API still wants the bearer token.
  assert.equal((await adminRequest(proxy, '/api/status', { headers: { cookie: session } })).status, 401);
  assert.equal((await adminRequest(proxy, '/api/reload', { method: 'POST', headers: { cookie: session } })).status, 401);
  assert.equal((await adminRequest(proxy, '/', { method: 'POST', headers: { cookie: session } })).status, 405);
  assert.doesNotMatch(proxy.stderr() + proxy.stdout(), new RegExp(TOKEN), 'the token is never logged');
});

test('GET /api/events: one snapshot event per second, numbers follow traffic', async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const [first] = await readEvents(port, '/api/events', auth, () => true);
  assert.equal(first.fields.event, 'snapshot');
  assert.match(first.fields.id, /^\d+$/);
  const before = first.data.requests.total;
  for (const key of ['requests', 'latencyMs', 'inFlight', 'connections', 'cache', 'upstreams', 'topRoutes', 'errors', 'reload']) assert.ok(key in first.data, key);
  assert.equal(first.data.cache, null, 'no route caches');
  assert.equal(first.data.upstreams[0].targets[0].state, 'healthy');

  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => request(`${proxy.url}${i % 10 === 0 ? '/boom' : '/'}`, { agent })));
  agent.destroy();

  const events = await readEvents(port, '/api/events', auth, (e) => e.data.requests.total >= before + 50);
  const last = events.at(-1).data;
  assert.ok(last.requests.total >= before + 50);
  assert.ok(last.requests.classes['2xx'] >= 45);
  assert.ok(last.requests.classes['5xx'] >= 5);
  assert.ok(last.latencyMs.p50 > 0 && last.latencyMs.p50 <= last.latencyMs.p95 && last.latencyMs.p95 <= last.latencyMs.p99);
  assert.equal(last.topRoutes[0].name, 'main');
  assert.ok(last.topRoutes[0].errors >= 5);
  assert.ok(last.errors.some((e) => e.kind === '5xx' && /route main/.test(e.message)), JSON.stringify(last.errors));
});

test('a refused reload and its errors reach the dashboard', async () => {
  rewriteConfig(proxy, { ...simpleConfig(origin.url), admin: { address: '127.0.0.1:0', token: TOKEN }, routes: [{ name: 'main', upstream: 'missing' }] });
  const refused = await adminRequest(proxy, '/api/reload', { method: 'POST', token: TOKEN });
  assert.equal(refused.status, 422);
  const events = await readEvents(port, '/api/events', { authorization: `Bearer ${TOKEN}` }, (e) => e.data.reload !== null && e.data.errors.some((x) => x.kind === 'reload'));
  const last = events.at(-1).data;
  assert.equal(last.reload.ok, false);
  assert.ok(last.reload.errors.length > 0);
  assert.match(last.reload.errors.join('\n'), /missing/);
});
