/**
 * Chooses the target of one try: the sticky target when the client's cookie names an eligible
 * one, else the policy over the primaries, else (no primary eligible) the policy over the
 * backups. Returns an index into the upstream's full target list.
 */
import type { BalancerName, StickyConfig } from './config.js';
import { isEligible, type SelectInput } from './policy.js';
import { createPolicy } from './registry.js';
import { createSticky, type Sticky } from './sticky.js';
import type { TargetState } from './target-state.js';

export interface TargetSelector {
  readonly targets: readonly TargetState[];
  readonly sticky: Sticky | undefined;
  /** Index into `targets` of the target for this try, or -1 when none is eligible. */
  select(input: SelectInput, now: number, tried: readonly TargetState[]): number;
}

export interface SelectorOptions {
  balancer: BalancerName;
  hashOn: string;
  sticky?: StickyConfig | undefined;
}

export function createTargetSelector(targets: readonly TargetState[], options: SelectorOptions): TargetSelector {
  const primaryIdx: number[] = [];
  const backupIdx: number[] = [];
  targets.forEach((t, i) => (t.backup ? backupIdx : primaryIdx).push(i));
  const primaries = primaryIdx.map((i) => targets[i]!);
  const backups = backupIdx.map((i) => targets[i]!);
  const policyOptions = { hashOn: options.hashOn };
  const primary = primaries.length > 0 ? createPolicy(options.balancer, primaries, policyOptions) : undefined;
  const backup = backups.length > 0 ? createPolicy(options.balancer, backups, policyOptions) : undefined;
  const sticky = options.sticky ? createSticky(targets, options.sticky) : undefined;

  return {
    targets,
    sticky,
    select(input, now, tried) {
      if (sticky !== undefined) {
        const pinned = sticky.pinned(input.header('cookie'));
        // A pinned backup is kept only while no primary is eligible (backups are for outages).
        if (pinned !== -1 && isEligible(targets[pinned]!, now, tried) && !(targets[pinned]!.backup && anyEligible(primaries, now, tried))) {
          return pinned;
        }
      }
      if (primary !== undefined) {
        const i = primary.select(input, now, tried);
        if (i !== -1) return primaryIdx[i]!;
      }
      if (backup !== undefined) {
        const i = backup.select(input, now, tried);
        if (i !== -1) return backupIdx[i]!;
      }
      return -1;
    },
  };
}

function anyEligible(group: readonly TargetState[], now: number, tried: readonly TargetState[]): boolean {
  for (const t of group) if (isEligible(t, now, tried)) return true;
  return false;
}
