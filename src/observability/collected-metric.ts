/**
 * A metric family whose samples are produced at scrape time from plain counters (see
 * histogram-cell.ts and metrics.ts), registered in a prom-client Registry next to prom-client's
 * own metrics. prom-client formats any registered object that has a name and a get() returning
 * { name, help, type, values, aggregator } — the same shape its AggregatorRegistry merges across
 * cluster workers — so the hot path keeps its plain numbers and the exposition stays prom-client's.
 */
import type { Metric, Registry } from 'prom-client';
import type { HistogramCell } from './histogram-cell.js';

export type Labels = Record<string, string>;

export interface Sample {
  value: number;
  labels: Labels;
  /** For histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export class CollectedMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
    private readonly collect: () => Sample[],
  ) {}

  get(): Promise<{ name: string; help: string; type: MetricKind; values: Sample[]; aggregator: 'sum' }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.collect(), aggregator: this.aggregator });
  }

  /** Registers this family in `registry` (prom-client accepts any object of this shape; see above). */
  registerIn(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** The samples of one histogram series (cumulative buckets, +Inf, sum, count). */
export function histogramSamples(name: string, labels: Labels, cell: HistogramCell, out: Sample[]): void {
  let cumulative = 0;
  const bounds = cell.bounds;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += cell.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(bounds[i]) }, value: cumulative });
  }
  cumulative += cell.counts[bounds.length]!;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels, value: cell.sum });
  out.push({ metricName: `${name}_count`, labels, value: cell.count });
}
