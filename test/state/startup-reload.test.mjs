// An instance whose Redis is down when it starts still starts and serves (degraded to local
// state), and a reload that points state.redis at a live server connects without a restart;
// a reload that removes state.redis goes back to local state.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, deadAddress, request, rewriteConfig, simpleConfig, startOrigin, startProxy } from '../helpers.mjs';
import { redisMissing, startRedis } from './redis-helpers.mjs';

const skip = redisMissing();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('state.redis at startup and across reloads', { skip, timeout: 60_000 }, () => {
  let redis;
  let origin;
  let proxy;
  const config = (url) =>
    simpleConfig(origin.url, { cache: { enabled: true }, rateLimit: { requests: 1, per: '1m', burst: 50 } }, {
      admin: { address: '127.0.0.1:0' },
      ...(url === undefined ? {} : { state: { redis: { url, reconnect: { minDelay: '50ms', maxDelay: '200ms' } } } }),
    });
  const health = async () => (await adminRequest(proxy, '/healthz')).json().redis;

  before(async () => {
    redis = await startRedis();
    origin = await startOrigin((req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' });
      res.end('ok');
    });
  });
  after(async () => {
    await proxy?.close();
    await origin?.close();
    await redis?.stop();
  });

  it('starts and serves with Redis unreachable, then shares once a reload names a live Redis', async () => {
    const dead = (await deadAddress()).replace('http://', 'redis://');
    proxy = await startProxy(config(dead));
    for (let i = 0; i < 5; i++) assert.equal((await request(`${proxy.url}/a`)).status, 200);
    assert.equal(await health(), 'degraded');
    assert.match(proxy.stderr(), /redis unavailable/);

    rewriteConfig(proxy, config(redis.url));
    const reload = await adminRequest(proxy, '/api/reload', { method: 'POST' });
    assert.equal(reload.status, 200, reload.body.toString());
    const deadline = Date.now() + 5000;
    while ((await health()) !== 'up') {
      assert.ok(Date.now() < deadline, 'connected after the reload');
      await sleep(50);
    }
    // Shared now: the rate limit is counted in Redis (the key lives until its schedule has passed: a minute here).
    assert.equal((await request(`${proxy.url}/b`)).status, 200);
    const keys = await new Promise((resolve) => {
      import('node:child_process').then(({ execFile }) => execFile('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'barbican:rl:*'], (_e, out) => resolve(out.trim())));
    });
    assert.match(keys, /^barbican:rl:/m);

    rewriteConfig(proxy, config(undefined));
    assert.equal((await adminRequest(proxy, '/api/reload', { method: 'POST' })).status, 200);
    assert.equal(await health(), 'off');
    assert.equal((await request(`${proxy.url}/c`)).status, 200);
  });
});
