// server.workers: 2 through the real binary: the admin listener (worker 1) shows the whole
// instance. GET /api/status sums in-flight over the workers, combines target states and lists
// every worker; the dashboard's SSE snapshots count every worker's requests (the /metrics
// merge), list every worker's recent errors, and keep ticking when a worker stops answering.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminPort, adminRequest, readEvents, request, startOrigin, startProxy } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One request on a new connection: the cluster hands connections to the workers round-robin. */
const fresh = (url) => request(url, { headers: { connection: 'close' } });

async function status(proxy) {
  const res = await adminRequest(proxy, '/api/status');
  assert.equal(res.status, 200);
  return res.json();
}

/** Polls /api/status until `ok(status)`; returns the last one (fails after `ms`). */
async function statusUntil(proxy, ok, ms = 15_000, what = 'condition') {
  let last;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
    last = await status(proxy);
    if (ok(last)) return last;
  }
  assert.fail(`${what} not reached within ${ms} ms: ${JSON.stringify(last)}`);
}

const target = (s, upstream) => s.upstreams.find((u) => u.name === upstream).targets[0];

describe('workers: 2, the admin listener sees every worker', () => {
  let app;
  let side;
  let proxy;
  let port;
  const held = [];
  before(async () => {
    app = await startOrigin((req, res) => {
      if (req.url === '/hold') held.push(() => res.end('held'));
      else {
        res.statusCode = req.url === '/boom' ? 502 : 200;
        res.end('ok');
      }
    });
    side = await startOrigin((req, res) => res.end('ok'));
    proxy = await startProxy({
      server: { workers: 2, shutdownTimeout: '2s' },
      upstreams: {
        app: { targets: [{ url: app.url }] },
        side: {
          targets: [{ url: side.url }],
          healthCheck: { path: '/healthz', interval: '200ms', timeout: '150ms', unhealthyThreshold: 1, healthyThreshold: 1 },
        },
      },
      routes: [
        { name: 'side', match: { pathPrefix: '/side/' }, upstream: 'side' },
        { name: 'main', upstream: 'app' },
      ],
      admin: { address: '127.0.0.1:0' },
    });
    port = await adminPort(proxy);
  });
  after(async () => {
    for (const release of held.splice(0)) release();
    await proxy?.close('SIGKILL');
    await app?.close();
    await side?.close().catch(() => undefined);
  });

  it('/api/status lists both workers and counts the requests of both', async () => {
    const start = await statusUntil(proxy, (s) => s.workers?.length === 2 && s.workers.every((w) => w.answered), 10_000, 'two answering workers');
    const K = 40;
    for (let i = 0; i < K; i++) assert.equal((await fresh(proxy.url)).status, 200);
    const after = await status(proxy);
    assert.equal(after.workers.length, 2);
    const pids = new Set(after.workers.map((w) => w.pid));
    assert.equal(pids.size, 2, 'two distinct processes');
    assert.ok(!pids.has(after.pid) || after.workers.some((w) => w.slot === 1 && w.pid === after.pid), 'worker 1 answers the admin API');
    let served = 0;
    for (const w of after.workers) {
      const was = start.workers.find((b) => b.slot === w.slot);
      assert.equal(w.answered, true);
      assert.ok(w.uptimeSeconds >= 0);
      assert.equal(w.restarts, 0);
      assert.ok(w.requests - was.requests > 0, `worker ${w.slot} served some of them`);
      served += w.requests - was.requests;
    }
    assert.equal(served, K);
  });

  it('the dashboard stream counts every worker: totals, classes, errors from both', async () => {
    // The newest snapshot is sent on connect and may predate the last requests of the test
    // before: the base is the second snapshot sampled after now (its reading began after now).
    const t0 = new Date().toISOString();
    let fresh2 = 0;
    const first = (await readEvents(port, '/api/events', {}, (e) => e.data.at > t0 && ++fresh2 >= 2 && e.data.workers.every((w) => w.answered))).at(-1);
    const base = first.data.requests.total;
    const K = 30;
    // Every third request answers 502: both workers see some (round-robin over new connections).
    for (let i = 0; i < K; i++) await fresh(`${proxy.url}${i % 3 === 0 ? '/boom' : '/'}`);
    const events = await readEvents(
      port,
      '/api/events',
      {},
      (e) => e.data.requests.total >= base + K && new Set(e.data.errors.filter((x) => x.kind === '5xx').map((x) => x.worker)).size === 2,
      10_000,
    );
    const last = events.at(-1).data;
    assert.equal(last.requests.total, base + K, 'exactly the requests sent, from both workers');
    assert.equal(last.workers.length, 2);
    const perWorker = last.workers.map((w) => w.requests);
    assert.equal(perWorker[0] + perWorker[1], last.requests.total, 'the merged total is the sum of the workers');
    assert.ok(Math.max(...perWorker) < last.requests.total, 'no single worker holds the whole count');
    assert.ok(last.requests.classes['5xx'] >= K / 3);
    assert.equal(last.topRoutes[0].name, 'main');
    const boom = last.errors.filter((x) => x.kind === '5xx');
    assert.deepEqual(new Set(boom.map((x) => x.worker)), new Set([1, 2]), JSON.stringify(last.errors));
    assert.ok(boom.every((x) => /route main: \d+ responses? 5xx/.test(x.message)));
    // The merge of every worker's 5xx lines adds up to what was sent.
    const sum = boom.reduce((a, x) => a + Number(/: (\d+) resp/.exec(x.message)[1]), 0);
    assert.equal(sum, K / 3);
  });

  it('in-flight requests are summed over the workers, per target and in total', async () => {
    const N = 6;
    const pending = Array.from({ length: N }, () => fresh(`${proxy.url}/hold`));
    for (const deadline = Date.now() + 10_000; held.length < N && Date.now() < deadline; ) await sleep(20);
    assert.equal(held.length, N, 'the origin holds every request');
    try {
      const s = await statusUntil(proxy, (x) => target(x, 'app').inFlight === N, 5_000, `${N} in flight`);
      assert.equal(s.inFlight, N);
      assert.equal(target(s, 'app').workers.reporting, 2);
      for (const w of s.workers) assert.ok(w.inFlight > 0, `worker ${w.slot} holds some`);
      const e = (await readEvents(port, '/api/events', {}, (x) => x.data.upstreams.find((u) => u.name === 'app').targets[0].inFlight === N, 5_000)).at(-1);
      assert.equal(e.data.inFlight, N, JSON.stringify(e.data));
    } finally {
      for (const release of held.splice(0)) release();
    }
    for (const r of await Promise.all(pending)) assert.equal(r.status, 200);
  });

  it('a stopped target is unhealthy in every worker, on /api/status and the dashboard', async () => {
    assert.equal(target(await status(proxy), 'side').healthy, true);
    await side.close();
    const s = await statusUntil(proxy, (x) => target(x, 'side').workers.unhealthy === 2, 10_000, 'side unhealthy in both workers');
    const t = target(s, 'side');
    assert.equal(t.healthy, false);
    assert.equal(t.available, false);
    const events = await readEvents(port, '/api/events', {}, (e) => e.data.upstreams.find((u) => u.name === 'side').targets[0].state === 'unhealthy', 5_000);
    const last = events.at(-1).data;
    const health = last.errors.filter((x) => x.kind === 'health' && /side: target .* is now unhealthy/.test(x.message));
    assert.deepEqual(new Set(health.map((x) => x.worker)), new Set([1, 2]), JSON.stringify(last.errors));
  });

  it('a worker that stops answering is shown so; the dashboard keeps ticking without a dip', async () => {
    const s = await status(proxy);
    const second = s.workers.find((w) => w.slot === 2);
    const [start] = await readEvents(port, '/api/events', {}, () => true);
    process.kill(second.pid, 'SIGSTOP');
    try {
      const events = await readEvents(port, '/api/events', {}, (e) => e.data.workers.some((w) => w.slot === 2 && !w.answered), 8_000);
      const stalled = events.at(-1).data;
      // Its last counters stay in the merge: the total does not fall by its share.
      assert.equal(stalled.requests.total, start.data.requests.total);
      assert.equal(stalled.requests.perSecond, 0);
      const next = (await readEvents(port, '/api/events', {}, (e) => e.data.at > stalled.at, 4_000)).at(-1);
      assert.ok(next.data.workers.some((w) => w.slot === 2 && !w.answered), 'still shown as not answering');
      const st = await status(proxy);
      assert.equal(st.workers.find((w) => w.slot === 2).answered, false);
      assert.equal(st.workers.find((w) => w.slot === 2).pid, second.pid);
    } finally {
      process.kill(second.pid, 'SIGCONT');
    }
    await statusUntil(proxy, (x) => x.workers.every((w) => w.answered), 10_000, 'both answering again');
  });

  it('a replaced worker shows its restart', async () => {
    const s = await status(proxy);
    const second = s.workers.find((w) => w.slot === 2);
    process.kill(second.pid, 'SIGKILL');
    const after = await statusUntil(proxy, (x) => x.workers.some((w) => w.slot === 2 && w.answered && w.pid !== second.pid), 15_000, 'worker 2 replaced');
    assert.equal(after.workers.find((w) => w.slot === 2).restarts, 1);
    assert.equal(after.workers.find((w) => w.slot === 1).restarts, 0);
  });
});
