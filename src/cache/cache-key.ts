/**
 * The primary cache key (RFC 9111 §2): method (HEAD shares GET's entries), scheme, host, path
 * and query without the route's ignored parameters. Configured key headers are not part of the
 * primary key: they select a variant like Vary does (vary.ts), so invalidating a URL (§4.4)
 * removes all of its variants.
 */

/** Compiles `key.ignoreQueryParams` globs (`*` matches any characters) into one test. */
export function compileIgnoredParams(globs: readonly string[]): ((name: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const source = globs.map((g) => g.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|');
  const re = new RegExp(`^(?:${source})$`);
  return (name) => re.test(name);
}

/** The query (with its "?") without ignored parameters; "" when nothing is left. */
export function keyQuery(query: string, ignored: ((name: string) => boolean) | undefined): string {
  if (ignored === undefined || query === '') return query;
  const kept: string[] = [];
  for (const pair of query.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // a malformed escape: match the raw name
    }
    if (!ignored(decoded)) kept.push(pair);
  }
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

/** `GET` key for GET and HEAD: "scheme://host/path?query" (host lower-cased, §4 RFC 3986 §6.2.2.1). */
export function cacheKey(scheme: string, host: string, path: string, query: string, ignored: ((name: string) => boolean) | undefined): string {
  return `${scheme}://${host.toLowerCase()}${path}${keyQuery(query, ignored)}`;
}
