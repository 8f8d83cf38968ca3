// The rate-limiter contract (DESIGN.md: a contract suite runs against every implementation):
// the in-memory GCRA and the Redis GCRA (with its local lease fast path) must answer alike,
// on the real clock (Redis decides on its own clock: TIME). Then what only the Redis limiter
// has: the fast path admits without a round trip, two limiters sharing one Redis share one
// limit, and an unreachable Redis falls back as onFailure says.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GcraLimiter } from '../../dist/access/index.js';
import { RedisRateLimiter, RedisState, redisSchema } from '../../dist/state/index.js';
import { createLogger } from '../../dist/observability/logger.js';
import { redisMissing, startRedis } from './redis-helpers.mjs';

const skip = redisMissing();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const spec = (requests, perMs, burst = 0, maxKeys = 1000) => ({ requests, perMs, burst, maxKeys });
const logger = createLogger('error');

let redis;
const states = [];
let prefixes = 0;

/** A connected RedisState on the test's Redis, with its own key prefix (tests do not share keys). */
async function connect(overrides = {}) {
  const state = new RedisState(redisSchema.parse({ url: redis.url, keyPrefix: `t${process.pid}-${prefixes++}:`, ...overrides }), logger);
  states.push(state);
  const deadline = Date.now() + 5000;
  while (!state.available()) {
    if (Date.now() > deadline) throw new Error('redis did not become available');
    await sleep(10);
  }
  return state;
}

const implementations = [
  { name: 'in-memory GCRA', make: async (s) => new GcraLimiter(s) },
  {
    name: 'Redis GCRA (leases)',
    make: async (s) => new RedisRateLimiter(s, await connect(), { identity: 'contract', maxLease: 8, leaseTime: 1000, onFailure: 'local', fallback: new GcraLimiter(s) }),
  },
];

describe('rate limiter contract', { skip }, () => {
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const s of states) await s.close();
    await redis?.stop();
  });

  for (const impl of implementations) {
    describe(impl.name, () => {
      const consume = async (l, key) => l.consume(key, performance.now());

      it('admits burst + 1 at once with remaining counting down, then refuses with a retry time of about one interval', async () => {
        const l = await impl.make(spec(10, 1000, 4)); // T = 100 ms, τ = 400 ms
        const remaining = [];
        for (let i = 0; i < 5; i++) {
          const d = await consume(l, 'k');
          assert.equal(d.allowed, true, `request ${i}`);
          remaining.push(d.remaining);
        }
        assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
        const refused = await consume(l, 'k');
        assert.equal(refused.allowed, false);
        assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, `retryAfterMs ${refused.retryAfterMs}`);
        assert.ok(refused.resetMs > 300 && refused.resetMs <= 500, `resetMs ${refused.resetMs}`);
      });

      it('admits again after the retry time, one request per interval', async () => {
        const l = await impl.make(spec(20, 1000)); // T = 50 ms
        assert.equal((await consume(l, 'k')).allowed, true);
        const refused = await consume(l, 'k');
        assert.equal(refused.allowed, false);
        await sleep(refused.retryAfterMs + 15);
        assert.equal((await consume(l, 'k')).allowed, true);
        assert.equal((await consume(l, 'k')).allowed, false);
      });

      it('keeps keys apart', async () => {
        const l = await impl.make(spec(1, 60_000));
        assert.equal((await consume(l, 'a')).allowed, true);
        assert.equal((await consume(l, 'a')).allowed, false);
        assert.equal((await consume(l, 'b')).allowed, true);
      });

      it('admits about requests × duration + burst + 1 under a steady flood', async () => {
        const l = await impl.make(spec(50, 1000, 5)); // T = 20 ms
        let admitted = 0;
        let refused = 0;
        const start = performance.now();
        while (performance.now() - start < 1000) {
          // Several at a time, so the flood stays above 50/s even when timers run late.
          for (let i = 0; i < 4; i++) {
            if ((await consume(l, 'flood')).allowed) admitted++;
            else refused++;
          }
          await sleep(2);
        }
        const elapsed = performance.now() - start;
        assert.ok(refused > admitted, 'the flood was above the limit');
        const expected = 6 + (50 * elapsed) / 1000; // burst + 1, then one per 20 ms
        assert.ok(Math.abs(admitted - expected) <= expected * 0.1, `admitted ${admitted}, expected ${expected.toFixed(1)} ± 10%`);
      });
    });
  }

  describe('Redis only', () => {
    it('admits leased requests synchronously (no round trip) and never more than the limit', async () => {
      const s = spec(100, 60_000, 39); // 40 at once
      const state = await connect();
      const l = new RedisRateLimiter(s, state, { identity: 'lease', maxLease: 8, leaseTime: 5000, onFailure: 'local', fallback: new GcraLimiter(s) });
      let sync = 0;
      let admitted = 0;
      for (let i = 0; i < 60; i++) {
        const d = l.consume('k', performance.now());
        if (!(d instanceof Promise)) sync++;
        if ((await d).allowed) admitted++;
      }
      assert.equal(admitted, 40, 'exactly burst + 1 admitted');
      assert.ok(sync >= 20, `most decisions came from the lease or a remembered refusal (${sync} of 60)`);
    });

    it('two limiters on one Redis share one limit', async () => {
      const s = spec(10, 60_000, 9); // 10 at once, then one every 6 s
      const state1 = await connect();
      const state2 = await connect({ keyPrefix: state1.prefix });
      const options = { identity: 'fleet', maxLease: 4, leaseTime: 5000, onFailure: 'local' };
      const a = new RedisRateLimiter(s, state1, { ...options, fallback: new GcraLimiter(s) });
      const b = new RedisRateLimiter(s, state2, { ...options, fallback: new GcraLimiter(s) });
      let admitted = 0;
      for (let i = 0; i < 30; i++) if ((await (i % 2 ? a : b).consume('k', performance.now())).allowed) admitted++;
      assert.ok(admitted <= 10 && admitted >= 8, `admitted ${admitted} of a shared limit of 10 (leases may hold a few back)`);
    });

    it('three limiters deciding concurrently and staggered for one fresh key admit exactly burst + 1', async () => {
      const s = spec(1, 60_000, 10); // 11 at once, then one a minute
      const first = await connect();
      const others = [await connect({ keyPrefix: first.prefix }), await connect({ keyPrefix: first.prefix })];
      const options = { identity: 'stagger', maxLease: 32, leaseTime: 5000, onFailure: 'local' };
      const limiters = [first, ...others].map((st) => new RedisRateLimiter(s, st, { ...options, fallback: new GcraLimiter(s) }));
      for (const round of ['a', 'b', 'c']) {
        const pending = [];
        for (let i = 0; i < 30; i++) {
          pending.push(limiters[i % 3].consume(`k-${round}`, performance.now()));
          // Some decisions start after others came back (leases and refusals cross).
          if (i % 4 === 3) await new Promise((r) => setImmediate(r));
        }
        const admitted = (await Promise.all(pending)).filter((d) => d.allowed).length;
        assert.equal(admitted, 11, `round ${round}`);
      }
    });

    it('falls back as onFailure says when Redis cannot be reached, and never throws', async () => {
      const s = spec(1, 60_000);
      const dead = new RedisState(redisSchema.parse({ url: 'redis://127.0.0.1:1', connectTimeout: '200ms' }), logger);
      states.push(dead);
      const local = new RedisRateLimiter(s, dead, { identity: 'f', maxLease: 1, leaseTime: 1000, onFailure: 'local', fallback: new GcraLimiter(s) });
      assert.equal((await local.consume('k', performance.now())).allowed, true);
      assert.equal((await local.consume('k', performance.now())).allowed, false, 'the local GCRA enforces the limit');
      const open = new RedisRateLimiter(s, dead, { identity: 'f', maxLease: 1, leaseTime: 1000, onFailure: 'open', fallback: new GcraLimiter(s) });
      for (let i = 0; i < 3; i++) assert.equal((await open.consume('k', performance.now())).allowed, true);
      const closed = new RedisRateLimiter(s, dead, { identity: 'f', maxLease: 1, leaseTime: 1000, onFailure: 'closed', fallback: new GcraLimiter(s) });
      const d = await closed.consume('k', performance.now());
      assert.equal(d.allowed, false);
      assert.equal(d.unavailable, true);
      assert.ok(dead.stats.fallbacks.ratelimit >= 5);
      assert.equal(dead.stats.up, 0);
    });
  });
});
