/**
 * GET /api/status: what the running configuration is doing, per route, upstream and target
 * (traefik-style per-object status), and how the last reload went. With workers (> 1) it speaks
 * for the whole instance: connections and in-flight summed over the workers, every target's
 * state combined across them (rules in cluster.ts), and a `workers` section listing each one.
 */
import type { CompiledUpstream, Runtime, UpstreamTarget } from '../proxy/runtime.js';
import { sharedMetrics } from '../observability/metrics.js';
import { combineTargets, type ClusterReading, type CombinedTarget } from './cluster.js';
import type { AdminHost } from './host.js';
import { redact } from './redaction.js';

const startedAt = Date.now();

export interface TargetStatus {
  url: string;
  /** May take traffic now (healthy, not ejected, not draining). */
  available: boolean;
  healthy: boolean;
  draining: boolean;
  ejected: boolean;
  /** ISO time the ejection ends, or null. */
  ejectedUntil: string | null;
  ejections: number;
  inFlight: number;
  /** Peak-EWMA of response-head latency in ms (0 until measured; measured for leastLatency). */
  latencyEwmaMs: number;
  weight: number;
  backup: boolean;
}

export function targetStatus(t: UpstreamTarget, now: number): TargetStatus {
  const s = t.state;
  const ejected = s.ejectedUntil > now;
  return {
    url: t.url,
    available: s.healthy && !ejected && !s.draining,
    healthy: s.healthy,
    draining: s.draining,
    ejected,
    ejectedUntil: ejected ? new Date(s.ejectedUntil).toISOString() : null,
    ejections: s.ejections,
    inFlight: s.inFlight,
    latencyEwmaMs: Math.round(s.latency.at(now) * 1000) / 1000,
    weight: s.weight,
    backup: s.backup,
  };
}

/** A target as every worker sees it, combined (falls back to this worker's view if none reported it). */
function combinedStatus(t: UpstreamTarget, c: CombinedTarget | undefined, now: number): TargetStatus & { workers?: CombinedTarget['workers'] } {
  if (c === undefined) return targetStatus(t, now);
  return {
    url: t.url,
    available: c.healthy && !c.ejected && !c.draining,
    healthy: c.healthy,
    draining: c.draining,
    ejected: c.ejected,
    ejectedUntil: c.ejected ? new Date(c.ejectedUntil).toISOString() : null,
    ejections: c.ejections,
    inFlight: c.inFlight,
    latencyEwmaMs: c.latencyEwmaMs,
    weight: c.weight,
    backup: c.backup,
    workers: c.workers,
  };
}

function upstreamStatus(u: CompiledUpstream, rt: Runtime, now: number, combined: Map<string, CombinedTarget> | undefined): object {
  const config = rt.config.upstreams[u.name];
  return {
    name: u.name,
    balancer: config?.balancer,
    healthCheck: config?.healthCheck !== undefined,
    outlierDetection: u.outlier !== undefined,
    targets: u.targets.map((t) => (combined === undefined ? targetStatus(t, now) : combinedStatus(t, combined.get(t.state.id), now))),
  };
}

function routeStatus(rt: Runtime): object[] {
  return rt.config.routes.map((route, index) => ({
    name: route.name ?? `route-${index}`,
    match: redact(route.match),
    kind: route.upstream !== undefined ? 'upstream' : route.redirect !== undefined ? 'redirect' : 'respond',
    ...(route.upstream !== undefined ? { upstream: route.upstream } : {}),
  }));
}

function workersStatus(reading: ClusterReading, now: number): object[] {
  return reading.workers.map((w) => ({
    slot: w.slot,
    pid: w.report?.pid ?? w.pid,
    /** false: it did not answer in time (restarting, stuck); its figures are missing above. */
    answered: w.report !== null,
    startedAt: w.report === null ? null : new Date(w.report.startedAt).toISOString(),
    uptimeSeconds: w.report === null ? null : Math.round((now - w.report.startedAt) / 1000),
    requests: w.report?.requests ?? null,
    connections: w.report?.connections ?? null,
    inFlight: w.report?.inFlight ?? null,
    restarts: w.restarts,
  }));
}

export async function status(host: AdminHost): Promise<object> {
  const rt = host.runtime();
  const reading = host.cluster === undefined ? undefined : await host.cluster.read([]);
  const now = Date.now();
  const reports = reading?.workers.flatMap((w) => (w.report === null ? [] : [w.report]));
  const combined = reports === undefined ? undefined : new Map(combineTargets(reports, now).map((c) => [`${c.upstream}|${c.url}`, c]));
  return {
    startedAt: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.round((now - startedAt) / 1000),
    pid: process.pid,
    connections: reports === undefined ? host.connections() : reports.reduce((a, r) => a + r.connections, 0),
    inFlight: reports === undefined ? host.inFlight() : reports.reduce((a, r) => a + r.inFlight, 0),
    websocketTunnels: reports === undefined ? sharedMetrics.tunnels : reports.reduce((a, r) => a + r.tunnels, 0),
    reload: host.lastReload() ?? null,
    routes: routeStatus(rt),
    upstreams: [...rt.upstreams.values()].map((u) => upstreamStatus(u, rt, now, combined)),
    ...(reading === undefined ? {} : { workers: workersStatus(reading, now) }),
  };
}
