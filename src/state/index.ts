/**
 * Shared state across Barbican instances (state.redis): the Redis connection with its circuit
 * breaker and fleet events, the distributed rate limiter, the second cache tier. Implements
 * interfaces of access/ (RateLimiter) and cache/ (SecondTier); the runtime wires them.
 */
export { stateSchema, redisSchema, type StateConfig, type RedisConfig } from './config.js';
export { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
export { RedisState, RedisUnavailable, type RedisStats, type RedisClient } from './redis-state.js';
export { parseEvent, type FleetEvent } from './events.js';
export { RedisRateLimiter, type RedisLimiterOptions } from './redis-rate-limiter.js';
export { RedisCacheTier } from './redis-cache-tier.js';
export { GCRA_LUA, FETCH_OR_LOCK_LUA, UNLOCK_LUA } from './scripts.js';
export { sharedState, StateHolder, type StateBinding } from './shared-state.js';
