/**
 * Hop-by-hop header handling (RFC 9110 §7.6.1): these apply to one connection only and are
 * never forwarded, and neither is any header the Connection header names — except that a
 * Connection header can never remove Host or the framing headers (those are rebuilt by
 * Barbican anyway, but a client must not be able to make the origin see a request without them).
 */

import { sameName } from './header-names.js';

/** Always removed when forwarding, in both directions (lower case). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a Connection header may not remove. */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding', 'date']);

/** Whether a Connection value names anything beyond `keep-alive` / `close` (the common case). */
export function namesOtherHeaders(connectionValue: string): boolean {
  const v = connectionValue.length <= 10 ? connectionValue.toLowerCase() : '';
  return v !== 'keep-alive' && v !== 'close';
}

/**
 * The extra header names (lower case) listed in Connection headers, or null when there are
 * none beyond the usual keep-alive / close tokens. `rawHeaders` is flat [name, value, …].
 */
export function connectionListed(rawHeaders: readonly string[]): Set<string> | null {
  let listed: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!sameName(rawHeaders[i]!, 'connection')) continue;
    for (const token of rawHeaders[i + 1]!.split(',')) {
      const t = token.trim().toLowerCase();
      if (t === '' || t === 'close' || t === 'keep-alive' || PROTECTED.has(t)) continue;
      (listed ??= new Set()).add(t);
    }
  }
  return listed;
}
