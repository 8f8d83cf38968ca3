/**
 * The interface every rate limiter implements: the in-memory GCRA (gcra-limiter.ts) and the
 * shared one in Redis (state/redis-rate-limiter.ts); test/access/limiter-contract.test.mjs runs
 * against both. A limiter decides for one key at one time; what the key is and
 * what the client is told is the rate-limit rule's business (rate-limit.ts).
 */

export interface RateLimitDecision {
  /** Whether this request is admitted (and counted). */
  readonly allowed: boolean;
  /** Requests that could be admitted right after this one, at this instant. */
  readonly remaining: number;
  /** Milliseconds until the key is back to its full allowance. */
  readonly resetMs: number;
  /** When refused: milliseconds until a request would be admitted; 0 when allowed. */
  readonly retryAfterMs: number;
  /**
   * Refused because the shared store cannot be asked and the limit fails closed
   * (state.redis.rateLimit.onFailure: closed): 503 RATE_LIMIT_UNAVAILABLE instead of 429.
   */
  readonly unavailable?: boolean;
}

export interface RateLimiter {
  /**
   * Counts one request for `key` at `now` (milliseconds on a monotonic clock) when it is
   * admitted. A shared implementation may answer asynchronously.
   */
  consume(key: string, now: number): RateLimitDecision | Promise<RateLimitDecision>;
}

/** The limit itself: `requests` per `perMs`, plus `burst` extra at once. */
export interface RateLimitSpec {
  readonly requests: number;
  readonly perMs: number;
  readonly burst: number;
  /** Most keys kept in memory (implementations that keep keys elsewhere may ignore it). */
  readonly maxKeys: number;
}
