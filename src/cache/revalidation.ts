/**
 * Revalidation of a stored response (RFC 9111 §4.3): the conditional request the cache sends
 * (§4.3.1) and the update of the stored response from a 304 (§4.3.4, with the rules of §3.2).
 */
import { buildStored, NOT_STORED, readResponseFields } from './stored-response.js';
import type { CachedResponse } from './store.js';

/** Whether `r` has a validator to revalidate with (RFC 9110 §8.8). */
export function hasValidator(r: CachedResponse): boolean {
  return r.etag !== undefined || r.lastModified !== undefined;
}

/**
 * Request fields replaced on a revalidation: the client's own preconditions and ranges are
 * about its copy; the cache asks about the stored one, for the whole content (RFC 9110 §13,
 * §14.2), and answers the client's conditionals and Range itself.
 */
const CLIENT_CONDITIONS = new Set(['if-none-match', 'if-modified-since', 'range', 'if-range']);

/**
 * §4.3.1: the upstream request headers with the stored response's validators: its entity tag
 * in If-None-Match (RFC 9110 §13.1.2) and its Last-Modified in If-Modified-Since (§13.1.3).
 */
export function withValidators(headers: readonly string[], r: CachedResponse): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!CLIENT_CONDITIONS.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  if (r.etag !== undefined) out.push('If-None-Match', r.etag);
  if (r.lastModified !== undefined) out.push('If-Modified-Since', r.lastModified);
  return out;
}

/** §3.2: fields of a 304 that do not replace the stored ones (the stored content's framing). */
const NOT_UPDATED = new Set(['content-length', 'content-range', ...NOT_STORED]);

/**
 * §4.3.4 / §3.2: the stored response `r` updated from a 304 to the cache's conditional
 * request: every field the 304 carries replaces all stored lines of the same name; freshness
 * and age are computed again from the result (§4.2), the head serialized again. The 304
 * answers the validators this cache sent, so it is about `r` (§4.3.4 selection is the one
 * variant that was revalidated). `tags` replace the stored tags when the 304 carried some.
 */
export function refreshFrom304(r: CachedResponse, headers304: readonly string[], tags: readonly string[], requestTime: number, responseTime: number): CachedResponse {
  const replaced = new Set<string>();
  let age: string | undefined;
  for (let i = 0; i < headers304.length; i += 2) {
    const lower = headers304[i]!.toLowerCase();
    if (lower === 'age') age = headers304[i + 1];
    else if (!NOT_UPDATED.has(lower)) replaced.add(lower);
  }
  const merged: string[] = [];
  for (let i = 0; i < r.headers.length; i += 2) {
    if (!replaced.has(r.headers[i]!.toLowerCase())) merged.push(r.headers[i]!, r.headers[i + 1]!);
  }
  for (let i = 0; i < headers304.length; i += 2) {
    if (replaced.has(headers304[i]!.toLowerCase())) merged.push(headers304[i]!, headers304[i + 1]!);
  }
  const fields = readResponseFields(r.status, merged);
  // §4.2.3: the age is the 304's (Age is never stored, so it is not among the merged lines).
  fields.fresh.age = age;
  return buildStored({
    status: r.status,
    fields,
    body: r.body,
    varyNames: r.varyNames,
    varyValues: r.varyValues,
    variantId: r.variantId,
    tags: tags.length > 0 ? tags : r.tags,
    requestTime,
    responseTime,
  });
}
