/**
 * Sticky sessions: a cookie sends a client back to the target that served it. The cookie
 * value is an HMAC of the target identity under a secret (never the target address, which
 * would reveal the origin), so a client cannot pick a target by forging the value; an unknown
 * or stale value is ignored and the request is balanced as usual.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { StickyConfig } from './config.js';
import type { TargetState } from './target-state.js';

/** Made once per process: without a configured secret, cookies last as long as the process. */
const PROCESS_SECRET = randomBytes(32);

export interface Sticky {
  /** Index of the target the request's cookie names, or -1 (no cookie, unknown value). */
  pinned(cookieHeader: string | undefined): number;
  /** The Set-Cookie value that pins a client to target `index`. */
  setCookie(index: number, secure: boolean): string;
  /** Whether the request's cookie already names target `index` (no Set-Cookie needed). */
  names(cookieHeader: string | undefined, index: number): boolean;
}

export function createSticky(targets: readonly TargetState[], config: StickyConfig): Sticky {
  const secret = config.secret ?? PROCESS_SECRET;
  const values = targets.map((t) => createHmac('sha256', secret).update(t.id).digest('base64url').slice(0, 22));
  const byValue = new Map(values.map((v, i) => [v, i]));
  const attributes = `; Path=/; HttpOnly; SameSite=Lax${config.ttl > 0 ? `; Max-Age=${Math.floor(config.ttl / 1000)}` : ''}`;
  const name = config.cookie;

  function valueOf(cookieHeader: string | undefined): string | undefined {
    if (cookieHeader === undefined) return undefined;
    // RFC 6265 §4.2.1: cookie-string is `name=value` pairs separated by "; ".
    let at = 0;
    while (at < cookieHeader.length) {
      const end = cookieHeader.indexOf(';', at);
      const pair = cookieHeader.slice(at, end === -1 ? undefined : end).trim();
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq) === name) return pair.slice(eq + 1);
      if (end === -1) break;
      at = end + 1;
    }
    return undefined;
  }

  return {
    pinned(cookieHeader) {
      const value = valueOf(cookieHeader);
      return value === undefined ? -1 : (byValue.get(value) ?? -1);
    },
    names(cookieHeader, index) {
      return valueOf(cookieHeader) === values[index];
    },
    setCookie(index, secure) {
      return `${name}=${values[index]}${attributes}${secure ? '; Secure' : ''}`;
    },
  };
}
