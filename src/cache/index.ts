/** The shared HTTP cache (RFC 9111) and Cache-Status (RFC 9211): public API. */
export { cacheSchema, routeCacheSchema, type CacheConfig, type RouteCacheConfig } from './config.js';
export { parseCacheControl, type CacheControl } from './cache-control.js';
export { freshnessLifetime, initialAge, currentAge, HEURISTICALLY_CACHEABLE } from './freshness.js';
export { isStorable, notStorableReason } from './storability.js';
export { cacheKey, compileIgnoredParams, keyQuery } from './cache-key.js';
export { MemoryStore } from './memory-store.js';
export { serializeStoredHead, type CachedResponse, type CacheStore, type DerivedRepresentation } from './store.js';
export { Collapser } from './collapser.js';
export type { ResponseTee } from './response-tee.js';
export { notModifiedHeaders, storedHit, type ServeStored, type StoredHit } from './hit.js';
export { contentRange, selectRange, type ByteRange } from './range.js';
export { refreshFrom304, withValidators } from './revalidation.js';
export { takeTags } from './tags.js';
export { keyOfUrl, keyPrefixOf, type PurgeWhat } from './purge.js';
export { encodeStored, decodeStored } from './stored-codec.js';
export type { SecondTier, TierFetch } from './second-tier.js';
export { createSharedCache, isUsable, RouteCache, SharedCache, type CacheLookup, type CacheRequest, type CacheStats } from './route-cache.js';
