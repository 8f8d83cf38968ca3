/**
 * The Lua scripts Barbican runs in Redis, each atomic and one round trip. ioredis sends them
 * with EVALSHA and falls back to EVAL (loading the script) when the server answers NOSCRIPT
 * (after a restart or SCRIPT FLUSH). Every key a script touches is passed in KEYS and shares
 * one hash slot, so the scripts run on Redis Cluster too.
 */
import type { RedisClient } from './redis-state.js';

/**
 * GCRA (the "virtual scheduling" form of ITU-T I.371, as access/gcra-limiter.ts) for `want`
 * requests at once, on the Redis server's clock (TIME), so instances with drifting clocks agree.
 *
 * KEYS[1] the key's theoretical arrival time (TAT, ms); ARGV: T (emission interval, ms),
 * τ (tolerance, ms), want (≥ 1), refund (leased requests not used, given back first).
 * Grants k = min(want, admissible now) requests and moves TAT by k·T; refused (k = 0) moves
 * nothing. Returns { k, remaining after k, resetMs, retryAfterMs } (times as strings: Lua
 * numbers would be truncated to integers in the reply).
 */
export const GCRA_LUA = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local T = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local refund = tonumber(ARGV[4])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local tat = stored
if refund > 0 and tat > now then tat = tat - refund * T end
if tat < now then tat = now end
local avail = math.floor((now + tau - tat) / T + 1e-6) + 1
if avail < 1 then
  if tat ~= stored then redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1) end
  return {0, 0, string.format('%.3f', tat - now), string.format('%.3f', tat - tau - now)}
end
local k = math.min(want, avail)
tat = tat + k * T
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1)
return {k, avail - k, string.format('%.3f', tat - now), '0'}
`;

/**
 * A cache miss asks the second tier (RFC 9111 entries stored by cache-tier.ts) and, when
 * nothing is there, takes the fleet-wide fill lock, in one round trip.
 *
 * KEYS[1] the entry (a hash: variant id → serialized response), KEYS[2] the lock; ARGV: the
 * lock owner, the lock's lifetime (ms). Returns { 'hit', field, value, … } when the entry
 * exists, { 'lock' } when this instance now holds the lock, { 'wait' } when another does.
 */
export const FETCH_OR_LOCK_LUA = `
local entry = redis.call('HGETALL', KEYS[1])
if #entry > 0 then
  table.insert(entry, 1, 'hit')
  return entry
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lock'} end
return {'wait'}
`;

/** Releases the fill lock only when this instance still holds it. KEYS[1] lock; ARGV[1] owner. */
export const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The scripts as ioredis custom commands (EVALSHA with an EVAL fallback). */
export interface ScriptCommands {
  barbicanGcra(key: string, interval: string, tolerance: string, want: number, refund: number): Promise<[number, number, string, string]>;
  barbicanFetchOrLockBuffer(entry: string, lock: string, owner: string, lockMs: number): Promise<Buffer[]>;
  barbicanUnlock(lock: string, owner: string): Promise<number>;
}

export function defineScripts(client: RedisClient): RedisClient & ScriptCommands {
  client.defineCommand('barbicanGcra', { numberOfKeys: 1, lua: GCRA_LUA });
  client.defineCommand('barbicanFetchOrLock', { numberOfKeys: 2, lua: FETCH_OR_LOCK_LUA });
  client.defineCommand('barbicanUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
  // Why the cast: defineCommand adds methods at run time that ioredis's types cannot know.
  return client as RedisClient & ScriptCommands;
}
