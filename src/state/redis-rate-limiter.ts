/**
 * The distributed rate limiter: the same GCRA as access/gcra-limiter.ts, kept in Redis and
 * decided atomically by one Lua script (scripts.ts GCRA_LUA) on the Redis server's clock, so a
 * limit of 100 r/s is 100 r/s across the fleet.
 *
 * The local fast path (leases): a decision may take several requests of a key from Redis at
 * once (at most maxLease, and at most a quarter of what the key has left) and admit the next
 * ones locally, with no round trip, for leaseTime. A key far below its limit therefore waits on
 * Redis about once per lease; a key near its limit has nothing to lease and is decided in Redis
 * request by request, exactly. Leased requests are taken from the key's allowance up front, so
 * the fleet never admits more than the limit; what a lease does not use is given back with the
 * next decision for the key (refund). The error is towards refusing: requests leased by one
 * instance and not yet used are unavailable to the others for up to leaseTime (bounded by
 * maxLease per instance and key). A refusal is remembered until its retry time, so a flooding
 * key is refused locally too. With burst 0 nothing can be leased (requests must be evenly spaced).
 *
 * Redis unavailable (disconnected, circuit open, timeout): onFailure decides — local (this
 * instance enforces the whole limit with an in-memory GCRA), open (admit) or closed (refuse
 * with 503 RATE_LIMIT_UNAVAILABLE). No request ever fails because Redis did.
 */
import type { RateLimitDecision, RateLimiter, RateLimitSpec } from '../access/index.js';
import type { RedisState } from './redis-state.js';

export interface RedisLimiterOptions {
  /** Stable identity of the limit (route and key kind), part of the Redis key. */
  identity: string;
  maxLease: number;
  leaseTime: number;
  onFailure: 'local' | 'open' | 'closed';
  /** The limiter used while Redis is unavailable with onFailure: local. */
  fallback: RateLimiter;
}

interface Lease {
  /** Requests leased and not used yet. */
  tokens: number;
  /** Until when they may be used (local monotonic ms). */
  expires: number;
  /** What the key had left in Redis beyond the lease, at the last decision. */
  behind: number;
  /** When the key's allowance is whole again (local ms). */
  resetAt: number;
  /** A refusal: requests are refused locally until then (local ms); 0 when admitted. */
  refusedUntil: number;
}

const OPEN: RateLimitDecision = { allowed: true, remaining: 0, resetMs: 0, retryAfterMs: 0 };
const CLOSED: RateLimitDecision = { allowed: false, remaining: 0, resetMs: 1000, retryAfterMs: 1000, unavailable: true };

export class RedisRateLimiter implements RateLimiter {
  private readonly interval: string;
  private readonly tolerance: string;
  private readonly leases = new Map<string, Lease>();
  private readonly prefix: string;

  constructor(
    private readonly spec: RateLimitSpec,
    private readonly state: RedisState,
    private readonly options: RedisLimiterOptions,
  ) {
    const interval = spec.perMs / spec.requests;
    this.interval = String(interval);
    this.tolerance = String(spec.burst * interval);
    this.prefix = `${state.prefix}rl:${options.identity}:`;
  }

  consume(key: string, now: number): RateLimitDecision | Promise<RateLimitDecision> {
    const lease = this.leases.get(key);
    if (lease !== undefined) {
      // Leased requests first: a refusal that came back for a concurrent decision does not
      // make the requests this instance already holds unusable.
      if (lease.tokens > 0 && now < lease.expires) {
        // The fast path: admitted from the lease, no round trip.
        lease.tokens--;
        return { allowed: true, remaining: lease.tokens + lease.behind, resetMs: Math.max(0, lease.resetAt - now), retryAfterMs: 0 };
      }
      if (now < lease.refusedUntil) {
        const wait = lease.refusedUntil - now;
        return { allowed: false, remaining: 0, resetMs: Math.max(wait, lease.resetAt - now), retryAfterMs: wait };
      }
    }
    if (!this.state.available()) return this.fallback(key, now);
    const refund = lease !== undefined && lease.tokens > 0 ? lease.tokens : 0;
    if (lease !== undefined) lease.tokens = 0;
    const want = lease === undefined ? 1 : Math.max(1, Math.min(this.options.maxLease, Math.floor(lease.behind / 4)));
    return this.state.run((c) => c.barbicanGcra(this.prefix + key, this.interval, this.tolerance, want, refund)).then(
      (reply) => this.decided(key, reply, performance.now()),
      () => this.fallback(key, now),
    );
  }

  /** Records a decision from Redis: one granted request is this one, the rest are leased. */
  private decided(key: string, reply: [number, number, string, string], now: number): RateLimitDecision {
    const granted = Number(reply[0]);
    const behind = Number(reply[1]);
    const resetMs = Number(reply[2]);
    const retryAfterMs = Number(reply[3]);
    let lease = this.leases.get(key);
    if (lease === undefined) {
      if (this.leases.size >= this.spec.maxKeys) {
        const oldest = this.leases.keys().next().value;
        if (oldest !== undefined) this.leases.delete(oldest);
      }
      lease = { tokens: 0, expires: 0, behind: 0, resetAt: 0, refusedUntil: 0 };
      this.leases.set(key, lease);
    }
    lease.behind = behind;
    lease.resetAt = now + resetMs;
    if (granted === 0) {
      // A concurrent decision may have leased requests meanwhile: this one may use one of them.
      if (lease.tokens > 0 && now < lease.expires) {
        lease.tokens--;
        return { allowed: true, remaining: lease.tokens, resetMs, retryAfterMs: 0 };
      }
      lease.refusedUntil = now + retryAfterMs;
      return { allowed: false, remaining: 0, resetMs, retryAfterMs };
    }
    lease.refusedUntil = 0;
    // Concurrent decisions for one key each add their extra requests to the lease.
    if (lease.expires <= now) lease.tokens = 0;
    lease.tokens += granted - 1;
    lease.expires = now + this.options.leaseTime;
    return { allowed: true, remaining: lease.tokens + behind, resetMs, retryAfterMs: 0 };
  }

  private fallback(key: string, now: number): RateLimitDecision | Promise<RateLimitDecision> {
    this.state.stats.fallbacks.ratelimit++;
    switch (this.options.onFailure) {
      case 'open':
        return OPEN;
      case 'closed':
        return CLOSED;
      case 'local':
        return this.options.fallback.consume(key, now);
    }
  }
}
