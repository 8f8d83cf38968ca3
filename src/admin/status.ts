/**
 * GET /api/status: what the running configuration is doing, per route, upstream and target
 * (traefik-style per-object status), and how the last reload went.
 */
import type { CompiledUpstream, Runtime, UpstreamTarget } from '../proxy/runtime.js';
import { sharedMetrics } from '../observability/metrics.js';
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

function upstreamStatus(u: CompiledUpstream, rt: Runtime, now: number): object {
  const config = rt.config.upstreams[u.name];
  return {
    name: u.name,
    balancer: config?.balancer,
    healthCheck: config?.healthCheck !== undefined,
    outlierDetection: u.outlier !== undefined,
    targets: u.targets.map((t) => targetStatus(t, now)),
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

export function status(host: AdminHost): object {
  const rt = host.runtime();
  const now = Date.now();
  return {
    startedAt: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.round((now - startedAt) / 1000),
    pid: process.pid,
    connections: host.connections(),
    inFlight: host.inFlight(),
    websocketTunnels: sharedMetrics.tunnels,
    reload: host.lastReload() ?? null,
    routes: routeStatus(rt),
    upstreams: [...rt.upstreams.values()].map((u) => upstreamStatus(u, rt, now)),
  };
}
