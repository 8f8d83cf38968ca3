/**
 * Schemas for `routes[].cache` (a route's use of the shared cache, RFC 9111) and the top-level
 * `cache` (the store shared by every route). Composed by routing/config.ts and config/schema.ts.
 */
import { z } from 'zod';
import { duration, size } from '../config/units.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.1 token
const headerName = z.string().regex(TOKEN, 'expected a header name (RFC 9110 token)');

export const cacheKeySchema = z.strictObject({
  ignoreQueryParams: z
    .array(z.string().min(1))
    .default([])
    .describe('Query parameters left out of the cache key; * matches any characters (utm_* drops utm_source, utm_medium…).'),
  headers: z.array(headerName).default([]).describe('Request headers whose values are part of the key (each value is its own variant, as with Vary).'),
});

export const routeCacheSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Serve and store responses of this route from the shared cache (RFC 9111).'),
    maxObjectBytes: size().default(8 * 1024 * 1024).describe('Largest response body stored; larger responses are passed through and not stored.'),
    staleWhileRevalidate: duration().default(0).describe('stale-while-revalidate used when the response does not say (RFC 5861 §3): for this long after it turns stale, a stored response is served at once while one background request refreshes it. Not for responses with no-cache or must-revalidate.'),
    staleIfError: duration().default(0).describe('stale-if-error used when the response does not say (RFC 5861 §4): for this long after it turns stale, a stored response is served when the origin fails (connection error, timeout, 500/502/503/504 after retries). Not for responses with no-cache or must-revalidate unless they carry the directive.'),
    key: cacheKeySchema.prefault({}).describe('What identifies a stored response besides method, scheme, host and path.'),
  })
  .describe('Shared HTTP cache for GET and HEAD (RFC 9111). Sends Cache-Status (RFC 9211) on every response of the route.');

export const cacheSchema = z
  .strictObject({
    maxBytes: size().default(256 * 1024 * 1024).describe('Memory budget of the in-memory store (bodies and headers); least recently used responses are evicted beyond it.'),
  })
  .describe('The shared response cache used by routes with cache.enabled.');

export type RouteCacheConfig = z.output<typeof routeCacheSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
