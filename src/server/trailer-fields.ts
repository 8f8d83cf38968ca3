/**
 * Trailer fields (RFC 9110 §6.5, RFC 9112 §7.1.2) as Barbican forwards them, in both directions:
 * only in a chunked message, and never a field that a recipient could take for framing,
 * routing, authentication or control data. RFC 9110 §6.5.1 forbids senders to put those in a
 * trailer section and recipients to merge them into the header section; a proxy that passed
 * them on would let a trailer smuggle, for example, a second Content-Length or a Host.
 */

/** Never forwarded as trailers (lower case). */
const FORBIDDEN = new Set([
  // framing and connection control (RFC 9112 §6, RFC 9110 §7.6.1)
  'content-length', 'transfer-encoding', 'trailer', 'te', 'connection', 'keep-alive', 'proxy-connection', 'upgrade',
  // routing and request modifiers (RFC 9110 §7.2, §10.1, §13)
  'host', 'expect', 'max-forwards', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range',
  // authentication (RFC 9110 §11) and cookies
  'authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate', 'cookie', 'set-cookie',
  // response control data and caching (RFC 9110 §10.2, RFC 9111)
  'cache-control', 'pragma', 'expires', 'age', 'vary', 'date', 'location', 'retry-after',
  // how the content is processed (RFC 9110 §8)
  'content-encoding', 'content-type', 'content-range', 'content-location',
]);

/**
 * The trailer fields that may be passed on, flat [name, value, …], or null when none is left.
 * llhttp has already checked each name is a token and each value has no CR, LF or NUL.
 */
export function forwardableTrailers(raw: readonly string[]): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (FORBIDDEN.has(name.toLowerCase())) continue;
    (out ??= []).push(name, raw[i + 1]!);
  }
  return out;
}

/** `name: value\r\n` for each field (the caller adds the final CRLF). */
export function serializeFields(fields: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < fields.length; i += 2) parts.push(fields[i]!, ': ', fields[i + 1]!, '\r\n');
  return parts.join('');
}

/** Whether a TE field value lists the `trailers` token (RFC 9110 §10.1.4). */
export function acceptsTrailers(te: string): boolean {
  for (const member of te.split(',')) if (member.trim().toLowerCase().split(';')[0]!.trim() === 'trailers') return true;
  return false;
}
