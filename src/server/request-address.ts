/**
 * Where a request is addressed (RFC 9112 §3.2): the one Host header, and the forms a target
 * may take. Shared by the pipeline's guard (proxy/request-target.ts) and what plain listeners
 * answer before routing (http-front.ts), so both read a request's destination the same way.
 */
import { ProxyError } from '../errors/index.js';

/**
 * An IP-literal, or a host name of unreserved characters (RFC 3986 §3.2.2), then an optional
 * port; group 1 is the host without the port. Stricter than reg-name on purpose: sub-delims
 * and percent-encodings are valid there but no DNS name has them, and other hops read them
 * differently (`a,b` as a list, `a@b` as userinfo, `%61` decoded or not), so routing and the
 * origin could disagree on the host.
 */
export const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~]+)(?::\d{0,5})?$/;

/** Absolute-form target: group 1 the authority, group 2 the path and query. */
export const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/** The Host header's value (undefined when there is none), or an error when it is repeated. */
export function hostHeader(rawHeaders: readonly string[]): string | undefined | ProxyError {
  let host: string | undefined;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      host = rawHeaders[i + 1];
    }
  }
  return hosts > 1 ? new ProxyError('REQUEST_HOST_INVALID', 'more than one Host header') : host;
}
