/**
 * Schema for `state` (shared state across Barbican instances): `state.redis` names the Redis (or
 * Valkey) server, Sentinel group or Cluster the instances share, and how each use of it behaves
 * when Redis cannot be reached. Without `state.redis` every instance keeps its own state.
 */
import { z } from 'zod';
import { duration, size } from '../config/units.js';

/** `host:port` (IPv6 in brackets). */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 10.0.0.5:26379')
  .describe('host:port');

const redisUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'redis:' || u.protocol === 'rediss:';
  } catch {
    return false;
  }
}, 'expected a redis:// or rediss:// URL');

export const redisRateLimitSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Count rate limits in Redis, across every instance (routes opt out with rateLimit.scope: local). false: every instance counts on its own.'),
    onFailure: z
      .enum(['local', 'open', 'closed'])
      .default('local')
      .describe(
        'What a rate limit does while Redis cannot be asked (down, slow, circuit open): local = each instance enforces the whole limit by itself (fleet-wide up to N times the limit; fail-open but still bounded), ' +
          'open = admit every request, closed = refuse with 503 RATE_LIMIT_UNAVAILABLE.',
      ),
    maxLease: z
      .number()
      .int()
      .min(1)
      .default(32)
      .describe(
        'Most requests of one key an instance may take from Redis at once and then admit locally without asking (the local fast path). It leases at most a quarter of what the key has left, so keys near their limit are decided in Redis one by one. 1 disables the fast path.',
      ),
    leaseTime: duration().default(1_000).describe('How long leased requests may be used; what is left is given back to Redis with the next decision for that key.'),
  })
  .describe('The distributed rate limiter (GCRA in a Lua script, one round trip per decision at most).');

export const redisCacheSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Use Redis as the second cache tier (memory → Redis → origin) and for purges and request collapsing across instances.'),
    maxObjectBytes: size().default(1024 * 1024).describe('Largest stored response (body) copied to Redis; larger ones stay in the memory of the instance that fetched them.'),
    lockTime: duration().default(10_000).describe('Lifetime of the fleet-wide fill lock (SET NX PX): while it is held, misses for the same key on other instances wait for the fill instead of going to the origin. Also the longest they wait.'),
  })
  .describe('The shared second cache tier. Redis failures always fall back to the local cache.');

export const redisSchema = z
  .strictObject({
    url: redisUrl
      .default('redis://127.0.0.1:6379')
      .describe('Redis server: redis://[user:password@]host:port[/db] or rediss:// for TLS. With sentinels: only the credentials and db are used; with cluster: only the credentials.'),
    keyPrefix: z.string().default('barbican:').describe('Prefix of every key and pub/sub channel Barbican uses, so several fleets can share one Redis.'),
    sentinels: z.array(hostPort).min(1).optional().describe('Redis Sentinel addresses; the master is asked from them by sentinelName (ioredis follows failovers).'),
    sentinelName: z.string().min(1).default('mymaster').describe('Name of the master group the sentinels watch.'),
    cluster: z.array(hostPort).min(1).optional().describe('Redis Cluster seed nodes (the rest are discovered). Keys of one decision share a hash slot, so scripts run on one node.'),
    connectTimeout: duration().default(2_000).describe('Time allowed to open a connection to Redis.'),
    commandTimeout: duration().default(250).describe('Time a command may take before it counts as a failure and the request falls back (rate limit: onFailure; cache: the local tier).'),
    reconnect: z
      .strictObject({
        minDelay: duration().default(100).describe('Delay before the first reconnection attempt.'),
        maxDelay: duration().default(5_000).describe('Longest delay between attempts (the delay doubles up to it).'),
      })
      .prefault({})
      .describe('Reconnection with exponential backoff; Redis coming back restores sharing without a restart.'),
    breaker: z
      .strictObject({
        failures: z.number().int().min(1).default(5).describe('Consecutive failed or timed-out commands that open the circuit (then no command is sent and every use falls back at once).'),
        openTime: duration().default(2_000).describe('How long the circuit stays open before one trial command is let through (half-open).'),
      })
      .prefault({})
      .describe('Circuit breaker around Redis commands.'),
    rateLimit: redisRateLimitSchema.prefault({}),
    cache: redisCacheSchema.prefault({}),
    shareEjections: z.boolean().default(true).describe('Passive health: a target ejected by outlier detection on one instance is ejected on the others too, for the same time (announced over pub/sub).'),
  })
  .refine((r) => r.sentinels === undefined || r.cluster === undefined, 'use sentinels or cluster, not both')
  .describe('Redis (or Valkey) shared by the instances: rate limits, the second cache tier, purges, request collapsing and ejections.');

export const stateSchema = z
  .strictObject({
    redis: redisSchema.optional(),
  })
  .describe('State shared across Barbican instances (optional). Without it, each instance keeps rate limits, the cache and health to itself.');

export type StateConfig = z.output<typeof stateSchema>;
export type RedisConfig = z.output<typeof redisSchema>;
