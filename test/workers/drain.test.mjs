// POST /api/targets/drain and /undrain with server.workers: 2 through the real binary: every
// worker stops sending to a drained target (counted on the origin side, over new connections,
// which the cluster hands to both workers), the answer lists each worker, /api/status shows the
// drain in its aggregated view, and the drain survives a worker's crash restart and a rolling
// reload until the target is undrained.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, rewriteConfig, startOrigin, startProxy, workerPids } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `n` requests, each on a new connection; resolves the statuses seen. */
async function send(proxy, n) {
  const statuses = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${proxy.url}/n${i}`, { headers: { connection: 'close' } });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
  return statuses;
}

/** The combined view of target `url` in /api/status. */
async function targetStatus(proxy, url) {
  const status = (await adminRequest(proxy, '/api/status')).json();
  return status.upstreams[0].targets.find((t) => t.url === url);
}

/** The worker pids that served since `before` (from /metrics' per-worker counter). */
async function workerRequests(proxy) {
  const text = (await adminRequest(proxy, '/metrics')).body.toString();
  const out = {};
  for (const m of text.matchAll(/^barbican_worker_requests_total\{worker="(\d+)",pid="\d+"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

function config(targets) {
  return {
    upstreams: { app: { targets: targets.map((url) => ({ url })) } },
    routes: [{ name: 'main', upstream: 'app' }],
    server: { workers: 2, shutdownTimeout: '2s' },
    admin: { address: '127.0.0.1:0' },
    logging: { level: 'info', accessLog: { format: 'off' } },
  };
}

/** Kills worker `slot` and waits until a new process serves it; resolves the new pid. */
async function crashAndWait(proxy, slot) {
  const pids = await workerPids(proxy);
  process.kill(pids[slot], 'SIGKILL');
  let now = {};
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
    now = await workerPids(proxy);
    if (now[slot] !== undefined && now[slot] !== pids[slot]) return now[slot];
  }
  assert.fail(`worker ${slot} was not replaced within 30 s`);
}

describe('drain with workers: 2', { timeout: 120_000 }, () => {
  let a;
  let b;
  let proxy;
  const N = 40;
  before(async () => {
    a = await startOrigin((req, res) => res.end('a'));
    b = await startOrigin((req, res) => res.end('b'));
    proxy = await startProxy(config([a.url, b.url]), { timeoutMs: 20_000 });
  });
  after(async () => {
    await proxy?.close('SIGKILL');
    await a?.close();
    await b?.close();
  });

  it('before any drain, both workers send to both targets', async () => {
    const before = await workerRequests(proxy);
    const [seenA, seenB] = [a.requests.length, b.requests.length];
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.ok(a.requests.length - seenA > 0 && b.requests.length - seenB > 0, 'both targets get traffic');
    const after = await workerRequests(proxy);
    for (const slot of ['1', '2']) assert.ok(after[slot] - (before[slot] ?? 0) > 0, `worker ${slot} served`);
  });

  it('drain: every worker applies it before the answer; no request reaches the target', async () => {
    const drained = await adminRequest(proxy, '/api/targets/drain', { method: 'POST', json: { upstream: 'app', target: b.url } });
    assert.equal(drained.status, 200, drained.body.toString());
    const body = drained.json();
    assert.equal(body.target.draining, true);
    assert.deepEqual(body.workers.map((w) => [w.slot, w.state]), [[1, 'applied'], [2, 'applied']]);
    const before = await workerRequests(proxy);
    const seenB = b.requests.length;
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.equal(b.requests.length - seenB, 0, 'the drained target got no request');
    const after = await workerRequests(proxy);
    for (const slot of ['1', '2']) assert.ok(after[slot] - (before[slot] ?? 0) > 0, `worker ${slot} served (and sent to a only)`);
    const t = await targetStatus(proxy, b.url);
    assert.equal(t.draining, true);
    assert.equal(t.available, false);
    assert.deepEqual(t.workers, { reporting: 2, unhealthy: 0, ejected: 0, draining: 2 });
  });

  it('a worker restarted after a crash keeps the drain', async () => {
    await crashAndWait(proxy, 2);
    const before = await workerRequests(proxy);
    const seenB = b.requests.length;
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.equal(b.requests.length - seenB, 0, 'the drained target got no request');
    const after = await workerRequests(proxy);
    assert.ok(after['2'] - (before['2'] ?? 0) > 0, 'the new worker 2 served');
    assert.deepEqual((await targetStatus(proxy, b.url)).workers, { reporting: 2, unhealthy: 0, ejected: 0, draining: 2 });
  });

  it('a rolling reload keeps the drain', async () => {
    const reload = await adminRequest(proxy, '/api/reload', { method: 'POST' });
    assert.equal(reload.status, 200, reload.body.toString());
    const seenB = b.requests.length;
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.equal(b.requests.length - seenB, 0, 'the drained target got no request');
    assert.equal((await targetStatus(proxy, b.url)).workers.draining, 2);
  });

  it('undrain: every worker sends to the target again', async () => {
    const undrained = await adminRequest(proxy, `/api/targets/undrain?upstream=app&target=${encodeURIComponent(b.url)}`, { method: 'POST' });
    assert.equal(undrained.status, 200, undrained.body.toString());
    assert.deepEqual(undrained.json().workers.map((w) => w.state), ['applied', 'applied']);
    const seenB = b.requests.length;
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.ok(b.requests.length - seenB >= N / 4, `the target is back in rotation (${b.requests.length - seenB} of ${N})`);
    const t = await targetStatus(proxy, b.url);
    assert.equal(t.draining, false);
    assert.equal(t.available, true);
    assert.equal(t.workers.draining, 0);
  });

  it('a worker that does not answer is named (504 DRAIN_INCOMPLETE) and applies the drain once it runs again', async () => {
    const pids = await workerPids(proxy);
    process.kill(pids[2], 'SIGSTOP');
    let res;
    try {
      res = await adminRequest(proxy, '/api/targets/drain', { method: 'POST', json: { upstream: 'app', target: b.url } });
    } finally {
      process.kill(pids[2], 'SIGCONT');
    }
    assert.equal(res.status, 504, res.body.toString());
    const body = res.json();
    assert.equal(body.error.code, 'DRAIN_INCOMPLETE');
    assert.match(body.error.message, /worker 2 did not confirm/);
    assert.deepEqual(body.workers.map((w) => [w.slot, w.state]), [[1, 'applied'], [2, 'no-answer']]);
    // The message was queued: the resumed worker applies it.
    let t;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
      t = await targetStatus(proxy, b.url);
      if (t.workers.draining === 2) break;
    }
    assert.equal(t.workers.draining, 2, JSON.stringify(t));
    const undrained = await adminRequest(proxy, '/api/targets/undrain', { method: 'POST', json: { upstream: 'app', target: b.url } });
    assert.equal(undrained.status, 200);
  });

  it('a reload that removes a drained target forgets the drain, in every worker and for restarted ones', async () => {
    assert.equal((await adminRequest(proxy, '/api/targets/drain', { method: 'POST', json: { upstream: 'app', target: b.url } })).status, 200);
    rewriteConfig(proxy, config([a.url]));
    assert.equal((await adminRequest(proxy, '/api/reload', { method: 'POST' })).status, 200);
    assert.equal(await targetStatus(proxy, b.url), undefined, 'b is gone');
    rewriteConfig(proxy, config([a.url, b.url]));
    assert.equal((await adminRequest(proxy, '/api/reload', { method: 'POST' })).status, 200);
    assert.equal((await targetStatus(proxy, b.url)).workers.draining, 0, 'added back: a new target, in rotation');
    // The supervisor forgot it too: a worker started now does not get it as drained.
    await crashAndWait(proxy, 2);
    const t = await targetStatus(proxy, b.url);
    assert.deepEqual([t.draining, t.workers.reporting], [false, 2]);
    const seenB = b.requests.length;
    assert.deepEqual(await send(proxy, N), { 200: N });
    assert.ok(b.requests.length - seenB >= N / 4, `b takes traffic (${b.requests.length - seenB} of ${N})`);
  });

  it('unknown targets are refused without asking the workers', async () => {
    const res = await adminRequest(proxy, '/api/targets/drain', { method: 'POST', json: { upstream: 'app', target: 'http://127.0.0.1:1' } });
    assert.equal(res.status, 404);
    assert.equal(res.json().error.code, 'UNKNOWN_TARGET');
  });
});
