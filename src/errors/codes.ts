/**
 * The one table of error codes. Every error response and error log line carries one of these
 * codes; docs/errors.md documents each (a test keeps the two in step).
 */
export type ErrorSource = 'downstream' | 'upstream' | 'internal';

export interface ErrorCodeInfo {
  /** HTTP status sent to the client when headers have not been sent yet. */
  readonly status: number;
  readonly source: ErrorSource;
  /** Whether trying the request again (elsewhere) can help. */
  readonly retryable: boolean;
  /** Short text for logs and docs. */
  readonly summary: string;
}

export const ERROR_CODES = {
  REQUEST_MALFORMED: { status: 400, source: 'downstream', retryable: false, summary: 'The request could not be parsed or its framing is ambiguous (RFC 9112 §6.3); the connection is closed.' },
  REQUEST_HOST_INVALID: { status: 400, source: 'downstream', retryable: false, summary: 'The Host header is missing (HTTP/1.1), repeated or not a valid host (RFC 9112 §3.2).' },
  REQUEST_TARGET_INVALID: { status: 400, source: 'downstream', retryable: false, summary: 'The request target is not in origin-form or absolute-form (RFC 9112 §3.2).' },
  REQUEST_PATH_INVALID: { status: 400, source: 'downstream', retryable: false, summary: 'The request path has an invalid or control-character percent-encoding, a backslash, or a dot-segment that climbs above the root or hides behind path parameters or an encoded slash (RFC 3986 §5.2.4).' },
  REQUEST_TRANSFER_CODING_UNSUPPORTED: { status: 501, source: 'downstream', retryable: false, summary: 'The request body uses a transfer coding other than chunked (RFC 9112 §6.1); it is not forwarded.' },
  REQUEST_METHOD_NOT_ALLOWED: { status: 405, source: 'downstream', retryable: false, summary: 'The method is not proxied (CONNECT).' },
  REQUEST_UPGRADE_UNSUPPORTED: { status: 501, source: 'downstream', retryable: false, summary: 'The request asks for a protocol upgrade that this route does not allow.' },
  WEBSOCKET_HANDSHAKE_INVALID: { status: 400, source: 'downstream', retryable: false, summary: 'A WebSocket upgrade request is not a valid opening handshake (RFC 6455 §4.1: GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade, one 16-byte Sec-WebSocket-Key, one Sec-WebSocket-Version, no body); it never reaches a target.' },
  WEBSOCKET_IDLE_TIMEOUT: { status: 504, source: 'downstream', retryable: false, summary: 'A WebSocket tunnel carried nothing either way for its idle timeout (server.limits.websocketIdleTimeout); both connections were closed. Logged only (the 101 was sent).' },
  REQUEST_EXPECTATION_FAILED: { status: 417, source: 'downstream', retryable: false, summary: 'The request has an Expect other than 100-continue (RFC 9110 §10.1.1); the connection is closed.' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, source: 'downstream', retryable: false, summary: 'The request head is larger than server.limits.maxHeaderBytes, or has more than server.limits.maxHeaderCount fields.' },
  REQUEST_URI_TOO_LONG: { status: 414, source: 'downstream', retryable: false, summary: 'The request target is longer than server.limits.maxUrlBytes.' },
  REQUEST_BODY_TOO_LARGE: { status: 413, source: 'downstream', retryable: false, summary: 'The request body is larger than the route\'s maxBodyBytes.' },
  REQUEST_HEADERS_TIMEOUT: { status: 408, source: 'downstream', retryable: false, summary: 'The client did not send the request head within server.limits.headersTimeout.' },
  REQUEST_TIMEOUT: { status: 408, source: 'downstream', retryable: false, summary: 'The client did not send the whole request within server.limits.requestTimeout.' },
  CLIENT_ABORTED: { status: 499, source: 'downstream', retryable: false, summary: 'The client closed the connection before the response was complete (nothing is sent).' },
  ROUTE_NOT_FOUND: { status: 404, source: 'downstream', retryable: false, summary: 'No route matches the request.' },
  ACCESS_DENIED: { status: 403, source: 'downstream', retryable: false, summary: 'The client address is not allowed on this route (access.allow / access.deny).' },
  UNAUTHORIZED: { status: 401, source: 'downstream', retryable: false, summary: 'The request carries no valid credentials for this route (basic auth, API key or bearer token).' },
  AUTH_SERVICE_DENIED: { status: 401, source: 'downstream', retryable: false, summary: 'The forward-auth service refused the request; its answer (often 401, 403 or a redirect) is passed on.' },
  AUTH_SERVICE_UNAVAILABLE: { status: 503, source: 'upstream', retryable: true, summary: 'The forward-auth service or the JWKS endpoint could not be asked (down, timeout, bad answer); access is never granted then.' },
  RATE_LIMITED: { status: 429, source: 'downstream', retryable: true, summary: 'The client is over the route\'s rate limit (RFC 6585 §4); sent with Retry-After.' },
  RATE_LIMIT_UNAVAILABLE: { status: 503, source: 'internal', retryable: true, summary: 'The route\'s rate limit is shared through Redis, Redis cannot be asked, and state.redis.rateLimit.onFailure is closed; sent with Retry-After.' },
  CACHE_ONLY_IF_CACHED: { status: 504, source: 'downstream', retryable: false, summary: 'The request said Cache-Control: only-if-cached and the cache holds no usable response (RFC 9111 §5.2.1.7).' },
  UPSTREAM_CONNECT_REFUSED: { status: 502, source: 'upstream', retryable: true, summary: 'The target refused the connection.' },
  UPSTREAM_CONNECT_FAILED: { status: 502, source: 'upstream', retryable: true, summary: 'The connection to the target could not be made (unreachable, DNS failure).' },
  UPSTREAM_CONNECT_TIMEOUT: { status: 504, source: 'upstream', retryable: true, summary: 'The connection to the target was not made within timeouts.connect.' },
  UPSTREAM_TLS_FAILED: { status: 502, source: 'upstream', retryable: true, summary: 'The TLS handshake with the target failed (certificate not trusted, name mismatch).' },
  UPSTREAM_RESET: { status: 502, source: 'upstream', retryable: true, summary: 'The target closed or reset the connection before the response was complete.' },
  UPSTREAM_BAD_RESPONSE: { status: 502, source: 'upstream', retryable: false, summary: 'The target sent a response that is not valid HTTP/1.1.' },
  UPSTREAM_RESPONSE_TIMEOUT: { status: 504, source: 'upstream', retryable: true, summary: 'The target did not send the response head within timeouts.responseHeaders.' },
  UPSTREAM_IDLE_TIMEOUT: { status: 504, source: 'upstream', retryable: false, summary: 'The target went silent for longer than timeouts.idle in the middle of a response.' },
  UPSTREAM_UNAVAILABLE: { status: 503, source: 'upstream', retryable: false, summary: 'No target of the upstream is available (all failed their health checks, are ejected or drained); sent at once with Retry-After.' },
  UPSTREAM_OVERLOADED: { status: 503, source: 'upstream', retryable: true, summary: 'Every connection to the target is busy and maxPending requests already wait for one; the request fails fast instead of queuing.' },
  COMPRESSION_FAILED: { status: 500, source: 'internal', retryable: false, summary: 'The compressor failed while compressing a response (routes[].compression); the response is cut, since its head was already sent.' },
  SHUTTING_DOWN: { status: 503, source: 'internal', retryable: true, summary: 'Barbican is shutting down and takes no new requests on this connection.' },
  INTERNAL: { status: 500, source: 'internal', retryable: false, summary: 'A bug in Barbican; the log line has the details.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
