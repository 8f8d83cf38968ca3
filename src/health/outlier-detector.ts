/**
 * Passive health ("outlier detection"): targets that fail real requests several times in a
 * row are ejected for a while, without waiting for an active check to notice.
 *
 * The model follows Envoy's outlier detection (consecutive errors eject; ejection time is
 * the base time × the number of ejections; max_ejection_percent bounds how much of a
 * cluster may be out at once, at least one host always) and nginx's `max_fails` /
 * `fail_timeout` (on by default, counting connect errors and timeouts). See
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier and
 * https://nginx.org/en/docs/http/ngx_http_upstream_module.html#max_fails.
 *
 * Pure and synchronous: no timers. An ejection ends lazily when `TargetState.isAvailable(now)`
 * sees that `ejectedUntil` has passed, so the detector needs no clock of its own.
 */
import type { TargetState } from '../balancer/index.js';
import type { OutlierDetectionConfig } from './config.js';

/** Ejection time grows with the number of ejections up to this factor (Envoy caps it too). */
const MAX_EJECTION_MULTIPLIER = 10;

/** Result hooks the request path calls for each request sent to a target of the group. */
export interface OutlierDetector {
  /** The target answered acceptably: its failure streak ends and old ejections are forgiven slowly. */
  onSuccess(target: TargetState, now: number): void;
  /** The target failed (connect error, reset, timeout, 5xx). Returns true when this failure ejected it. */
  onFailure(target: TargetState, now: number): boolean;
}

/**
 * Builds the detector of one upstream's targets (`targets` is the group the ejection cap
 * applies to).
 */
export function createOutlierDetector(targets: readonly TargetState[], config: OutlierDetectionConfig): OutlierDetector {
  const maxEjected = maxEjectedTargets(targets.length, config.maxEjectionPercent);
  // When the multiplier was last decremented, so that it decays by one per baseEjectionTime
  // of good behaviour rather than all at once on a burst of successes (Envoy decrements it
  // once per interval while the host stays healthy). Lost on reload, which costs at most one
  // extra decrement.
  const lastDecay = new WeakMap<TargetState, number>();

  return {
    onSuccess(target, now) {
      target.consecutiveFailures = 0;
      if (target.ejections === 0 || isEjected(target, now)) return;
      const back = Math.max(cameBackAt(target), lastDecay.get(target) ?? 0);
      if (now - back > config.baseEjectionTime) {
        target.ejections -= 1;
        lastDecay.set(target, now);
      }
    },

    onFailure(target, now) {
      // A request that was already on its way when the target was ejected says nothing new;
      // counting it would eject the target again the moment it returns.
      if (isEjected(target, now)) return false;
      target.consecutiveFailures += 1;
      if (!config.enabled || target.consecutiveFailures < config.consecutiveFailures) return false;
      // At the cap the streak is kept: the next failure tries again once a slot is free.
      if (ejectedCount(targets, now) >= maxEjected) return false;
      target.ejections += 1;
      target.ejectedUntil = now + config.baseEjectionTime * Math.min(target.ejections, MAX_EJECTION_MULTIPLIER);
      target.consecutiveFailures = 0;
      return true;
    },
  };
}

/**
 * Most targets of a group of `n` that may be ejected at once: `maxEjectionPercent` of them
 * rounded down, but at least one (so a group of one or two can still shed a bad target),
 * and none when the percentage is 0 (ejection switched off by the cap).
 */
export function maxEjectedTargets(n: number, maxEjectionPercent: number): number {
  if (maxEjectionPercent <= 0 || n === 0) return 0;
  return Math.max(1, Math.floor((n * maxEjectionPercent) / 100));
}

/** Ejected at `now` (read-only: unlike isAvailable it does not end an expired ejection). */
function isEjected(target: TargetState, now: number): boolean {
  return target.ejectedUntil > now;
}

function ejectedCount(targets: readonly TargetState[], now: number): number {
  let count = 0;
  for (const t of targets) if (isEjected(t, now)) count += 1;
  return count;
}

/**
 * When the target last came back into rotation: availableSince, or the end of an ejection
 * that nobody has noticed yet (isAvailable not called since it ran out), whichever is later.
 * Only called when the target is not ejected, so a non-zero ejectedUntil lies in the past.
 */
function cameBackAt(target: TargetState): number {
  return Math.max(target.ejectedUntil, target.availableSince);
}
