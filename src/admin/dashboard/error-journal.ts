/**
 * The recent errors of one process, as the dashboard lists them: new 4xx/5xx answers per route
 * between two readings, targets leaving the healthy state, refused reloads. Bounded (the newest
 * MAX_ERRORS). One process keeps one journal in its sampler; with workers, every worker keeps its
 * own, advanced each time worker 1 asks for its report, and worker 1 merges them (cluster.ts).
 */
import type { ReloadReport } from '../host.js';
import type { Tick } from './counters.js';
import type { RecentError, TargetMark } from './snapshot.js';

export const MAX_ERRORS = 30;
export const STATE_OF: Record<TargetMark, 'healthy' | 'unhealthy' | 'ejected' | 'draining'> = { u: 'healthy', d: 'unhealthy', e: 'ejected', r: 'draining' };

export class ErrorJournal {
  private readonly errors: RecentError[] = [];
  private previous: Tick | undefined;
  private lastReloadAt: string | undefined;
  /** Target key → its last mark (to note changes). */
  private readonly marks = new Map<string, TargetMark>();

  /** Newest first. */
  list(): RecentError[] {
    return [...this.errors];
  }

  private push(error: RecentError): void {
    this.errors.unshift(error);
    if (this.errors.length > MAX_ERRORS) this.errors.length = MAX_ERRORS;
  }

  /** New 4xx/5xx answers since the last reading, one line per route and class. */
  counters(tick: Tick): void {
    const previous = this.previous;
    this.previous = tick;
    if (previous === undefined) return;
    for (const [route, counts] of tick.routes) {
      const before = previous.routes.get(route);
      for (const [kind, i] of [['5xx', 4], ['4xx', 3]] as const) {
        const n = counts[i]! - (before?.[i] ?? 0);
        if (n > 0) this.push({ at: new Date(tick.at).toISOString(), kind, message: `route ${route}: ${n} response${n === 1 ? '' : 's'} ${kind}` });
      }
    }
  }

  /** A target's state now; a change away from healthy is noted. */
  target(key: string, label: string, mark: TargetMark): void {
    const last = this.marks.get(key);
    this.marks.set(key, mark);
    if (last !== undefined && last !== mark && mark !== 'u') this.push({ at: new Date().toISOString(), kind: 'health', message: `${label} is now ${STATE_OF[mark]} (was ${STATE_OF[last]})` });
  }

  /** Forgets targets not seen in the last reading (removed by a reload). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.marks.keys()) if (!keys.has(key)) this.marks.delete(key);
  }

  /** The last reload; a refused one is noted once. */
  reload(report: ReloadReport | undefined): void {
    if (report === undefined || report.at === this.lastReloadAt) return;
    this.lastReloadAt = report.at;
    if (!report.ok) this.push({ at: report.at, kind: 'reload', message: `reload (${report.trigger}) refused: ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'}` });
  }
}

/** A target's mark from its state at `now` (draining, then down, then ejected, then up). */
export function targetMark(s: { draining: boolean; healthy: boolean; ejectedUntil: number }, now: number): TargetMark {
  return s.draining ? 'r' : !s.healthy ? 'd' : s.ejectedUntil > now ? 'e' : 'u';
}
