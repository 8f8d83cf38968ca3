/**
 * A runtime is everything built from one validated config: the compiled route table, the
 * upstream pools and policies, the loggers. It is built once (never per request); a reload
 * builds a new one beside the old and swaps one reference.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { createRoundRobin, type BalancingPolicy } from '../balancer/index.js';
import type { Config } from '../config/schema.js';
import { createAccessLog, type AccessLog } from '../observability/access-log.js';
import type { Logger } from '../observability/logger.js';
import type { RouteConfig } from '../routing/config.js';
import { createPathRewriter, createRouteTable, type PathRewriter, type RouteTable } from '../routing/index.js';
import { TargetPool } from '../upstream/target-pool.js';
import { createTrustedProxies, type TrustedProxies } from '../upstream/trusted-proxies.js';
import type { UpstreamConfig } from '../upstream/config.js';
import type { Filter } from './filter.js';
import { compileHeaderEdits } from './header-edits.js';

export interface UpstreamTarget {
  readonly url: string;
  readonly weight: number;
  readonly pool: TargetPool;
}

export interface CompiledUpstream {
  readonly name: string;
  readonly targets: readonly UpstreamTarget[];
  readonly policy: BalancingPolicy<UpstreamTarget>;
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
  readonly responseHeadersTimeout: number;
  readonly idleTimeout: number;
}

export interface Runtime {
  readonly config: Config;
  readonly routes: RouteTable<CompiledRoute>;
  readonly trusted: TrustedProxies;
  readonly hiddenResponseHeaders: ReadonlySet<string>;
  readonly upstreams: ReadonlyMap<string, CompiledUpstream>;
  readonly accessLog: AccessLog;
  readonly logger: Logger;
}

function tlsOptions(config: UpstreamConfig['tls']): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: config.verify };
  if (config.caFile) options.ca = readFileSync(config.caFile);
  if (config.certFile) options.cert = readFileSync(config.certFile);
  if (config.keyFile) options.key = readFileSync(config.keyFile);
  if (config.serverName) options.servername = config.serverName;
  return options;
}

function buildUpstream(name: string, config: UpstreamConfig, maxHeaderBytes: number): CompiledUpstream {
  const tls = config.targets.some((t) => t.url.startsWith('https:')) ? tlsOptions(config.tls) : undefined;
  const targets = config.targets.map((t) => ({
    url: t.url,
    weight: t.weight,
    pool: new TargetPool({
      url: t.url,
      maxConnections: config.maxConnectionsPerTarget,
      connectTimeout: config.timeouts.connect,
      idleTimeout: config.timeouts.idle,
      // Response heads from origins may be larger than what clients are allowed to send.
      maxResponseHeaderBytes: Math.max(maxHeaderBytes, 64 * 1024),
      ...(tls ? { tls } : {}),
    }),
  }));
  return { name, targets, policy: createRoundRobin(targets) };
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

function flatHeaders(record: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(record)) out.push(name, value);
  return out;
}

/** Builds a runtime from a validated config. Throws only on I/O problems (unreadable TLS files). */
export function buildRuntime(config: Config, logger: Logger): Runtime {
  const upstreams = new Map<string, CompiledUpstream>();
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    upstreams.set(name, buildUpstream(name, upstream, config.server.limits.maxHeaderBytes));
  }
  const routes = createRouteTable<CompiledRoute>(config.routes, (route, index) => {
    let action: RouteAction;
    let timeouts = { responseHeaders: 60_000, idle: 60_000 };
    if (route.upstream !== undefined) {
      const upstream = upstreams.get(route.upstream);
      if (!upstream) throw new Error(`routes[${index}].upstream: unknown upstream ${route.upstream}`);
      action = { kind: 'upstream', upstream };
      timeouts = { ...config.upstreams[route.upstream]!.timeouts };
    } else if (route.redirect !== undefined) {
      action = { kind: 'redirect', to: route.redirect.to, status: route.redirect.status };
    } else {
      const respond = route.respond!;
      action = { kind: 'respond', status: respond.status, body: Buffer.from(respond.body), headers: flatHeaders(respond.headers) };
    }
    const filters: Filter[] = [];
    const edits = headerEditFilter(route);
    if (edits) filters.push(edits);
    return {
      name: route.name ?? `route-${index}`,
      action,
      rewritePath: createPathRewriter(route.rewrite),
      upstreamHost: route.rewrite?.host ?? 'keep',
      filters,
      maxBodyBytes: route.maxBodyBytes ?? config.server.limits.maxBodyBytes,
      responseHeadersTimeout: route.timeouts?.responseHeaders ?? timeouts.responseHeaders,
      idleTimeout: route.timeouts?.idle ?? timeouts.idle,
    };
  });
  return {
    config,
    routes,
    trusted: createTrustedProxies(config.server.trustedProxies),
    hiddenResponseHeaders: new Set(config.server.hideResponseHeaders.map((h) => h.toLowerCase())),
    upstreams,
    accessLog: createAccessLog(config.logging.accessLog),
    logger,
  };
}

/** Releases a runtime that is no longer served: idle upstream connections are closed. */
export function closeRuntime(runtime: Runtime): void {
  for (const upstream of runtime.upstreams.values()) for (const t of upstream.targets) t.pool.close();
  runtime.accessLog.flush();
}
