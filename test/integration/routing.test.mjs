// Routing through the real binary: match conditions in order, the three actions, rewrites as
// the origin sees them, the 404 for unmatched requests, and round robin across two targets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startOrigin, startProxy, request } from '../helpers.mjs';

/** A route forwarding to `origin` that tags the request (upstream) and the response (client). */
function tagged(name, match, extra = {}) {
  return {
    name,
    match,
    upstream: 'origin',
    requestHeaders: { set: { 'x-route': name } },
    responseHeaders: { set: { 'x-route': name } },
    ...extra,
  };
}

/** The JSON the default echo origin answers with. */
function echo(res) {
  assert.equal(res.headers['content-type'], 'application/json');
  return JSON.parse(res.body.toString('utf8'));
}

describe('routing: match conditions, actions and rewrites', () => {
  let origin;
  let proxy;
  const get = (path, headers = {}, method = 'GET') => request(proxy.url + path, { method, headers });

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        tagged('order-first', { pathPrefix: '/order' }),
        tagged('order-second', { path: '/order/second' }),
        tagged('api-exact', { hosts: ['api.example.com'], pathPrefix: '/v1/' }),
        tagged('api-wild', { hosts: ['*.example.com'] }),
        tagged('exact-path', { path: '/exact' }),
        tagged('regex', { pathRegex: '^/items/[0-9]+$' }),
        tagged('get-only', { pathPrefix: '/m/', methods: ['GET'] }),
        tagged('post-only', { pathPrefix: '/m/', methods: ['POST', 'DELETE'] }),
        tagged('canary', { pathPrefix: '/c/', headers: { 'x-canary': '1' } }),
        tagged('stable', { pathPrefix: '/c/' }),
        { name: 'old-site', match: { hosts: ['old.example.net'] }, redirect: { to: 'https://new.example.com{path}{query}', status: 301 } },
        { name: 'moved', match: { path: '/moved' }, redirect: { to: '{scheme}://{host}/new-home{query}' } },
        { name: 'ping', match: { path: '/ping' }, respond: { status: 200, body: 'pong\n', headers: { 'content-type': 'text/plain', 'x-answered-by': 'barbican' } } },
        { name: 'teapot', match: { path: '/teapot' }, respond: { status: 418, body: 'short and stout' } },
        tagged('strip', { pathPrefix: '/strip/' }, { rewrite: { stripPrefix: '/strip', addPrefix: '/api', host: 'keep' } }),
        tagged('host-target', { pathPrefix: '/host-target/' }, { rewrite: { host: 'target' } }),
        tagged('host-literal', { pathPrefix: '/host-literal/' }, { rewrite: { host: 'internal.example:9000' } }),
        // no catch-all: anything else is a 404
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('first matching route wins, in config order', async () => {
    const res = await get('/order/second');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-route'], 'order-first');
    assert.equal(echo(res).headers['x-route'], 'order-first');
  });

  it('matches an exact host, ignoring the port and case of the Host header', async () => {
    for (const host of ['api.example.com', 'api.example.com:8080', 'API.Example.COM:443']) {
      const res = await get('/v1/users', { host });
      assert.equal(res.status, 200, host);
      assert.equal(res.headers['x-route'], 'api-exact', host);
      assert.equal(echo(res).headers['x-route'], 'api-exact', host);
    }
  });

  it('a later wildcard route catches the exact host when the exact route does not match', async () => {
    const res = await get('/v2/users', { host: 'api.example.com' });
    assert.equal(res.headers['x-route'], 'api-wild');
  });

  it('matches *. wildcard hosts at any depth (with a port), but not the bare domain', async () => {
    for (const host of ['www.example.com', 'a.b.example.com:8443', 'shop.example.com']) {
      const res = await get('/anything', { host });
      assert.equal(res.status, 200, host);
      assert.equal(res.headers['x-route'], 'api-wild', host);
    }
    const bare = await get('/anything', { host: 'example.com' });
    assert.equal(bare.status, 404);
    const other = await get('/anything', { host: 'www.example.org' });
    assert.equal(other.status, 404);
  });

  it('matches an exact path (not a prefix of it)', async () => {
    const res = await get('/exact?q=1');
    assert.equal(res.headers['x-route'], 'exact-path');
    assert.equal(echo(res).url, '/exact?q=1');
    assert.equal((await get('/exact/more')).status, 404);
    assert.equal((await get('/exactly')).status, 404);
  });

  it('matches a path regex against the path only', async () => {
    const res = await get('/items/42?x=y');
    assert.equal(res.headers['x-route'], 'regex');
    assert.equal((await get('/items/abc')).status, 404);
    assert.equal((await get('/items/42/edit')).status, 404);
  });

  it('matches methods; HEAD matches a GET route', async () => {
    const g = await get('/m/x');
    assert.equal(g.headers['x-route'], 'get-only');
    const p = await get('/m/x', {}, 'POST');
    assert.equal(p.headers['x-route'], 'post-only');
    assert.equal(echo(p).method, 'POST');
    const d = await get('/m/x', {}, 'DELETE');
    assert.equal(d.headers['x-route'], 'post-only');

    const before = origin.requests.length;
    const h = await get('/m/head', {}, 'HEAD');
    assert.equal(h.status, 200);
    assert.equal(h.headers['x-route'], 'get-only');
    assert.equal(h.body.length, 0);
    const seen = origin.requests.slice(before);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'HEAD');
    assert.equal(seen[0].headers['x-route'], 'get-only');

    const put = await get('/m/x', {}, 'PUT');
    assert.equal(put.status, 404);
    assert.match(put.body.toString(), /ROUTE_NOT_FOUND/);
  });

  it('matches request headers by exact value', async () => {
    assert.equal((await get('/c/a', { 'x-canary': '1' })).headers['x-route'], 'canary');
    assert.equal((await get('/c/a', { 'X-Canary': '1' })).headers['x-route'], 'canary');
    assert.equal((await get('/c/a', { 'x-canary': '2' })).headers['x-route'], 'stable');
    assert.equal((await get('/c/a')).headers['x-route'], 'stable');
  });

  it('redirect: status and {path}{query} expansion', async () => {
    const before = origin.requests.length;
    const res = await get('/a/b?x=1&y=2', { host: 'old.example.net' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://new.example.com/a/b?x=1&y=2');
    assert.equal(res.body.length, 0);
    const noQuery = await get('/a/b', { host: 'old.example.net' });
    assert.equal(noQuery.headers.location, 'https://new.example.com/a/b');
    assert.equal(origin.requests.length, before, 'a redirect never reaches the origin');
  });

  it('redirect: default status 308 and {scheme}/{host} expansion', async () => {
    const res = await get('/moved?q=1', { host: 'www.test' });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'http://www.test/new-home?q=1');
  });

  it('respond: status, body and headers from the route', async () => {
    const before = origin.requests.length;
    const ping = await get('/ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.body.toString(), 'pong\n');
    assert.equal(ping.headers['content-type'], 'text/plain');
    assert.equal(ping.headers['x-answered-by'], 'barbican');
    assert.equal(ping.headers['content-length'], '5');
    const tea = await get('/teapot');
    assert.equal(tea.status, 418);
    assert.equal(tea.body.toString(), 'short and stout');
    assert.equal(origin.requests.length, before, 'respond never reaches the origin');
  });

  it('nothing matches: 404 ROUTE_NOT_FOUND with an X-Request-Id', async () => {
    const before = origin.requests.length;
    const res = await get('/nowhere');
    assert.equal(res.status, 404);
    const body = res.body.toString();
    assert.match(body, /ROUTE_NOT_FOUND/);
    const id = res.headers['x-request-id'];
    assert.ok(typeof id === 'string' && id.length > 0, 'X-Request-Id header present');
    assert.ok(body.includes(id), 'body names the request id');
    assert.equal(origin.requests.length, before);
  });

  it('rewrite: stripPrefix then addPrefix, query untouched, Host kept', async () => {
    const res = await get('/strip/users/7?sort=desc&x=/strip/', { host: 'app.test:8080' });
    assert.equal(res.headers['x-route'], 'strip');
    const seen = echo(res);
    assert.equal(seen.url, '/api/users/7?sort=desc&x=/strip/');
    assert.equal(seen.headers.host, 'app.test:8080');
    assert.equal(seen.headers['x-forwarded-host'], 'app.test:8080');
    const bare = echo(await get('/strip/', { host: 'app.test' }));
    assert.equal(bare.url, '/api/');
  });

  it('rewrite host: target sends the target host:port', async () => {
    const seen = echo(await get('/host-target/x', { host: 'app.test' }));
    assert.equal(seen.headers.host, `127.0.0.1:${origin.port}`);
    assert.equal(seen.headers['x-forwarded-host'], 'app.test');
    assert.equal(seen.url, '/host-target/x');
  });

  it('rewrite host: a literal value', async () => {
    const seen = echo(await get('/host-literal/x', { host: 'app.test' }));
    assert.equal(seen.headers.host, 'internal.example:9000');
    assert.equal(seen.headers['x-forwarded-host'], 'app.test');
  });
});

describe('routing: load balancing across two targets', () => {
  let a;
  let b;
  let proxy;
  let agent;

  before(async () => {
    a = await startOrigin();
    b = await startOrigin();
    proxy = await startProxy({
      upstreams: {
        even: { targets: [{ url: a.url }, { url: b.url }] },
        weighted: { targets: [{ url: a.url, weight: 3 }, { url: b.url, weight: 1 }] },
      },
      routes: [
        { name: 'even', match: { pathPrefix: '/even/' }, upstream: 'even' },
        { name: 'weighted', match: { pathPrefix: '/weighted/' }, upstream: 'weighted' },
      ],
    });
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  });

  after(async () => {
    agent?.destroy();
    await proxy?.close();
    await a?.close();
    await b?.close();
  });

  /** Sends `n` GETs to `prefix<i>`, 16 at a time; all must succeed. */
  async function send(prefix, n) {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`${proxy.url}${prefix}${i}`, { agent });
        assert.equal(res.status, 200);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  const count = (origin, prefix) => origin.requests.filter((r) => r.url.startsWith(prefix)).length;

  it('both targets of an upstream receive traffic (round robin)', async () => {
    await send('/even/', 100);
    const na = count(a, '/even/');
    const nb = count(b, '/even/');
    assert.equal(na + nb, 100);
    assert.ok(na >= 45 && na <= 55, `target a got ${na} of 100`);
    assert.ok(nb >= 45 && nb <= 55, `target b got ${nb} of 100`);
  });

  it('weights 3:1 split 400 requests 300:100 within ±5%', async () => {
    await send('/weighted/', 400);
    const na = count(a, '/weighted/');
    const nb = count(b, '/weighted/');
    assert.equal(na + nb, 400);
    assert.ok(Math.abs(na - 300) <= 15, `weight-3 target got ${na}, expected 300 ±15`);
    assert.ok(Math.abs(nb - 100) <= 5, `weight-1 target got ${nb}, expected 100 ±5`);
  });
});
