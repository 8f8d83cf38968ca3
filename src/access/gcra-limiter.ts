/**
 * The generic cell rate algorithm (GCRA; ITU-T I.371, the "virtual scheduling" form), in memory.
 *
 * One number per key: the theoretical arrival time (TAT) of the next request at the sustained
 * rate. With emission interval T = per / requests and tolerance τ = burst · T, a request at `now`
 * is admitted when now ≥ TAT − τ, and then TAT = max(TAT, now) + T. A key idle long enough
 * (TAT ≤ now) is the same as a key never seen, which is what keeps memory bounded: such keys
 * can be forgotten without changing any decision.
 *
 * Memory: keys sit in a Map in the order they were last admitted. Each new key first removes up
 * to two expired keys from the front, so the map holds roughly the keys admitted within the
 * last τ + T; past `maxKeys`, the least recently admitted key is forgotten (it then starts
 * afresh: under a flood of distinct keys the limit errs towards admitting, never towards
 * refusing clients it has not seen).
 */
import type { RateLimitDecision, RateLimiter, RateLimitSpec } from './rate-limiter.js';

/** Float slack, so a request exactly on its schedule is never refused by rounding. */
const EPSILON = 1e-6;

export class GcraLimiter implements RateLimiter {
  /** T: milliseconds between requests at the sustained rate. */
  readonly interval: number;
  /** τ: how far ahead of schedule a key may be. */
  readonly tolerance: number;
  readonly maxKeys: number;
  private readonly tats = new Map<string, number>();

  constructor(spec: RateLimitSpec) {
    this.interval = spec.perMs / spec.requests;
    this.tolerance = spec.burst * this.interval;
    this.maxKeys = spec.maxKeys;
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.tats.size;
  }

  consume(key: string, now: number): RateLimitDecision {
    const tats = this.tats;
    const stored = tats.get(key);
    const tat = stored !== undefined && stored > now ? stored : now;
    const allowAt = tat - this.tolerance;
    if (now + EPSILON < allowAt) {
      // Refused requests do not move the schedule (only admitted ones are counted).
      return { allowed: false, remaining: 0, resetMs: tat - now, retryAfterMs: allowAt - now };
    }
    const next = tat + this.interval;
    if (stored !== undefined) tats.delete(key);
    else this.makeRoom(now);
    tats.set(key, next);
    // Further requests admissible right now: those with next + (n−1)·T − τ ≤ now.
    const remaining = Math.max(0, Math.floor((now + this.tolerance - next) / this.interval + EPSILON) + 1);
    return { allowed: true, remaining, resetMs: next - now, retryAfterMs: 0 };
  }

  /** Before a new key: drop up to two expired keys, then the oldest if still full. */
  private makeRoom(now: number): void {
    const tats = this.tats;
    let dropped = 0;
    for (const [key, tat] of tats) {
      if (tat > now || dropped === 2) break;
      tats.delete(key);
      dropped++;
    }
    if (tats.size >= this.maxKeys) {
      const oldest = tats.keys().next().value;
      if (oldest !== undefined) tats.delete(oldest);
    }
  }
}
