/**
 * What a plain (non-TLS) listener answers itself, before routing:
 *
 * 1. ACME HTTP-01 challenges (RFC 8555 §8.3): `GET /.well-known/acme-challenge/<token>` for a
 *    pending token gets the key authorization (text/plain), on every plain listener.
 * 2. `redirectToHttps`: every other request gets 308 Permanent Redirect (RFC 9110 §15.4.9: the
 *    method and body are kept, unlike 301) to `https://<host><:port><path?query>`, the host
 *    being the request's without its port, the port that of the first TLS listener (left out
 *    when it is 443). A challenge path with an unknown token is answered 404, not redirected,
 *    and nothing is ever proxied over plain HTTP on such a listener.
 *
 * Requests it cannot place (no usable Host, a target in authority- or asterisk-form) are
 * refused through the normal guard path (400, logged, connection closed). Listeners needing
 * neither feature do not get this wrapper (no cost on their path).
 *
 * Its answers go out through the pipeline's `answer` (RequestHandler), so each one gets an
 * X-Request-Id, one access-log line and its count in the request metrics, under the route
 * names ACME_HTTP01_ROUTE and REDIRECT_TO_HTTPS_ROUTE (docs/access-log.md).
 */
import { ProxyError } from '../errors/index.js';
import { HTTP01_PREFIX, type ChallengeStore } from './acme/challenge-store.js';
import type { DownstreamRequest } from './downstream-request.js';
import { httpDate } from './http-date.js';
import { ABSOLUTE, HOST, hostHeader } from './request-address.js';
import type { RequestHandler } from './http1-connection.js';

export interface HttpFrontOptions {
  /** The pipeline (requests not answered here go there). */
  readonly inner: () => RequestHandler;
  /** Answer HTTP-01 challenges from this store. */
  readonly challenges?: ChallengeStore;
  /** Redirect to https: returns the port to redirect to (443 is left out of the URL). */
  readonly httpsPort?: () => number;
}

/** The host (without port) and the path+query a request addresses (RFC 9112 §3.2), or a ProxyError. */
function addressOf(req: DownstreamRequest): { host: string; pathAndQuery: string } | ProxyError {
  let host = hostHeader(req.rawHeaders);
  if (host instanceof ProxyError) return host;
  let pathAndQuery = req.target;
  if (pathAndQuery.charCodeAt(0) !== 47 /* / */) {
    const m = ABSOLUTE.exec(pathAndQuery);
    if (m === null) return new ProxyError('REQUEST_TARGET_INVALID', 'request target is not in origin-form or absolute-form');
    host = m[1]; // RFC 9112 §3.2.2: the absolute-form authority wins over Host
    pathAndQuery = m[2] || '/';
    if (pathAndQuery.charCodeAt(0) !== 47) pathAndQuery = `/${pathAndQuery}`;
  }
  const m = host === undefined ? null : HOST.exec(host);
  if (m === null) return new ProxyError('REQUEST_HOST_INVALID', host === undefined ? 'Host header missing' : 'invalid Host header');
  return { host: m[1]!, pathAndQuery };
}

/** The path and query of an origin- or absolute-form target, or undefined. */
function pathOf(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const m = ABSOLUTE.exec(target);
  return m === null ? undefined : m[2] || '/';
}

/** The token of an HTTP-01 challenge path (RFC 8555 §8.3), or undefined for other paths. */
function challengeToken(target: string): string | undefined {
  const path = pathOf(target);
  if (path === undefined || !path.startsWith(HTTP01_PREFIX)) return undefined;
  const query = path.indexOf('?');
  return path.slice(HTTP01_PREFIX.length, query === -1 ? undefined : query);
}

const PLAIN = ['Content-Type', 'text/plain', 'Cache-Control', 'no-store'];

/** Route name of the answers to ACME HTTP-01 challenge paths (200 key authorization, 404 unknown token). */
export const ACME_HTTP01_ROUTE = '(acme-http-01)';
/** Route name of redirectToHttps' 308 answers. */
export const REDIRECT_TO_HTTPS_ROUTE = '(redirect-to-https)';

/** Wraps the pipeline for a plain listener that answers challenges and/or redirects. */
export function createHttpFront(options: HttpFrontOptions): RequestHandler {
  const { inner, challenges, httpsPort } = options;
  return {
    handle(req, res) {
      const token = challengeToken(req.target);
      if (token !== undefined) {
        const answer = req.method === 'GET' || req.method === 'HEAD' ? challenges?.httpAnswer(token) : undefined;
        if (answer !== undefined) return inner().answer(req, res, 200, ['Date', httpDate(), ...PLAIN], answer, ACME_HTTP01_ROUTE);
        if (httpsPort !== undefined) return inner().answer(req, res, 404, ['Date', httpDate(), ...PLAIN], 'unknown ACME challenge token\n', ACME_HTTP01_ROUTE);
      }
      if (httpsPort === undefined) return inner().handle(req, res);
      const address = addressOf(req);
      if (address instanceof ProxyError) return address;
      const port = httpsPort();
      const location = `https://${address.host}${port === 443 ? '' : `:${port}`}${address.pathAndQuery}`;
      inner().answer(req, res, 308, ['Date', httpDate(), 'Location', location, 'Content-Type', 'text/plain'], `Redirecting to ${location}\n`, REDIRECT_TO_HTTPS_ROUTE);
    },
    reject(req, res, err) {
      inner().reject(req, res, err);
    },
    answer(req, res, status, headers, body, answeredBy) {
      inner().answer(req, res, status, headers, body, answeredBy);
    },
  };
}
