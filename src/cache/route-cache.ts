/**
 * A route's view of the shared cache: the lookup before the upstream phase (RFC 9111 §4) and
 * the listener the upstream phase feeds (store or invalidate). The store and the collapser are
 * shared by every route (SharedCache); options are per route.
 */
import { NO_DIRECTIVES, parseCacheControl, type CacheControl } from './cache-control.js';
import { FWD_BYPASS_REQUEST, FWD_METHOD, forwardStatus, hitStatus, type ForwardReason } from './cache-status.js';
import { cacheKey, compileIgnoredParams } from './cache-key.js';
import { Collapser } from './collapser.js';
import type { RouteCacheConfig } from './config.js';
import { currentAge } from './freshness.js';
import { MemoryStore } from './memory-store.js';
import { CacheFill, Invalidator, PassThrough, type ResponseTee } from './response-tee.js';
import type { CachedResponse, CacheStore } from './store.js';
import { varyMatches, type HeaderReader } from './vary.js';

/** The request as the cache sees it (the pipeline's Session fits). */
export interface CacheRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  header(name: string): string | undefined;
}

/** Counters for metrics. */
export interface CacheStats {
  hits: number;
  misses: number;
  stores: number;
  storedBytes: number;
}

/** The store, the collapser and the counters, built once per runtime from the top-level `cache`. */
export class SharedCache {
  readonly collapser = new Collapser();
  readonly stats: CacheStats = { hits: 0, misses: 0, stores: 0, storedBytes: 0 };
  constructor(readonly store: CacheStore) {}
}

export function createSharedCache(maxBytes: number): SharedCache {
  return new SharedCache(new MemoryStore(maxBytes));
}

export type CacheLookup =
  /** Answer from the store: `notModified` when the client's own validators match (§4.3.2). */
  | { kind: 'hit'; response: CachedResponse; age: number; cacheStatus: string; notModified: boolean }
  /** Go upstream, telling `tee` about the response. */
  | { kind: 'forward'; tee: ResponseTee }
  /** Another request is fetching this key: wait for it (Collapser.wait), then look again. */
  | { kind: 'wait'; key: string }
  /** §5.2.1.7 only-if-cached and nothing usable: 504. */
  | { kind: 'unsatisfiable' };

/** RFC 9110 §9.2.1: safe methods never invalidate. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const PASS_METHOD = new PassThrough(FWD_METHOD);
const PASS_REQUEST = new PassThrough(FWD_BYPASS_REQUEST);

export class RouteCache {
  private readonly ignored: ((name: string) => boolean) | undefined;
  private readonly keyHeaders: readonly string[];

  constructor(
    private readonly shared: SharedCache,
    private readonly options: RouteCacheConfig,
  ) {
    this.ignored = compileIgnoredParams(options.key.ignoreQueryParams);
    this.keyHeaders = options.key.headers.map((h) => h.toLowerCase());
  }

  /**
   * §4: how to answer `req`. `collapse` is false for a request that already waited once (it
   * must not wait again). `now` in ms.
   */
  lookup(req: CacheRequest, scheme: string, now: number, collapse: boolean): CacheLookup {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      if (SAFE.has(method)) return { kind: 'forward', tee: PASS_METHOD };
      return { kind: 'forward', tee: new Invalidator(this.shared.store, (l) => this.invalidationKeys(req, scheme, l), FWD_METHOD) };
    }
    const reqCc = parseCacheControl(req.header('cache-control'));
    // §5.2.1.5: a request with no-store is neither served from nor stored in the cache.
    if (reqCc.noStore) {
      if (reqCc.onlyIfCached) return { kind: 'unsatisfiable' };
      return { kind: 'forward', tee: PASS_REQUEST };
    }
    const key = cacheKey(scheme, req.host, req.path, req.query, this.ignored);
    const shared = this.shared;
    const variants = shared.store.get(key);
    const header: HeaderReader = (n) => req.header(n);
    let reason: ForwardReason = 'uri-miss';
    if (variants !== undefined) {
      reason = 'vary-miss';
      for (const r of variants) {
        // §4.1: a variant whose selecting headers match.
        if (!varyMatches(r.varyNames, r.varyValues, header)) continue;
        const age = currentAge(r.initialAge, r.responseTime, now);
        const ttl = Math.floor((r.lifetime - age) / 1000);
        // §5.2.1.4 request no-cache: the stored response must not be used without validation.
        if (!reqCc.noCache && isUsable(r, age, reqCc)) {
          shared.stats.hits++;
          return { kind: 'hit', response: r, age: Math.floor(age / 1000), cacheStatus: hitStatus(ttl, !collapse), notModified: notModified(r, header) };
        }
        reason = reqCc.noCache || r.lifetime > age ? 'request' : 'stale';
        break;
      }
    }
    // §5.2.1.7: only-if-cached and nothing usable: 504.
    if (reqCc.onlyIfCached) return { kind: 'unsatisfiable' };
    shared.stats.misses++;
    // HEAD responses have no body to store; a HEAD may still share a GET being fetched.
    const collapsible = collapse && !reqCc.noCache && req.header('range') === undefined && !isConditional(header);
    if (collapsible && shared.collapser.isPending(key)) return { kind: 'wait', key };
    if (method === 'HEAD') return { kind: 'forward', tee: new PassThrough(forwardStatus(reason, false)) };
    if (collapsible) shared.collapser.begin(key);
    const tee = new CacheFill(req, {
      store: shared.store,
      collapser: shared.collapser,
      key,
      leader: collapsible,
      reason,
      maxObjectBytes: this.options.maxObjectBytes,
      keyHeaders: this.keyHeaders,
      onStored: (bytes) => {
        shared.stats.stores++;
        shared.stats.storedBytes += bytes;
      },
    });
    return { kind: 'forward', tee };
  }

  /** Waits for the fetch of `key` started by another request; returns a function that stops waiting. */
  wait(key: string, wake: () => void): () => void {
    return this.shared.collapser.wait(key, wake);
  }

  /** §4.4: the request URI, and same-origin Location / Content-Location targets. */
  private invalidationKeys(req: CacheRequest, scheme: string, locations: readonly string[]): string[] {
    const keys = [cacheKey(scheme, req.host, req.path, req.query, this.ignored)];
    if (locations.length === 0) return keys;
    const origin = `${scheme}://${req.host.toLowerCase()}`;
    for (const location of locations) {
      let url: URL;
      try {
        url = new URL(location, `${origin}${req.path}`);
      } catch {
        continue;
      }
      if (url.origin !== new URL(origin).origin) continue;
      keys.push(cacheKey(scheme, req.host, url.pathname, url.search, this.ignored));
    }
    return keys;
  }
}

/**
 * Whether a matching stored response may be used for this request without going forward:
 * §4.2 fresh, narrowed by request max-age (§5.2.1.1) and min-fresh (§5.2.1.3), widened by
 * max-stale (§5.2.1.2) unless the response says must-revalidate / proxy-revalidate
 * (§5.2.2.2, §5.2.2.8) or no-cache (§5.2.2.4).
 */
export function isUsable(r: CachedResponse, ageMs: number, reqCc: Readonly<CacheControl> = NO_DIRECTIVES): boolean {
  if (r.noCache) return false;
  if (reqCc.maxAge >= 0 && ageMs > reqCc.maxAge * 1000) return false;
  const remaining = r.lifetime - ageMs;
  if (reqCc.minFresh >= 0 && remaining < reqCc.minFresh * 1000) return false;
  if (remaining > 0) return true;
  return reqCc.maxStale >= 0 && !r.mustRevalidate && -remaining <= reqCc.maxStale * 1000;
}

function isConditional(header: HeaderReader): boolean {
  return header('if-none-match') !== undefined || header('if-modified-since') !== undefined;
}

/**
 * §4.3.2: a client's conditional GET/HEAD answered from a stored response. If-None-Match
 * (weak comparison, RFC 9110 §13.1.2) takes precedence over If-Modified-Since (§13.1.3).
 */
function notModified(r: CachedResponse, header: HeaderReader): boolean {
  if (r.status !== 200) return false;
  const inm = header('if-none-match');
  if (inm !== undefined) {
    if (r.etag === undefined) return false;
    if (inm.trim() === '*') return true;
    const tag = opaque(r.etag);
    return inm.split(',').some((t) => opaque(t.trim()) === tag);
  }
  const ims = header('if-modified-since');
  if (ims === undefined || r.lastModified === undefined) return false;
  const since = Date.parse(ims);
  const modified = Date.parse(r.lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

function opaque(etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}
