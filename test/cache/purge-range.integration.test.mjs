// Purge through the admin API (by URL, prefix, tag; Cache-Tag never reaches a client) and
// Range requests answered from the store (RFC 9110 §14), end to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, startOrigin, startProxy, simpleConfig, request } from '../helpers.mjs';

const TOKEN = 'cache-admin-token-0123456789';
let origin;
let proxy;
const hits = new Map();
const count = (path) => hits.get(path) ?? 0;
const BODY = 'abcdefghijklmnopqrstuvwxyz';

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  hits.set(p, count(p) + 1);
  const headers = { 'content-type': 'text/plain', 'cache-control': 'max-age=60', etag: '"alpha"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' };
  if (p.startsWith('/tagged/')) {
    headers['cache-tag'] = p.endsWith('a') ? 'group-1, shared' : 'group-2 shared';
    headers['surrogate-key'] = 'sk-all';
  }
  res.writeHead(200, headers);
  res.end(p === '/alpha' ? BODY : `${p}${url.search} #${count(p)}`);
}

before(async () => {
  origin = await startOrigin(handler);
  proxy = await startProxy({ ...simpleConfig(origin.url, { cache: { enabled: true } }), admin: { address: '127.0.0.1:0', token: TOKEN } });
});
after(async () => {
  await proxy?.close();
  await origin?.close();
});

const get = (path, headers = {}) => request(`${proxy.url}${path}`, { headers });
const base = () => proxy.url.replace('localhost', '127.0.0.1');
const purge = (json, token = TOKEN) => adminRequest(proxy, '/api/cache/purge', { method: 'POST', token, json });

async function isHit(path) {
  return /hit/.test((await get(path)).headers['cache-status']);
}

test('purge needs the admin token and exactly one of url, prefix, tag', async () => {
  assert.equal((await purge({ url: `${base()}/x` }, 'wrong')).status, 401);
  assert.equal((await purge({})).status, 400);
  assert.equal((await purge({ url: `${base()}/x`, tag: 't' })).status, 400);
  assert.equal((await purge({ prefix: '/relative' })).status, 400);
});

test('purge by url removes every variant of that URL only', async () => {
  await get('/p/one');
  await get('/p/one?q=1');
  await get('/p/two');
  const res = await purge({ url: `${base()}/p/one` });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { purged: 1 });
  assert.equal(await isHit('/p/one'), false);
  assert.equal(await isHit('/p/one?q=1'), true, 'another query is another URL');
  assert.equal(await isHit('/p/two'), true);
});

test('purge by prefix removes the URLs under it', async () => {
  await get('/pre/a');
  await get('/pre/b?x=1');
  await get('/prefixed');
  await get('/other');
  const res = await purge({ prefix: `${base()}/pre/` });
  assert.deepEqual(res.json(), { purged: 2 });
  assert.equal(await isHit('/pre/a'), false);
  assert.equal(await isHit('/pre/b?x=1'), false);
  assert.equal(await isHit('/prefixed'), true);
  assert.equal(await isHit('/other'), true);
});

test('purge by tag (Cache-Tag, Surrogate-Key); tags never reach a client', async () => {
  const miss = await get('/tagged/a');
  assert.equal(miss.headers['cache-tag'], undefined, 'stripped on the miss path');
  assert.equal(miss.headers['surrogate-key'], undefined);
  await get('/tagged/b');
  const hit = await get('/tagged/a');
  assert.match(hit.headers['cache-status'], /hit/);
  assert.equal(hit.headers['cache-tag'], undefined, 'stripped from the stored head');
  assert.doesNotMatch(hit.rawHeaders.join('\n').toLowerCase(), /cache-tag|surrogate-key/);
  assert.deepEqual((await purge({ tag: 'group-1' })).json(), { purged: 1 });
  assert.equal(await isHit('/tagged/a'), false);
  assert.equal(await isHit('/tagged/b'), true);
  assert.deepEqual((await purge({ tag: 'shared' })).json(), { purged: 2 });
  assert.equal(await isHit('/tagged/a'), false);
  assert.equal(await isHit('/tagged/b'), false);
  assert.deepEqual((await purge({ tag: 'sk-all' })).json(), { purged: 2 }, 'Surrogate-Key tags too');
});

test('RFC 9110 §14.2 a single byte range of a stored 200 is a 206 with Content-Range', async () => {
  await get('/alpha');
  const cases = [
    ['bytes=0-4', 'abcde', 'bytes 0-4/26'],
    ['bytes=20-', 'uvwxyz', 'bytes 20-25/26'],
    ['bytes=-3', 'xyz', 'bytes 23-25/26'],
    ['bytes=24-100', 'yz', 'bytes 24-25/26'],
  ];
  for (const [range, body, contentRange] of cases) {
    const res = await get('/alpha', { range });
    assert.equal(res.status, 206, range);
    assert.equal(res.body.toString(), body, range);
    assert.equal(res.headers['content-range'], contentRange, range);
    assert.equal(res.headers['content-length'], String(body.length), range);
    assert.match(res.headers['cache-status'], /hit/);
  }
  assert.equal(count('/alpha'), 1);
});

test('RFC 9110 §14.2 several ranges or an unsatisfiable one: the whole 200', async () => {
  await get('/alpha');
  for (const range of ['bytes=0-1,4-5', 'bytes=100-', 'items=0-1']) {
    const res = await get('/alpha', { range });
    assert.equal(res.status, 200, range);
    assert.equal(res.body.toString(), BODY, range);
  }
});

test('RFC 9110 §13.1.5 If-Range: a matching validator gives the range, a mismatch the whole 200', async () => {
  await get('/alpha');
  const match = await get('/alpha', { range: 'bytes=0-1', 'if-range': '"alpha"' });
  assert.equal(match.status, 206);
  const byDate = await get('/alpha', { range: 'bytes=0-1', 'if-range': 'Mon, 01 Jan 2024 00:00:00 GMT' });
  assert.equal(byDate.status, 206);
  const mismatch = await get('/alpha', { range: 'bytes=0-1', 'if-range': '"beta"' });
  assert.equal(mismatch.status, 200);
  assert.equal(mismatch.body.toString(), BODY);
  const weak = await get('/alpha', { range: 'bytes=0-1', 'if-range': 'W/"alpha"' });
  assert.equal(weak.status, 200, '§13.1.5: weak tags never match');
});
