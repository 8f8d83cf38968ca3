/**
 * What the balancer knows about one target: its weight, whether it may take traffic (active
 * health, passive ejection, drained by an operator), its in-flight requests and its latency.
 * Keyed by a stable identity (upstream name + URL) so that the state survives a reload that
 * keeps the target (see TargetStateRegistry).
 */
import { PeakEwma } from './peak-ewma.js';

/** Weight fraction a target starts from when it becomes available during slow start. */
const SLOW_START_FLOOR = 0.1;

export class TargetState {
  /** Requests currently sent to this target and not finished. */
  inFlight = 0;
  /** Verdict of the active health check (true until a check says otherwise). */
  healthy = true;
  /** Passive ejection: out of rotation until this time (ms since epoch); 0 when not ejected. */
  ejectedUntil = 0;
  /** How many times this target has been ejected (the ejection time grows with it). */
  ejections = 0;
  /** Failed requests in a row (for outlier detection). */
  consecutiveFailures = 0;
  /** Taken out of rotation by an operator (admin API). */
  draining = false;
  /** When the target last became available again (ms since epoch; 0: from the start). */
  availableSince = 0;
  /** Response-head latency, peak-EWMA (for leastLatency). */
  readonly latency = new PeakEwma();
  /** Configured relative share of traffic. */
  weight: number;
  backup: boolean;
  /** Ramp time after becoming available again (ms); 0: none. */
  slowStart: number;

  constructor(
    /** Stable identity: `<upstream>|<url>`. */
    readonly id: string,
    readonly url: string,
    options: { weight: number; backup?: boolean; slowStart?: number },
  ) {
    this.weight = options.weight;
    this.backup = options.backup ?? false;
    this.slowStart = options.slowStart ?? 0;
  }

  /** May take traffic now. Ends an ejection whose time is up. */
  isAvailable(now: number): boolean {
    if (this.ejectedUntil !== 0 && now >= this.ejectedUntil) {
      this.ejectedUntil = 0;
      this.availableSince = now;
    }
    return this.healthy && this.ejectedUntil === 0 && !this.draining;
  }

  /** Weight to balance with now: during slow start it ramps from 10% to 100%. */
  effectiveWeight(now: number): number {
    if (this.slowStart === 0 || this.availableSince === 0) return this.weight;
    const elapsed = now - this.availableSince;
    if (elapsed >= this.slowStart) return this.weight;
    return this.weight * Math.max(SLOW_START_FLOOR, elapsed / this.slowStart);
  }

  /** The active health check changed its verdict. */
  setHealthy(healthy: boolean, now: number): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (healthy) {
      this.availableSince = now;
      // A target that passed its health check starts with a clean passive record.
      this.consecutiveFailures = 0;
    }
  }
}

/**
 * Target states by identity, kept across reloads: a new runtime asks for the states of its
 * targets and gets the old objects (health, ejections, latency) for targets it keeps.
 */
export class TargetStateRegistry {
  private readonly states = new Map<string, TargetState>();
  /**
   * Ids an operator drained (admin API), kept apart from the states so that a drain can be
   * given before the state exists: a worker (server.workers > 1) is told the instance's drains
   * before it builds its first runtime, so a worker restarted after a crash never sends a
   * request to a drained target. Like the states, forgotten for targets a reload removes.
   */
  private readonly drained = new Set<string>();
  /** Settings of kept states as they were before the build in progress changed them. */
  private readonly previous = new Map<TargetState, { weight: number; backup: boolean; slowStart: number }>();

  /**
   * The state for `upstream`'s target `url`, updated to the new options, or a new one. A kept
   * state's old settings are remembered until `commit()`, so a build that fails can `rollback()`
   * and leave the running runtime's targets as they were.
   */
  get(upstream: string, url: string, options: { weight: number; backup?: boolean; slowStart?: number }): TargetState {
    const id = `${upstream}|${url}`;
    let state = this.states.get(id);
    if (state === undefined) {
      state = new TargetState(id, url, options);
      state.draining = this.drained.has(id);
      this.states.set(id, state);
    } else {
      if (!this.previous.has(state)) this.previous.set(state, { weight: state.weight, backup: state.backup, slowStart: state.slowStart });
      state.weight = options.weight;
      state.backup = options.backup ?? false;
      state.slowStart = options.slowStart ?? 0;
    }
    return state;
  }

  /** The build succeeded: its settings stay. */
  commit(): void {
    this.previous.clear();
  }

  /** The build failed: kept states get their old settings back. */
  rollback(): void {
    for (const [state, old] of this.previous) {
      state.weight = old.weight;
      state.backup = old.backup;
      state.slowStart = old.slowStart;
    }
    this.previous.clear();
  }

  /** Forgets states whose ids are not in `keep` (targets the current config no longer has), and their drains. */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.states.keys()) if (!keep.has(id)) this.states.delete(id);
    for (const id of this.drained) if (!keep.has(id)) this.drained.delete(id);
  }

  /**
   * Takes the target `id` (`<upstream>|<url>`) out of rotation, or puts it back (an operator's
   * drain, undrain). Remembered for a state built later too. Returns whether a state with this
   * id exists (the running configuration has the target).
   */
  setDraining(id: string, draining: boolean, now: number): boolean {
    if (draining) this.drained.add(id);
    else this.drained.delete(id);
    const state = this.states.get(id);
    if (state === undefined) return false;
    if (state.draining !== draining) {
      state.draining = draining;
      // Back in rotation: slow start (if configured) ramps it up from now.
      if (!draining) state.availableSince = now;
    }
    return true;
  }

  /** The ids of every target that exists now (after a reload: the ones the new configuration has). */
  ids(): string[] {
    return [...this.states.keys()];
  }
}
