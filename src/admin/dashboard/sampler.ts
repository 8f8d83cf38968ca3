/**
 * Once a second, reads what the proxy already counts (ProxyMetrics through its registry, the
 * runtime's targets and cache, the last reload) and keeps a short ring of those readings. Rates,
 * windowed percentiles and per-target health over time are differences between ring entries, so
 * nothing is added to the request path. The timer is unref'd: a dashboard never keeps the
 * process alive.
 */
import { DURATION_BUCKETS } from '../../observability/histogram-cell.js';
import type { ProxyMetrics } from '../../observability/metrics.js';
import { combineTargets, mergeErrors, type ClusterReading, type CombinedTarget } from '../cluster.js';
import type { AdminHost } from '../host.js';
import { CLASSES, DASHBOARD_FAMILIES, familyValues, readCounters, type Tick } from './counters.js';
import { ErrorJournal, MAX_ERRORS, STATE_OF, targetMark } from './error-journal.js';
import { quantile } from './percentiles.js';
import { HISTORY_SECONDS, type RouteSnapshot, type Snapshot, type UpstreamSnapshot, type WorkerSnapshot } from './snapshot.js';

const TOP_ROUTES = 8;

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export class DashboardSampler {
  private readonly ticks: Tick[] = [];
  private readonly rates: number[] = [];
  /** Target id → marks, oldest first. */
  private readonly history = new Map<string, string>();
  /** This process's recent errors (one process; with workers each worker keeps its own). */
  private readonly journal = new ErrorJournal();
  private readonly listeners = new Set<(s: Snapshot) => void>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private readonly startedAt = Date.now();
  /** The newest snapshot (undefined before the first sample). */
  latest: Snapshot | undefined;

  constructor(
    private readonly host: AdminHost,
    private readonly metrics: ProxyMetrics,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Calls `listener` with every new snapshot; returns the unsubscribe function. */
  subscribe(listener: (s: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async tick(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const snapshot = await this.sample();
      this.latest = snapshot;
      for (const listener of this.listeners) listener(snapshot);
    } catch {
      // A failed reading is skipped; the next second tries again.
    } finally {
      this.sampling = false;
    }
  }

  /**
   * Takes one reading and builds the snapshot (exported through tick(); public for tests). With
   * workers, the reading is the whole instance: every worker's counters merged like /metrics,
   * their targets combined (cluster.ts) and their recent errors; a worker that does not answer
   * in time is left out of this second and shown as such.
   */
  async sample(): Promise<Snapshot> {
    const cluster = this.host.cluster;
    const reading = cluster === undefined ? undefined : await cluster.read(DASHBOARD_FAMILIES);
    const now = Date.now();
    const registry = reading?.registry ?? this.metrics.registry;
    const tick = await readCounters(registry, now);
    const previous = this.ticks[this.ticks.length - 1];
    this.ticks.push(tick);
    if (this.ticks.length > HISTORY_SECONDS + 1) this.ticks.shift();
    const oldest = this.ticks[0]!;
    const perSecond = previous === undefined ? 0 : Math.max(0, tick.total - previous.total) / Math.max(0.001, (now - previous.at) / 1000);
    this.rates.push(round(perSecond));
    if (this.rates.length > HISTORY_SECONDS) this.rates.shift();
    const reports = reading?.workers.flatMap((w) => (w.report === null ? [] : [w.report]));
    if (reports === undefined) {
      this.journal.counters(tick);
      this.journal.reload(this.host.lastReload());
    }
    const windowSeconds = Math.max(0, (now - oldest.at) / 1000);
    const sum = (pick: (r: NonNullable<typeof reports>[number]) => number): number => (reports ?? []).reduce((a, r) => a + pick(r), 0);
    return {
      at: new Date(now).toISOString(),
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      windowSeconds: Math.round(windowSeconds),
      requests: { total: tick.total, perSecond: round(perSecond), rateHistory: [...this.rates], classes: this.classTotals(tick) },
      latencyMs: this.latency(oldest === tick ? undefined : oldest, tick),
      inFlight: reports === undefined ? this.host.inFlight() : sum((r) => r.inFlight),
      connections: reports === undefined ? this.host.connections() : sum((r) => r.connections),
      cache: reading === undefined ? this.cache() : await this.clusterCache(reading),
      upstreams: this.upstreams(now, reports === undefined ? undefined : combineTargets(reports, now)),
      topRoutes: this.topRoutes(oldest, tick, windowSeconds),
      errors: reports === undefined ? this.journal.list() : mergeErrors(reports, MAX_ERRORS),
      reload: this.host.lastReload() ?? null,
      workers: reading === undefined ? null : workerSnapshots(reading, now),
    };
  }

  private classTotals(tick: Tick): Record<string, number> {
    const out: Record<string, number> = {};
    CLASSES.forEach((c, i) => {
      out[c] = [...tick.routes.values()].reduce((sum, counts) => sum + counts[i]!, 0);
    });
    return out;
  }

  private latency(from: Tick | undefined, to: Tick): Snapshot['latencyMs'] {
    const counts = to.durations.map((c, i) => c - (from?.durations[i] ?? 0));
    const ms = (q: number): number | null => {
      const s = quantile(q, DURATION_BUCKETS, counts);
      return s === null ? null : round(s * 1000, 3);
    };
    const p50 = ms(0.5);
    const p95 = ms(0.95);
    const p99 = ms(0.99);
    return p50 === null || p95 === null || p99 === null ? null : { p50, p95, p99 };
  }

  private cache(): Snapshot['cache'] {
    const shared = this.host.runtime().cache;
    if (shared === undefined) return null;
    const { hits, misses, stores, storedBytes } = shared.stats;
    return { hits, misses, stores, storedBytes, hitRatio: hits + misses === 0 ? null : round(hits / (hits + misses), 4) };
  }

  /** The cache figures of every worker, from the merged counters (null when no route caches). */
  private async clusterCache(reading: ClusterReading): Promise<Snapshot['cache']> {
    if (this.host.runtime().cache === undefined) return null;
    let hits = 0;
    let misses = 0;
    for (const v of await familyValues(reading.registry, 'barbican_cache_requests_total')) {
      if (v.labels['result'] === 'hit') hits += v.value;
      else if (v.labels['result'] === 'miss') misses += v.value;
    }
    const one = async (name: string): Promise<number> => (await familyValues(reading.registry, name)).reduce((a, v) => a + v.value, 0);
    const stores = await one('barbican_cache_stores_total');
    const storedBytes = await one('barbican_cache_stored_bytes_total');
    return { hits, misses, stores, storedBytes, hitRatio: hits + misses === 0 ? null : round(hits / (hits + misses), 4) };
  }

  /**
   * Per upstream, every target's state: this process's, or (workers) every worker's combined;
   * a target no worker reported this second shows worker 1's own view.
   */
  private upstreams(now: number, combined: CombinedTarget[] | undefined): UpstreamSnapshot[] {
    const rt = this.host.runtime();
    const seen = new Set<string>();
    const out: UpstreamSnapshot[] = [];
    const byId = combined === undefined ? undefined : new Map(combined.map((c) => [`${c.upstream}|${c.url}`, c]));
    for (const upstream of rt.upstreams.values()) {
      const targets = upstream.targets.map((t) => {
        const s = t.state;
        const c = byId?.get(s.id);
        const mark = targetMark(c ?? s, now);
        if (byId === undefined) this.journal.target(s.id, `${upstream.name}: target ${t.url}`, mark);
        const history = ((this.history.get(s.id) ?? '') + mark).slice(-HISTORY_SECONDS);
        this.history.set(s.id, history);
        seen.add(s.id);
        const target: UpstreamSnapshot['targets'][number] = {
          url: t.url,
          state: STATE_OF[mark],
          inFlight: c?.inFlight ?? s.inFlight,
          latencyEwmaMs: c?.latencyEwmaMs ?? round(s.latency.at(now) * 1000, 3),
          history,
        };
        if (c !== undefined) target.workers = c.workers;
        return target;
      });
      out.push({ name: upstream.name, healthCheck: rt.config.upstreams[upstream.name]?.healthCheck !== undefined, targets });
    }
    for (const id of this.history.keys()) if (!seen.has(id)) this.history.delete(id);
    if (byId === undefined) this.journal.keepOnly(seen);
    return out;
  }

  private topRoutes(from: Tick, to: Tick, windowSeconds: number): RouteSnapshot[] {
    const sum = (counts: number[] | undefined): number => (counts ?? []).reduce((a, b) => a + b, 0);
    return [...to.routes]
      .map(([name, counts]) => ({
        name,
        total: sum(counts),
        perSecond: windowSeconds > 0 ? round((sum(counts) - sum(from.routes.get(name))) / windowSeconds) : 0,
        errors: counts[4]!,
      }))
      .sort((a, b) => b.perSecond - a.perSecond || b.total - a.total)
      .slice(0, TOP_ROUTES);
  }
}

/** Every worker slot as the supervisor knows it, with what it reported this second. */
function workerSnapshots(reading: ClusterReading, now: number): WorkerSnapshot[] {
  return reading.workers.map((w) => ({
    slot: w.slot,
    pid: w.report?.pid ?? w.pid,
    answered: w.report !== null,
    uptimeSeconds: w.report === null ? null : Math.round((now - w.report.startedAt) / 1000),
    requests: w.report?.requests ?? null,
    inFlight: w.report?.inFlight ?? null,
    connections: w.report?.connections ?? null,
    restarts: w.restarts,
  }));
}
