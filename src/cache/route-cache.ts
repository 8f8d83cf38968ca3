/**
 * A route's view of the shared cache: the lookup before the upstream phase (RFC 9111 §4) and
 * the listener the upstream phase feeds (store or invalidate). The store and the collapser are
 * shared by every route (SharedCache); options are per route.
 */
import { NO_DIRECTIVES, parseCacheControl, type CacheControl } from './cache-control.js';
import { FWD_BYPASS_REQUEST, FWD_METHOD, forwardStatus, hitStatus, staleHitStatus, type ForwardReason } from './cache-status.js';
import { cacheKey, compileIgnoredParams } from './cache-key.js';
import { Collapser } from './collapser.js';
import type { RouteCacheConfig } from './config.js';
import { currentAge } from './freshness.js';
import { MemoryStore } from './memory-store.js';
import { storedHit, type ServeStored, type StoredHit } from './hit.js';
import { purgePrefix, purgeTag, purgeUrl, type PurgeWhat } from './purge.js';
import { Refresh } from './refresh.js';
import { CacheFill, Invalidator, PassThrough, type ResponseTee } from './response-tee.js';
import type { SecondTier } from './second-tier.js';
import type { CachedResponse, CacheStore, DerivedRepresentation } from './store.js';
import { varyMatches, type HeaderReader } from './vary.js';

/** The request as the cache sees it (the pipeline's Session fits). */
export interface CacheRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  header(name: string): string | undefined;
}

/** Counters for metrics (runtime.cache.stats). */
export interface CacheStats {
  /** Answers from the store, fresh or stale. */
  hits: number;
  /** Requests that went forward for a GET/HEAD (uri-miss, vary-miss, stale, request). */
  misses: number;
  /** Stale responses served (stale-while-revalidate, stale-if-error: RFC 5861). */
  stale: number;
  /** Stored responses freshened by a 304 (RFC 9111 §4.3.4). */
  revalidated: number;
  /** Responses stored, and their bytes (cumulative). */
  stores: number;
  storedBytes: number;
  /** Responses removed by the admin API's purge (here or, announced, on another instance). */
  purged: number;
  /** Misses in memory answered from the second tier (Redis). */
  tierHits: number;
  /** Misses in memory that found nothing in the second tier. */
  tierMisses: number;
  /** Misses that waited for another instance's fill (cross-instance collapsing). */
  tierWaits: number;
  /** Bytes and responses in the store now. */
  readonly bytes: number;
  readonly entries: number;
}

/** The store, the collapser and the counters, built once per runtime from the top-level `cache`. */
export class SharedCache {
  readonly collapser = new Collapser();
  readonly stats: CacheStats;
  constructor(
    readonly store: CacheStore,
    /** The byte budget it was built for (a reload keeps the cache only when this is unchanged). */
    readonly maxBytes = Infinity,
  ) {
    this.stats = {
      hits: 0, misses: 0, stale: 0, revalidated: 0, stores: 0, storedBytes: 0, purged: 0, tierHits: 0, tierMisses: 0, tierWaits: 0,
      get bytes() { return store.bytes; },
      get entries() { return store.count; },
    };
  }

  /**
   * Purges every variant of one URL, the URLs under a prefix, or the responses tagged `tag`;
   * resolves how many this instance's memory held once the purge is done. With a second tier,
   * the purge is also applied to the tier (resolved after it, so a request sent after the answer
   * cannot be served from it) and announced to every instance, which applies it to its memory.
   */
  async purge(what: PurgeWhat): Promise<number> {
    const n = this.purgeLocal(what);
    if (this.tier !== undefined) await this.tier.purge(what);
    return n;
  }

  private purgeLocal(what: PurgeWhat): number {
    const n = 'url' in what ? purgeUrl(this.store, what.url) : 'prefix' in what ? purgePrefix(this.store, what.prefix) : purgeTag(this.store, what.tag);
    this.stats.purged += n;
    return n;
  }

  /** The second tier (Redis), or undefined: memory only. */
  tier: SecondTier | undefined;
  private unsubscribe: (() => void) | undefined;

  /**
   * Uses `tier` from now on (a reload may change or remove it while the memory store is kept);
   * purges and invalidations announced by other instances are applied to the memory store.
   */
  attachTier(tier: SecondTier | undefined): void {
    if (tier === this.tier) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.tier = tier;
    if (tier === undefined) return;
    this.unsubscribe = tier.subscribe({
      purge: (what) => void this.purgeLocal(what),
      invalidate: (keys) => {
        for (const key of keys) this.store.delete(key);
      },
    });
  }
}

export function createSharedCache(maxBytes: number): SharedCache {
  return new SharedCache(new MemoryStore(maxBytes), maxBytes);
}

export type CacheLookup =
  /**
   * Answer from the store (hit.ts: 200, the client's own 304 §4.3.2, or 206). `refresh`: a
   * stale-while-revalidate hit whose background refresh the pipeline starts after answering.
   */
  | { kind: 'hit'; hit: StoredHit; refresh: ResponseTee | null }
  /** Go upstream, telling `tee` about the response. */
  | { kind: 'forward'; tee: ResponseTee }
  /** Another request is fetching this key: wait for it (Collapser.wait), then look again. */
  | { kind: 'wait'; key: string }
  /** §5.2.1.7 only-if-cached and nothing usable: 504. */
  | { kind: 'unsatisfiable' }
  /**
   * A miss in memory being asked of the second tier (Redis): `next` is the answer (a hit from
   * the tier, or forward — after another instance's fill when one was in progress). Only with
   * a second tier; this request is the local collapser's leader for the key meanwhile.
   */
  | { kind: 'later'; next: Promise<CacheLookup> };

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
  lookup(req: CacheRequest, scheme: string, now: number, collapse: boolean, serve: ServeStored | null = null, askTier = true): CacheLookup {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      if (SAFE.has(method)) return { kind: 'forward', tee: PASS_METHOD };
      const tier = this.shared.tier;
      return { kind: 'forward', tee: new Invalidator(this.shared.store, (l) => this.invalidationKeys(req, scheme, l), FWD_METHOD, tier === undefined ? undefined : (keys) => tier.invalidate(keys)) };
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
    let stale: CachedResponse | null = null;
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
          return { kind: 'hit', hit: storedHit(req, r, key, now, hitStatus(ttl, !collapse)), refresh: null };
        }
        // RFC 5861 §3: stale within stale-while-revalidate: answer now, refresh once in the background.
        const swr = this.staleWhileRevalidate(r);
        if (swr > 0 && age >= r.lifetime && age - r.lifetime <= swr && !reqCc.noCache && reqCc.maxAge < 0 && reqCc.minFresh < 0) {
          shared.stats.hits++;
          shared.stats.stale++;
          const refresh = shared.collapser.isPending(key) ? null : this.refresh(req, key, r, 'stale', null, true);
          return { kind: 'hit', hit: storedHit(req, r, key, now, staleHitStatus(ttl, 'stale-while-revalidate')), refresh };
        }
        reason = reqCc.noCache || r.lifetime > age ? 'request' : 'stale';
        stale = r;
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
    // §4.3: a stale (or not-to-be-used-unvalidated) stored response is revalidated.
    if (stale !== null) return { kind: 'forward', tee: this.refresh(req, key, stale, reason, serve, collapsible) };
    if (collapsible) shared.collapser.begin(key);
    // Not in memory: the second tier next (it holds the fleet's fills), then the origin.
    const tier = shared.tier;
    if (collapsible && askTier && variants === undefined && tier !== undefined && tier.available()) {
      return { kind: 'later', next: this.fromTier(tier, req, scheme, key, serve) };
    }
    return { kind: 'forward', tee: this.fill(req, key, reason, collapsible) };
  }

  /**
   * The second tier's answer for a key missing from memory; this request is the local leader
   * (local misses of the key wait for it). Found: the variants are copied to memory, the local
   * waiters wake, and the request is looked up again in memory (so freshness, Vary and
   * stale-while-revalidate are judged by the same code as any hit). Not found: this instance
   * either holds the fleet-wide fill lock (it fetches; the others wait for it) or waits for the
   * instance that does, then looks in the tier once more.
   */
  private fromTier(tier: SecondTier, req: CacheRequest, scheme: string, key: string, serve: ServeStored | null): Promise<CacheLookup> {
    // Whatever goes wrong, the leader goes to the origin (and settles the local waiters).
    return this.askTier(tier, req, scheme, key, serve).catch((): CacheLookup => ({ kind: 'forward', tee: this.fill(req, key, 'uri-miss', true) }));
  }

  private async askTier(tier: SecondTier, req: CacheRequest, scheme: string, key: string, serve: ServeStored | null): Promise<CacheLookup> {
    const shared = this.shared;
    let answer = await tier.fetchOrLock(key);
    if (answer.kind === 'wait') {
      shared.stats.tierWaits++;
      await answer.filled;
      const variants = await tier.fetch(key);
      answer = variants === undefined ? { kind: 'miss' } : { kind: 'hit', variants };
    }
    if (answer.kind === 'hit') {
      shared.stats.tierHits++;
      // Oldest first, so memory keeps the tier's order (most recently stored first).
      for (let i = answer.variants.length - 1; i >= 0; i--) shared.store.put(key, answer.variants[i]!);
      shared.collapser.settle(key);
      // The miss was counted when memory was asked; the second look is not another request.
      shared.stats.misses--;
      return this.lookup(req, scheme, Date.now(), true, serve, false);
    }
    shared.stats.tierMisses++;
    return { kind: 'forward', tee: this.fill(req, key, 'uri-miss', true, answer.kind === 'lock') };
  }

  private fill(req: CacheRequest, key: string, reason: ForwardReason, leader: boolean, fleetLeader = false): CacheFill {
    const shared = this.shared;
    const tier = shared.tier;
    return new CacheFill(req, {
      store: shared.store,
      collapser: shared.collapser,
      key,
      leader,
      reason,
      maxObjectBytes: this.options.maxObjectBytes,
      keyHeaders: this.keyHeaders,
      servesStale: this.options.staleWhileRevalidate > 0 || this.options.staleIfError > 0,
      onStored: (bytes) => {
        shared.stats.stores++;
        shared.stats.storedBytes += bytes;
      },
      // With a second tier: what was stored is copied to it; the fleet-wide lock is released
      // (and the waiting instances told) only once the copy is there to be read.
      ...(tier === undefined
        ? {}
        : {
            onSettled: (stored: CachedResponse | null) => {
              const copy = stored === null ? Promise.resolve() : tier.put(key, stored);
              if (fleetLeader) void copy.then(() => tier.release(key));
            },
          }),
    });
  }

  /** A revalidation of `stale` (§4.3), answering through `serve`, or a background one (serve null). */
  private refresh(req: CacheRequest, key: string, stale: CachedResponse, reason: ForwardReason, serve: ServeStored | null, leader: boolean): Refresh {
    const stats = this.shared.stats;
    if (leader) this.shared.collapser.begin(key);
    return new Refresh(req, this.fill(req, key, reason, leader), {
      store: this.shared.store,
      key,
      stale,
      reason,
      staleIfError: this.staleIfError(stale),
      serve,
      onRevalidated: () => stats.revalidated++,
      onStaleServed: () => stats.stale++,
    });
  }

  /**
   * RFC 5861 §3 window in ms: the response's directive, else the route's default. Never for a
   * response that must not be served stale (no-cache §5.2.2.4, must-revalidate §5.2.2.2).
   */
  private staleWhileRevalidate(r: CachedResponse): number {
    if (r.noCache || r.mustRevalidate) return -1;
    return r.staleWhileRevalidate >= 0 ? r.staleWhileRevalidate : this.options.staleWhileRevalidate;
  }

  /**
   * RFC 5861 §4 window in ms: the response's directive (the origin's explicit permission), else
   * the route's default unless the response forbids serving it stale (§5.2.2.2, §5.2.2.4).
   */
  private staleIfError(r: CachedResponse): number {
    if (r.staleIfError >= 0) return r.staleIfError;
    return r.noCache || r.mustRevalidate ? 0 : this.options.staleIfError;
  }

  /**
   * Keeps a representation derived from the response of `hit` (a compressed copy) with it,
   * charged to the store's budget; false when it was not kept (CacheStore.attach).
   */
  attach(hit: StoredHit, name: string, rep: DerivedRepresentation): boolean {
    return this.shared.store.attach(hit.key, hit.response, name, rep);
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
