// Rate limiting through the real proxy: accuracy of the GCRA limit over 10 s of traffic at four
// times the rate (admitted count within ±10% of rate × 10 s + burst), the 429 answer (RFC 6585
// §4) with Retry-After and the RateLimit-Policy / RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-10, and per-key allowances.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOrigin, startProxy } from '../helpers.mjs';

const RATE = 50;
const BURST = 10;

function get(agent, port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('access: rateLimit', () => {
  let origin;
  let proxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  before(async () => {
    origin = await startOrigin((req, res) => res.end('ok'));
    proxy = await startProxy({
      logging: { level: 'info', accessLog: { format: 'off' } },
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        { name: 'api', match: { pathPrefix: '/api/' }, upstream: 'origin', rateLimit: { requests: RATE, per: '1s', burst: BURST } },
        { name: 'tenants', match: { pathPrefix: '/t/' }, upstream: 'origin', rateLimit: { requests: 1, per: '1m', key: 'header:x-tenant' } },
      ],
    });
  });

  after(async () => {
    agent.destroy();
    await proxy?.close();
    await origin?.close();
  });

  it(`admits ${RATE}/s + burst ${BURST} within ±10% over 10 s of traffic at ${RATE * 4}/s`, async (t) => {
    const before = origin.requests.length;
    const interval = 1000 / (RATE * 4);
    const count = 10_000 / interval; // 2000 requests, bounded
    const pending = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(get(agent, proxy.port, `/api/${i}`));
    }
    const results = await Promise.all(pending);
    const span = (performance.now() - start) / 1000;
    const admitted = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429).length;
    assert.equal(admitted + limited, count, 'every answer is 200 or 429');
    const nominal = RATE * 10 + BURST;
    t.diagnostic(`admitted ${admitted} of ${count} in ${span.toFixed(2)} s (nominal ${nominal}, ${(((admitted - nominal) / nominal) * 100).toFixed(1)}%)`);
    assert.ok(Math.abs(admitted - nominal) <= nominal * 0.1, `admitted ${admitted}, expected ${nominal} ± 10%`);
    assert.equal(origin.requests.length - before, admitted, 'the origin saw exactly the admitted requests');

    const ok = results.find((r) => r.status === 200);
    assert.equal(ok.headers['ratelimit-policy'], `"api";q=${RATE};w=1;barbican-burst=${BURST}`);
    assert.match(ok.headers.ratelimit, /^"api";r=\d+;t=\d+$/);
    const refused = results.find((r) => r.status === 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers['ratelimit-policy'], `"api";q=${RATE};w=1;barbican-burst=${BURST}`);
    assert.equal(refused.headers.ratelimit, '"api";r=0;t=1', 't equals Retry-After');
    assert.equal(refused.headers['cache-control'], 'no-store');
  });

  it('counts per key: each tenant has its own allowance, Retry-After says when to come back', async () => {
    assert.equal((await get(agent, proxy.port, '/t/a', { 'x-tenant': 'acme' })).status, 200);
    const over = await get(agent, proxy.port, '/t/a', { 'x-tenant': 'acme' });
    assert.equal(over.status, 429);
    const wait = Number(over.headers['retry-after']);
    assert.ok(wait > 55 && wait <= 60, `Retry-After ${wait}`);
    assert.equal(over.headers.ratelimit, `"tenants";r=0;t=${wait}`);
    assert.equal(over.headers['ratelimit-policy'], '"tenants";q=1;w=60');
    assert.equal((await get(agent, proxy.port, '/t/a', { 'x-tenant': 'globex' })).status, 200);
    // Without the header, the client address is the key.
    assert.equal((await get(agent, proxy.port, '/t/a')).status, 200);
    assert.equal((await get(agent, proxy.port, '/t/a')).status, 429);
  });
});
