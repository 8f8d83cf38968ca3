/**
 * Path rewriting before a request is forwarded: `rewrite.stripPrefix`, then `rewrite.addPrefix`.
 * Prefixes are prepared once per route; the per-request work is a few comparisons and at most
 * one or two string concatenations.
 */

/** Rewrites an origin-form request target (`/path?query`); the query is kept untouched. */
export type PathRewriter = (pathAndQuery: string) => string;

/** Drops trailing slashes, so `/v1/` and `/v1` mean the same prefix and `/` means none. */
function trimTrailingSlashes(prefix: string): string {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 47 /* / */) end--;
  return end === prefix.length ? prefix : prefix.slice(0, end);
}

/**
 * Returns the rewriter for a route's `rewrite` settings, or undefined when there is nothing to
 * do (no rewrite, or only `/` prefixes).
 *
 * - `stripPrefix` removes the prefix only at a segment boundary: `/v1` strips from `/v1/x`,
 *   `/v1` and `/v1?q`, not from `/v10`. The result always starts with `/` (`/v1` → `/`,
 *   `/v1?a=1` → `/?a=1`). A trailing slash on the prefix is ignored (`/v1/` acts as `/v1`).
 * - `addPrefix` is then prepended without doubling the slash at the join (`/api` or `/api/`
 *   + `/x` → `/api/x`; + `/` → `/api/`).
 * - The query string (from the first `?`) is never changed, and a target that is not in origin
 *   form (e.g. `*` for `OPTIONS *`) is returned as is.
 */
export function createPathRewriter(
  rewrite: { readonly stripPrefix?: string; readonly addPrefix?: string } | undefined,
): PathRewriter | undefined {
  if (rewrite === undefined) return undefined;
  let strip = trimTrailingSlashes(rewrite.stripPrefix ?? '');
  // A path prefix holding `?` could only match across the path/query boundary: never strip it.
  if (strip.includes('?')) strip = '';
  const add = trimTrailingSlashes(rewrite.addPrefix ?? '');
  if (strip === '' && add === '') return undefined;

  const stripLength = strip.length;
  const stripPrefix = (target: string): string => {
    if (!target.startsWith(strip)) return target;
    const next = target.charCodeAt(stripLength); // NaN past the end
    if (next === 47 /* / */) return target.slice(stripLength);
    if (Number.isNaN(next)) return '/';
    // The prefix is the whole path; what follows is the query.
    if (next === 63 /* ? */) return `/${target.slice(stripLength)}`;
    return target; // `/v1` against `/v10`: not a segment boundary
  };

  if (add === '') {
    return (target) => (target.charCodeAt(0) === 47 ? stripPrefix(target) : target);
  }
  if (strip === '') {
    return (target) => (target.charCodeAt(0) === 47 ? add + target : target);
  }
  return (target) => (target.charCodeAt(0) === 47 ? add + stripPrefix(target) : target);
}
