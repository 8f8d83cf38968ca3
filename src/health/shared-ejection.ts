/**
 * Shared passive health: an ejection announced by another instance (state.redis
 * shareEjections) applied here. The target is ejected until the same moment, unless that would
 * eject more than maxEjectionPercent of its group (the local cap holds for remote news too) or
 * it is already ejected for longer.
 */
import type { TargetState } from '../balancer/index.js';
import type { OutlierDetectionConfig } from './config.js';
import { maxEjectedTargets } from './outlier-detector.js';

/** Applies a remote ejection of `target` for `ms`; true when it changed the target. */
export function applyRemoteEjection(targets: readonly TargetState[], target: TargetState, ms: number, config: OutlierDetectionConfig, now = Date.now()): boolean {
  const until = now + ms;
  if (target.ejectedUntil >= until) return false;
  if (target.ejectedUntil <= now) {
    let ejected = 0;
    for (const t of targets) if (t.ejectedUntil > now) ejected++;
    if (ejected >= maxEjectedTargets(targets.length, config.maxEjectionPercent)) return false;
  }
  target.ejectedUntil = until;
  return true;
}
