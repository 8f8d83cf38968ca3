/**
 * A client answered from a stored response: its own conditionals (RFC 9111 §4.3.2) and its
 * Range (RFC 9110 §14) decide between 200, 304 and 206. Used by fresh hits, stale hits
 * (RFC 5861) and the answers after a revalidation (§4.3.4).
 */
import { currentAge } from './freshness.js';
import { selectRange, type ByteRange } from './range.js';
import type { CachedResponse } from './store.js';
import type { HeaderReader } from './vary.js';

/** What the pipeline writes for an answer from the store. */
export interface StoredHit {
  response: CachedResponse;
  /** The primary key it is stored under (for CacheStore.attach). */
  key: string;
  /** Age in seconds (§5.1). */
  age: number;
  cacheStatus: string;
  /** Answer 304: the client's own validators match (§4.3.2). */
  notModified: boolean;
  /** Answer 206 with this range (RFC 9110 §14.2), or null. */
  range: ByteRange | null;
}

/** Writes a StoredHit to the client (the pipeline's hit path); used by tees that answer from the store. */
export type ServeStored = (hit: StoredHit) => void;

/** The request as far as an answer from the store depends on it. */
export interface HitRequest {
  readonly method: string;
  header(name: string): string | undefined;
}

export function storedHit(req: HitRequest, r: CachedResponse, key: string, now: number, cacheStatus: string): StoredHit {
  const header: HeaderReader = (n) => req.header(n);
  const notMod = notModified(r, header);
  return {
    response: r,
    key,
    age: Math.floor(currentAge(r.initialAge, r.responseTime, now) / 1000),
    cacheStatus,
    notModified: notMod,
    range: notMod ? null : selectRange(req.method, header('range'), header('if-range'), r),
  };
}

/** Seconds of freshness left (§4.2; negative when stale), for Cache-Status ttl (RFC 9211 §2.6). */
export function ttlSeconds(r: CachedResponse, now: number): number {
  return Math.floor((r.lifetime - currentAge(r.initialAge, r.responseTime, now)) / 1000);
}

/**
 * §4.3.2: a client's conditional GET/HEAD answered from a stored response. If-None-Match
 * (weak comparison, RFC 9110 §13.1.2) takes precedence over If-Modified-Since (§13.1.3).
 */
export function notModified(r: CachedResponse, header: HeaderReader): boolean {
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

/** RFC 9110 §15.4.5: a 304 carries the validators and caching fields, not the content's metadata. */
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified']);

/** The lines of a stored response's head that a 304 answered from it carries. */
export function notModifiedHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (NOT_MODIFIED_FIELDS.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  return out;
}
