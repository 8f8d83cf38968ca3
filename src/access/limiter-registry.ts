/**
 * Rate-limit state survives a reload (DESIGN.md: state users expect to survive is keyed by
 * stable identity, not by object). A reload builds new access filters; each asks for the
 * limiter of its route by name and gets the same one back while the limit itself is unchanged.
 * A changed limit starts afresh: old counts do not mean the same thing under a new rate.
 *
 * Shared limits (state.redis): main.ts installs a factory for limiters kept in Redis; limits
 * with scope: shared are made by it, with an in-memory limiter as their fallback. Installing
 * another factory (a reload that changes state.redis) makes every shared limit anew.
 */
import { GcraLimiter } from './gcra-limiter.js';
import type { RateLimiter, RateLimitSpec } from './rate-limiter.js';

/** Makes a shared limiter for `identity`; `fallback` is the local limiter it may fall back to. */
export type SharedLimiterFactory = (identity: string, spec: RateLimitSpec, fallback: RateLimiter) => RateLimiter;

export class LimiterRegistry {
  private readonly limiters = new Map<string, { spec: string; limiter: RateLimiter }>();
  /**
   * The share of each limit this process enforces: with N workers each enforces rate/N and
   * burst/N (the cluster spreads connections round-robin, so each sees about 1/N of the load;
   * see docs/architecture.md, Workers). 1 in a single process. Shared limits are whole: Redis
   * counts for every worker of every instance.
   */
  private share = 1;
  private shared: SharedLimiterFactory | undefined;
  private generation = 0;

  constructor(private readonly create: (spec: RateLimitSpec) => RateLimiter = (spec) => new GcraLimiter(spec)) {}

  /** Enforce 1/`workers` of every limit from now on (set once, before the first runtime is built). */
  shareAmong(workers: number): void {
    this.share = Math.max(1, workers);
    this.limiters.clear();
  }

  /** Limits with scope shared are made by `factory` from now on (undefined: kept in memory). */
  useShared(factory: SharedLimiterFactory | undefined): void {
    if (factory === this.shared) return;
    this.shared = factory;
    this.generation++;
  }

  /** The limiter of `identity` (a route name) for this spec. */
  get(identity: string, spec: RateLimitSpec, scope: 'shared' | 'local' = 'local'): RateLimiter {
    const shared = scope === 'shared' ? this.shared : undefined;
    const key = `${spec.requests}/${spec.perMs}/${spec.burst}/${spec.maxKeys}/${shared === undefined ? 'local' : `shared${this.generation}`}`;
    const known = this.limiters.get(identity);
    if (known !== undefined && known.spec === key) return known.limiter;
    const local = this.create(this.share === 1 ? spec : { ...spec, requests: spec.requests / this.share, burst: spec.burst / this.share });
    const limiter = shared === undefined ? local : shared(identity, spec, local);
    this.limiters.set(identity, { spec: key, limiter });
    return limiter;
  }
}

/** The process-wide registry the runtime's access filters use. */
export const sharedLimiters = new LimiterRegistry();
