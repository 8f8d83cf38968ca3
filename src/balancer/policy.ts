/** The one interface every balancing policy implements. */
export interface BalancerTarget {
  readonly weight: number;
}

export interface BalancingPolicy<T extends BalancerTarget> {
  /** Picks the target for the next request, or undefined when none is available. */
  select(): T | undefined;
}
