/**
 * Events the instances of a fleet tell each other over one Redis pub/sub channel
 * (`<keyPrefix>events`). Pub/sub is at-most-once: an instance that is disconnected when an event
 * is published misses it, which is why each use stays correct without it (a missed purge leaves
 * a local copy until it expires; a missed "filled" ends a wait at lockTime).
 */

import type { PurgeWhat } from '../cache/index.js';

export type FleetEvent =
  /** Admin purge (POST /api/cache/purge) on one instance: apply to the local tier everywhere. */
  | { t: 'purge'; from: string; what: PurgeWhat }
  /** RFC 9111 §4.4 invalidation by an unsafe request on one instance. */
  | { t: 'invalidate'; from: string; keys: string[] }
  /** The fleet-wide fill of `key` is over (stored in Redis or not): waiters look again. */
  | { t: 'filled'; from: string; key: string }
  /** Outlier detection ejected a target for `ms` on one instance. */
  | { t: 'eject'; from: string; upstream: string; target: string; ms: number };

const isString = (v: unknown): v is string => typeof v === 'string';

/** A received message, or undefined when it is not a well-formed event (another fleet's version, noise). */
export function parseEvent(message: string): FleetEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  if (!isString(e.from)) return undefined;
  switch (e.t) {
    case 'purge': {
      const w = e.what as Record<string, unknown> | null;
      if (w === null || typeof w !== 'object') return undefined;
      if (isString(w.url)) return { t: 'purge', from: e.from, what: { url: w.url } };
      if (isString(w.prefix)) return { t: 'purge', from: e.from, what: { prefix: w.prefix } };
      if (isString(w.tag)) return { t: 'purge', from: e.from, what: { tag: w.tag } };
      return undefined;
    }
    case 'invalidate':
      return Array.isArray(e.keys) && e.keys.every(isString) ? { t: 'invalidate', from: e.from, keys: e.keys } : undefined;
    case 'filled':
      return isString(e.key) ? { t: 'filled', from: e.from, key: e.key } : undefined;
    case 'eject':
      return isString(e.upstream) && isString(e.target) && typeof e.ms === 'number' && e.ms > 0 ? { t: 'eject', from: e.from, upstream: e.upstream, target: e.target, ms: Math.min(e.ms, 3_600_000) } : undefined;
    default:
      return undefined;
  }
}
