// The rate limiter: GCRA arithmetic on a fake clock (sustained rate, burst, Retry-After,
// remaining), bounded memory under many keys, the RateLimit-Policy / RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-10, keys, and state kept across a reload.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GcraLimiter, LimiterRegistry, createRateLimitRule, ratePolicy, sfString, wholeSeconds, AccessContext } from '../../dist/access/index.js';

const spec = (requests, perMs, burst = 0, maxKeys = 1000) => ({ requests, perMs, burst, maxKeys });

describe('GCRA', () => {
  it('spaces requests at the sustained rate without burst', () => {
    const l = new GcraLimiter(spec(10, 1000)); // T = 100 ms
    const t0 = 5000;
    let d = l.consume('k', t0);
    assert.deepEqual(d, { allowed: true, remaining: 0, resetMs: 100, retryAfterMs: 0 });
    d = l.consume('k', t0 + 50);
    assert.equal(d.allowed, false);
    assert.equal(d.retryAfterMs, 50);
    assert.equal(d.resetMs, 50);
    assert.equal(l.consume('k', t0 + 99.9).allowed, false);
    assert.equal(l.consume('k', t0 + 100).allowed, true, 'exactly on schedule');
    assert.equal(l.consume('k', t0 + 200).allowed, true);
  });

  it('admits burst + 1 at once, then refills at the sustained rate', () => {
    const l = new GcraLimiter(spec(10, 1000, 4)); // T = 100, τ = 400
    const t0 = 1000;
    const remaining = [];
    for (let i = 0; i < 5; i++) {
      const d = l.consume('k', t0);
      assert.equal(d.allowed, true, `request ${i}`);
      remaining.push(d.remaining);
    }
    assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
    const refused = l.consume('k', t0);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 100);
    assert.equal(refused.resetMs, 500, 'full allowance back after 5 intervals');
    // Refused requests do not push the schedule back.
    for (let i = 0; i < 10; i++) l.consume('k', t0 + 10);
    assert.equal(l.consume('k', t0 + 100).allowed, true);
    assert.equal(l.consume('k', t0 + 100).allowed, false);
    // After a long idle time the whole burst is back.
    const later = t0 + 10_000;
    for (let i = 0; i < 5; i++) assert.equal(l.consume('k', later).allowed, true);
    assert.equal(l.consume('k', later).allowed, false);
  });

  it('admits requests × duration + burst + 1 over a long run at 4× the rate', () => {
    const l = new GcraLimiter(spec(50, 1000, 10)); // 50/s
    let admitted = 0;
    for (let t = 0; t < 10_000; t += 5) if (l.consume('k', 100_000 + t).allowed) admitted++; // 200/s
    // Requests every 5 ms for 10 s: (duration + τ) / T + 1 = (9995 + 200) / 20 + 1 → 510.
    assert.equal(admitted, 510);
  });

  it('keeps keys apart', () => {
    const l = new GcraLimiter(spec(1, 1000));
    assert.equal(l.consume('a', 0).allowed, true);
    assert.equal(l.consume('a', 1).allowed, false);
    assert.equal(l.consume('b', 1).allowed, true);
  });

  it('forgets keys whose schedule has passed, and stays under maxKeys with 100,000 keys', () => {
    const cap = 10_000;
    const l = new GcraLimiter(spec(10, 1000, 2, cap));
    let now = 0;
    for (let i = 0; i < 100_000; i++) {
      now += 0.01; // 100,000 distinct clients in 1 s
      assert.equal(l.consume(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, now).allowed, true);
      if (l.size > cap) assert.fail(`size ${l.size} over the cap at key ${i}`);
    }
    assert.ok(l.size <= cap);
    // Later, new keys sweep out the expired ones: the map shrinks to what is live.
    now += 10_000;
    for (let i = 0; i < 5_000; i++) l.consume(`new-${i}`, now);
    assert.ok(l.size <= 5_000 + 2, `size ${l.size} after the sweep`);
  });

  it('memory stays bounded by the live keys at a steady churn', () => {
    const l = new GcraLimiter(spec(100, 1000, 0, 1_000_000)); // T = 10 ms: a key lives 10 ms
    let now = 0;
    for (let i = 0; i < 100_000; i++) {
      now += 1; // one new key per ms
      l.consume(`k${i}`, now);
    }
    assert.ok(l.size <= 12, `size ${l.size}`);
  });
});

describe('RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10)', () => {
  it('quotes policy names as structured-field strings', () => {
    assert.equal(sfString('api'), '"api"');
    assert.equal(sfString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(sfString('é\n'), '"__"');
  });

  const policies = [
    [[100, 1000, 0], '"api";q=100;w=1'],
    [[100, 1000, 20], '"api";q=100;w=1;barbican-burst=20'],
    [[1000, 3_600_000, 0], '"api";q=1000;w=3600'],
    [[10, 100, 0], '"api";q=100;w=1', 'sub-second windows are scaled to one second'],
    [[3, 1500, 0], '"api";q=4;w=2', 'whole seconds, quota scaled down'],
  ];
  for (const [[requests, per, burst], expected, why] of policies) {
    it(`${requests}/${per}ms burst ${burst} → ${expected}${why ? ` (${why})` : ''}`, () => assert.equal(ratePolicy('api', requests, per, burst), expected));
  }

  it('rounds waits up to whole seconds, at least 1', () => {
    assert.deepEqual([0, 1, 999, 1000, 1001, 2500].map(wholeSeconds), [0, 1, 1, 1, 2, 3]);
  });
});

describe('rate-limit rule', () => {
  const req = (clientIp, headers = {}) => ({ clientIp, method: 'GET', host: 'h', path: '/', query: '', requestId: 'r', req: { scheme: 'http' }, header: (n) => headers[n] });

  it('answers 429 with Retry-After equal to t, and RateLimit fields on admitted requests', () => {
    let now = 0;
    const config = { requests: 2, per: 1000, burst: 1, key: 'ip', maxKeys: 100 };
    const rule = createRateLimitRule(config, 'api', new GcraLimiter(spec(2, 1000, 1)), () => now);
    const ctx = new AccessContext();
    assert.equal(rule.check(req('1.1.1.1'), ctx), undefined);
    assert.deepEqual(rule.responseHeaders(ctx), ['RateLimit-Policy', '"api";q=2;w=1;barbican-burst=1', 'RateLimit', '"api";r=1;t=1']);
    assert.equal(rule.check(req('1.1.1.1'), new AccessContext()), undefined);
    const d = rule.check(req('1.1.1.1'), new AccessContext());
    assert.equal(d.kind, 'deny');
    assert.equal(d.error.code, 'RATE_LIMITED');
    assert.equal(d.error.status, 429);
    assert.equal(d.error.retryAfter, 1);
    assert.deepEqual(d.headers, ['RateLimit-Policy', '"api";q=2;w=1;barbican-burst=1', 'RateLimit', '"api";r=0;t=1']);
    assert.equal(rule.check(req('2.2.2.2'), new AccessContext()), undefined, 'another client has its own allowance');
    now = 500;
    assert.equal(rule.check(req('1.1.1.1'), new AccessContext()), undefined, 'admitted again after Retry-After');
  });

  it('counts by header, by verified claim or by API key name, falling back to the address', () => {
    const keys = [];
    const limiter = { consume: (key) => (keys.push(key), { allowed: true, remaining: 1, resetMs: 1, retryAfterMs: 0 }) };
    const mk = (key) => createRateLimitRule({ requests: 1, per: 1000, burst: 0, key, maxKeys: 10 }, 'r', limiter, () => 0);
    mk('header:X-Tenant').check(req('1.1.1.1', { 'x-tenant': 'acme' }), new AccessContext());
    mk('header:X-Tenant').check(req('1.1.1.1'), new AccessContext());
    const withClaims = new AccessContext();
    withClaims.claims = { sub: 'alice' };
    mk('jwt:sub').check(req('1.1.1.1'), withClaims);
    const withKey = new AccessContext();
    withKey.apiKey = 'ci';
    mk('apiKey').check(req('1.1.1.1'), withKey);
    mk('apiKey').check(req('1.1.1.1'), new AccessContext());
    mk('header:x-long').check(req('1.1.1.1', { 'x-long': 'x'.repeat(10_000) }), new AccessContext());
    assert.deepEqual(keys.slice(0, 5), ['header:X-Tenant=acme', 'ip=1.1.1.1', 'jwt:sub=alice', 'apiKey=ci', 'ip=1.1.1.1']);
    assert.ok(keys[5].length <= 64, 'long keys are stored hashed');
  });

  it('works with an asynchronous limiter (the interface a shared store implements)', async () => {
    const limiter = { consume: async () => ({ allowed: false, remaining: 0, resetMs: 3000, retryAfterMs: 2100 }) };
    const rule = createRateLimitRule({ requests: 1, per: 1000, burst: 0, key: 'ip', maxKeys: 10 }, 'r', limiter, () => 0);
    const d = await rule.check(req('1.1.1.1'), new AccessContext());
    assert.equal(d.error.retryAfter, 3);
  });
});

describe('LimiterRegistry', () => {
  it('gives the same limiter back for an unchanged limit (reload), a new one when it changes', () => {
    const r = new LimiterRegistry();
    const a = r.get('api|ip', spec(10, 1000));
    assert.equal(r.get('api|ip', spec(10, 1000)), a);
    assert.notEqual(r.get('api|ip', spec(20, 1000)), a);
    assert.notEqual(r.get('other|ip', spec(20, 1000)), a);
  });
});
