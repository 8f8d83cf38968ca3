/**
 * The translation of an HTTP/2 request head into what the pipeline takes (RFC 9113 §8), with the
 * checks that keep an HTTP/2 request from turning into a different HTTP/1.1 request upstream.
 *
 * nghttp2 (inside node:http2) already resets the stream (PROTOCOL_ERROR) for: uppercase field
 * names, connection-specific fields (Connection, Keep-Alive, Proxy-Connection,
 * Transfer-Encoding, Upgrade), TE other than "trailers", missing, repeated or unknown
 * pseudo-headers, a pseudo-header after a regular field, an empty or non-origin-form :path
 * (except `OPTIONS *`), CR/LF/space in :path, an invalid :authority, and Content-Length that
 * disagrees with the DATA frames. It silently drops fields whose name or value has invalid
 * characters (CR, LF, NUL, leading or trailing whitespace): they never reach this code.
 *
 * Checked here, because nghttp2 lets them through or because the HTTP/1.1 side must never
 * depend on the library's choices: each of the above again (cheap, one pass), CONNECT (not
 * proxied), :authority with userinfo (§8.3.1), :authority and Host naming different hosts
 * (§8.3.1), :scheme other than http/https, a Content-Length that is not one number, the
 * header-count and target-length limits of HTTP/1.1. Cookie fields are joined with "; "
 * (§8.2.3) into one field, as an HTTP/1.1 origin expects.
 */
import { ProxyError } from '../errors/index.js';
import type { LimitsConfig } from './config.js';

/** The translated head: the pipeline's view of it. */
export interface Http2RequestHead {
  method: string;
  /** :path (origin-form, or `*` for OPTIONS). */
  target: string;
  /** Flat [name, value, …]: Host first (from :authority), the regular fields, one Cookie. */
  rawHeaders: string[];
  /** Content-Length, -1 when there is a body of unknown length, 0 when there is none. */
  contentLength: number;
}

/** RFC 9113 §8.2.2: fields that are meaningless or dangerous across an HTTP/2 hop. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** RFC 9110 §5.1 token characters, lower case only (RFC 9113 §8.2.1). */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** RFC 9113 §8.2.1: no NUL, CR or LF anywhere; no leading or trailing SP/HTAB. */
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;
const DIGITS = /^[0-9]{1,16}$/;

function malformed(detail: string): ProxyError {
  return new ProxyError('REQUEST_MALFORMED', `malformed HTTP/2 request: ${detail}`);
}

/**
 * Translates node:http2's raw header list ([name, value, …], pseudo-headers first) of a request
 * whose HEADERS frame did (`endStream`) or did not end the stream.
 */
export function translateHttp2Request(raw: readonly string[], endStream: boolean, limits: LimitsConfig): Http2RequestHead | ProxyError {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  let contentLength: string | undefined;
  let regular = false;
  let count = 0;
  const headers: string[] = ['host', ''];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 58 /* : */) {
      // §8.3: pseudo-headers come first, once each, and only the defined ones.
      if (regular) return malformed(`pseudo-header ${name} after a regular field`);
      switch (name) {
        case ':method':
          if (method !== undefined) return malformed('repeated :method');
          method = value;
          break;
        case ':scheme':
          if (scheme !== undefined) return malformed('repeated :scheme');
          scheme = value;
          break;
        case ':authority':
          if (authority !== undefined) return malformed('repeated :authority');
          authority = value;
          break;
        case ':path':
          if (path !== undefined) return malformed('repeated :path');
          path = value;
          break;
        default:
          return malformed(`unknown pseudo-header ${name}`);
      }
      continue;
    }
    regular = true;
    if (!FIELD_NAME.test(name)) return malformed(`invalid field name ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) return malformed(`invalid value of ${name}`);
    if (++count > limits.maxHeaderCount) return new ProxyError('REQUEST_HEADERS_TOO_LARGE', `more than ${limits.maxHeaderCount} header fields`);
    if (CONNECTION_SPECIFIC.has(name)) return malformed(`connection-specific field ${name}`);
    switch (name) {
      case 'te':
        // §8.2.2: TE may only say "trailers".
        if (value !== 'trailers') return malformed('TE other than "trailers"');
        break;
      case 'host':
        if (host !== undefined) return new ProxyError('REQUEST_HOST_INVALID', 'repeated Host field');
        host = value;
        continue;
      case 'cookie':
        // §8.2.3: split cookie fields are joined with "; " for HTTP/1.1.
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        continue;
      case 'content-length':
        if (contentLength !== undefined && contentLength !== value) return malformed('conflicting Content-Length fields');
        contentLength = value;
        continue; // the framing is carried by contentLength; the writer upstream sets it
    }
    headers.push(name, value);
  }
  // Extended CONNECT (RFC 8441) is not offered; plain CONNECT tunnels are not proxied.
  if (method === 'CONNECT') return new ProxyError('REQUEST_METHOD_NOT_ALLOWED', 'CONNECT over HTTP/2');
  if (method === undefined || path === undefined || scheme === undefined) return malformed('missing :method, :scheme or :path');
  if (scheme !== 'http' && scheme !== 'https') return malformed(`:scheme ${scheme}`);
  if (path === '' || (path.charCodeAt(0) !== 47 /* / */ && !(path === '*' && method === 'OPTIONS'))) {
    return malformed(':path is not origin-form');
  }
  if (path.length > limits.maxUrlBytes) return new ProxyError('REQUEST_URI_TOO_LONG', `request target of ${path.length} bytes`);
  // §8.3.1: the target host is :authority, else Host; both given must name the same.
  if (authority !== undefined) {
    if (authority.indexOf('@') !== -1) return malformed(':authority with userinfo');
    if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) {
      return new ProxyError('REQUEST_HOST_INVALID', ':authority and Host name different hosts');
    }
  }
  const target = authority ?? host;
  if (target === undefined || target === '') return new ProxyError('REQUEST_HOST_INVALID', 'no :authority and no Host');
  headers[1] = target;
  if (cookie !== undefined) headers.push('cookie', cookie);
  let length = endStream ? 0 : -1;
  if (contentLength !== undefined) {
    if (!DIGITS.test(contentLength)) return malformed('invalid Content-Length');
    const n = Number(contentLength);
    if (endStream && n !== 0) return malformed('Content-Length on a request without a body');
    if (!endStream) length = n;
  }
  return { method, target: path, rawHeaders: headers, contentLength: length };
}
