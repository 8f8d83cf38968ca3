/**
 * The listener of a request forwarded while a stale stored response exists (RFC 9111 §4.3):
 * it sends the stored validators (§4.3.1); a 304 updates the stored response (§4.3.4) and the
 * client is answered from it; a new full response replaces it (through CacheFill, §4.3.3);
 * when the origin fails within stale-if-error the stale response is served (RFC 5861 §4).
 * The same listener runs a background refresh for stale-while-revalidate (RFC 5861 §3), with
 * no client to answer (`serve` null).
 */
import { storedAfterForwardStatus, type ForwardReason } from './cache-status.js';
import { currentAge } from './freshness.js';
import { storedHit, ttlSeconds, type HitRequest, type ServeStored, type StoredHit } from './hit.js';
import type { CacheFill, ResponseTee } from './response-tee.js';
import { hasValidator, refreshFrom304, withValidators } from './revalidation.js';
import type { CachedResponse, CacheStore } from './store.js';
import { takeTags } from './tags.js';

/** RFC 5861 §4: "an error is any situation that would result in a 500, 502, 503, or 504". */
export const ERROR_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

export interface RefreshOptions {
  store: CacheStore;
  key: string;
  /** The stale stored response. */
  stale: CachedResponse;
  reason: ForwardReason;
  /** RFC 5861 §4 window in ms (0: none). */
  staleIfError: number;
  /** Answers the client from the store; null for a background refresh. */
  serve: ServeStored | null;
  onRevalidated?: () => void;
  onStaleServed?: () => void;
}

export class Refresh implements ResponseTee {
  private readonly requestTime = Date.now();
  private readonly revalidating: boolean;
  /** The answer from the store, once decided (replaced() is then true). */
  private pending: StoredHit | null = null;

  constructor(
    private readonly req: HitRequest,
    /** Stores a full response that replaces the stale one; owns the collapser's key. */
    private readonly fill: CacheFill,
    private readonly o: RefreshOptions,
  ) {
    this.revalidating = hasValidator(o.stale);
  }

  upstreamHeaders(headers: string[]): string[] {
    return this.revalidating ? withValidators(headers, this.o.stale) : headers;
  }

  onHead(status: number, headers: string[], contentLength: number): string {
    const now = Date.now();
    if (status === 304 && this.revalidating) {
      // §4.3.4: freshen the stored response, then release requests waiting for this key.
      const fresh = refreshFrom304(this.o.stale, headers, takeTags(headers), this.requestTime, now);
      this.o.store.put(this.o.key, fresh);
      this.fill.onAbort();
      this.o.onRevalidated?.();
      const cacheStatus = storedAfterForwardStatus(this.o.reason, 304, ttlSeconds(fresh, now));
      this.pending = storedHit(this.req, fresh, this.o.key, now, cacheStatus);
      return cacheStatus;
    }
    if (ERROR_STATUSES.has(status) && this.withinStaleIfError(now)) {
      // RFC 5861 §4: keep the stale response rather than storing or sending the error.
      takeTags(headers);
      this.fill.onAbort();
      const cacheStatus = storedAfterForwardStatus(this.o.reason, status, ttlSeconds(this.o.stale, now), 'stale-if-error');
      this.pending = storedHit(this.req, this.o.stale, this.o.key, now, cacheStatus);
      return cacheStatus;
    }
    return this.fill.onHead(status, headers, contentLength);
  }

  /** A background refresh has no client to answer: its response goes on to nowhere. */
  replaced(): boolean {
    return this.pending !== null && this.o.serve !== null;
  }

  answer(): void {
    const hit = this.pending;
    if (hit === null || this.o.serve === null) return;
    if (hit.response === this.o.stale) this.o.onStaleServed?.();
    this.o.serve(hit);
  }

  rescue(status: number): boolean {
    const now = Date.now();
    if (this.o.serve === null || !ERROR_STATUSES.has(status) || !this.withinStaleIfError(now)) return false;
    this.fill.onAbort();
    this.o.onStaleServed?.();
    this.o.serve(storedHit(this.req, this.o.stale, this.o.key, now, storedAfterForwardStatus(this.o.reason, undefined, ttlSeconds(this.o.stale, now), 'stale-if-error')));
    return true;
  }

  onData(chunk: Buffer): void {
    if (this.pending === null) this.fill.onData(chunk);
  }

  onEnd(): void {
    if (this.pending === null) this.fill.onEnd();
  }

  onAbort(): void {
    this.fill.onAbort();
  }

  /** RFC 5861 §4: staleness (current age past the lifetime) within the window. */
  private withinStaleIfError(now: number): boolean {
    const r = this.o.stale;
    if (this.o.staleIfError <= 0) return false;
    return currentAge(r.initialAge, r.responseTime, now) - r.lifetime <= this.o.staleIfError;
  }
}
