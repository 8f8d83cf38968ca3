/**
 * Once a second, reads what the proxy already counts (ProxyMetrics through its registry, the
 * runtime's targets and cache, the last reload) and keeps a short ring of those readings. Rates,
 * windowed percentiles and per-target health over time are differences between ring entries, so
 * nothing is added to the request path. The timer is unref'd: a dashboard never keeps the
 * process alive.
 */
import { DURATION_BUCKETS } from '../../observability/histogram-cell.js';
import type { ProxyMetrics } from '../../observability/metrics.js';
import type { AdminHost } from '../host.js';
import { quantile } from './percentiles.js';
import { HISTORY_SECONDS, type RecentError, type RouteSnapshot, type Snapshot, type TargetMark, type UpstreamSnapshot } from './snapshot.js';

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
const MAX_ERRORS = 30;
const TOP_ROUTES = 8;
const STATE_OF: Record<TargetMark, UpstreamSnapshot['targets'][number]['state']> = { u: 'healthy', d: 'unhealthy', e: 'ejected', r: 'draining' };

interface MetricValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}

/** One reading: all-time counters at a moment. */
interface Tick {
  at: number;
  total: number;
  /** Per route: counts by class (index into CLASSES). */
  routes: Map<string, number[]>;
  /** Request durations, non-cumulative per bucket (last: +Inf), summed over routes. */
  durations: number[];
}

async function values(metrics: ProxyMetrics, name: string): Promise<MetricValue[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = (await metric.get()) as { values: MetricValue[] };
  return got.values;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export class DashboardSampler {
  private readonly ticks: Tick[] = [];
  private readonly rates: number[] = [];
  /** Target id → marks, oldest first. */
  private readonly history = new Map<string, string>();
  private readonly errors: RecentError[] = [];
  private readonly listeners = new Set<(s: Snapshot) => void>();
  private lastReloadAt: string | undefined;
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

  /** Takes one reading and builds the snapshot (exported through tick(); public for tests). */
  async sample(): Promise<Snapshot> {
    const now = Date.now();
    const tick = await this.read(now);
    const previous = this.ticks[this.ticks.length - 1];
    this.ticks.push(tick);
    if (this.ticks.length > HISTORY_SECONDS + 1) this.ticks.shift();
    const oldest = this.ticks[0]!;
    const perSecond = previous === undefined ? 0 : Math.max(0, tick.total - previous.total) / Math.max(0.001, (now - previous.at) / 1000);
    this.rates.push(round(perSecond));
    if (this.rates.length > HISTORY_SECONDS) this.rates.shift();
    if (previous !== undefined) this.noteStatusErrors(previous, tick);
    this.noteReload();
    const windowSeconds = Math.max(0, (now - oldest.at) / 1000);
    return {
      at: new Date(now).toISOString(),
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      windowSeconds: Math.round(windowSeconds),
      requests: { total: tick.total, perSecond: round(perSecond), rateHistory: [...this.rates], classes: this.classTotals(tick) },
      latencyMs: this.latency(oldest === tick ? undefined : oldest, tick),
      inFlight: this.host.inFlight(),
      connections: this.host.connections(),
      cache: this.cache(),
      upstreams: this.upstreams(now),
      topRoutes: this.topRoutes(oldest, tick, windowSeconds),
      errors: [...this.errors],
      reload: this.host.lastReload() ?? null,
    };
  }

  private async read(at: number): Promise<Tick> {
    const routes = new Map<string, number[]>();
    let total = 0;
    for (const v of await values(this.metrics, 'barbican_requests_total')) {
      const route = String(v.labels['route'] ?? '');
      const index = CLASSES.indexOf(String(v.labels['status_class']) as (typeof CLASSES)[number]);
      let counts = routes.get(route);
      if (counts === undefined) routes.set(route, (counts = CLASSES.map(() => 0)));
      counts[index < 0 ? CLASSES.length - 1 : index]! += v.value;
      total += v.value;
    }
    const cumulative = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
    for (const v of await values(this.metrics, 'barbican_request_duration_seconds')) {
      if (v.metricName !== 'barbican_request_duration_seconds_bucket') continue;
      const le = String(v.labels['le']);
      const i = le === '+Inf' ? DURATION_BUCKETS.length : DURATION_BUCKETS.indexOf(Number(le));
      if (i >= 0) cumulative[i]! += v.value;
    }
    const durations = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
    return { at, total, routes, durations };
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

  private upstreams(now: number): UpstreamSnapshot[] {
    const rt = this.host.runtime();
    const seen = new Set<string>();
    const out: UpstreamSnapshot[] = [];
    for (const upstream of rt.upstreams.values()) {
      const targets = upstream.targets.map((t) => {
        const s = t.state;
        const mark: TargetMark = s.draining ? 'r' : !s.healthy ? 'd' : s.ejectedUntil > now ? 'e' : 'u';
        const before = this.history.get(s.id);
        const last = before?.[before.length - 1];
        if (last !== undefined && last !== mark) this.noteHealth(`${upstream.name}: target ${t.url} is now ${STATE_OF[mark]} (was ${STATE_OF[last as TargetMark]})`, mark);
        const history = ((before ?? '') + mark).slice(-HISTORY_SECONDS);
        this.history.set(s.id, history);
        seen.add(s.id);
        return { url: t.url, state: STATE_OF[mark], inFlight: s.inFlight, latencyEwmaMs: round(s.latency.at(now) * 1000, 3), history };
      });
      out.push({ name: upstream.name, healthCheck: rt.config.upstreams[upstream.name]?.healthCheck !== undefined, targets });
    }
    for (const id of this.history.keys()) if (!seen.has(id)) this.history.delete(id);
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

  private push(error: RecentError): void {
    this.errors.unshift(error);
    if (this.errors.length > MAX_ERRORS) this.errors.length = MAX_ERRORS;
  }

  /** New 4xx/5xx answers since the last reading, one line per route and class. */
  private noteStatusErrors(previous: Tick, tick: Tick): void {
    for (const [route, counts] of tick.routes) {
      const before = previous.routes.get(route);
      for (const [kind, i] of [['5xx', 4], ['4xx', 3]] as const) {
        const n = counts[i]! - (before?.[i] ?? 0);
        if (n > 0) this.push({ at: new Date(tick.at).toISOString(), kind, message: `route ${route}: ${n} response${n === 1 ? '' : 's'} ${kind}` });
      }
    }
  }

  private noteHealth(message: string, mark: TargetMark): void {
    if (mark !== 'u') this.push({ at: new Date().toISOString(), kind: 'health', message });
  }

  private noteReload(): void {
    const report = this.host.lastReload();
    if (report === undefined || report.at === this.lastReloadAt) return;
    this.lastReloadAt = report.at;
    if (!report.ok) this.push({ at: report.at, kind: 'reload', message: `reload (${report.trigger}) refused: ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'}` });
  }
}
