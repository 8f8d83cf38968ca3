// Three real Barbican processes sharing one real redis-server (state.redis): a fleet-wide rate
// limit within ±10%, one origin request for 50 concurrent misses spread over the three, a purge
// on one instance applied everywhere, Redis killed under load with zero failed requests (each
// instance falls back to local state), and Redis restarted on the same port with sharing
// resumed without restarting Barbican. The figures measured are printed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminRequest, deadAddress, request, startOrigin, startProxy } from '../helpers.mjs';
import { metric, redisMissing, startRedis, waitFor } from './redis-helpers.mjs';

const skip = redisMissing();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HOST = 'fleet.example';
const TOKEN = 'fleet-test-token';

let redis;
let origin;
let fleet = [];
let dead;
/** Origin requests by path. */
const served = new Map();
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function fleetConfig(redisUrl) {
  return {
    admin: { address: '127.0.0.1:0', token: TOKEN },
    logging: { level: 'info', accessLog: { format: 'off' } },
    upstreams: {
      origin: { targets: [{ url: origin.url }] },
      // One dead target: outlier detection ejects it on the instance that meets it (retries hide the failures).
      flaky: {
        targets: [{ url: dead }, { url: origin.url }],
        outlierDetection: { consecutiveFailures: 2, baseEjectionTime: '60s', maxEjectionPercent: 50 },
        retries: { attempts: 2, on: ['connectFailure'], budgetPercent: 100 },
      },
    },
    routes: [
      { name: 'flaky', match: { pathPrefix: '/flaky/' }, upstream: 'flaky' },
      { name: 'limited', match: { pathPrefix: '/rl/' }, upstream: 'origin', rateLimit: { requests: 50, per: '1s', burst: 10, key: 'header:x-client' } },
      { name: 'cached', match: { pathPrefix: '/c/' }, upstream: 'origin', cache: { enabled: true } },
    ],
    state: {
      redis: {
        url: redisUrl,
        keyPrefix: `fleet${process.pid}:`,
        reconnect: { minDelay: '50ms', maxDelay: '300ms' },
        breaker: { failures: 3, openTime: '300ms' },
      },
    },
  };
}

const get = (proxy, path, headers = {}) => request(`${proxy.url}${path}`, { headers: { host: HOST, ...headers }, agent });

describe('a fleet of three instances sharing Redis', { skip, timeout: 90_000 }, () => {
  before(async () => {
    redis = await startRedis();
    dead = await deadAddress();
    origin = await startOrigin((req, res) => {
      const path = req.url;
      const n = (served.get(path) ?? 0) + 1;
      served.set(path, n);
      const delay = path.includes('slow') ? 300 : 0;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=300', 'cache-tag': path.startsWith('/c/tagged') ? 'group-a' : 'other' });
        res.end(`${path} v${n}`);
      }, delay);
    });
    fleet = await Promise.all([0, 1, 2].map(() => startProxy(fleetConfig(redis.url))));
    await waitFor('every instance connected to Redis', async () => (await Promise.all(fleet.map((p) => metric(p, 'barbican_redis_up', { token: TOKEN })))).every((v) => v === 1));
  });

  after(async () => {
    await Promise.all(fleet.map((p) => p.close()));
    agent.destroy();
    await origin?.close();
    await redis?.stop();
  });

  it('holds a rate limit of 50/s (burst 10) fleet-wide within ±10%', async () => {
    // Every instance is flooded with requests of the same client for 2 s (far above 50/s).
    let admitted = 0;
    let refused = 0;
    let other = 0;
    const start = performance.now();
    const DURATION = 2000;
    const worker = async (proxy) => {
      while (performance.now() - start < DURATION) {
        const r = await get(proxy, '/rl/x', { 'x-client': 'alice' });
        if (r.status === 200) admitted++;
        else if (r.status === 429) refused++;
        else other++;
      }
    };
    await Promise.all(fleet.flatMap((p) => [worker(p), worker(p), worker(p)]));
    const elapsed = performance.now() - start;
    // GCRA: burst + 1 at once, then one per 20 ms.
    const expected = 11 + (elapsed / 1000) * 50;
    console.log(`rate limit: ${admitted} admitted, ${refused} refused over ${Math.round(elapsed)} ms on 3 instances; expected ${expected.toFixed(0)} (local limits would admit about ${(3 * expected).toFixed(0)})`);
    assert.equal(other, 0);
    assert.ok(refused > admitted, 'the flood was above the limit');
    assert.ok(Math.abs(admitted - expected) <= expected * 0.1, `admitted ${admitted}, expected ${expected.toFixed(1)} ± 10%`);
  });

  it('sends 50 concurrent misses spread over the three instances to the origin once', async () => {
    const path = '/c/slow-hot';
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => get(fleet[i % 3], path)));
    console.log(`collapsing: ${served.get(path)} origin request(s) for 50 concurrent misses on 3 instances`);
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
    assert.deepEqual(new Set(answers.map((r) => r.body.toString())), new Set([`${path} v1`]));
    assert.equal(served.get(path), 1);
  });

  it('applies a purge made on one instance on every instance and in Redis', async () => {
    const path = '/c/tagged/item';
    for (const p of fleet) assert.equal((await get(p, path)).body.toString(), `${path} v1`);
    // Every instance holds it in memory now.
    for (const p of fleet) assert.match((await get(p, path)).headers['cache-status'], /; hit/);
    const purge = await adminRequest(fleet[0], '/api/cache/purge', { method: 'POST', token: TOKEN, json: { tag: 'group-a' } });
    assert.equal(purge.status, 200);
    await waitFor('the purge to reach every instance', async () => (await Promise.all(fleet.slice(1).map((p) => metric(p, 'barbican_cache_purged_total', { token: TOKEN })))).every((v) => v >= 1), 5000);
    // No instance answers the old version any more; the first fetch refills Redis, the others take it from there.
    const after = [];
    for (const p of fleet) after.push((await get(p, path)).body.toString());
    assert.deepEqual(after, [`${path} v2`, `${path} v2`, `${path} v2`]);
    assert.equal(served.get(path), 2);

    // By prefix: Redis is searched (SCAN) and every instance purges its memory.
    const paths = ['/c/pfx/a', '/c/pfx/b?q=1'];
    for (const p of fleet) for (const x of paths) await get(p, x);
    const byPrefix = await adminRequest(fleet[2], '/api/cache/purge', { method: 'POST', token: TOKEN, json: { prefix: `http://${HOST}/c/pfx/` } });
    assert.equal(byPrefix.json().purged, 2, 'two entries in the memory of the instance asked');
    await waitFor('the prefix purge to reach every instance', async () => (await Promise.all(fleet.slice(0, 2).map((p) => metric(p, 'barbican_cache_purged_total', { token: TOKEN })))).every((v) => v >= 3), 5000);
    for (const p of fleet) for (const x of paths) assert.equal((await get(p, x)).body.toString(), `${x} v2`);
    for (const x of paths) assert.equal(served.get(x), 2, `${x}: fetched once before and once after the purge`);
  });

  it('announces an ejection by one instance to the others', async () => {
    const up = async (proxy) => {
      const text = (await adminRequest(proxy, '/metrics', { token: TOKEN })).body.toString();
      const m = new RegExp(`^barbican_upstream_target_up\\{[^}]*target="${dead}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return m === null ? undefined : Number(m[1]);
    };
    assert.equal(await up(fleet[1]), 1);
    for (let i = 0; i < 6; i++) assert.equal((await get(fleet[0], '/flaky/x')).status, 200);
    assert.equal(await up(fleet[0]), 0, 'ejected where it failed');
    // Instances 1 and 2 never sent it a request: they learn it over pub/sub.
    await waitFor('the ejection to reach the other instances', async () => (await up(fleet[1])) === 0 && (await up(fleet[2])) === 0, 5000);
  });

  it('loses no request when Redis is killed under load, falling back to local state', async () => {
    let ok = 0;
    const failures = [];
    let stop = false;
    let n = 0;
    const worker = async (proxy) => {
      while (!stop) {
        const i = n++;
        const path = i % 2 === 0 ? `/c/load-${i % 20}` : '/rl/load';
        try {
          // A different client per request: the limit is not what is tested here.
          const r = await get(proxy, path, { 'x-client': `c${i}` });
          if (r.status === 200) ok++;
          else failures.push(`${path}: ${r.status}`);
        } catch (err) {
          failures.push(`${path}: ${err.code ?? err.message}`);
        }
      }
    };
    const load = Promise.all(fleet.flatMap((p) => [worker(p), worker(p)]));
    await sleep(500);
    await redis.stop();
    const killedAt = ok;
    await waitFor('every instance to see Redis gone', async () => (await Promise.all(fleet.map((p) => metric(p, 'barbican_redis_up', { token: TOKEN })))).every((v) => v === 0), 5000);
    await sleep(700);
    stop = true;
    await load;
    const fallbacks = await metric(fleet[0], 'barbican_redis_fallbacks_total', { token: TOKEN });
    console.log(`redis killed: ${ok} requests answered (${ok - killedAt} after the kill), ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.ok(ok - killedAt > 50, 'requests kept flowing after the kill');
    assert.ok(fallbacks > 0, 'rate-limit decisions fell back to local');
    // Degraded, not broken: the cache still answers from memory and the health endpoint says so.
    assert.match((await get(fleet[1], '/c/load-0')).headers['cache-status'] ?? '', /Barbican/);
    const health = await adminRequest(fleet[2], '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: 'ok', redis: 'degraded' });
  });

  it('resumes sharing when Redis comes back on the same address, without a restart', async () => {
    redis = await startRedis({ port: redis.port });
    await waitFor('every instance to reconnect', async () => (await Promise.all(fleet.map((p) => metric(p, 'barbican_redis_up', { token: TOKEN })))).every((v) => v === 1), 10_000);
    // The second tier is shared again: a fill on one instance is a hit on the others.
    const path = '/c/after-restart';
    assert.equal((await get(fleet[0], path)).body.toString(), `${path} v1`);
    await sleep(100);
    for (const p of fleet.slice(1)) assert.equal((await get(p, path)).body.toString(), `${path} v1`);
    assert.equal(served.get(path), 1, 'the other instances took it from Redis');
    // And the rate limit is fleet-wide again: 11 at once for a fresh client, across the three.
    const start = performance.now();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => get(fleet[i % 3], '/rl/again', { 'x-client': 'bob' })));
    const elapsed = performance.now() - start;
    const admitted = answers.filter((r) => r.status === 200).length;
    // burst + 1 = 11 at once, plus one per 20 ms while the 30 requests were being answered;
    // three separate local limits would admit 30 (11 each).
    const most = 11 + Math.ceil(elapsed / 20);
    console.log(`after the restart: ${admitted} of 30 admitted in ${Math.round(elapsed)} ms (at most ${most} fleet-wide)`);
    assert.ok(admitted >= 9 && admitted <= most && admitted < 30, `admitted ${admitted}, expected 9..${most}`);
  });
});
