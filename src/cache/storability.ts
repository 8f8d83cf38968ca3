/**
 * Whether a response may be stored by a shared cache (RFC 9111 §3), and the rules added on
 * top of it by Barbican (stated where they are stricter than the RFC).
 */
import type { CacheControl } from './cache-control.js';
import { hasExplicitExpiration, HEURISTICALLY_CACHEABLE, type FreshnessInput } from './freshness.js';

export interface StorabilityInput extends FreshnessInput {
  method: string;
  reqCc: Readonly<CacheControl>;
  /** The request carried Authorization (§3.5). */
  authorized: boolean;
  vary: string | undefined;
  /** The response sets a cookie. */
  setCookie: boolean;
}

/** Why a response is not stored (undefined: storable). Reasons are for tests and debug logs. */
export function notStorableReason(r: StorabilityInput): string | undefined {
  // §3: the request method is understood and cacheable (GET; HEAD responses have no body to store).
  if (r.method !== 'GET') return 'method';
  // §3: a final status code; 206 (no Range support here) and 304 (an answer to a client's own
  // conditional request) are not complete responses to store.
  if (r.status < 200 || r.status === 206 || r.status === 304) return 'status';
  // §3 / §5.2.1.5, §5.2.2.5: no-store in the request or the response.
  if (r.reqCc.noStore) return 'request no-store';
  if (r.cc.noStore) return 'no-store';
  // §3 / §5.2.2.7: private is never stored by a shared cache.
  if (r.cc.private) return 'private';
  // §3.5: a shared cache stores a response to a request with Authorization only when the
  // response explicitly allows it.
  if (r.authorized && !(r.cc.public || r.cc.mustRevalidate || r.cc.sMaxAge >= 0)) return 'authorization';
  // §4.1: Vary: * never matches a later request; storing it would be useless.
  if (r.vary !== undefined && r.vary.split(',').some((v) => v.trim() === '*')) return 'vary *';
  // Stricter than §3 (see §7.3 of the RFC on Set-Cookie): a cookie is per user; it is stored
  // only when the origin marks the response public.
  if (r.setCookie && !r.cc.public) return 'set-cookie';
  // §3: explicit freshness, public, or a heuristically cacheable status.
  if (!hasExplicitExpiration(r) && !r.cc.public && !HEURISTICALLY_CACHEABLE.has(r.status)) return 'not cacheable';
  return undefined;
}

/** §3: the response may be stored. */
export function isStorable(r: StorabilityInput): boolean {
  return notStorableReason(r) === undefined;
}
