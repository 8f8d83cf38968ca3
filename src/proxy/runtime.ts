/**
 * A runtime is everything built from one validated config: the compiled route table, the
 * upstream pools and policies, the loggers. It is built once (never per request); a reload
 * builds a new one beside the old and swaps one reference.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { createTargetSelector, TargetStateRegistry, type TargetSelector, type TargetState } from '../balancer/index.js';
import type { Config } from '../config/schema.js';
import { createAccessLog, type AccessLog } from '../observability/access-log.js';
import type { Logger } from '../observability/logger.js';
import type { RouteConfig } from '../routing/config.js';
import { createPathRewriter, createRouteTable, type PathRewriter, type RouteTable } from '../routing/index.js';
import { HeaderNameSet } from '../upstream/header-names.js';
import { Http2TargetPool } from '../upstream/http2-target-pool.js';
import { TargetPool, type TargetPoolOptions, type UpstreamPool } from '../upstream/target-pool.js';
import { createTrustedProxies, type TrustedProxies } from '../upstream/trusted-proxies.js';
import type { UpstreamConfig } from '../upstream/config.js';
import { applyRemoteEjection, createActiveChecker, createOutlierDetector, type ActiveChecker, type OutlierDetector } from '../health/index.js';
import type { StateBinding } from '../state/index.js';
import { RetryPolicy } from '../upstream/retry-policy.js';
import type { SendOptions } from '../upstream/upstream-connection.js';
import { createAccessFilter } from '../access/index.js';
import type { Filter } from './filter.js';
import { compileHeaderEdits } from './header-edits.js';
import { createSharedCache, RouteCache, type SharedCache } from '../cache/index.js';
import { RouteCompression } from '../compression/index.js';
import { countEjections } from '../observability/ejection-counter.js';
import { observabilityFilter } from './observability-filter.js';

export interface UpstreamTarget {
  readonly url: string;
  readonly state: TargetState;
  readonly pool: UpstreamPool;
}

export interface CompiledUpstream {
  readonly name: string;
  /** In config order; the selector picks an index into this list. */
  readonly targets: readonly UpstreamTarget[];
  readonly selector: TargetSelector;
  readonly retry: RetryPolicy;
  /** Passive health (undefined when outlierDetection.enabled is false). */
  readonly outlier: OutlierDetector | undefined;
  /** Active health checks (undefined without healthCheck); started by startRuntime. */
  readonly checker: ActiveChecker | undefined;
  /** Response latency is recorded per target (the leastLatency policy reads it). */
  readonly tracksLatency: boolean;
  /** Seconds a client should wait when no target is available (Retry-After). */
  retryAfter(now: number): number;
}

export type RouteAction =
  | { kind: 'upstream'; upstream: CompiledUpstream }
  | { kind: 'redirect'; to: string; status: number }
  | { kind: 'respond'; status: number; body: Buffer; headers: string[] };

export interface CompiledRoute {
  readonly name: string;
  readonly action: RouteAction;
  readonly rewritePath: PathRewriter | undefined;
  /** Host header sent upstream: 'keep', 'target' or a literal host. */
  readonly upstreamHost: string;
  readonly filters: readonly Filter[];
  readonly maxBodyBytes: number;
  /** Timeouts of each upstream try (built once per route). */
  readonly sendOptions: SendOptions;
  /** The route's use of the shared cache (undefined: cache.enabled is false; no lookup, no tee). */
  readonly cache: RouteCache | undefined;
  /**
   * Cache hits may be written from their pre-serialized head: no response filter of the route
   * edits stored headers (header edits do; the others only add per-response lines).
   */
  readonly storedHits: boolean;
  /** Response compression (undefined: no `compression` block, or enabled: false; one null check per response). */
  readonly compression: RouteCompression | undefined;
  /** WebSocket handshakes are proxied (routes[].websocket). */
  readonly websocket: boolean;
  /** A tunnel with no byte either way for this long is closed (ms). */
  readonly websocketIdleTimeout: number;
}

export interface Runtime {
  readonly config: Config;
  readonly routes: RouteTable<CompiledRoute>;
  readonly trusted: TrustedProxies;
  readonly hiddenResponseHeaders: HeaderNameSet;
  readonly upstreams: ReadonlyMap<string, CompiledUpstream>;
  readonly accessLog: AccessLog;
  readonly logger: Logger;
  /** The shared response cache (undefined when no route enables it). */
  readonly cache: SharedCache | undefined;
  /** Requests handled by this runtime and not yet logged (a replaced runtime closes at 0; reload.ts). */
  inFlight: number;
  /** Undoes this runtime's subscriptions to fleet events (closeRuntime). */
  readonly detach: readonly (() => void)[];
}

function tlsOptions(config: UpstreamConfig['tls']): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: config.verify };
  if (config.caFile) options.ca = readFileSync(config.caFile);
  if (config.certFile) options.cert = readFileSync(config.certFile);
  if (config.keyFile) options.key = readFileSync(config.keyFile);
  if (config.serverName) options.servername = config.serverName;
  return options;
}

/**
 * Shared passive health: ejections by this instance's detector are announced to the fleet
 * (for as long as they last here); the detector is unchanged without state.redis.
 */
function announceEjections(upstream: string, detector: OutlierDetector, binding: StateBinding): OutlierDetector {
  const redis = binding.redis;
  if (redis === undefined || !redis.config.shareEjections) return detector;
  return {
    onSuccess: (target, now) => detector.onSuccess(target, now),
    onFailure(target, now) {
      const ejected = detector.onFailure(target, now);
      if (ejected) redis.publish({ t: 'eject', upstream, target: target.url, ms: target.ejectedUntil - now });
      return ejected;
    },
  };
}

function createPool(protocol: UpstreamConfig['protocol'], options: TargetPoolOptions): UpstreamPool {
  return protocol === 'http2' ? new Http2TargetPool(options) : new TargetPool(options);
}

function buildUpstream(name: string, config: UpstreamConfig, maxHeaderBytes: number, registry: TargetStateRegistry, logger: Logger, binding: StateBinding): CompiledUpstream {
  const tls = config.targets.some((t) => t.url.startsWith('https:')) ? tlsOptions(config.tls) : undefined;
  const targets = config.targets.map((t) => ({
    url: t.url,
    state: registry.get(name, t.url, { weight: t.weight, backup: t.backup, slowStart: config.slowStart }),
    pool: createPool(config.protocol, {
      url: t.url,
      maxConnections: config.maxConnectionsPerTarget,
      maxPending: config.maxPending,
      connectTimeout: config.timeouts.connect,
      idleTimeout: config.timeouts.idle,
      // Response heads from origins may be larger than what clients are allowed to send.
      maxResponseHeaderBytes: Math.max(maxHeaderBytes, 64 * 1024),
      ...(tls ? { tls } : {}),
    }),
  }));
  const states = targets.map((t) => t.state);
  const healthInterval = config.healthCheck?.interval ?? 5_000;
  return {
    name,
    targets,
    selector: createTargetSelector(states, { balancer: config.balancer, hashOn: config.hashOn, sticky: config.sticky }),
    retry: new RetryPolicy(config.retries),
    outlier: config.outlierDetection.enabled ? announceEjections(name, countEjections(name, createOutlierDetector(states, config.outlierDetection)), binding) : undefined,
    checker: config.healthCheck ? createActiveChecker({ upstream: name, targets: states, config: config.healthCheck, ...(tls ? { tls } : {}), logger }) : undefined,
    tracksLatency: config.balancer === 'leastLatency',
    retryAfter(now) {
      // The soonest a target can come back: an ejection ending, or the next health check.
      let wait = healthInterval;
      for (const t of states) if (t.ejectedUntil > now) wait = Math.min(wait, t.ejectedUntil - now);
      return Math.min(60, Math.max(1, Math.ceil(wait / 1000)));
    },
  };
}

function headerEditFilter(route: RouteConfig): Filter | undefined {
  const onUpstreamRequest = compileHeaderEdits(route.requestHeaders);
  const onResponse = compileHeaderEdits(route.responseHeaders);
  if (!onUpstreamRequest && !onResponse) return undefined;
  return {
    name: 'headers',
    ...(onUpstreamRequest ? { onUpstreamRequest: (_s: unknown, h: string[]) => onUpstreamRequest(h) } : {}),
    ...(onResponse ? { onResponse: (_s: unknown, h: string[]) => onResponse(h) } : {}),
  };
}

/** Whether the route's responseHeaders set or add Cache-Control: no-transform. */
function setsNoTransform(route: RouteConfig): boolean {
  const edits = route.responseHeaders;
  if (edits === undefined) return false;
  for (const record of [edits.set, edits.add]) {
    for (const [name, value] of Object.entries(record)) if (name.toLowerCase() === 'cache-control' && /no-transform/i.test(value)) return true;
  }
  return false;
}

function flatHeaders(record: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(record)) out.push(name, value);
  return out;
}

/**
 * Builds a runtime from a validated config. Throws only on I/O problems (unreadable TLS files).
 * Target states (health, ejections, latency) come from `registry`, so a reload that keeps a
 * target keeps what was learned about it.
 */
export function buildRuntime(config: Config, logger: Logger, registry = new TargetStateRegistry(), previousCache?: SharedCache, binding: StateBinding = NO_STATE): Runtime {
  try {
    const runtime = assembleRuntime(config, logger, registry, previousCache, binding);
    registry.commit();
    return runtime;
  } catch (err) {
    // The running runtime shares the kept target states: give them their settings back.
    registry.rollback();
    throw err;
  }
}

const NO_STATE: StateBinding = { redis: undefined, tier: undefined, limiters: undefined };

function assembleRuntime(config: Config, logger: Logger, registry: TargetStateRegistry, previousCache: SharedCache | undefined, binding: StateBinding): Runtime {
  const upstreams = new Map<string, CompiledUpstream>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    upstreams.set(name, buildUpstream(name, upstream, config.server.limits.maxHeaderBytes, registry, logger, binding));
  }
  // One store for every route, sized by the top-level cache.maxBytes; built only when used.
  // A reload keeps the stored responses (and their counters) when the cache's size is unchanged.
  const cache = !config.routes.some((r) => r.cache?.enabled === true)
    ? undefined
    : previousCache !== undefined && previousCache.maxBytes === config.cache.maxBytes
      ? previousCache
      : createSharedCache(config.cache.maxBytes);
  const hiddenResponseHeaders = new HeaderNameSet(config.server.hideResponseHeaders);
  const routes = createRouteTable<CompiledRoute>(config.routes, (route, index) => {
    let action: RouteAction;
    let timeouts = { responseHeaders: 60_000, idle: 60_000 };
    let perTryTimeout = 0;
    if (route.upstream !== undefined) {
      const upstream = upstreams.get(route.upstream);
      if (!upstream) throw new Error(`routes[${index}].upstream: unknown upstream ${route.upstream}`);
      action = { kind: 'upstream', upstream };
      timeouts = { ...config.upstreams[route.upstream]!.timeouts };
      perTryTimeout = upstream.retry.perTryTimeout;
    } else if (route.redirect !== undefined) {
      action = { kind: 'redirect', to: route.redirect.to, status: route.redirect.status };
    } else {
      const respond = route.respond!;
      action = { kind: 'respond', status: respond.status, body: Buffer.from(respond.body), headers: flatHeaders(respond.headers) };
    }
    const filters: Filter[] = [];
    // Access control first: its onRequest runs before any other filter's (and before the cache).
    const access = createAccessFilter({ route: route.name ?? `route-${index}`, keyPath: `routes[${index}]`, access: route.access, rateLimit: route.rateLimit, hiddenResponseHeaders });
    if (access) filters.push(access);
    const edits = headerEditFilter(route);
    if (edits) filters.push(edits);
    // Last: X-Request-Id on every answer of the route, traceparent and upstream timing on every try.
    filters.push(observabilityFilter);
    return {
      name: route.name ?? `route-${index}`,
      action,
      rewritePath: createPathRewriter(route.rewrite),
      upstreamHost: route.rewrite?.host ?? 'keep',
      filters,
      maxBodyBytes: route.maxBodyBytes ?? config.server.limits.maxBodyBytes,
      sendOptions: {
        responseHeadersTimeout: Math.min(route.timeouts?.responseHeaders ?? timeouts.responseHeaders, perTryTimeout || Infinity),
        idleTimeout: route.timeouts?.idle ?? timeouts.idle,
      },
      storedHits: edits?.onResponse === undefined,
      websocket: route.websocket,
      websocketIdleTimeout: route.timeouts?.websocketIdle ?? config.server.limits.websocketIdleTimeout,
      cache: cache !== undefined && route.cache?.enabled === true && action.kind === 'upstream' ? new RouteCache(cache, route.cache) : undefined,
      // A route whose own header edits say no-transform never compresses (RFC 9111 §5.2.2.6);
      // decided here once, so cache hits (whose filters run after the decision) agree.
      compression: route.compression?.enabled === true && action.kind !== 'redirect' && !setsNoTransform(route) ? new RouteCompression(route.compression) : undefined,
    };
  });
  // Built completely: from here on nothing throws, so attaching to the fleet cannot leak.
  if (previousCache !== undefined && previousCache !== cache) previousCache.attachTier(undefined);
  cache?.attachTier(binding.tier);
  const detach: (() => void)[] = [];
  const redis = binding.redis;
  if (redis !== undefined && redis.config.shareEjections) {
    const onEject = (e: { upstream: string; target: string; ms: number }): void => {
      const upstream = upstreams.get(e.upstream);
      const target = upstream?.targets.find((t) => t.url === e.target);
      const outlier = config.upstreams[e.upstream]?.outlierDetection;
      if (upstream === undefined || target === undefined || outlier === undefined || !outlier.enabled) return;
      if (applyRemoteEjection(upstream.targets.map((t) => t.state), target.state, e.ms, outlier)) logger.info({ upstream: e.upstream, target: e.target, ms: e.ms }, 'target ejected: announced by another instance');
    };
    redis.on('eject', onEject);
    detach.push(() => redis.off('eject', onEject));
  }
  return {
    detach,
    config,
    routes,
    trusted: createTrustedProxies(config.server.trustedProxies),
    hiddenResponseHeaders,
    upstreams,
    accessLog: createAccessLog(config.logging.accessLog),
    logger,
    inFlight: 0,
    cache,
  };
}

/** Starts what a runtime runs in the background: active health checks. */
export function startRuntime(runtime: Runtime): void {
  for (const upstream of runtime.upstreams.values()) upstream.checker?.start();
}

/** Releases a runtime that is no longer served: health checks stop, idle upstream connections close. */
export async function closeRuntime(runtime: Runtime): Promise<void> {
  for (const undo of runtime.detach) undo();
  const stopping: Promise<void>[] = [];
  for (const upstream of runtime.upstreams.values()) {
    if (upstream.checker) stopping.push(upstream.checker.stop());
    for (const t of upstream.targets) t.pool.close();
  }
  runtime.accessLog.flush();
  await Promise.all(stopping);
}
