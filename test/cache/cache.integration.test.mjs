// The cache end to end: the real proxy in front of an origin that counts requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startProxy, simpleConfig, request } from '../helpers.mjs';

let origin;
let proxy;
const hits = new Map(); // path (without query) → origin requests
const count = (path) => hits.get(path) ?? 0;

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  hits.set(url.pathname, count(url.pathname) + 1);
  const n = count(url.pathname);
  const p = url.pathname;
  const send = (headers, body = `body ${p} #${n}`, status = 200) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send({ location: '/moved-target', 'content-location': 'http://elsewhere.example/x' }, 'done', 201);
  }
  if (p === '/slow') return setTimeout(() => send({ 'cache-control': 'max-age=60' }), 200);
  if (p === '/slow-private') return setTimeout(() => send({ 'cache-control': 'private' }), 200);
  if (p.startsWith('/max-age')) return send({ 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' });
  if (p === '/short') return send({ 'cache-control': 'max-age=1' });
  if (p === '/s-maxage') return send({ 'cache-control': 'max-age=0, s-maxage=60' });
  if (p === '/expires') return send({ expires: new Date(Date.now() + 60_000).toUTCString() });
  if (p === '/no-store') return send({ 'cache-control': 'no-store, max-age=60' });
  if (p === '/private') return send({ 'cache-control': 'private, max-age=60' });
  if (p === '/no-cache') return send({ 'cache-control': 'no-cache, max-age=60' });
  if (p === '/must-revalidate') return send({ 'cache-control': 'max-age=1, must-revalidate' });
  if (p === '/auth') return send({ 'cache-control': 'max-age=60' });
  if (p === '/auth-public') return send({ 'cache-control': 'public, max-age=60' });
  if (p === '/vary') return send({ 'cache-control': 'max-age=60', vary: 'Accept-Language' }, `lang=${req.headers['accept-language']} #${n}`);
  if (p === '/vary-star') return send({ 'cache-control': 'max-age=60', vary: '*' });
  if (p === '/big') return send({ 'cache-control': 'max-age=60' }, 'x'.repeat(4096));
  if (p === '/chunked') {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.write('part1-');
    return setTimeout(() => res.end('part2'), 20);
  }
  if (p === '/cut') {
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': '100' });
    res.write('only some');
    return setTimeout(() => res.destroy(), 20);
  }
  return send({ 'cache-control': 'max-age=60' });
}

before(async () => {
  origin = await startOrigin(handler);
  proxy = await startProxy(
    simpleConfig(origin.url, { cache: { enabled: true, maxObjectBytes: 1024, key: { ignoreQueryParams: ['utm_*'], headers: ['x-tenant'] } } }, { cache: { maxBytes: '1MiB' } }),
  );
});
after(async () => {
  await proxy?.close();
  await origin?.close();
});

const get = (path, headers = {}, method = 'GET') => request(`${proxy.url}${path}`, { headers, method });

test('§4.2 fresh hit served from the store with Age and Cache-Status; miss says fwd=uri-miss; stored', async () => {
  const a = await get('/max-age/1');
  assert.equal(a.status, 200);
  assert.match(a.headers['cache-status'], /^Barbican; fwd=uri-miss; stored$/);
  const b = await get('/max-age/1');
  assert.equal(b.body.toString(), a.body.toString());
  assert.match(b.headers['cache-status'], /^Barbican; hit; ttl=\d+$/);
  assert.match(b.headers.age, /^\d+$/);
  assert.equal(b.headers['content-length'], String(a.body.length));
  assert.equal(count('/max-age/1'), 1);
});

test('HEAD is served from a stored GET', async () => {
  await get('/max-age/head');
  const h = await get('/max-age/head', {}, 'HEAD');
  assert.equal(h.status, 200);
  assert.match(h.headers['cache-status'], /hit/);
  assert.equal(h.body.length, 0);
  assert.equal(count('/max-age/head'), 1);
});

test('§4.2.1 s-maxage and Expires give freshness; §4.2 a stale entry goes forward (fwd=stale)', async () => {
  for (const p of ['/s-maxage', '/expires']) {
    await get(p);
    assert.match((await get(p)).headers['cache-status'], /hit/, p);
    assert.equal(count(p), 1, p);
  }
  await get('/short');
  await new Promise((r) => setTimeout(r, 1100));
  const stale = await get('/short');
  assert.match(stale.headers['cache-status'], /fwd=stale/);
  assert.equal(count('/short'), 2);
});

test('§5.2.2 response no-store, private, no-cache: never served from the store', async () => {
  for (const p of ['/no-store', '/private', '/no-cache']) {
    await get(p);
    const second = await get(p);
    assert.match(second.headers['cache-status'], /fwd=/, p);
    assert.equal(count(p), 2, p);
  }
});

test('§5.2.2.2 must-revalidate: stale not served even with request max-stale', async () => {
  await get('/must-revalidate');
  await new Promise((r) => setTimeout(r, 1100));
  await get('/must-revalidate', { 'cache-control': 'max-stale=60' });
  assert.equal(count('/must-revalidate'), 2);
});

test('§5.2.1 request no-cache, no-store, max-age, only-if-cached', async () => {
  await get('/max-age/req');
  const noCache = await get('/max-age/req', { 'cache-control': 'no-cache' });
  assert.match(noCache.headers['cache-status'], /fwd=request/);
  assert.equal(count('/max-age/req'), 2);
  const noStore = await get('/max-age/req', { 'cache-control': 'no-store' });
  assert.match(noStore.headers['cache-status'], /fwd=request/);
  assert.equal(count('/max-age/req'), 3);
  await new Promise((r) => setTimeout(r, 1100));
  const maxAge = await get('/max-age/req', { 'cache-control': 'max-age=0' });
  assert.match(maxAge.headers['cache-status'], /fwd=/);
  assert.equal(count('/max-age/req'), 4);
  assert.match((await get('/max-age/req', { 'cache-control': 'only-if-cached' })).headers['cache-status'], /hit/);
  const none = await get('/max-age/never-stored', { 'cache-control': 'only-if-cached' });
  assert.equal(none.status, 504);
  assert.equal(count('/max-age/never-stored'), 0);
});

test('§3.5 Authorization: stored only when the response allows it', async () => {
  await get('/auth', { authorization: 'Bearer x' });
  await get('/auth', { authorization: 'Bearer x' });
  assert.equal(count('/auth'), 2);
  await get('/auth-public', { authorization: 'Bearer x' });
  await get('/auth-public');
  assert.equal(count('/auth-public'), 1);
});

test('§2 key: ignoreQueryParams globs; other parameters and key headers make distinct entries', async () => {
  await get('/max-age/q?a=1&utm_source=x');
  await get('/max-age/q?utm_medium=y&a=1');
  assert.equal(count('/max-age/q'), 1);
  await get('/max-age/q?a=2');
  assert.equal(count('/max-age/q'), 2);
  await get('/max-age/t', { 'x-tenant': 'a' });
  await get('/max-age/t', { 'x-tenant': 'b' });
  await get('/max-age/t', { 'x-tenant': 'a' });
  assert.equal(count('/max-age/t'), 2);
});

test('§4.1 Vary: several variants per URL; Vary: * never matches', async () => {
  const en = await get('/vary', { 'accept-language': 'en' });
  const fr = await get('/vary', { 'accept-language': 'fr' });
  assert.match(fr.headers['cache-status'], /fwd=vary-miss/);
  const en2 = await get('/vary', { 'accept-language': 'en' });
  const fr2 = await get('/vary', { 'accept-language': 'fr' });
  assert.equal(en2.body.toString(), en.body.toString());
  assert.equal(fr2.body.toString(), fr.body.toString());
  assert.equal(count('/vary'), 2);
  await get('/vary-star');
  await get('/vary-star');
  assert.equal(count('/vary-star'), 2);
});

test('maxObjectBytes: larger responses pass through unstored; chunked bodies are stored whole', async () => {
  const big = await get('/big');
  assert.equal(big.body.length, 4096);
  await get('/big');
  assert.equal(count('/big'), 2);
  await get('/chunked');
  const c = await get('/chunked');
  assert.equal(c.body.toString(), 'part1-part2');
  assert.match(c.headers['cache-status'], /hit/);
  assert.equal(count('/chunked'), 1);
});

test('§3.3 a partial body is never stored', async () => {
  await get('/cut').catch(() => {});
  await get('/cut').catch(() => {});
  assert.equal(count('/cut'), 2);
});

test('request collapsing: 50 concurrent misses → exactly 1 origin request', async () => {
  const results = await Promise.all(Array.from({ length: 50 }, () => get('/slow')));
  assert.equal(count('/slow'), 1);
  for (const r of results) assert.equal(r.body.toString(), results[0].body.toString());
  assert.ok(results.filter((r) => /collapsed/.test(r.headers['cache-status'])).length >= 1);
});

test('request collapsing: an uncacheable response is not shared; each waiter goes upstream', async () => {
  const results = await Promise.all(Array.from({ length: 5 }, () => get('/slow-private')));
  assert.equal(count('/slow-private'), 5);
  assert.equal(new Set(results.map((r) => r.body.toString())).size, 5);
});

test('§4.4 a successful unsafe request invalidates the URI and same-origin Location', async () => {
  await get('/max-age/inv');
  await get('/moved-target');
  assert.equal(count('/max-age/inv'), 1);
  const post = await get('/max-age/inv', {}, 'POST');
  assert.equal(post.status, 201);
  assert.equal(post.headers['cache-status'], 'Barbican; fwd=method');
  await get('/max-age/inv');
  assert.equal(count('/max-age/inv'), 3, 'GET, POST, GET again');
  await get('/moved-target');
  assert.equal(count('/moved-target'), 2);
});

test('§4.3.2 client conditional requests answered 304 from the store', async () => {
  await get('/max-age/cond');
  const inm = await get('/max-age/cond', { 'if-none-match': 'W/"v1"' });
  assert.equal(inm.status, 304);
  assert.equal(inm.headers.etag, '"v1"');
  const ims = await get('/max-age/cond', { 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT' });
  assert.equal(ims.status, 304);
  const other = await get('/max-age/cond', { 'if-none-match': '"v2"' });
  assert.equal(other.status, 200);
  assert.equal(count('/max-age/cond'), 1);
});

test('routes without cache send no Cache-Status and store nothing', async () => {
  const plain = await startProxy(simpleConfig(origin.url));
  try {
    const before = count('/max-age/plain');
    const r = await request(`${plain.url}/max-age/plain`);
    await request(`${plain.url}/max-age/plain`);
    assert.equal(r.headers['cache-status'], undefined);
    assert.equal(count('/max-age/plain') - before, 2);
  } finally {
    await plain.close();
  }
});

test('a hit is written from its stored head: exact framing, its own X-Request-Id, header edits still apply', async () => {
  const { rawRequest } = await import('../helpers.mjs');
  const echoing = await startOrigin((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', 'x-request-id': 'from-origin', 'x-internal': 'secret' });
    res.end('stored body');
  });
  const plain = await startProxy(simpleConfig(echoing.url, { cache: { enabled: true } }));
  const edited = await startProxy(simpleConfig(echoing.url, { cache: { enabled: true }, responseHeaders: { remove: ['x-internal'] } }));
  try {
    for (const p of [plain, edited]) {
      const miss = await rawRequest(p.port, 'GET /h HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { idleMs: 500 });
      assert.match(miss.data, /\r\nCache-Status: Barbican; fwd=uri-miss; stored/);
      const hit = await rawRequest(p.port, 'GET /h HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { idleMs: 500 });
      const [head, body] = hit.data.split('\r\n\r\n');
      assert.equal(body, 'stored body');
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nCache-Status: Barbican; hit/);
      assert.match(head, /\r\nContent-Length: 11(\r\n|$)/);
      assert.match(head, /\r\nConnection: close(\r\n|$)/);
      const ids = head.split('\r\n').filter((l) => /^x-request-id:/i.test(l));
      assert.equal(ids.length, 1, head);
      assert.notEqual(ids[0].split(': ')[1], 'from-origin');
      assert.equal(/\r\nx-internal:/i.test(head), p === plain, head);
    }
    // HEAD from the stored GET: the length, no body.
    const headHit = await rawRequest(plain.port, 'HEAD /h HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { idleMs: 500 });
    assert.match(headHit.data, /\r\nContent-Length: 11\r\n/);
    assert.ok(headHit.data.endsWith('\r\n\r\n'));
  } finally {
    await plain.close();
    await edited.close();
    await echoing.close();
  }
});
