// Forward auth through the real proxy: a 2xx from the authentication service lets the request
// through (with the chosen answer headers set upstream, forged copies removed); any other answer
// goes back to the client as it is; a service that is down, slow or too talkative means 503,
// never access. The service receives X-Forwarded-* and the copied client headers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { startOrigin, startProxy, request, deadAddress } from '../helpers.mjs';

/** The authentication service: decides by the Authorization header, records what it got. */
async function startAuth() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const auth = req.headers.authorization ?? '';
    if (auth === 'Bearer good') {
      res.writeHead(200, { 'x-user-roles': 'admin', 'x-other': 'not copied', 'content-type': 'text/plain' });
      res.end('ok');
    } else if (auth === 'Bearer norole') {
      res.writeHead(204);
      res.end();
    } else if (auth === 'Bearer login') {
      res.writeHead(302, { location: 'https://login.test/?next=%2F', 'set-cookie': ['a=1', 'b=2'], server: 'auth-server/1.0' });
      res.end();
    } else if (auth === 'Bearer big') {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('x'.repeat(100 * 1024));
    } else if (auth === 'Bearer slow') {
      // never answers
    } else {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="auth"', 'content-type': 'application/json', 'x-powered-by': 'auth' });
      res.end('{"error":"login required"}');
    }
  });
  const sockets = new Set();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    seen,
    url: `http://127.0.0.1:${server.address().port}/verify`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

describe('access: forwardAuth', () => {
  let origin;
  let auth;
  let proxy;

  before(async () => {
    origin = await startOrigin();
    auth = await startAuth();
    const dead = await deadAddress();
    const fa = { url: auth.url, copyRequestHeaders: ['authorization', 'cookie'], copyResponseHeaders: ['x-user-roles'], timeout: '500ms' };
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        { name: 'app', match: { pathPrefix: '/app/' }, upstream: 'origin', access: { forwardAuth: fa } },
        { name: 'down', match: { pathPrefix: '/down/' }, upstream: 'origin', access: { forwardAuth: { ...fa, url: `${dead}/verify` } } },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await auth?.close();
    await origin?.close();
  });

  const get = (path, authorization, headers = {}) => request(`${proxy.url}${path}`, { headers: { ...(authorization ? { authorization } : {}), ...headers } });

  it('2xx lets the request through with the listed answer headers; X-Forwarded-* reach the service', async () => {
    const res = await get('/app/items?x=1', 'Bearer good', { cookie: 'sid=abc', 'x-user-roles': 'forged', 'x-other': 'client' });
    assert.equal(res.status, 200);
    const up = origin.requests.at(-1);
    assert.equal(up.url, '/app/items?x=1');
    assert.equal(up.headers['x-user-roles'], 'admin', 'set from the service, the forged value removed');
    assert.equal(up.rawHeaders.filter((h) => h.toLowerCase() === 'x-user-roles').length, 1);
    assert.equal(up.headers['x-other'], 'client', 'headers not listed are not copied');
    const asked = auth.seen.at(-1);
    assert.equal(asked.method, 'GET');
    assert.equal(asked.url, '/verify');
    assert.equal(asked.headers['x-forwarded-method'], 'GET');
    assert.equal(asked.headers['x-forwarded-proto'], 'http');
    assert.equal(asked.headers['x-forwarded-host'], `127.0.0.1:${proxy.port}`);
    assert.equal(asked.headers['x-forwarded-uri'], '/app/items?x=1');
    assert.equal(asked.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(asked.headers.authorization, 'Bearer good');
    assert.equal(asked.headers.cookie, 'sid=abc');
    assert.ok(asked.headers['x-request-id']);
    assert.equal(asked.headers['x-user-roles'], undefined, 'not a copied request header');
  });

  it('a forged copied header is removed even when the service does not send it', async () => {
    const res = await get('/app/n', 'Bearer norole', { 'x-user-roles': 'admin' });
    assert.equal(res.status, 200);
    assert.equal(origin.requests.at(-1).headers['x-user-roles'], undefined);
  });

  it('any other answer goes back to the client as it is, and the origin sees nothing', async () => {
    const before = origin.requests.length;
    const denied = await get('/app/x');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['www-authenticate'], 'Bearer realm="auth"');
    assert.equal(denied.headers['content-type'], 'application/json');
    assert.equal(denied.body.toString(), '{"error":"login required"}');
    assert.equal(denied.headers['x-powered-by'], undefined, 'hidden headers stay hidden');
    const login = await get('/app/x', 'Bearer login');
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, 'https://login.test/?next=%2F');
    assert.deepEqual(login.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(login.headers.server, undefined);
    assert.equal(origin.requests.length, before);
    const [line] = await proxy.waitForLog((l) => l.status === 302);
    assert.equal(line.error, 'AUTH_SERVICE_DENIED');
  });

  it('a service that is down, too slow or answers too much means 503, never access', async () => {
    const before = origin.requests.length;
    for (const [path, authorization, why] of [['/down/x', 'Bearer good', 'refused'], ['/app/x', 'Bearer slow', 'timeout'], ['/app/x', 'Bearer big', 'body over 64 KiB']]) {
      const start = performance.now();
      const res = await get(path, authorization);
      assert.equal(res.status, 503, why);
      assert.match(res.body.toString(), /code: AUTH_SERVICE_UNAVAILABLE/, why);
      if (why === 'timeout') assert.ok(performance.now() - start < 3000, 'answered within about the timeout');
    }
    assert.equal(origin.requests.length, before);
  });

  it('a client that leaves while the service decides is not forwarded', async () => {
    const before = origin.requests.length;
    await new Promise((resolve) => {
      const r = http.request(`${proxy.url}/app/leaving`, { headers: { authorization: 'Bearer slow' }, agent: false });
      r.on('error', () => resolve());
      r.end();
      setTimeout(() => {
        r.destroy();
        resolve();
      }, 100);
    });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(origin.requests.length, before);
    const [line] = await proxy.waitForLog((l) => l.path === '/app/leaving');
    assert.equal(line?.status, 499);
  });
});
