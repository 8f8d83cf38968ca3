/**
 * The `Cache-Status` response field (RFC 9211): one member for Barbican, with `hit` or
 * `fwd=<reason>` and the parameters that apply. Constant values are built once.
 */

/** §2.2 fwd: why the request went forward. */
export type ForwardReason = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale';

export const CACHE_NAME = 'Barbican';

/** §2.1 hit, with §2.6 ttl (seconds left of freshness; negative when served stale). */
export function hitStatus(ttlSeconds: number, collapsed: boolean): string {
  return collapsed ? `${CACHE_NAME}; fwd=miss; collapsed; ttl=${ttlSeconds}` : `${CACHE_NAME}; hit; ttl=${ttlSeconds}`;
}

/** §2.2 fwd, §2.5 stored (the response forwarded is being stored), §2.6 ttl. */
export function forwardStatus(reason: ForwardReason, stored: boolean, ttlSeconds?: number): string {
  let v = `${CACHE_NAME}; fwd=${reason}`;
  if (stored) v += '; stored';
  if (ttlSeconds !== undefined) v += `; ttl=${ttlSeconds}`;
  return v;
}

export const FWD_METHOD = forwardStatus('method', false);
export const FWD_BYPASS_REQUEST = forwardStatus('request', false);

/**
 * A stale stored response served: §2.1 hit (it was answered from the store), §2.2 fwd=stale
 * (the request also went forward: a background refresh, RFC 5861 §3), §2.6 negative ttl,
 * §2.8 detail naming why stale was allowed.
 */
export function staleHitStatus(ttlSeconds: number, detail: 'stale-while-revalidate'): string {
  return `${CACHE_NAME}; hit; fwd=stale; ttl=${ttlSeconds}; detail=${detail}`;
}

/**
 * The stored response served after going forward: revalidated by a 304 (§2.3 fwd-status=304)
 * or kept because the origin failed (RFC 5861 §4; fwd-status when the origin answered 5xx).
 */
export function storedAfterForwardStatus(reason: ForwardReason, fwdStatus: number | undefined, ttlSeconds: number, detail?: 'stale-if-error'): string {
  let v = `${CACHE_NAME}; fwd=${reason}`;
  if (fwdStatus !== undefined) v += `; fwd-status=${fwdStatus}`;
  v += `; ttl=${ttlSeconds}`;
  if (detail !== undefined) v += `; detail=${detail}`;
  return v;
}
