/**
 * Least latency by the power of two choices over peak-EWMA latency, as in Finagle's and
 * Linkerd's load balancers: pick two distinct eligible targets at random and send the request
 * to the one with the lower cost `latency × (inFlight + 1) / effectiveWeight`.
 *
 * - Peak-EWMA (see peak-ewma.ts) notices a target turning slow on its first slow response, and
 *   forgets it with time, so a slow target is retried after a while rather than starved.
 * - Multiplying by `inFlight + 1` makes a fast target that already has a queue less attractive,
 *   so the fastest target is not flooded.
 * - Two random choices instead of the global minimum keeps stale or equal costs from herding
 *   every request onto the same target, while still avoiding the bad ones (Mitzenmacher,
 *   "The Power of Two Choices in Randomized Load Balancing", 2001).
 *
 * A target with no latency sample yet (latency 0) is costed with the other candidate's
 * latency, so it competes on load alone and gets tried; if neither has a sample, the cheaper
 * by `(inFlight + 1) / effectiveWeight` wins. Equal costs go to the first of the two, which is
 * itself random.
 */
import { isEligible, type BalancingPolicy } from './policy.js';
import type { TargetState } from './target-state.js';

export function createLeastLatency(targets: readonly TargetState[]): BalancingPolicy {
  return {
    select(_input, now, tried) {
      let eligible = 0;
      let only = -1;
      for (let i = 0; i < targets.length; i++) {
        if (isEligible(targets[i]!, now, tried)) {
          eligible++;
          only = i;
        }
      }
      if (eligible <= 1) return only;

      // The a-th and b-th eligible targets, a ≠ b, uniformly among the pairs.
      const a = Math.floor(Math.random() * eligible);
      let b = Math.floor(Math.random() * (eligible - 1));
      if (b >= a) b++;
      let ia = -1;
      let ib = -1;
      for (let i = 0, seen = 0; i < targets.length && (ia === -1 || ib === -1); i++) {
        if (!isEligible(targets[i]!, now, tried)) continue;
        if (seen === a) ia = i;
        else if (seen === b) ib = i;
        seen++;
      }

      const ta = targets[ia]!;
      const tb = targets[ib]!;
      let la = ta.latency.at(now);
      let lb = tb.latency.at(now);
      if (la === 0) la = lb;
      if (lb === 0) lb = la;
      if (la === 0) la = lb = 1; // neither has a sample: compare load alone
      const costA = cost(la, ta, now);
      const costB = cost(lb, tb, now);
      return costB < costA ? ib : ia;
    },
  };
}

function cost(latency: number, t: TargetState, now: number): number {
  const w = t.effectiveWeight(now);
  return w > 0 ? (latency * (t.inFlight + 1)) / w : Infinity;
}
