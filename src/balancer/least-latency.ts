/**
 * Least latency by the power of two choices over peak-EWMA latency, as in Finagle's and
 * Linkerd's load balancers: draw two distinct eligible targets at random (in proportion to
 * their weights) and send the request to the one with the lower cost
 * `latency × (inFlight + 1) / weight`.
 *
 * - Peak-EWMA (see peak-ewma.ts) notices a target turning slow on its first slow response, and
 *   forgets it with time (the average decays toward 0 while a target gets no traffic), so a
 *   slow target is tried again after a while rather than starved.
 * - Multiplying by `inFlight + 1` makes a fast target that already has a queue less attractive,
 *   so the fastest target is not flooded; dividing by the weight lets a heavier target carry
 *   proportionally more of the load.
 * - Two random choices instead of the global minimum keeps stale or equal costs from herding
 *   every request onto the same target, while still avoiding the bad ones (Mitzenmacher,
 *   "The Power of Two Choices in Randomized Load Balancing", 2001).
 *
 * A target with no latency sample yet (new, or just back) is costed at half the other
 * candidate's latency: it is preferred, so it gets the samples it needs to compete, yet its
 * cost still grows with its in-flight requests, so it is not flooded before it has answered.
 * Equal costs are settled by a coin weighted like the two targets.
 */
import { isEligible, type BalancingPolicy } from './policy.js';
import type { TargetState } from './target-state.js';

export function createLeastLatency(targets: readonly TargetState[]): BalancingPolicy {
  const n = targets.length;
  /** Effective weights of this selection (0 = not eligible); reused, never reallocated. */
  const weights = new Float64Array(n);
  return {
    select(_input, now, tried) {
      let eligible = 0;
      let only = -1;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const t = targets[i]!;
        const w = isEligible(t, now, tried) ? t.effectiveWeight(now) : 0;
        weights[i] = w;
        if (w > 0) {
          eligible++;
          only = i;
          total += w;
        }
      }
      if (eligible <= 1) return only;

      const ia = draw(weights, total, -1);
      const ib = draw(weights, total - weights[ia]!, ia);
      const ta = targets[ia]!;
      const tb = targets[ib]!;
      let la = ta.latency.at(now);
      let lb = tb.latency.at(now);
      if (la === 0) la = lb / 2;
      if (lb === 0) lb = la / 2;
      if (la === 0) la = lb = 1; // neither has a sample: compare load alone
      const costA = (la * (ta.inFlight + 1)) / weights[ia]!;
      const costB = (lb * (tb.inFlight + 1)) / weights[ib]!;
      if (costA === costB) return Math.random() * (weights[ia]! + weights[ib]!) < weights[ia]! ? ia : ib;
      return costB < costA ? ib : ia;
    },
  };
}

/** A random index with probability weights[i] / total, skipping `exclude`. */
function draw(weights: Float64Array, total: number, exclude: number): number {
  let r = Math.random() * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w === 0 || i === exclude) continue;
    last = i;
    r -= w;
    if (r < 0) return i;
  }
  return last; // rounding at the end of the range
}
