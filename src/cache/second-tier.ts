/**
 * The second cache tier: a store shared by the instances of a fleet (Redis: state/
 * redis-cache-tier.ts), asked after the memory store and before the origin. The cache only
 * sees this interface. Every method settles (never rejects): an unavailable tier answers like
 * an empty one, so a failing tier falls back to the local cache and never fails a request.
 */
import type { PurgeWhat } from './purge.js';
import type { CachedResponse } from './store.js';

export type TierFetch =
  /** The tier holds variants of the key (most recently stored first). */
  | { kind: 'hit'; variants: CachedResponse[] }
  /** Nothing stored, and this instance now holds the fleet-wide fill lock: it fetches from the origin. */
  | { kind: 'lock' }
  /** Nothing stored, another instance is filling the key: `filled` settles when it is done (or after the lock time). */
  | { kind: 'wait'; filled: Promise<void> }
  /** Nothing stored and no lock (tier unavailable): fetch from the origin without fleet collapsing. */
  | { kind: 'miss' };

export interface SecondTier {
  /** Whether the tier can be asked now (no I/O; false while Redis is down or its circuit open). */
  available(): boolean;
  /** The variants of `key`, or the fill lock when there are none (one round trip). */
  fetchOrLock(key: string): Promise<TierFetch>;
  /** The variants of `key`, or undefined. */
  fetch(key: string): Promise<CachedResponse[] | undefined>;
  /** Stores a variant (skipped above the tier's size threshold: it stays local). */
  put(key: string, response: CachedResponse): Promise<void>;
  /** The fill of `key` by this instance is over: releases the lock and tells the waiting instances. */
  release(key: string): void;
  /** RFC 9111 §4.4 invalidation: removes `keys` from the tier and from every instance's memory. */
  invalidate(keys: readonly string[]): void;
  /** Admin purge: removes from the tier and tells every instance to purge its memory; resolves to the tier's count. */
  purge(what: PurgeWhat): Promise<number>;
  /** Purges and invalidations announced by other instances (applied to this instance's memory). */
  subscribe(handlers: { purge(what: PurgeWhat): void; invalidate(keys: readonly string[]): void }): () => void;
}
