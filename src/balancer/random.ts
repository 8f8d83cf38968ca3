/**
 * Weighted random: each eligible target is picked with probability effectiveWeight / total.
 * Stateless, so it needs no coordination between workers or instances and has no bias from
 * request order; the cost is more variance than round robin over short runs. Also the
 * fallback of the hash policy for requests that lack the key.
 */
import { isEligible, type BalancingPolicy } from './policy.js';
import type { TargetState } from './target-state.js';

export function createRandom(targets: readonly TargetState[]): BalancingPolicy {
  // Effective weight of each target in the current selection (0: not eligible), reused.
  const weights = new Float64Array(targets.length);
  return {
    select(_input, now, tried) {
      let total = 0;
      let anyEligible = -1;
      let last = -1; // last eligible target with a positive weight
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        let w = 0;
        if (isEligible(t, now, tried)) {
          anyEligible = i;
          w = t.effectiveWeight(now);
          if (w > 0) {
            total += w;
            last = i;
          } else w = 0;
        }
        weights[i] = w;
      }
      if (last === -1) return anyEligible; // none eligible (-1), or only weightless ones
      let r = Math.random() * total;
      for (let i = 0; i < last; i++) {
        r -= weights[i]!;
        if (r < 0) return i; // a weightless target leaves r unchanged, so never ends here
      }
      // Rounding may leave r ≥ 0 past the others: the last weighted target takes it.
      return last;
    },
  };
}
