/**
 * The shape of one dashboard update, as sent on GET /api/events. Every snapshot is complete
 * (histories included), so a browser that connects late or reconnects needs nothing else, and
 * the page script stays a plain render function.
 */
import type { ReloadReport } from '../host.js';

/** A target's state in one second: u(p), d(own: health check failing), e(jected), r(emoved by drain). */
export type TargetMark = 'u' | 'd' | 'e' | 'r';

export interface TargetSnapshot {
  url: string;
  state: 'healthy' | 'unhealthy' | 'ejected' | 'draining';
  inFlight: number;
  latencyEwmaMs: number;
  /** One mark per second, oldest first (up to HISTORY_SECONDS). */
  history: string;
  /** workers > 1: how many workers reported the target and how many hold each adverse verdict. */
  workers?: { reporting: number; unhealthy: number; ejected: number; draining: number };
}

export interface UpstreamSnapshot {
  name: string;
  healthCheck: boolean;
  targets: TargetSnapshot[];
}

export interface RouteSnapshot {
  name: string;
  total: number;
  /** Mean requests per second over the window. */
  perSecond: number;
  /** Responses 5xx, all time. */
  errors: number;
}

export interface RecentError {
  /** ISO time. */
  at: string;
  kind: '5xx' | '4xx' | 'health' | 'reload';
  message: string;
  /** workers > 1: the worker slot that saw it. */
  worker?: number;
}

/** One worker slot (workers > 1). */
export interface WorkerSnapshot {
  slot: number;
  pid: number | null;
  /** false: it did not answer this second (slow, restarting); its figures are missing from this snapshot. */
  answered: boolean;
  uptimeSeconds: number | null;
  /** Requests this worker ended since it started. */
  requests: number | null;
  inFlight: number | null;
  connections: number | null;
  restarts: number;
}

export interface Snapshot {
  /** ISO time of the sample. */
  at: string;
  uptimeSeconds: number;
  /** Seconds the window figures (percentiles, route rates) cover. */
  windowSeconds: number;
  requests: {
    total: number;
    perSecond: number;
    /** Requests per second, one value per second, oldest first. */
    rateHistory: number[];
    /** All-time counts by status class (1xx..5xx, other). */
    classes: Record<string, number>;
  };
  /** Latency percentiles in ms over the window; null without requests in it. */
  latencyMs: { p50: number; p95: number; p99: number } | null;
  inFlight: number;
  connections: number;
  /** Shared response cache counters; null when no route caches. */
  cache: { hits: number; misses: number; stores: number; storedBytes: number; hitRatio: number | null } | null;
  upstreams: UpstreamSnapshot[];
  topRoutes: RouteSnapshot[];
  /** Newest first. */
  errors: RecentError[];
  reload: ReloadReport | null;
  /** Every worker (workers > 1); null for a single process. */
  workers: WorkerSnapshot[] | null;
}

/** Seconds of history kept per target and for the request rate. */
export const HISTORY_SECONDS = 60;
