/**
 * Rate-limit state survives a reload (DESIGN.md: state users expect to survive is keyed by
 * stable identity, not by object). A reload builds new access filters; each asks for the
 * limiter of its route by name and gets the same one back while the limit itself is unchanged.
 * A changed limit starts afresh: old counts do not mean the same thing under a new rate.
 */
import { GcraLimiter } from './gcra-limiter.js';
import type { RateLimiter, RateLimitSpec } from './rate-limiter.js';

export class LimiterRegistry {
  private readonly limiters = new Map<string, { spec: string; limiter: RateLimiter }>();
  /**
   * The share of each limit this process enforces: with N workers each enforces rate/N and
   * burst/N (the cluster spreads connections round-robin, so each sees about 1/N of the load;
   * see docs/architecture.md, Workers). 1 in a single process.
   */
  private share = 1;

  constructor(private readonly create: (spec: RateLimitSpec) => RateLimiter = (spec) => new GcraLimiter(spec)) {}

  /** Enforce 1/`workers` of every limit from now on (set once, before the first runtime is built). */
  shareAmong(workers: number): void {
    this.share = Math.max(1, workers);
    this.limiters.clear();
  }

  /** The limiter of `identity` (a route name) for this spec. */
  get(identity: string, spec: RateLimitSpec): RateLimiter {
    const key = `${spec.requests}/${spec.perMs}/${spec.burst}/${spec.maxKeys}`;
    const known = this.limiters.get(identity);
    if (known !== undefined && known.spec === key) return known.limiter;
    const limiter = this.create(this.share === 1 ? spec : { ...spec, requests: spec.requests / this.share, burst: spec.burst / this.share });
    this.limiters.set(identity, { spec: key, limiter });
    return limiter;
  }
}

/** The process-wide registry the runtime's access filters use. */
export const sharedLimiters = new LimiterRegistry();
