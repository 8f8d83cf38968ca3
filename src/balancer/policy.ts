/**
 * The one interface every balancing policy implements. A policy is built once per group of
 * targets (the primaries, or the backups) and picks an index into that group; it skips
 * targets that are unavailable (health, ejection, drain) or already tried by this request.
 */
import type { TargetState } from './target-state.js';

/** What a policy may look at in the request (the proxy's Session satisfies it). */
export interface SelectInput {
  /** Client address (after trusted-proxy resolution). */
  readonly clientIp: string;
  /** Path of the request, without the query. */
  readonly path: string;
  /** A request header by lower-case name (repeats joined), or undefined. */
  header(name: string): string | undefined;
}

export interface BalancingPolicy {
  /**
   * Index (into the group the policy was built for) of the target for this request, or -1 when
   * no target is eligible. Eligible: `isAvailable(now)` and not in `tried`.
   * @param now Date.now() of this selection (one clock read per request)
   */
  select(input: SelectInput, now: number, tried: readonly TargetState[]): number;
}

/** Builds a policy for one group of targets. */
export type PolicyFactory = (targets: readonly TargetState[], options: PolicyOptions) => BalancingPolicy;

export interface PolicyOptions {
  /** For hash: the request key (ip | path | header:NAME | cookie:NAME). */
  hashOn: string;
}

/** Shared eligibility rule of every policy. */
export function isEligible(t: TargetState, now: number, tried: readonly TargetState[]): boolean {
  return t.isAvailable(now) && (tried.length === 0 || !tried.includes(t));
}

/** An empty `tried` list, shared (first tries allocate nothing). */
export const NONE_TRIED: readonly TargetState[] = Object.freeze([]);
