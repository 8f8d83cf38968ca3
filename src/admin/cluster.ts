/**
 * The instance seen whole when it runs as several workers (server.workers > 1). The admin
 * listener lives in worker 1; the dashboard and GET /api/status read every worker through a
 * ClusterView (implemented over the supervisor's IPC in workers/). Each worker answers with a
 * WorkerReport (its own targets, connections, recent errors) and its metric families, which are
 * merged by the same aggregation as /metrics (observability/metrics.ts: aggregateRegistry).
 *
 * How per-target state combines across workers (each worker runs its own active health checks
 * and its own outlier detection, so their verdicts can differ for a moment or for real):
 * - in-flight and ejections are summed;
 * - the state shown is the worst any worker has: draining, then unhealthy (the active checker of
 *   at least one worker says so), then ejected, then healthy; `workers` counts how many workers
 *   hold each verdict, so "ejected in 1 of 2" is visible;
 * - latency is the highest of the workers' peak-EWMA values (the worst view of the target).
 */
import type { Registry } from 'prom-client';
import type { RecentError } from './dashboard/snapshot.js';

/** One target as one worker sees it. */
export interface TargetReport {
  upstream: string;
  url: string;
  healthy: boolean;
  /** ms since epoch; 0 when not ejected. */
  ejectedUntil: number;
  ejections: number;
  draining: boolean;
  inFlight: number;
  latencyEwmaMs: number;
  weight: number;
  backup: boolean;
}

/** What one worker says about itself, once per question (built by worker-report.ts). */
export interface WorkerReport {
  slot: number;
  pid: number;
  /** ms since epoch the process started. */
  startedAt: number;
  /** Requests this worker has ended since it started. */
  requests: number;
  connections: number;
  inFlight: number;
  /** Open WebSocket tunnels. */
  tunnels: number;
  targets: TargetReport[];
  /** Its recent errors, newest first (bounded: error-journal.ts). */
  errors: RecentError[];
}

/** One worker slot as the supervisor knows it, with its report if it answered in time. */
export interface WorkerEntry {
  slot: number;
  /** The process serving the slot now (null while it is being restarted). */
  pid: number | null;
  /** Unexpected exits of this slot's worker since the instance started. */
  restarts: number;
  /** null: the worker did not answer within the time allowed (slow, starting or dead). */
  report: WorkerReport | null;
}

export interface ClusterReading {
  /** Every answering worker's families (those asked for), merged like /metrics. */
  registry: Registry;
  workers: WorkerEntry[];
}

/**
 * How one worker slot took a drain or undrain:
 * - `applied`: the worker has it (it answered);
 * - `not-configured`: it answered, but its configuration has no such target (it cannot send
 *   there; a worker whose file changed under it, for instance);
 * - `no-answer`: it serves but did not answer in time (stuck or dying): it may still send to
 *   the target;
 * - `starting`, `restarting`: no serving process now; the one that starts reads the instance's
 *   drains before it serves.
 */
export type DrainSlotState = 'applied' | 'not-configured' | 'no-answer' | 'starting' | 'restarting';

export interface DrainSlot {
  slot: number;
  pid: number | null;
  state: DrainSlotState;
}

export interface ClusterView {
  /** Asks every worker for its report and the metric `families` named (bounded in time). */
  read(families: readonly string[]): Promise<ClusterReading>;
  /**
   * Drains (or undrains) the target `targetId` (`<upstream>|<url>`) in every worker, and in every
   * worker started later (a crash restart) until undrained; answers once each serving worker
   * has applied it or the time allowed is over.
   */
  setDraining(targetId: string, draining: boolean): Promise<DrainSlot[]>;
}

/** One target of the instance: every worker's view of it combined (see the rules above). */
export interface CombinedTarget {
  upstream: string;
  url: string;
  healthy: boolean;
  ejected: boolean;
  draining: boolean;
  /** Latest end of an ejection in any worker (ms since epoch; 0: none now). */
  ejectedUntil: number;
  ejections: number;
  inFlight: number;
  latencyEwmaMs: number;
  weight: number;
  backup: boolean;
  /** How many workers reported the target, and how many hold each adverse verdict. */
  workers: { reporting: number; unhealthy: number; ejected: number; draining: number };
}

/** Combines the targets of every report, in the order first seen; `now` decides what is ejected. */
export function combineTargets(reports: readonly WorkerReport[], now: number): CombinedTarget[] {
  const byKey = new Map<string, CombinedTarget>();
  for (const report of reports) {
    for (const t of report.targets) {
      const key = `${t.upstream}|${t.url}`;
      let c = byKey.get(key);
      if (c === undefined) {
        c = { upstream: t.upstream, url: t.url, healthy: true, ejected: false, draining: false, ejectedUntil: 0, ejections: 0, inFlight: 0, latencyEwmaMs: 0, weight: t.weight, backup: t.backup, workers: { reporting: 0, unhealthy: 0, ejected: 0, draining: 0 } };
        byKey.set(key, c);
      }
      const ejected = t.ejectedUntil > now;
      c.workers.reporting++;
      if (!t.healthy) c.workers.unhealthy++;
      if (ejected) c.workers.ejected++;
      if (t.draining) c.workers.draining++;
      c.healthy &&= t.healthy;
      c.ejected ||= ejected;
      c.draining ||= t.draining;
      if (ejected) c.ejectedUntil = Math.max(c.ejectedUntil, t.ejectedUntil);
      c.ejections += t.ejections;
      c.inFlight += t.inFlight;
      c.latencyEwmaMs = Math.max(c.latencyEwmaMs, t.latencyEwmaMs);
    }
  }
  return [...byKey.values()];
}

/** Every worker's recent errors, tagged with its slot, newest first, at most `max`. */
export function mergeErrors(reports: readonly WorkerReport[], max: number): RecentError[] {
  const all: RecentError[] = [];
  for (const r of reports) for (const e of r.errors) all.push({ ...e, worker: r.slot });
  all.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : (a.worker ?? 0) - (b.worker ?? 0)));
  return all.slice(0, max);
}
