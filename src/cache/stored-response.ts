/**
 * Reading the caching fields of a response head, and building the stored form of a response
 * (CachedResponse): shared by a fill (RFC 9111 §3) and by the update of a stored response
 * from a 304 (§3.2, §4.3.4), so both compute freshness and the pre-serialized head alike.
 */
import { parseCacheControl } from './cache-control.js';
import { freshnessLifetime, initialAge, type FreshnessInput } from './freshness.js';
import { responseSize, serializeStoredHead, type CachedResponse } from './store.js';

/**
 * Headers never stored: Age is recomputed on every hit (§4.2.3, §5.1); X-Request-Id names the
 * request that filled the entry, and every hit carries its own.
 */
export const NOT_STORED = new Set(['age', 'x-request-id']);

/** The fields of a response head the cache acts on. */
export interface ResponseFields {
  fresh: FreshnessInput;
  etag: string | undefined;
  vary: string | undefined;
  setCookie: boolean;
  /** The header lines to store (without NOT_STORED). */
  kept: string[];
}

/** Reads `headers` (flat [name, value, …], hop-by-hop and framing fields already removed). */
export function readResponseFields(status: number, headers: readonly string[]): ResponseFields {
  let cacheControl: string | undefined;
  let date: string | undefined;
  let expires: string | undefined;
  let lastModified: string | undefined;
  let age: string | undefined;
  let vary: string | undefined;
  let etag: string | undefined;
  let setCookie = false;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'cache-control': cacheControl = cacheControl === undefined ? value : `${cacheControl}, ${value}`; break;
      case 'date': date = value; break;
      case 'expires': expires = value; break;
      case 'last-modified': lastModified = value; break;
      case 'age': age = value; break;
      case 'vary': vary = vary === undefined ? value : `${vary}, ${value}`; break;
      case 'set-cookie': setCookie = true; break;
      case 'etag': etag = value; break;
      default: break;
    }
    if (!NOT_STORED.has(lower)) kept.push(name, value);
  }
  return { fresh: { status, cc: parseCacheControl(cacheControl), date, expires, lastModified, age }, etag, vary, setCookie, kept };
}

/** What identifies a variant (vary.ts) and where its body and tags come from. */
export interface StoredParts {
  status: number;
  fields: ResponseFields;
  body: Buffer;
  varyNames: readonly string[] | null;
  varyValues: readonly (string | undefined)[];
  variantId: string;
  tags: readonly string[];
  /** When this cache sent the request and received the response (ms), for §4.2.3 age. */
  requestTime: number;
  responseTime: number;
}

/** The stored form: freshness computed once (§4.2.1, §4.2.3), head serialized once. */
export function buildStored(p: StoredParts): CachedResponse {
  const { fresh, kept } = p.fields;
  const cc = fresh.cc;
  return {
    status: p.status,
    headers: kept,
    head: serializeStoredHead(p.status, kept, p.body.length),
    body: p.body,
    varyNames: p.varyNames,
    varyValues: p.varyValues,
    variantId: p.variantId,
    initialAge: initialAge(fresh, p.requestTime, p.responseTime),
    responseTime: p.responseTime,
    lifetime: freshnessLifetime(fresh, p.responseTime) * 1000,
    // §5.2.2.2 must-revalidate; §5.2.2.8 proxy-revalidate applies to shared caches.
    mustRevalidate: cc.mustRevalidate || cc.proxyRevalidate,
    noCache: cc.noCache,
    etag: p.fields.etag,
    lastModified: fresh.lastModified,
    staleWhileRevalidate: cc.staleWhileRevalidate >= 0 ? cc.staleWhileRevalidate * 1000 : -1,
    staleIfError: cc.staleIfError >= 0 ? cc.staleIfError * 1000 : -1,
    tags: p.tags,
    // A refreshed response (§4.3.4) starts without them: its head changed.
    derived: null,
    size: responseSize(kept, p.body, p.variantId),
  };
}
