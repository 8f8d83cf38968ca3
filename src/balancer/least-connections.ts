/**
 * Weighted least connections (as nginx least_conn): the eligible targets with the lowest
 * `inFlight / effectiveWeight` are the candidates, and among them smooth weighted round robin
 * decides. So an idle upstream (every target at 0 in flight) still gets its traffic split by
 * weight instead of the heaviest target taking every request, and when one target is slower
 * its in-flight count grows and it drops out of the candidates.
 */
import { isEligible, type BalancingPolicy } from './policy.js';
import type { TargetState } from './target-state.js';

export function createLeastConnections(targets: readonly TargetState[]): BalancingPolicy {
  const n = targets.length;
  /** Smooth round-robin scores, used among the least-loaded targets only. */
  const current = new Float64Array(n);
  return {
    select(_input, now, tried) {
      let least = Infinity;
      for (let i = 0; i < n; i++) {
        const t = targets[i]!;
        if (!isEligible(t, now, tried)) continue;
        const load = t.inFlight / t.effectiveWeight(now);
        if (load < least) least = load;
      }
      if (least === Infinity) return -1;
      let best = -1;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const t = targets[i]!;
        if (!isEligible(t, now, tried)) continue;
        const w = t.effectiveWeight(now);
        if (t.inFlight / w !== least) continue;
        total += w;
        current[i]! += w;
        if (best === -1 || current[i]! > current[best]!) best = i;
      }
      current[best]! -= total;
      return best;
    },
  };
}
