/**
 * What a worker answers when worker 1's admin listener asks about it (workers > 1): its targets
 * as its own balancer and health checks see them, its connections and requests, and its recent
 * errors. Built only when asked (about once a second while the admin listener runs): nothing is
 * added to the request path.
 */
import type { ProxyMetrics } from '../observability/metrics.js';
import type { TargetReport, WorkerReport } from './cluster.js';
import { readCounters } from './dashboard/counters.js';
import { ErrorJournal, targetMark } from './dashboard/error-journal.js';
import type { AdminHost } from './host.js';

/** ms since epoch this process started. */
const processStartedAt = Date.now() - Math.round(process.uptime() * 1000);

export class WorkerReporter {
  private readonly journal = new ErrorJournal();

  constructor(
    private readonly slot: number,
    private readonly host: AdminHost,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** This worker now; advances its error journal (errors since the previous question). */
  async report(): Promise<WorkerReport> {
    const now = Date.now();
    this.journal.counters(await readCounters(this.metrics.registry, now));
    this.journal.reload(this.host.lastReload());
    const rt = this.host.runtime();
    const targets: TargetReport[] = [];
    const seen = new Set<string>();
    for (const upstream of rt.upstreams.values()) {
      for (const t of upstream.targets) {
        const s = t.state;
        this.journal.target(s.id, `${upstream.name}: target ${t.url}`, targetMark(s, now));
        seen.add(s.id);
        targets.push({
          upstream: upstream.name,
          url: t.url,
          healthy: s.healthy,
          ejectedUntil: s.ejectedUntil > now ? s.ejectedUntil : 0,
          ejections: s.ejections,
          draining: s.draining,
          inFlight: s.inFlight,
          latencyEwmaMs: Math.round(s.latency.at(now) * 1_000_000) / 1000,
          weight: s.weight,
          backup: s.backup,
        });
      }
    }
    this.journal.keepOnly(seen);
    return {
      slot: this.slot,
      pid: process.pid,
      startedAt: processStartedAt,
      requests: this.metrics.requestsEnded(),
      connections: this.host.connections(),
      inFlight: this.host.inFlight(),
      tunnels: this.metrics.tunnels,
      targets,
      errors: this.journal.list(),
    };
  }
}
