/**
 * What a cache store keeps, and the interface every store implements (the in-memory store
 * now; a shared Redis store later). Stored responses are complete: a partial body is never
 * handed to a store.
 */

/**
 * Another representation made from a stored response and kept beside it (a compressed copy of
 * its body: compression/), so that later hits do not make it again. Charged to the store's
 * budget and removed with the response.
 */
export interface DerivedRepresentation {
  /** Header lines as sent to clients (the stored ones, edited for this representation). */
  readonly headers: string[];
  /** The same lines serialized, Content-Length of `body` included (see CachedResponse.head). */
  readonly head: string;
  readonly body: Buffer;
}

/** One stored response: one variant of one primary key (RFC 9111 §4.1). */
export interface CachedResponse {
  readonly status: number;
  /** Header lines as sent to clients [name, value, …], without Age and framing headers. */
  headers: string[];
  /**
   * The same lines serialized once, when stored (`Name: value\r\n` each, then Content-Length
   * unless the status has no content), so a hit writes them without building them again.
   * Rebuilt with serializeStoredHead whenever `headers` change.
   */
  head: string;
  readonly body: Buffer;
  /** Lower-case request header names this variant was selected by (Vary + key headers), or null. */
  readonly varyNames: readonly string[] | null;
  readonly varyValues: readonly (string | undefined)[];
  /** Identity of the variant within its key. */
  readonly variantId: string;
  /** §4.2.3 corrected_initial_age, ms. */
  initialAge: number;
  /** When the response was received (ms since the epoch): resident time counts from here. */
  responseTime: number;
  /** §4.2.1 freshness_lifetime, ms. */
  lifetime: number;
  readonly mustRevalidate: boolean;
  readonly noCache: boolean;
  /** Validators, for conditional requests (RFC 9110 §13). */
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /**
   * RFC 5861 §3 stale-while-revalidate and §4 stale-if-error given by the response, ms; -1 when
   * the response does not say (the route's defaults apply).
   */
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
  /** Purge tags from Cache-Tag / Surrogate-Key (never sent to clients: tags.ts). */
  readonly tags: readonly string[];
  /** Representations derived from this one, by name (CacheStore.attach); null until one is made. */
  derived: Map<string, DerivedRepresentation> | null;
  /** Bytes charged to the store's budget (derived representations included). */
  size: number;
}

/** A store of complete responses by primary key (cache-key.ts), each key with its variants. */
export interface CacheStore {
  /** The variants stored under `key` (most recently stored first), marking the key as used. */
  get(key: string): readonly CachedResponse[] | undefined;
  /** Stores a variant, replacing one with the same variantId. False when it does not fit. */
  put(key: string, response: CachedResponse): boolean;
  /**
   * Keeps `rep` with the stored `response` of `key` under `name`, charged to the budget (least
   * recently used keys are evicted for it). False when `response` is no longer stored (replaced,
   * evicted, purged) or the budget cannot hold it.
   */
  attach(key: string, response: CachedResponse, name: string, rep: DerivedRepresentation): boolean;
  /** Removes every variant of `key` (RFC 9111 §4.4); true if something was removed. */
  delete(key: string): boolean;
  /**
   * Removes every stored response `match` accepts (purge by prefix or tag); returns how many.
   * Walks the whole store: for the admin API, not the request path.
   */
  purge(match: (key: string, response: CachedResponse) => boolean): number;
  /** Bytes in use and the budget. */
  readonly bytes: number;
  readonly maxBytes: number;
  /** Number of stored responses (variants). */
  readonly count: number;
}

/** Approximate bytes a derived representation costs (a body shared with its response is not counted again). */
export function derivedSize(rep: DerivedRepresentation, of: CachedResponse): number {
  let n = 64 + rep.head.length + (rep.body === of.body ? 0 : rep.body.length);
  for (const h of rep.headers) n += h.length + 16;
  return n;
}

/** Approximate bytes a response costs: body, header strings, and a fixed overhead for the objects. */
export function responseSize(headers: readonly string[], body: Buffer, varyId: string): number {
  let n = 256 + body.length + varyId.length;
  for (const h of headers) n += h.length + 16;
  return n;
}

/** `headers` as wire lines plus the Content-Length of `bodyLength` (none for 204/304: RFC 9110 §8.6). */
export function serializeStoredHead(status: number, headers: readonly string[], bodyLength: number): string {
  const parts: string[] = [];
  for (let i = 0; i < headers.length; i += 2) parts.push(headers[i]!, ': ', headers[i + 1]!, '\r\n');
  if (status !== 204 && status !== 304) parts.push('Content-Length: ', String(bodyLength), '\r\n');
  return parts.join('');
}
