/**
 * One reading of the request counters the dashboard works from, taken from a prom-client
 * registry: this process's (one process) or the merge of every worker's (workers > 1). Reading
 * through the registry keeps the request path untouched: these are the numbers /metrics shows.
 */
import type { Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../../observability/histogram-cell.js';

/** Status classes in reading order (index 4: 5xx, 3: 4xx). */
export const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/** The metric families a reading (and the cache figures) need from every worker. */
export const DASHBOARD_FAMILIES: readonly string[] = [
  'barbican_requests_total',
  'barbican_request_duration_seconds',
  'barbican_cache_requests_total',
  'barbican_cache_stores_total',
  'barbican_cache_stored_bytes_total',
];

interface MetricValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}

/** One reading: all-time counters at a moment. */
export interface Tick {
  at: number;
  total: number;
  /** Per route: counts by class (index into CLASSES). */
  routes: Map<string, number[]>;
  /** Request durations, non-cumulative per bucket (last: +Inf), summed over routes. */
  durations: number[];
}

/** The values of family `name` in `registry` ([] when absent). */
export async function familyValues(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = (await metric.get()) as { values: MetricValue[] };
  return got.values;
}

/** Reads requests by route and class and the request-duration histogram from `registry`. */
export async function readCounters(registry: Registry, at: number): Promise<Tick> {
  const routes = new Map<string, number[]>();
  let total = 0;
  for (const v of await familyValues(registry, 'barbican_requests_total')) {
    const route = String(v.labels['route'] ?? '');
    const index = CLASSES.indexOf(String(v.labels['status_class']) as (typeof CLASSES)[number]);
    let counts = routes.get(route);
    if (counts === undefined) routes.set(route, (counts = CLASSES.map(() => 0)));
    counts[index < 0 ? CLASSES.length - 1 : index]! += v.value;
    total += v.value;
  }
  const cumulative = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  for (const v of await familyValues(registry, 'barbican_request_duration_seconds')) {
    if (v.metricName !== 'barbican_request_duration_seconds_bucket') continue;
    const le = String(v.labels['le']);
    const i = le === '+Inf' ? DURATION_BUCKETS.length : DURATION_BUCKETS.indexOf(Number(le));
    if (i >= 0) cumulative[i]! += v.value;
  }
  const durations = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
  return { at, total, routes, durations };
}
