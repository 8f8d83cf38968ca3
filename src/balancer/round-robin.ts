/**
 * Smooth weighted round robin (as in nginx): each pick adds every target's weight to its
 * current score, takes the highest, and subtracts the total from it. Weights 5:1:1 give
 * a a b a c a a rather than a burst of five a's.
 */
import type { BalancerTarget, BalancingPolicy } from './policy.js';

export function createRoundRobin<T extends BalancerTarget>(targets: readonly T[]): BalancingPolicy<T> {
  if (targets.length === 1) {
    const only = targets[0]!;
    return { select: () => only };
  }
  const current = new Array<number>(targets.length).fill(0);
  const total = targets.reduce((sum, t) => sum + t.weight, 0);
  return {
    select() {
      let best = -1;
      for (let i = 0; i < targets.length; i++) {
        current[i]! += targets[i]!.weight;
        if (best === -1 || current[i]! > current[best]!) best = i;
      }
      current[best]! -= total;
      return targets[best];
    },
  };
}
