// Health and failover through the real proxy: active checks take a target out and bring it
// back in time; killing origins under load fails no GET; no target at all gives fast 503s.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy } from '../helpers.mjs';
import { lbFixtures, get, loadLoop, sleep, tally } from './balancing-helpers.mjs';

const { origins, proxyFor, closeAll } = lbFixtures(startProxy);
after(closeAll);

/** Polls `fn` every 20 ms until it returns true; resolves with the elapsed ms, or fails after `limitMs`. */
async function within(limitMs, fn, what) {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await fn()) return performance.now() - start;
    await sleep(20);
  }
  assert.fail(`${what}: not within ${limitMs} ms`);
}

test('a target failing its health check is out within interval × unhealthyThreshold + 1s, and back after recovery', async (t) => {
  const [a, b] = await origins('a', 'b');
  const interval = 300;
  const unhealthyThreshold = 3;
  const proxy = await proxyFor({
    targets: [{ url: a.url }, { url: b.url }],
    healthCheck: { path: '/healthz', interval: `${interval}ms`, timeout: '200ms', unhealthyThreshold, healthyThreshold: 2 },
  });
  await sleep(100);
  b.healthStatus = 500;
  // Out of rotation: 20 requests in a row all reach a.
  const outAfter = await within(interval * unhealthyThreshold + 1000, async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => get(`${proxy.url}/`)));
    return results.every((r) => r.origin === 'a');
  }, 'b out of rotation');
  t.diagnostic(`out of rotation after ${outAfter.toFixed(0)} ms (limit ${interval * unhealthyThreshold + 1000} ms)`);
  assert.ok(outAfter <= interval * unhealthyThreshold + 1000);
  assert.match(proxy.stderr(), /"upstream":"app".*unhealthy|unhealthy.*"upstream":"app"/);
  b.healthStatus = 200;
  const backAfter = await within(interval * 2 + 1500, async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => get(`${proxy.url}/`)));
    return results.some((r) => r.origin === 'b');
  }, 'b back in rotation');
  t.diagnostic(`back in rotation ${backAfter.toFixed(0)} ms after recovering`);
});

test('killing one of three origins under load fails no GET; killing all gives fast 503s; restarting restores service', async (t) => {
  const list = await origins('a', 'b', 'c');
  const proxy = await proxyFor({
    targets: list.map((o) => ({ url: o.url })),
    healthCheck: { path: '/healthz', interval: '200ms', timeout: '200ms', unhealthyThreshold: 2, healthyThreshold: 1 },
    outlierDetection: { consecutiveFailures: 3, baseEjectionTime: '2s', maxEjectionPercent: 50 },
    retries: { attempts: 3, on: ['connectFailure', 'reset', 'timeout'] },
  });

  // Steady load; one origin is killed a third of the way through.
  const failures = [];
  let killed = false;
  const results = await loadLoop(`${proxy.url}/`, {
    total: 3_000,
    concurrency: 16,
    onResult: (r, i) => {
      if (r.status !== 200) failures.push(r);
      if (i >= 1_000 && !killed) {
        killed = true;
        list[1].stop();
      }
    },
  });
  assert.equal(killed, true);
  assert.deepEqual(failures, [], `failed GETs: ${JSON.stringify(failures.slice(0, 3))}`);
  const counts = tally(results.slice(-1000));
  assert.equal(counts.b ?? 0, 0, 'the killed origin takes no traffic at the end');

  // Kill the rest: once the checks notice, answers are immediate 503s with Retry-After.
  await list[0].stop();
  await list[2].stop();
  await sleep(700);
  const t0 = performance.now();
  const down = await Promise.all(Array.from({ length: 50 }, () => get(`${proxy.url}/`)));
  const elapsed = performance.now() - t0;
  for (const r of down) {
    assert.equal(r.status, 503);
    assert.match(r.body, /UPSTREAM_UNAVAILABLE/);
    assert.match(r.headers['retry-after'], /^\d+$/);
  }
  t.diagnostic(`3,000 GETs with one origin killed: ${failures.length} failed; 50 concurrent 503s with all down in ${elapsed.toFixed(0)} ms`);
  assert.ok(elapsed < 500, `50 fast 503s took ${elapsed.toFixed(0)} ms`);

  // Bring them back (same ports): service resumes without a restart.
  for (const o of list) await o.start();
  await within(3_000, async () => (await get(`${proxy.url}/`)).status === 200, 'service restored');
  const back = await loadLoop(`${proxy.url}/`, { total: 300, concurrency: 8 });
  assert.equal(back.filter((r) => r.status !== 200).length, 0);
});

test('without health checks, outlier detection ejects a dead target and retries hide it from clients', async () => {
  const list = await origins('a', 'b', 'c');
  const proxy = await proxyFor({
    targets: list.map((o) => ({ url: o.url })),
    outlierDetection: { consecutiveFailures: 2, baseEjectionTime: '5s', maxEjectionPercent: 50 },
  });
  // Steady traffic first: the retry budget is earned by requests (20% of them), and a fresh
  // proxy has none saved yet.
  await loadLoop(`${proxy.url}/`, { total: 100, concurrency: 8 });
  await list[2].stop();
  const results = await loadLoop(`${proxy.url}/`, { total: 600, concurrency: 8 });
  assert.equal(results.filter((r) => r.status !== 200).length, 0);
  assert.equal(tally(results).c ?? 0, 0);
  // The dead target was tried only until it was ejected (2 failures), not on every third request.
  const warnings = proxy.stderr().split('\n').filter((l) => l.includes('retrying on another target'));
  assert.ok(warnings.length >= 1 && warnings.length <= 4, `${warnings.length} retried tries`);
});
