/**
 * Freshness (RFC 9111 §4.2): how long a stored response stays fresh, and how old it is.
 * Everything here is computed once, when a response is stored; a hit only adds the time the
 * response has been resident and compares two numbers.
 */
import type { CacheControl } from './cache-control.js';

/**
 * §4.2.2: status codes that are heuristically cacheable (RFC 9110 §15.1). 206 is left out:
 * Barbican does not store partial content.
 */
export const HEURISTICALLY_CACHEABLE = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** §4.2.2: the fraction of (Date - Last-Modified) used as heuristic lifetime ("10% is typical"). */
export const HEURISTIC_FRACTION = 0.1;

/** The header values freshness depends on (undefined when absent). */
export interface FreshnessInput {
  status: number;
  cc: Readonly<CacheControl>;
  date: string | undefined;
  expires: string | undefined;
  lastModified: string | undefined;
  age: string | undefined;
}

/** An HTTP-date (RFC 9110 §5.6.7) in ms, or NaN. */
export function parseHttpDate(value: string | undefined): number {
  return value === undefined ? NaN : Date.parse(value);
}

/**
 * §4.2.1 freshness_lifetime in seconds, for a shared cache: s-maxage, else max-age, else
 * Expires − Date, else the heuristic of §4.2.2, else 0. `responseTime` (ms) stands in for a
 * missing or invalid Date.
 */
export function freshnessLifetime(r: FreshnessInput, responseTime: number): number {
  // §4.2.1 / §5.2.2.10: s-maxage overrides max-age and Expires for shared caches.
  if (r.cc.sMaxAge >= 0) return r.cc.sMaxAge;
  // §5.2.2.1: max-age overrides Expires.
  if (r.cc.maxAge >= 0) return r.cc.maxAge;
  const date = dateValue(r.date, responseTime);
  if (r.expires !== undefined) {
    // §5.3: an invalid Expires (such as "0") means already expired.
    const expires = parseHttpDate(r.expires);
    return Number.isNaN(expires) ? 0 : Math.max(0, Math.floor((expires - date) / 1000));
  }
  // §4.2.2: heuristics only without explicit expiration, for heuristically cacheable codes or
  // responses marked public.
  if (r.lastModified !== undefined && (HEURISTICALLY_CACHEABLE.has(r.status) || r.cc.public)) {
    const lastModified = parseHttpDate(r.lastModified);
    if (!Number.isNaN(lastModified) && lastModified < date) return Math.floor(((date - lastModified) / 1000) * HEURISTIC_FRACTION);
  }
  return 0;
}

/** Whether the response says how long it is fresh (§4.2.1), as opposed to a heuristic. */
export function hasExplicitExpiration(r: FreshnessInput): boolean {
  return r.cc.sMaxAge >= 0 || r.cc.maxAge >= 0 || r.expires !== undefined;
}

function dateValue(date: string | undefined, responseTime: number): number {
  const d = parseHttpDate(date);
  return Number.isNaN(d) ? responseTime : d;
}

/**
 * §4.2.3 corrected_initial_age in ms: the age the response already had when it was received.
 *   apparent_age = max(0, response_time − date_value)
 *   corrected_age_value = age_value + (response_time − request_time)
 *   corrected_initial_age = max(apparent_age, corrected_age_value)
 * `requestTime` and `responseTime` are ms timestamps taken by this cache.
 */
export function initialAge(r: Pick<FreshnessInput, 'date' | 'age'>, requestTime: number, responseTime: number): number {
  const apparent = Math.max(0, responseTime - dateValue(r.date, responseTime));
  const ageValue = r.age !== undefined && /^\d+$/.test(r.age.trim()) ? Number(r.age.trim()) * 1000 : 0;
  const corrected = ageValue + Math.max(0, responseTime - requestTime);
  return Math.max(apparent, corrected);
}

/** §4.2.3 current_age in ms = corrected_initial_age + resident_time. */
export function currentAge(initialAgeMs: number, responseTime: number, now: number): number {
  return initialAgeMs + Math.max(0, now - responseTime);
}
