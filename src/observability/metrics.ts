/**
 * Prometheus metrics of one process. Recording is on the request path, so it is plain number
 * updates in structures found by one Map lookup (per route, per target); no label object is
 * built per request. The exposition (prom-client's format, at GET /metrics on the admin
 * listener) is assembled at scrape time from those numbers (collected-metric.ts).
 *
 * Series survive reloads: they are keyed by route name, upstream name and target identity,
 * not by runtime objects, so counters never go back to zero while the process lives.
 */
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import type { CacheStats } from '../cache/index.js';
import type { TargetState } from '../balancer/index.js';
import type { RedisStats } from '../state/index.js';
import { CollectedMetric, histogramSamples, type Sample } from './collected-metric.js';
import { HistogramCell } from './histogram-cell.js';

/** Methods with their own label value; any other is counted as OTHER (bounded cardinality). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'OTHER'] as const;
const CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Route label of requests that matched no route (or failed before routing). */
export const NO_ROUTE = '(none)';

/** Access-control answers counted as rejections (by code); RATE_LIMITED has its own counter. */
const ACCESS_CODES: ReadonlySet<string> = new Set(['ACCESS_DENIED', 'UNAUTHORIZED', 'AUTH_SERVICE_DENIED', 'AUTH_SERVICE_UNAVAILABLE']);

function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'PATCH':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return 7;
  }
}

class RouteSeries {
  /** Requests by method × status class. */
  readonly requests = new Float64Array(METHODS.length * CLASSES.length);
  readonly duration = new HistogramCell();
  bytesIn = 0;
  bytesOut = 0;
  rateLimited = 0;
  /** Access rejections by error code (created on the first one). */
  rejections: Map<string, number> | null = null;
}

class TargetSeries {
  readonly upstreamDuration = new HistogramCell();
  ejections = 0;
  constructor(
    readonly upstream: string,
    readonly url: string,
  ) {}
}

/** What the scrape reads from the running instance (set by main.ts). */
export interface MetricSources {
  /** Open client connections. */
  connections(): number;
  /** Every target of the current runtime, with its upstream's name. */
  targets(): Iterable<readonly [upstream: string, state: TargetState]>;
  /** The current runtime's cache counters (undefined when no route caches). */
  cache?(): CacheStats | undefined;
  /** The Redis link's counters (undefined without state.redis). */
  redis?(): RedisStats | undefined;
}

/**
 * One metric family as it crosses the workers' IPC channel (the JSON of prom-client's
 * getMetricsAsJSON(), which AggregatorRegistry.aggregate() merges by each family's aggregator).
 */
export interface MetricFamilySnapshot {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/**
 * Families whose cross-worker merge is not a sum: every worker probes the same targets, so a
 * target is up when any worker may send to it.
 */
const CLUSTER_AGGREGATORS: ReadonlyMap<string, string> = new Map([['barbican_upstream_target_up', 'max']]);

/**
 * Merges the registries of every worker into one registry (what /metrics exposes and the
 * dashboard samples with workers > 1: one merge, two readers).
 */
export function aggregateRegistry(workers: readonly MetricFamilySnapshot[][]): Registry {
  const adjusted = workers.map((families) => families.map((f) => ({ ...f, aggregator: CLUSTER_AGGREGATORS.get(f.name) ?? f.aggregator })));
  return AggregatorRegistry.aggregate(adjusted);
}

/** Merges the registries of every worker into one exposition text. */
export async function aggregateExposition(workers: readonly MetricFamilySnapshot[][]): Promise<string> {
  return aggregateRegistry(workers).metrics();
}

export class ProxyMetrics {
  readonly registry = new Registry();
  /** Requests being handled now (set by the pipeline entry and log()). */
  inFlight = 0;
  /** WebSocket tunnels open now (up at the 101, down when the tunnel is logged). */
  tunnels = 0;
  /** WebSocket tunnels opened since start. */
  tunnelsOpened = 0;
  private readonly routes = new Map<string, RouteSeries>();
  private readonly targets = new Map<string, TargetSeries>();
  private readonly retries = new Map<string, number>();
  /** Requests that arrived over HTTP/2 (the others are HTTP/1.x). */
  http2Requests = 0;
  /** HTTP/2 connections closed for abuse (floods), by reason. */
  private readonly http2Abuse = new Map<string, number>();
  private readonly reloads = { success: 0, failure: 0 };
  /** Compressed responses and their bytes before / after, by algorithm (routes[].compression). */
  private readonly compression = new Map<string, { responses: number; bytesIn: number; bytesOut: number }>();
  /** Set in the worker that serves /metrics: gathers every worker's registry (workers/worker.ts). */
  private clusterGather: (() => Promise<MetricFamilySnapshot[][]>) | undefined;
  private sources: MetricSources | undefined;

  constructor() {
    const m = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', collect: () => Sample[]): void => {
      new CollectedMetric(name, help, type, collect).registerIn(this.registry);
    };
    m('barbican_requests_total', 'Requests answered, by route, method and status class.', 'counter', () => this.requestSamples());
    m('barbican_request_duration_seconds', 'Time from the request head to the end of the response, by route.', 'histogram', () =>
      this.perRoute((route, s, out) => histogramSamples('barbican_request_duration_seconds', { route }, s.duration, out)),
    );
    m('barbican_requests_in_flight', 'Requests being handled now.', 'gauge', () => [{ labels: {}, value: this.inFlight }]);
    m('barbican_websocket_tunnels_open', 'WebSocket tunnels open now (the target answered 101 and neither side has closed).', 'gauge', () => [{ labels: {}, value: this.tunnels }]);
    m('barbican_websocket_tunnels_total', 'WebSocket tunnels opened since start.', 'counter', () => [{ labels: {}, value: this.tunnelsOpened }]);
    m('barbican_request_bytes_total', 'Request body bytes received from clients, by route.', 'counter', () =>
      this.perRoute((route, s, out) => out.push({ labels: { route }, value: s.bytesIn })),
    );
    m('barbican_response_bytes_total', 'Response body bytes sent to clients, by route.', 'counter', () =>
      this.perRoute((route, s, out) => out.push({ labels: { route }, value: s.bytesOut })),
    );
    m('barbican_access_rejections_total', 'Requests refused by access control, by route and error code.', 'counter', () =>
      this.perRoute((route, s, out) => s.rejections?.forEach((value, code) => out.push({ labels: { route, code }, value }))),
    );
    m('barbican_rate_limited_total', 'Requests refused by the rate limit (RATE_LIMITED), by route.', 'counter', () =>
      this.perRoute((route, s, out) => out.push({ labels: { route }, value: s.rateLimited })),
    );
    m('barbican_upstream_request_duration_seconds', 'Time from sending a request to a target to its response head, by upstream and target.', 'histogram', () => {
      const out: Sample[] = [];
      for (const t of this.targets.values()) histogramSamples('barbican_upstream_request_duration_seconds', { upstream: t.upstream, target: t.url }, t.upstreamDuration, out);
      return out;
    });
    m('barbican_upstream_retries_total', 'Upstream tries after the first, by upstream.', 'counter', () => [...this.retries].map(([upstream, value]) => ({ labels: { upstream }, value })));
    m('barbican_upstream_target_ejections_total', 'Passive-health ejections (outlier detection), by upstream and target.', 'counter', () =>
      [...this.targets.values()].map((t) => ({ labels: { upstream: t.upstream, target: t.url }, value: t.ejections })),
    );
    m('barbican_upstream_target_up', '1 when the target may take traffic (healthy, not ejected, not drained), else 0.', 'gauge', () => {
      const out: Sample[] = [];
      const now = Date.now();
      for (const [upstream, state] of this.sources?.targets() ?? []) {
        const up = state.healthy && state.ejectedUntil <= now && !state.draining;
        out.push({ labels: { upstream, target: state.url }, value: up ? 1 : 0 });
      }
      return out;
    });
    m('barbican_requests_by_protocol_total', 'Requests ended, by the protocol the client spoke (HTTP/1.x or HTTP/2).', 'counter', () => {
      let total = 0;
      for (const series of this.routes.values()) for (const v of series.requests) total += v;
      return [
        { labels: { protocol: 'HTTP/1.x' }, value: total - this.http2Requests },
        { labels: { protocol: 'HTTP/2' }, value: this.http2Requests },
      ];
    });
    m('barbican_http2_connections_closed_total', 'HTTP/2 client connections closed with GOAWAY ENHANCE_YOUR_CALM, by reason (rapid_reset, control_flood).', 'counter', () =>
      [...this.http2Abuse].map(([reason, value]) => ({ labels: { reason }, value })),
    );
    m('barbican_open_connections', 'Open client connections.', 'gauge', () => [{ labels: {}, value: this.sources?.connections() ?? 0 }]);
    // The cache's own counters, read at scrape time (a reload that builds a new store starts them again).
    const cache = (): CacheStats | undefined => this.sources?.cache?.();
    m('barbican_cache_requests_total', 'Cacheable requests by result: hit (fresh or stale), miss (went forward), stale (served stale: RFC 5861), revalidated (freshened by a 304).', 'counter', () => {
      const c = cache();
      return c === undefined ? [] : (['hits', 'misses', 'stale', 'revalidated'] as const).map((k) => ({ labels: { result: k === 'hits' ? 'hit' : k === 'misses' ? 'miss' : k }, value: c[k] }));
    });
    m('barbican_cache_stores_total', 'Responses stored in the cache (cumulative).', 'counter', () => {
      const c = cache();
      return c === undefined ? [] : [{ labels: {}, value: c.stores }];
    });
    m('barbican_cache_stored_bytes_total', 'Bytes of responses stored in the cache (cumulative).', 'counter', () => {
      const c = cache();
      return c === undefined ? [] : [{ labels: {}, value: c.storedBytes }];
    });
    m('barbican_cache_bytes', 'Bytes held in the cache now.', 'gauge', () => {
      const c = cache();
      return c === undefined ? [] : [{ labels: {}, value: c.bytes }];
    });
    m('barbican_cache_entries', 'Responses held in the cache now.', 'gauge', () => {
      const c = cache();
      return c === undefined ? [] : [{ labels: {}, value: c.entries }];
    });
    m('barbican_cache_purged_total', 'Responses removed by purges of the admin API.', 'counter', () => {
      const c = cache();
      return c === undefined ? [] : [{ labels: {}, value: c.purged }];
    });
    m('barbican_compressed_responses_total', 'Responses sent compressed (routes[].compression), by algorithm; streamed or from a compressed copy kept by the cache.', 'counter', () =>
      [...this.compression].map(([algorithm, c]) => ({ labels: { algorithm }, value: c.responses })),
    );
    m('barbican_compression_input_bytes_total', 'Body bytes of compressed responses before compression, by algorithm.', 'counter', () =>
      [...this.compression].map(([algorithm, c]) => ({ labels: { algorithm }, value: c.bytesIn })),
    );
    m('barbican_compression_output_bytes_total', 'Body bytes of compressed responses as sent, by algorithm (output / input is the ratio achieved).', 'counter', () =>
      [...this.compression].map(([algorithm, c]) => ({ labels: { algorithm }, value: c.bytesOut })),
    );
    m('barbican_cache_tier_requests_total', 'Misses in memory asked of the second tier (Redis), by result: hit (found there), miss (went to the origin), wait (waited for another instance\'s fill first).', 'counter', () => {
      const c = cache();
      return c === undefined ? [] : [
        { labels: { result: 'hit' }, value: c.tierHits },
        { labels: { result: 'miss' }, value: c.tierMisses },
        { labels: { result: 'wait' }, value: c.tierWaits },
      ];
    });
    // The shared state's link (state.redis), read at scrape time; absent without it.
    const redis = (): RedisStats | undefined => this.sources?.redis?.();
    m('barbican_redis_up', '1 while Redis is connected and its circuit closed (shared state in use), 0 while degraded to local state.', 'gauge', () => {
      const r = redis();
      return r === undefined ? [] : [{ labels: {}, value: r.up }];
    });
    m('barbican_redis_circuit_open', '1 while the circuit breaker around Redis commands is open or half-open.', 'gauge', () => {
      const r = redis();
      return r === undefined ? [] : [{ labels: {}, value: r.circuitOpen }];
    });
    m('barbican_redis_errors_total', 'Redis commands that failed, timed out, or were not sent because Redis was unavailable.', 'counter', () => {
      const r = redis();
      return r === undefined ? [] : [{ labels: {}, value: r.errors }];
    });
    m('barbican_redis_fallbacks_total', 'Decisions taken locally because Redis was unavailable, by use (ratelimit: onFailure applied; cache: local tier only).', 'counter', () => {
      const r = redis();
      return r === undefined ? [] : (['ratelimit', 'cache'] as const).map((use) => ({ labels: { use }, value: r.fallbacks[use] }));
    });
    m('barbican_redis_events_received_total', 'Fleet events received from other instances over pub/sub, by type (purge, invalidate, filled, eject).', 'counter', () => {
      const r = redis();
      return r === undefined ? [] : Object.entries(r.events).map(([type, value]) => ({ labels: { type }, value }));
    });
    m('barbican_config_reloads_total', 'Configuration reloads, by result.', 'counter', () => [
      { labels: { result: 'success' }, value: this.reloads.success },
      { labels: { result: 'failure' }, value: this.reloads.failure },
    ]);
    collectDefaultMetrics({ register: this.registry, prefix: 'barbican_' });
  }

  /**
   * Worker mode: a family counting the requests this process ended, labelled with its worker
   * slot and pid (computed at scrape time from the per-route counters, nothing on the hot path).
   */
  identifyWorker(slot: number, pid: number): void {
    new CollectedMetric('barbican_worker_requests_total', 'Requests ended, by worker slot and process id (workers > 1).', 'counter', () => [
      { labels: { worker: String(slot), pid: String(pid) }, value: this.requestsEnded() },
    ]).registerIn(this.registry);
  }

  /** Worker mode: /metrics answers with the merge of what `gather` returns. */
  aggregateWith(gather: () => Promise<MetricFamilySnapshot[][]>): void {
    this.clusterGather = gather;
  }

  /** Requests this process has ended (all routes, all classes). */
  requestsEnded(): number {
    let total = 0;
    for (const series of this.routes.values()) for (const v of series.requests) total += v;
    return total;
  }

  /**
   * This process's registry, as sent to the worker that serves /metrics; only the families
   * named in `names` when given (the dashboard reads four, not the whole registry).
   */
  async snapshot(names?: readonly string[]): Promise<MetricFamilySnapshot[]> {
    let families: Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
    if (names === undefined) families = await this.registry.getMetricsAsJSON();
    else {
      families = [];
      for (const name of names) {
        const metric = this.registry.getSingleMetric(name);
        if (metric !== undefined) families.push(await metric.get());
      }
    }
    return families.map((f) => ({
      name: f.name,
      help: f.help,
      type: String(f.type),
      aggregator: f.aggregator,
      values: f.values.map((v) => {
        const labels: Record<string, string | number> = {};
        for (const [k, l] of Object.entries(v.labels)) if (l !== undefined) labels[k] = l;
        const metricName = (v as { metricName?: string }).metricName;
        return metricName === undefined ? { value: v.value, labels } : { value: v.value, labels, metricName };
      }),
    }));
  }

  /** Connects the scrape to the running instance. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  private route(name: string): RouteSeries {
    let series = this.routes.get(name);
    if (series === undefined) {
      series = new RouteSeries();
      this.routes.set(name, series);
    }
    return series;
  }

  private target(upstream: string, state: TargetState): TargetSeries {
    let series = this.targets.get(state.id);
    if (series === undefined) {
      series = new TargetSeries(upstream, state.url);
      this.targets.set(state.id, series);
    }
    return series;
  }

  /** A request ended (called once per request, from the pipeline's single exit). */
  requestEnded(route: string | undefined, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number, errorCode: string | undefined): void {
    const s = this.route(route ?? NO_ROUTE);
    const cls = status >= 100 && status < 600 ? (status / 100) | 0 : 0;
    s.requests[methodIndex(method) * CLASSES.length + cls]!++;
    s.duration.observe(seconds);
    s.bytesIn += bytesIn;
    s.bytesOut += bytesOut;
    if (errorCode !== undefined) {
      if (errorCode === 'RATE_LIMITED') s.rateLimited++;
      else if (ACCESS_CODES.has(errorCode)) {
        s.rejections ??= new Map();
        s.rejections.set(errorCode, (s.rejections.get(errorCode) ?? 0) + 1);
      }
    }
  }

  /** A response was sent compressed with `algorithm`: `bytesIn` before, `bytesOut` after. */
  compressed(algorithm: string, bytesIn: number, bytesOut: number): void {
    let c = this.compression.get(algorithm);
    if (c === undefined) this.compression.set(algorithm, (c = { responses: 0, bytesIn: 0, bytesOut: 0 }));
    c.responses++;
    c.bytesIn += bytesIn;
    c.bytesOut += bytesOut;
  }

  /** An HTTP/2 connection closed for abuse. */
  http2Closed(reason: string): void {
    this.http2Abuse.set(reason, (this.http2Abuse.get(reason) ?? 0) + 1);
  }

  /** Upstream tries after the first, counted when the request ends. */
  retried(upstream: string, retries: number): void {
    this.retries.set(upstream, (this.retries.get(upstream) ?? 0) + retries);
  }

  /** A target's response head arrived `seconds` after the try was sent. */
  upstreamResponded(upstream: string, state: TargetState, seconds: number): void {
    this.target(upstream, state).upstreamDuration.observe(seconds);
  }

  /** Outlier detection ejected a target. */
  ejected(upstream: string, state: TargetState): void {
    this.target(upstream, state).ejections++;
  }

  reloaded(ok: boolean): void {
    if (ok) this.reloads.success++;
    else this.reloads.failure++;
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  exposition(): Promise<string> {
    if (this.clusterGather !== undefined) return this.clusterGather().then(aggregateExposition);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private requestSamples(): Sample[] {
    return this.perRoute((route, s, out) => {
      for (let m = 0; m < METHODS.length; m++) {
        for (let c = 0; c < CLASSES.length; c++) {
          const value = s.requests[m * CLASSES.length + c]!;
          if (value > 0) out.push({ labels: { route, method: METHODS[m]!, status_class: CLASSES[c]! }, value });
        }
      }
    });
  }

  private perRoute(each: (route: string, series: RouteSeries, out: Sample[]) => void): Sample[] {
    const out: Sample[] = [];
    for (const [route, series] of this.routes) each(route, series, out);
    return out;
  }
}

/** The process's metrics (one Registry per process; with workers, merged at scrape time). */
export const sharedMetrics = new ProxyMetrics();
