// Retries through the real proxy: which failures are retried, to another target, with the
// body replayed when it was kept; the budget caps upstream attempts; maxPending fails fast.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { deadAddress, request, startProxy } from '../helpers.mjs';
import { lbFixtures, loadLoop } from './balancing-helpers.mjs';

const { origin, proxyFor, closeAll } = lbFixtures(startProxy);
after(closeAll);

/** Reads the whole request body, then calls `then(body)`. */
const readBody = (req, then) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => then(Buffer.concat(chunks)));
};
const answer = (status) => (req, res, o) => readBody(req, () => {
  res.writeHead(status, { 'x-origin': o.name, 'content-type': 'text/plain' });
  res.end(`${o.name} says ${status}`);
});
const echoLength = (req, res, o) => readBody(req, (body) => {
  res.writeHead(200, { 'x-origin': o.name });
  res.end(`${o.name} ${body.length}`);
});
/** Reads the body, then resets the connection without answering. */
const resetAfterBody = (req, res, o) => readBody(req, () => req.socket.resetAndDestroy());

test('retry budget: with every target failing, upstream attempts stay within (1 + 20%) × requests', async (t) => {
  const list = await Promise.all(['a', 'b', 'c'].map((n) => origin(n, answer(503))));
  const proxy = await proxyFor({
    targets: list.map((o) => ({ url: o.url })),
    outlierDetection: { enabled: false },
    retries: { attempts: 3, on: ['connectFailure', 'reset', 503], budgetPercent: 20 },
  });
  const requests = 1_000;
  const results = await loadLoop(`${proxy.url}/`, { total: requests, concurrency: 16 });
  assert.equal(results.length, requests);
  assert.ok(results.every((r) => r.status === 503), 'the last 503 is passed on');
  const attempts = list.reduce((n, o) => n + o.hits, 0);
  t.diagnostic(`${attempts} upstream attempts for ${requests} requests (${((attempts / requests - 1) * 100).toFixed(1)}% retries)`);
  assert.ok(attempts >= requests, `${attempts} attempts`);
  assert.ok(attempts <= requests * 1.2, `${attempts} attempts for ${requests} requests (budget 20%)`);
});

test('a retried status is discarded and the request answered by another target', async () => {
  const bad = await origin('bad', answer(503));
  const good = await origin('good', answer(200));
  const proxy = await proxyFor({ targets: [{ url: bad.url }, { url: good.url }], retries: { on: [503], budgetPercent: 100 } }, { accessLog: 'json' });
  for (let i = 0; i < 20; i++) {
    const r = await request(`${proxy.url}/x`);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'good says 200');
  }
  // Default outlier detection ejects the failing target after 5 consecutive 5xx answers.
  assert.equal(bad.hits, 5);
  // The access log names the target that answered and counts the retries.
  const records = await proxy.waitForLog(() => true, { count: 20 });
  assert.equal(records.length, 20);
  assert.ok(records.every((r) => r.status === 200 && r.target === good.url));
  assert.equal(records.filter((r) => r.retries === 1).length, 5);
});

test('an idempotent PUT is replayed in full on another target after a reset; POST is not', async () => {
  const resetting = await origin('resetting', resetAfterBody);
  const echo = await origin('echo', echoLength);
  const proxy = await proxyFor({ targets: [{ url: resetting.url }, { url: echo.url }], retries: { on: ['reset'], budgetPercent: 100 } });
  const body = Buffer.alloc(20_000, 'p');
  // Smooth round robin with equal weights starts at the first target: the resetting one.
  const put = await request(`${proxy.url}/put`, { method: 'PUT', body, headers: { 'content-length': body.length } });
  assert.equal(put.status, 200);
  assert.equal(put.body.toString(), 'echo 20000');
  assert.equal(resetting.hits, 1);

  // POST is not idempotent: the reset reaches the client as 502, and nothing is sent twice.
  const before = echo.hits;
  let post;
  for (let i = 0; i < 2 && resetting.hits < 2; i++) post = await request(`${proxy.url}/post`, { method: 'POST', body, headers: { 'content-length': body.length } });
  assert.equal(resetting.hits, 2);
  assert.equal(post.status, 502);
  assert.match(post.body.toString(), /UPSTREAM_RESET/);
  assert.ok(echo.hits - before <= 1);
});

test('a PUT body larger than maxReplayBytes is not kept, so a reset after sending it is not retried', async () => {
  const resetting = await origin('resetting', resetAfterBody);
  const echo = await origin('echo', echoLength);
  const proxy = await proxyFor({ targets: [{ url: resetting.url }, { url: echo.url }], retries: { on: ['reset'], budgetPercent: 100, maxReplayBytes: '1KiB' } });
  const body = Buffer.alloc(4096, 'q');
  const r = await request(`${proxy.url}/`, { method: 'PUT', body, headers: { 'content-length': body.length } });
  assert.equal(r.status, 502);
  assert.equal(echo.hits, 0);
});

test('connection failures are retried for every method, with the body intact', async () => {
  const dead = await deadAddress();
  const echo = await origin('echo', echoLength);
  const proxy = await proxyFor({ targets: [{ url: dead }, { url: echo.url }], retries: { budgetPercent: 100 }, outlierDetection: { enabled: false } });
  const body = Buffer.alloc(200_000, 'z');
  for (let i = 0; i < 4; i++) {
    const r = await request(`${proxy.url}/`, { method: 'POST', body, headers: { 'content-length': body.length } });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'echo 200000');
  }
  // Chunked bodies too.
  const r = await request(`${proxy.url}/`, { method: 'POST', body, headers: { 'transfer-encoding': 'chunked' } });
  assert.equal(r.body.toString(), 'echo 200000');
});

test('perTryTimeout: a target that does not answer in time is left for another', async () => {
  const silent = await origin('silent', () => {});
  const echo = await origin('echo', echoLength);
  const proxy = await proxyFor({ targets: [{ url: silent.url }, { url: echo.url }], retries: { on: ['timeout'], perTryTimeout: '300ms', budgetPercent: 100 } });
  const t0 = performance.now();
  const r = await request(`${proxy.url}/`);
  const elapsed = performance.now() - t0;
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'echo 0');
  assert.ok(elapsed >= 250 && elapsed < 1_500, `${elapsed.toFixed(0)} ms`);
});

test('maxPending: beyond the waiting requests allowed, a request fails at once with 503', async () => {
  const slow = await origin('slow', (req, res) => setTimeout(() => res.end('late'), 400));
  const proxy = await proxyFor({ targets: [{ url: slow.url }], maxConnectionsPerTarget: 1, maxPending: 1, retries: { attempts: 1 } });
  const t0 = performance.now();
  const results = await Promise.all([0, 1, 2].map(() => request(`${proxy.url}/`).then((r) => ({ ...r, at: performance.now() - t0 }))));
  const overloaded = results.filter((r) => r.status === 503);
  assert.equal(overloaded.length, 1, JSON.stringify(results.map((r) => r.status)));
  assert.match(overloaded[0].body.toString(), /UPSTREAM_OVERLOADED/);
  assert.ok(overloaded[0].at < 200, `the 503 took ${overloaded[0].at.toFixed(0)} ms`);
  assert.equal(results.filter((r) => r.status === 200).length, 2);
});
