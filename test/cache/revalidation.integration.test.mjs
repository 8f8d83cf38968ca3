// RFC 9111 §4.3 revalidation and RFC 5861 stale-while-revalidate / stale-if-error, end to end:
// the real proxy in front of an origin that counts requests and records their conditionals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startProxy, simpleConfig, request } from '../helpers.mjs';

let origin;
let proxy;
const seen = new Map(); // path → [{ inm, ims }]
const count = (path) => seen.get(path)?.length ?? 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LM = 'Mon, 01 Jan 2024 00:00:00 GMT';

function handler(req, res) {
  const p = new URL(req.url, 'http://x').pathname;
  const list = seen.get(p) ?? [];
  list.push({ inm: req.headers['if-none-match'], ims: req.headers['if-modified-since'], range: req.headers.range });
  seen.set(p, list);
  const n = list.length;
  const send = (status, headers, body = `${p} #${n}`) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(status === 304 ? undefined : body);
  };
  if (p.startsWith('/etag')) {
    // Stale at once; a 304 brings a longer max-age and a new field.
    if (req.headers['if-none-match'] === '"v1"') return send(304, { 'cache-control': 'max-age=60', etag: '"v1"', 'x-version': `${n}` });
    return send(200, { 'cache-control': 'max-age=0', etag: '"v1"', 'x-version': '1' });
  }
  if (p === '/lm') {
    if (req.headers['if-modified-since'] === LM) return send(304, { 'cache-control': 'max-age=60' });
    return send(200, { 'cache-control': 'max-age=0', 'last-modified': LM });
  }
  if (p === '/replace') return send(200, { 'cache-control': n === 1 ? 'max-age=0' : 'max-age=60', etag: `"r${n}"` });
  if (p === '/no-cache-etag') {
    if (req.headers['if-none-match'] === '"nc"') return send(304, { 'cache-control': 'no-cache', etag: '"nc"' });
    return send(200, { 'cache-control': 'no-cache', etag: '"nc"' });
  }
  if (p === '/swr') {
    const headers = { 'cache-control': 'max-age=0, stale-while-revalidate=30', 'x-n': `${n}` };
    return n === 1 ? send(200, headers) : setTimeout(() => send(200, headers), 500);
  }
  if (p === '/sie') return n === 1 ? send(200, { 'cache-control': 'max-age=0, stale-if-error=60', etag: '"s"' }) : send(503, {}, 'origin error');
  if (p === '/sie-short') return n === 1 ? send(200, { 'cache-control': 'max-age=0, stale-if-error=1', etag: '"s"' }) : send(503, {}, 'origin error');
  return send(200, { 'cache-control': 'max-age=60' });
}

before(async () => {
  origin = await startOrigin(handler);
  proxy = await startProxy(simpleConfig(origin.url, { cache: { enabled: true } }));
});
after(async () => {
  await proxy?.close();
  await origin?.close();
});

const get = (path, headers = {}) => request(`${proxy.url}${path}`, { headers });

test('§4.3.1/§4.3.4 ETag: a stale entry is revalidated with If-None-Match; the 304 refreshes the stored fields', async () => {
  const first = await get('/etag/a');
  assert.match(first.headers['cache-status'], /fwd=uri-miss; stored/);
  const second = await get('/etag/a');
  assert.equal(second.status, 200);
  assert.equal(second.body.toString(), '/etag/a #1', 'the stored body, not a new one');
  assert.match(second.headers['cache-status'], /^Barbican; fwd=stale; fwd-status=304; ttl=(59|60)$/);
  assert.equal(second.headers['x-version'], '2', '§3.2: fields of the 304 replace the stored ones');
  assert.equal(seen.get('/etag/a')[1].inm, '"v1"');
  // §4.3.4: the new max-age=60 made the entry fresh again.
  const third = await get('/etag/a');
  assert.match(third.headers['cache-status'], /^Barbican; hit; ttl=\d+$/);
  assert.equal(third.headers['x-version'], '2');
  assert.equal(third.headers['content-length'], String('/etag/a #1'.length));
  assert.equal(count('/etag/a'), 2);
});

test('§4.3.2 a client conditional on a stale entry gets its own 304 after revalidation', async () => {
  await get('/etag/cond');
  const res = await get('/etag/cond', { 'if-none-match': '"v1"' });
  assert.equal(res.status, 304);
  assert.equal(res.body.length, 0);
  assert.equal(count('/etag/cond'), 2);
  const other = await get('/etag/cond', { 'if-none-match': '"other"' });
  assert.equal(other.status, 200);
  assert.equal(count('/etag/cond'), 2, 'fresh again: answered from the store');
});

test('§4.3.1 Last-Modified: revalidated with If-Modified-Since', async () => {
  await get('/lm');
  const res = await get('/lm');
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), '/lm #1');
  assert.match(res.headers['cache-status'], /fwd-status=304/);
  assert.equal(seen.get('/lm')[1].ims, LM);
  assert.match((await get('/lm')).headers['cache-status'], /hit/);
  assert.equal(count('/lm'), 2);
});

test('§4.3.3 a 200 to the revalidation replaces the stored response', async () => {
  await get('/replace');
  const res = await get('/replace');
  assert.equal(res.body.toString(), '/replace #2');
  assert.match(res.headers['cache-status'], /^Barbican; fwd=stale; stored$/);
  assert.equal(seen.get('/replace')[1].inm, '"r1"');
  const hit = await get('/replace');
  assert.equal(hit.body.toString(), '/replace #2');
  assert.match(hit.headers['cache-status'], /hit/);
  assert.equal(count('/replace'), 2);
});

test('§5.2.2.4 no-cache with a validator: stored, and revalidated on every use', async () => {
  await get('/no-cache-etag');
  for (let i = 0; i < 2; i++) {
    const res = await get('/no-cache-etag');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '/no-cache-etag #1');
    assert.match(res.headers['cache-status'], /fwd-status=304/);
  }
  assert.equal(count('/no-cache-etag'), 3);
});

test('RFC 5861 §3 stale-while-revalidate: stale answered at once, one background refresh', async () => {
  await get('/swr');
  const started = performance.now();
  const [a, b] = await Promise.all([get('/swr'), get('/swr')]);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 100, `stale answers took ${elapsed} ms while the origin takes 500 ms`);
  for (const r of [a, b]) {
    assert.equal(r.body.toString(), '/swr #1');
    assert.match(r.headers['cache-status'], /^Barbican; hit; fwd=stale; ttl=-?\d+; detail=stale-while-revalidate$/);
  }
  await sleep(700);
  assert.equal(count('/swr'), 2, 'exactly one background refresh');
  const after = await get('/swr');
  assert.equal(after.body.toString(), '/swr #2', 'the refresh replaced the entry');
});

test('RFC 5861 §4 stale-if-error: a 503 from the origin is replaced by the stale response', async () => {
  await get('/sie');
  const res = await get('/sie');
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), '/sie #1');
  assert.match(res.headers['cache-status'], /fwd=stale; fwd-status=503; ttl=-?\d+; detail=stale-if-error/);
  await get('/sie-short');
  await sleep(1100);
  const late = await get('/sie-short');
  assert.equal(late.status, 503, 'past the window the error goes through');
});

test('RFC 5861 §4 stale-if-error: origin down → stale within the window, 502 past it (route default)', async () => {
  const down = await startOrigin((req, res) => {
    res.writeHead(200, { etag: '"d"', 'cache-control': req.url === '/short' ? 'max-age=0, stale-if-error=1' : 'max-age=0' });
    res.end(`down ${req.url}`);
  });
  const p = await startProxy(simpleConfig(down.url, { cache: { enabled: true, staleIfError: '60s' } }));
  try {
    await request(`${p.url}/long`);
    await request(`${p.url}/short`);
    await down.close();
    const stale = await request(`${p.url}/long`);
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), 'down /long');
    assert.match(stale.headers['cache-status'], /fwd=stale; ttl=-?\d+; detail=stale-if-error/);
    await sleep(1100);
    const gone = await request(`${p.url}/short`);
    assert.equal(gone.status, 502, 'the response directive (1s) wins over the route default, and is past');
  } finally {
    await p.close();
  }
});
