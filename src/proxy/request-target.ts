/**
 * The guard on the request line and Host (RFC 9112 §3.2): an HTTP/1.1 request has exactly one
 * valid Host; the target is origin-form (`/path?query`) or absolute-form
 * (`http://host/path`, whose authority then wins over Host, §3.2.2). Anything else is refused,
 * so an origin never receives a request whose destination is ambiguous. The path is brought
 * to its one canonical form (normalize-path.ts), which routing, access rules and the origin
 * all see.
 */
import { ProxyError } from '../errors/index.js';
import type { DownstreamRequest } from '../server/downstream-request.js';
import { ABSOLUTE, HOST, hostHeader } from '../server/request-address.js';
import { normalizePath } from './normalize-path.js';

export interface RequestTarget {
  /** Host (with port if given), as the client addressed it; "" for an HTTP/1.0 request without one. */
  host: string;
  /** The canonical path (normalize-path.ts). */
  path: string;
  /** The query with its leading "?", or "", exactly as sent. */
  query: string;
}

/** Splits path and query, and canonicalizes the path. */
function splitTarget(host: string, pathAndQuery: string): RequestTarget | ProxyError {
  const q = pathAndQuery.indexOf('?');
  const raw = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const path = normalizePath(raw || '/');
  if (typeof path !== 'string') return new ProxyError('REQUEST_PATH_INVALID', `request path ${path.problem}`);
  return { host, path, query: q === -1 ? '' : pathAndQuery.slice(q) };
}

export function parseTarget(req: DownstreamRequest): RequestTarget | ProxyError {
  const host = hostHeader(req.rawHeaders);
  if (host instanceof ProxyError) return host;
  if (host === undefined && req.httpMinor === 1) return new ProxyError('REQUEST_HOST_INVALID', 'Host header missing');
  if (host !== undefined && !HOST.test(host)) return new ProxyError('REQUEST_HOST_INVALID', 'invalid Host header');

  const t = req.target;
  // RFC 9110 §4.2.5: a fragment is never sent. llhttp accepts "#"; origins either cut the
  // path there or keep it, so a route could match a path the origin does not serve.
  if (t.indexOf('#') !== -1) return new ProxyError('REQUEST_TARGET_INVALID', 'fragment in request target');
  if (t.charCodeAt(0) === 47 /* / */) return splitTarget(host ?? '', t);
  const m = ABSOLUTE.exec(t);
  if (m === null) return new ProxyError('REQUEST_TARGET_INVALID', 'request target is not origin-form or absolute-form');
  const authority = m[1]!;
  if (!HOST.test(authority)) return new ProxyError('REQUEST_TARGET_INVALID', 'invalid authority in request target');
  return splitTarget(authority, m[2]!);
}
