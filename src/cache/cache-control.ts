/**
 * Cache-Control parsing (RFC 9111 §5.2). One parser for request and response directives: the
 * result is a plain record of the directives a shared cache acts on. Unknown directives are
 * ignored (§5.2.3). Qualified `private="…"` and `no-cache="…"` are read as their unqualified
 * forms, the conservative reading for a shared cache (§5.2.2.4, §5.2.2.7).
 */

export interface CacheControl {
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  public: boolean;
  mustRevalidate: boolean;
  proxyRevalidate: boolean;
  onlyIfCached: boolean;
  /** Seconds, -1 when absent. */
  maxAge: number;
  sMaxAge: number;
  minFresh: number;
  /** Seconds; Infinity for a bare `max-stale` (§5.2.1.2); -1 when absent. */
  maxStale: number;
  staleWhileRevalidate: number;
  staleIfError: number;
}

/** No directives at all (shared: never mutate). */
export const NO_DIRECTIVES: Readonly<CacheControl> = Object.freeze(emptyCacheControl());

function emptyCacheControl(): CacheControl {
  return {
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    mustRevalidate: false,
    proxyRevalidate: false,
    onlyIfCached: false,
    maxAge: -1,
    sMaxAge: -1,
    minFresh: -1,
    maxStale: -1,
    staleWhileRevalidate: -1,
    staleIfError: -1,
  };
}

/**
 * RFC 9111 §1.2.2 delta-seconds: digits only; an invalid value makes the directive count as
 * absent, except that §4.2.1 asks invalid max-age / s-maxage to be treated as stale: 0.
 * Values too large are clamped to 2^31 (§1.2.2).
 */
function deltaSeconds(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return -2;
  const n = Number(value);
  return n > 2147483648 ? 2147483648 : n;
}

/** Parses one or more Cache-Control field values (repeated fields joined with ","). */
export function parseCacheControl(header: string | undefined): Readonly<CacheControl> {
  if (header === undefined || header === '') return NO_DIRECTIVES;
  const cc = emptyCacheControl();
  for (const part of splitDirectives(header)) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    let value: string | undefined;
    if (eq !== -1) {
      value = part.slice(eq + 1).trim();
      // §5.2: both token and quoted-string forms are accepted.
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    }
    switch (name) {
      case 'no-store': cc.noStore = true; break;
      case 'no-cache': cc.noCache = true; break;
      case 'private': cc.private = true; break;
      case 'public': cc.public = true; break;
      case 'must-revalidate': cc.mustRevalidate = true; break;
      case 'proxy-revalidate': cc.proxyRevalidate = true; break;
      case 'only-if-cached': cc.onlyIfCached = true; break;
      case 'max-age': cc.maxAge = Math.max(0, deltaSeconds(value)); break;
      case 's-maxage': cc.sMaxAge = Math.max(0, deltaSeconds(value)); break;
      case 'min-fresh': { const v = deltaSeconds(value); if (v >= 0) cc.minFresh = v; break; }
      case 'max-stale': { const v = value === undefined ? Infinity : deltaSeconds(value); if (v >= 0) cc.maxStale = v; break; }
      case 'stale-while-revalidate': { const v = deltaSeconds(value); if (v >= 0) cc.staleWhileRevalidate = v; break; }
      case 'stale-if-error': { const v = deltaSeconds(value); if (v >= 0) cc.staleIfError = v; break; }
      default: break;
    }
  }
  return cc;
}

/** Splits on commas outside quoted strings (`private="a, b"` is one directive). */
function splitDirectives(header: string): string[] {
  if (!header.includes('"')) return header.split(',');
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x5c && quoted) i++;
    else if (c === 0x2c && !quoted) {
      out.push(header.slice(start, i));
      start = i + 1;
    }
  }
  out.push(header.slice(start));
  return out;
}
