/**
 * Purge (the admin API's `POST /api/cache/purge`): removing stored responses on the
 * operator's word, by exact URL (every variant, like RFC 9111 §4.4 invalidation), by URL
 * prefix, or by tag (tags.ts). URLs are compared as cache keys (cache-key.ts): scheme, host
 * in lower case, path and query as sent — a route's ignored query parameters are not in the key.
 */
import type { CacheStore } from './store.js';

/** What a purge removes: one URL's variants, every URL under a prefix, or every response with a tag. */
export type PurgeWhat = { url: string } | { prefix: string } | { tag: string };

/** The cache-key form of an absolute http(s) URL (host lower-cased), or undefined if it is not one. */
export function keyOfUrl(url: string): string | undefined {
  const m = /^(https?):\/\/([^/?#]+)([^?#]*)(\?[^#]*)?/i.exec(url.trim());
  if (m === null) return undefined;
  return `${m[1]!.toLowerCase()}://${m[2]!.toLowerCase()}${m[3] === '' ? '/' : m[3]!}${m[4] === undefined || m[4] === '?' ? '' : m[4]}`;
}

/** Every variant stored under `url`; returns how many were removed. */
export function purgeUrl(store: CacheStore, url: string): number {
  const key = keyOfUrl(url);
  if (key === undefined) return 0;
  return store.purge((k) => k === key);
}

/** Every response whose key starts with `prefix` (scheme://host/path…). */
export function purgePrefix(store: CacheStore, prefix: string): number {
  const p = keyPrefixOf(prefix);
  if (p === undefined) return 0;
  return store.purge((k) => k.startsWith(p));
}

/** The cache-key prefix of a purge prefix (scheme and host lower-cased), or undefined. */
export function keyPrefixOf(prefix: string): string | undefined {
  const m = /^(https?:\/\/[^/?#]*)(.*)$/i.exec(prefix.trim());
  return m === null ? undefined : m[1]!.toLowerCase() + m[2]!;
}

/** Every response tagged `tag` (Cache-Tag / Surrogate-Key). */
export function purgeTag(store: CacheStore, tag: string): number {
  return store.purge((_k, r) => r.tags.includes(tag));
}
