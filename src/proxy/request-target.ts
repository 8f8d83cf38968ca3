/**
 * The guard on the request line and Host (RFC 9112 §3.2): an HTTP/1.1 request has exactly one
 * valid Host; the target is origin-form (`/path?query`) or absolute-form
 * (`http://host/path`, whose authority then wins over Host, §3.2.2). Anything else is refused,
 * so an origin never receives a request whose destination is ambiguous.
 */
import { ProxyError } from '../errors/index.js';
import type { DownstreamRequest } from '../server/downstream-request.js';

export interface RequestTarget {
  /** Host (with port if given), as the client addressed it; "" for an HTTP/1.0 request without one. */
  host: string;
  path: string;
  /** The query with its leading "?", or "". */
  query: string;
}

// RFC 3986 §3.2.2: IP-literal, or reg-name / IPv4 (unreserved, pct-encoded, sub-delims), then an optional port.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;
const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)$/i;

function splitQuery(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

export function parseTarget(req: DownstreamRequest): RequestTarget | ProxyError {
  let host: string | undefined;
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      host = raw[i + 1]!;
    }
  }
  if (hosts > 1) return new ProxyError('REQUEST_HOST_INVALID', 'more than one Host header');
  if (host === undefined && req.httpMinor === 1) return new ProxyError('REQUEST_HOST_INVALID', 'Host header missing');
  if (host !== undefined && !HOST.test(host)) return new ProxyError('REQUEST_HOST_INVALID', 'invalid Host header');

  const t = req.target;
  if (t.charCodeAt(0) === 47 /* / */) {
    const { path, query } = splitQuery(t);
    return { host: host ?? '', path, query };
  }
  const m = ABSOLUTE.exec(t);
  if (m === null) return new ProxyError('REQUEST_TARGET_INVALID', 'request target is not origin-form or absolute-form');
  const authority = m[1]!;
  if (!HOST.test(authority) || authority.includes('@')) return new ProxyError('REQUEST_TARGET_INVALID', 'invalid authority in request target');
  const { path, query } = splitQuery(m[2] || '/');
  return { host: authority, path: path || '/', query };
}
