/**
 * The process's link to the fleet: at most one RedisState, made from `state.redis` when the
 * first runtime is built and kept across reloads while `state.redis` is unchanged (a reload
 * that changes it connects anew and closes the old connection; one that removes it goes back to
 * local state). What the runtime uses of it: the cache's second tier, the factory of shared
 * rate limiters, and the fleet events for passive health.
 */
import type { RateLimiter, RateLimitSpec, SharedLimiterFactory } from '../access/index.js';
import type { SecondTier } from '../cache/index.js';
import type { Logger } from '../observability/logger.js';
import type { RedisConfig } from './config.js';
import { RedisCacheTier } from './redis-cache-tier.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { RedisState, type RedisStats } from './redis-state.js';

/** What one runtime gets from the shared state (everything undefined without state.redis). */
export interface StateBinding {
  readonly redis: RedisState | undefined;
  /** The cache's second tier (undefined: state.redis.cache.enabled is false). */
  readonly tier: SecondTier | undefined;
  /** Makes rate limiters kept in Redis (undefined: state.redis.rateLimit.enabled is false). */
  readonly limiters: SharedLimiterFactory | undefined;
}

const NONE: StateBinding = { redis: undefined, tier: undefined, limiters: undefined };

export class StateHolder {
  private binding: StateBinding = NONE;
  private configured: string | undefined;

  /** The binding for `config` (the one in use when it is unchanged). */
  configure(config: RedisConfig | undefined, logger: Logger): StateBinding {
    const text = config === undefined ? undefined : JSON.stringify(config);
    if (text === this.configured) return this.binding;
    const old = this.binding.redis;
    this.configured = text;
    this.binding = config === undefined ? NONE : bind(new RedisState(config, logger), config);
    if (old !== undefined) void old.close();
    return this.binding;
  }

  get stats(): RedisStats | undefined {
    return this.binding.redis?.stats;
  }

  async close(): Promise<void> {
    const redis = this.binding.redis;
    this.binding = NONE;
    this.configured = undefined;
    await redis?.close();
  }
}

function bind(redis: RedisState, config: RedisConfig): StateBinding {
  const r = config.rateLimit;
  const limiters: SharedLimiterFactory | undefined = r.enabled
    ? (identity: string, spec: RateLimitSpec, fallback: RateLimiter) =>
        new RedisRateLimiter(spec, redis, { identity, maxLease: r.maxLease, leaseTime: r.leaseTime, onFailure: r.onFailure, fallback })
    : undefined;
  return { redis, tier: config.cache.enabled ? new RedisCacheTier(redis, config.cache) : undefined, limiters };
}

/** The process's shared state (one Redis connection pair per process). */
export const sharedState = new StateHolder();
