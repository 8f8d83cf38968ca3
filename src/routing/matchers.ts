/**
 * The conditions of one route's `match`, compiled once at build time and tested per request.
 *
 * Host conditions are not tested here route by route: the route table indexes routes by host
 * (see route-table.ts), so only the other conditions (path, methods, headers) run per route.
 * Everything that can be computed from the config (lower-case host sets, regexes, the HEAD→GET
 * rule, lower-case header names) is computed here, once.
 */
import type { MatchConfig } from './config.js';

/** What the route table needs to know about a request. Built by the proxy per request. */
export interface MatchInput {
  /** The raw Host header (or HTTP/2 :authority): may carry a port, be an IPv6 literal, have any case. */
  readonly host: string | undefined;
  /** The path without the query string, percent-encoded as the client sent it. */
  readonly path: string;
  /** The request method, as sent (methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** Returns the value of a header by its lower-case name (repeated fields joined with ", "), or undefined. */
  header(name: string): string | undefined;
}

/** A `hosts` entry, normalized: an exact host, or the `.example.com` suffix of `*.example.com`. */
export type HostPattern =
  | { readonly kind: 'exact'; readonly host: string }
  | { readonly kind: 'wildcard'; readonly suffix: string };

const DOT = 46;
const OPEN_BRACKET = 91;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Host names compare case-insensitively in ASCII only (RFC 4343 §3). `String#toLowerCase` is
 * Unicode-aware and would fold e.g. U+212A KELVIN SIGN to an ASCII `k`, letting a non-ASCII
 * Host header pose as a configured ASCII name; so a string that changed and holds non-ASCII
 * characters only gets its ASCII letters folded.
 */
function asciiLowerCase(s: string): string {
  const lower = s.toLowerCase();
  if (lower === s || !NON_ASCII.test(s)) return lower;
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Normalizes a Host header value for comparison: ASCII lower case, without the port, without
 * one trailing dot (an absolute DNS name, RFC 1034 §3.1). IPv6 literals keep their brackets
 * (`[::1]:8080` → `[::1]`); a bare IPv6 address (not valid in a Host header, RFC 9110 §7.2,
 * but accepted in config) is bracketed. Returns `''` for an absent or empty host.
 *
 * May allocate a short string (optimized `toLowerCase` does even when nothing changes); the
 * route table therefore memoizes its result per raw Host value (route-table.ts).
 */
export function normalizeHost(raw: string | undefined): string {
  if (raw === undefined) return '';
  let host = raw;
  if (raw.charCodeAt(0) === OPEN_BRACKET) {
    // IP-literal (RFC 3986 §3.2.2): the port, if any, follows the closing bracket.
    const close = raw.indexOf(']');
    if (close !== -1 && close !== raw.length - 1) host = raw.slice(0, close + 1);
  } else {
    const colon = raw.indexOf(':');
    if (colon !== -1) {
      if (raw.indexOf(':', colon + 1) !== -1) return `[${asciiLowerCase(raw)}]`; // bare IPv6
      host = raw.slice(0, colon);
    }
    if (host.charCodeAt(host.length - 1) === DOT) host = host.slice(0, -1);
  }
  return asciiLowerCase(host);
}

/**
 * Normalizes one `hosts` entry the same way as request hosts are normalized (so `Example.COM.`,
 * `example.com:8443` and `example.com` are the same entry: the port is ignored, as documented).
 * Returns undefined when nothing is left to match (e.g. `.` or `:80`).
 */
export function compileHostPattern(pattern: string): HostPattern | undefined {
  if (pattern.startsWith('*.')) {
    const base = normalizeHost(pattern.slice(2));
    return base === '' ? undefined : { kind: 'wildcard', suffix: `.${base}` };
  }
  const host = normalizeHost(pattern);
  return host === '' ? undefined : { kind: 'exact', host };
}

/**
 * True when a normalized host matches a pattern. `*.example.com` matches any subdomain at any
 * depth (`a.example.com`, `a.b.example.com`) but not `example.com` itself.
 */
export function hostMatches(pattern: HostPattern, host: string): boolean {
  if (pattern.kind === 'exact') return host === pattern.host;
  return host.length > pattern.suffix.length && host.endsWith(pattern.suffix);
}

/**
 * The non-host conditions of a route. Every field is always present (null when absent) so all
 * compiled conditions share one object shape and the per-request check stays monomorphic.
 */
export interface CompiledConditions {
  readonly path: string | null;
  readonly pathPrefix: string | null;
  readonly pathRegex: RegExp | null;
  /** Accepted methods; includes HEAD whenever GET is listed. */
  readonly methods: ReadonlySet<string> | null;
  /** Lower-case header names, parallel to `headerValues` (no per-request tuple destructuring). */
  readonly headerNames: readonly string[] | null;
  readonly headerValues: readonly string[];
}

/**
 * Compiles the path, method and header conditions of a `match`. Throws (with a message naming
 * the field) only if `pathRegex` does not compile, which the schema already rules out.
 */
export function compileConditions(match: MatchConfig): CompiledConditions {
  let methods: Set<string> | null = null;
  if (match.methods !== undefined) {
    methods = new Set(match.methods);
    // Like nginx's limit_except and RFC 9110 §9.3.2 (HEAD is GET without the body):
    // a route for GET also serves HEAD.
    if (methods.has('GET')) methods.add('HEAD');
  }

  let headerNames: string[] | null = null;
  const headerValues: string[] = [];
  if (match.headers !== undefined) {
    const entries = Object.entries(match.headers);
    if (entries.length > 0) {
      headerNames = [];
      for (const [name, value] of entries) {
        // Field names are case-insensitive (RFC 9110 §5.1); MatchInput.header takes lower case.
        headerNames.push(name.toLowerCase());
        headerValues.push(value);
      }
    }
  }

  let pathRegex: RegExp | null = null;
  if (match.pathRegex !== undefined) {
    try {
      // No flags: without g/y, RegExp#test keeps no lastIndex state between requests.
      pathRegex = new RegExp(match.pathRegex);
    } catch (err) {
      throw new Error(`pathRegex: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    path: match.path ?? null,
    // A prefix of "/" holds for every origin-form path: skip the test.
    pathPrefix: match.pathPrefix === undefined || match.pathPrefix === '/' ? null : match.pathPrefix,
    pathRegex,
    methods,
    headerNames,
    headerValues,
  };
}

/** True when every compiled (non-host) condition holds for the request. Allocates nothing. */
export function conditionsHold(c: CompiledConditions, req: MatchInput): boolean {
  if (c.path !== null && req.path !== c.path) return false;
  if (c.pathPrefix !== null && !req.path.startsWith(c.pathPrefix)) return false;
  if (c.pathRegex !== null && !c.pathRegex.test(req.path)) return false;
  if (c.methods !== null && !c.methods.has(req.method)) return false;
  const names = c.headerNames;
  if (names !== null) {
    const values = c.headerValues;
    for (let i = 0; i < names.length; i++) {
      if (req.header(names[i]) !== values[i]) return false;
    }
  }
  return true;
}
