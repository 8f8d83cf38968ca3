/**
 * The route table: every route compiled once, matched per request (first match wins).
 *
 * Routes are indexed by host so a request only tests the routes that can match its host, in
 * their original order. For each host that the config names, the table precomputes the list of
 * routes whose `hosts` condition holds for that host (exact entries, wildcards covering it,
 * and routes without `hosts`), sorted by position. A request then does one map lookup of its
 * raw Host value (memoized; normalization only on a miss) and a linear scan of that list: the
 * first route whose other conditions hold wins, exactly as a scan of the whole table would
 * decide. In the steady state a match allocates nothing.
 */
import type { RouteConfig } from './config.js';
import {
  type CompiledConditions,
  type HostPattern,
  type MatchInput,
  compileConditions,
  compileHostPattern,
  conditionsHold,
  normalizeHost,
} from './matchers.js';

/**
 * A compiled route table. Its answers never change (only an internal memo of Host values
 * does): a config reload builds a new table.
 */
export interface RouteTable<T> {
  /** The payload of the first route (in config order) whose every condition holds, or undefined. */
  match(req: MatchInput): T | undefined;
  /** The config index of the first matching route, or -1. */
  matchIndex(req: MatchInput): number;
  /** Number of routes. */
  readonly size: number;
}

interface CompiledRoute<T> {
  readonly index: number;
  readonly payload: T;
  readonly conditions: CompiledConditions;
}

/**
 * Above this many distinct wildcard suffixes, a request host's suffixes are looked up in a map
 * (one short string per label); at or below it, the suffixes are tried with `endsWith`, which
 * allocates nothing.
 */
const WILDCARD_SCAN_LIMIT = 8;

/**
 * The host → candidates memo: at most this many raw Host values, each at most
 * HOST_CACHE_MAX_KEY characters (a DNS name is at most 253, RFC 1035 §2.3.4, plus a port).
 * When full it is cleared, so random Host values (a scan, an attack) cost memory bounded by
 * these two numbers and one normalization each, as without the memo.
 */
const HOST_CACHE_MAX_ENTRIES = 1024;
const HOST_CACHE_MAX_KEY = 300;

class CompiledRouteTable<T> implements RouteTable<T> {
  readonly size: number;
  /** All routes, in order: the candidates when no route names a host. */
  readonly #all: readonly CompiledRoute<T>[];
  /** False when no route has `hosts`: the Host header is then not even looked at. */
  readonly #hostIndexed: boolean;
  /** Normalized exact host → candidate routes, in order. */
  readonly #byHost: ReadonlyMap<string, readonly CompiledRoute<T>[]>;
  /** Wildcard suffix (`.example.com`) → candidate routes for hosts whose longest wildcard suffix it is. */
  readonly #byWildcard: ReadonlyMap<string, readonly CompiledRoute<T>[]>;
  /** The wildcard suffixes, longest first (so the first hit is the longest matching suffix). */
  readonly #wildcards: readonly string[];
  /** Routes without `hosts`: the candidates for a host that no entry names. */
  readonly #anyHost: readonly CompiledRoute<T>[];
  /**
   * Raw Host value → candidates. Clients send the same few Host values over and over; a hit
   * costs one lookup of the raw string (hashed once per request, as the plain host lookup
   * would need anyway) and skips normalizing it, which allocates when a port or upper case
   * has to go (and in optimized `toLowerCase` even when nothing changes).
   */
  readonly #hostCache = new Map<string, readonly CompiledRoute<T>[]>();

  constructor(routes: readonly CompiledRoute<T>[], hosts: readonly (readonly HostPattern[] | null)[]) {
    this.size = routes.length;
    this.#all = routes;
    this.#hostIndexed = hosts.some((h) => h !== null);
    this.#anyHost = routes.filter((_, i) => hosts[i] === null);

    const exactKeys = new Set<string>();
    const wildcardKeys = new Set<string>();
    for (const patterns of hosts) {
      for (const p of patterns ?? []) {
        if (p.kind === 'exact') exactKeys.add(p.host);
        else wildcardKeys.add(p.suffix);
      }
    }

    // A request whose host equals an exact entry H: every route naming H, every wildcard
    // covering H, and every route without hosts.
    const byHost = new Map<string, CompiledRoute<T>[]>();
    for (const host of exactKeys) {
      byHost.set(host, routes.filter((_, i) => {
        const patterns = hosts[i];
        return patterns === null || patterns.some((p) =>
          p.kind === 'exact' ? p.host === host : host.length > p.suffix.length && host.endsWith(p.suffix));
      }));
    }

    // A request host h that no exact entry names, whose longest matching wildcard suffix is S:
    // the wildcards matching h are exactly those that are suffixes of S (each is a suffix of h
    // no longer than S), and no exact entry matches h.
    const byWildcard = new Map<string, CompiledRoute<T>[]>();
    for (const suffix of wildcardKeys) {
      byWildcard.set(suffix, routes.filter((_, i) => {
        const patterns = hosts[i];
        return patterns === null || patterns.some((p) => p.kind === 'wildcard' && suffix.endsWith(p.suffix));
      }));
    }

    this.#byHost = byHost;
    this.#byWildcard = byWildcard;
    this.#wildcards = [...wildcardKeys].sort((a, b) => b.length - a.length);
  }

  match(req: MatchInput): T | undefined {
    const list = this.#candidates(req.host);
    for (let i = 0; i < list.length; i++) {
      const route = list[i];
      if (conditionsHold(route.conditions, req)) return route.payload;
    }
    return undefined;
  }

  matchIndex(req: MatchInput): number {
    const list = this.#candidates(req.host);
    for (let i = 0; i < list.length; i++) {
      const route = list[i];
      if (conditionsHold(route.conditions, req)) return route.index;
    }
    return -1;
  }

  /** The routes whose host condition holds for this Host header, in config order. */
  #candidates(rawHost: string | undefined): readonly CompiledRoute<T>[] {
    if (!this.#hostIndexed) return this.#all;
    if (rawHost === undefined) return this.#anyHost;
    const cache = this.#hostCache;
    const cached = cache.get(rawHost);
    if (cached !== undefined) return cached;
    const list = this.#candidatesForHost(normalizeHost(rawHost));
    if (rawHost.length <= HOST_CACHE_MAX_KEY) {
      if (cache.size >= HOST_CACHE_MAX_ENTRIES) cache.clear();
      cache.set(rawHost, list);
    }
    return list;
  }

  /** The candidates for a normalized host. */
  #candidatesForHost(host: string): readonly CompiledRoute<T>[] {
    const exact = this.#byHost.get(host);
    if (exact !== undefined) return exact;
    const wildcards = this.#wildcards;
    if (wildcards.length === 0) return this.#anyHost;
    if (wildcards.length <= WILDCARD_SCAN_LIMIT) {
      for (let i = 0; i < wildcards.length; i++) {
        const suffix = wildcards[i];
        // host.length > suffix.length: the label before the suffix is not empty, and
        // `*.example.com` does not match `example.com` (suffix `.example.com` is longer).
        if (host.length > suffix.length && host.endsWith(suffix)) return this.#byWildcard.get(suffix)!;
      }
      return this.#anyHost;
    }
    // Many wildcards: try the host's suffixes at each dot, longest first. i > 0 keeps the
    // first label non-empty.
    for (let i = host.indexOf('.', 1); i !== -1; i = host.indexOf('.', i + 1)) {
      const list = this.#byWildcard.get(host.slice(i));
      if (list !== undefined) return list;
    }
    return this.#anyHost;
  }
}

/**
 * Compiles routes into a table. `payload` is called once per route, in order, and its result is
 * what `match` returns for that route (typically the route's runtime: upstream, filters...).
 *
 * Throws one Error listing every problem (with its config path, e.g. `routes[2].match.hosts[0]`)
 * if a route cannot be compiled: a `hosts` entry with no host left once the port and trailing
 * dot are removed (`.`, `:80`), or a `pathRegex` that does not compile (the schema rules that out).
 */
export function createRouteTable<T>(
  routes: readonly RouteConfig[],
  payload: (route: RouteConfig, index: number) => T,
): RouteTable<T> {
  const problems: string[] = [];
  const conditions: CompiledConditions[] = [];
  const hosts: (HostPattern[] | null)[] = [];

  routes.forEach((route, i) => {
    const match = route.match ?? {};
    try {
      conditions.push(compileConditions(match));
    } catch (err) {
      problems.push(`routes[${i}].match.${(err as Error).message}`);
    }
    if (match.hosts === undefined) {
      hosts.push(null);
    } else {
      // An empty list is a condition no host satisfies (the route never matches), not "any host".
      const patterns: HostPattern[] = [];
      match.hosts.forEach((entry, j) => {
        const p = compileHostPattern(entry);
        if (p === undefined) problems.push(`routes[${i}].match.hosts[${j}]: "${entry}" names no host`);
        else patterns.push(p);
      });
      hosts.push(patterns);
    }
  });
  if (problems.length > 0) throw new Error(`invalid routes:\n  ${problems.join('\n  ')}`);

  const compiled = routes.map((route, index): CompiledRoute<T> => ({
    index,
    payload: payload(route, index),
    conditions: conditions[index],
  }));
  return new CompiledRouteTable(compiled, hosts);
}
