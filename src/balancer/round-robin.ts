/**
 * Smooth weighted round robin (as in nginx): each pick adds every eligible target's weight to
 * its current score, takes the highest, and subtracts the total from it. Weights 5:1:1 give
 * a a b a c a a rather than a burst of five a's. Targets that are not eligible are skipped
 * and keep their score, as in nginx.
 */
import { isEligible, type BalancingPolicy } from './policy.js';
import type { TargetState } from './target-state.js';

export function createRoundRobin(targets: readonly TargetState[]): BalancingPolicy {
  const current = new Array<number>(targets.length).fill(0);
  return {
    select(_input, now, tried) {
      let best = -1;
      let total = 0;
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        if (!isEligible(t, now, tried)) continue;
        const w = t.effectiveWeight(now);
        total += w;
        current[i]! += w;
        if (best === -1 || current[i]! > current[best]!) best = i;
      }
      if (best !== -1) current[best]! -= total;
      return best;
    },
  };
}
