// Path normalization through the real proxy: the canonical path is what routes match, what a
// rewrite works on, what the access log shows, and what the origin receives. Spellings of
// /admin must reach the /admin route (never the /public one) and arrive as /admin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startProxy, rawRequest } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A route to the origin that tags the request it forwards. */
const tagged = (name, match, extra = {}) => ({ name, match, upstream: 'origin', requestHeaders: { set: { 'x-route': name } }, ...extra });

describe('path normalization before routing', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        tagged('admin', { pathPrefix: '/admin' }),
        tagged('public', { pathPrefix: '/public' }),
        tagged('api', { pathPrefix: '/api/' }, { rewrite: { stripPrefix: '/api' } }),
        // no catch-all: anything else is a 404
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  /** Sends one request; returns { status, code, seen } where `seen` is what the origin got. */
  async function get(target, host = 'edge.test') {
    const before = origin.requests.length;
    const res = await rawRequest(proxy.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, { idleMs: 1000 });
    await sleep(20);
    const seen = origin.requests.slice(before);
    assert.ok(seen.length <= 1, 'at most one request reached the origin');
    return {
      status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(res.data)?.[1]),
      code: /^code: (\w+)$/m.exec(res.data)?.[1],
      seen: seen[0],
      data: res.data,
    };
  }

  // [sent, route, what the origin receives]
  const SAME_AS_ADMIN = [
    ['/admin', 'admin', '/admin'],
    ['/public/../admin', 'admin', '/admin'],
    ['/%61dmin', 'admin', '/admin'],
    ['/%61%64%6D%69%6E', 'admin', '/admin'],
    ['//admin', 'admin', '/admin'],
    ['/./admin', 'admin', '/admin'],
    ['/public/%2e%2e/admin/users', 'admin', '/admin/users'],
    ['/public/./x/../../admin/', 'admin', '/admin/'],
    ['/public//..//admin?next=/public/../x', 'admin', '/admin?next=/public/../x'],
  ];

  for (const [sent, route, received] of SAME_AS_ADMIN) {
    it(`${sent} → route ${route}, origin receives ${received}`, async () => {
      const res = await get(sent);
      assert.equal(res.status, 200, res.data);
      assert.equal(res.seen?.headers['x-route'], route, 'the route that matched');
      assert.equal(res.seen.url, received);
    });
  }

  it('%2F stays encoded (not a separator) and its hex is upper-cased; the query is untouched', async () => {
    const res = await get('/public/a%2fb/%7euser?q=%2e%2e%2f&r=%7e');
    assert.equal(res.status, 200, res.data);
    assert.equal(res.seen.headers['x-route'], 'public');
    assert.equal(res.seen.url, '/public/a%2Fb/~user?q=%2e%2e%2f&r=%7e');
  });

  it('an encoded slash cannot turn /public into /admin', async () => {
    const res = await get('/public%2Fadmin');
    assert.equal(res.status, 200, res.data);
    assert.equal(res.seen.headers['x-route'], 'public');
    assert.equal(res.seen.url, '/public%2Fadmin');
  });

  it('absolute-form targets are normalized the same way', async () => {
    const res = await get('http://edge.test/public/../%61dmin?x=1', 'other.test');
    assert.equal(res.status, 200, res.data);
    assert.equal(res.seen.headers['x-route'], 'admin');
    assert.equal(res.seen.url, '/admin?x=1');
    assert.equal(res.seen.headers.host, 'edge.test', 'the authority wins over Host (RFC 9112 §3.2.2)');
  });

  it('a rewrite works on the canonical path', async () => {
    const res = await get('/public/../api/./v1//items');
    assert.equal(res.status, 200, res.data);
    assert.equal(res.seen.headers['x-route'], 'api');
    assert.equal(res.seen.url, '/v1/items');
  });

  it('a path that normalizes outside every route is a 404, not a match on its raw prefix', async () => {
    const res = await get('/admin/../other');
    assert.equal(res.status, 404, res.data);
    assert.equal(res.code, 'ROUTE_NOT_FOUND');
    assert.equal(res.seen, undefined);
  });

  const REFUSED = [
    '/public/../../admin',
    '/../admin',
    '/public/%2e%2e/%2e%2e/admin',
    '/public/..;/admin',
    '/public/..%2fadmin',
    '/admin%00.json',
    '/admin%zz',
    '/public\\..\\admin',
  ];
  for (const sent of REFUSED) {
    it(`${sent} → 400 REQUEST_PATH_INVALID, nothing forwarded`, async () => {
      const res = await get(sent);
      assert.equal(res.status, 400, res.data);
      assert.equal(res.code, 'REQUEST_PATH_INVALID');
      assert.match(res.data, /\r\nConnection: close\r\n/i);
      assert.equal(res.seen, undefined, 'the origin received nothing');
    });
  }

  it('the access log shows the canonical path', async () => {
    await get('/public/../%61dmin/log-check?z=%61');
    const [record] = await proxy.waitForLog((r) => r.path.startsWith('/admin/log-check'));
    assert.ok(record, 'an access log line for the request');
    assert.equal(record.path, '/admin/log-check?z=%61');
    assert.equal(record.route, 'admin');
  });
});
