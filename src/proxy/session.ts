/** Everything known about one request while it passes through the pipeline. */
import type { ErrorCode } from '../errors/index.js';
import type { MatchInput } from '../routing/index.js';
import type { DownstreamRequest } from '../server/downstream-request.js';
import type { ClientResponse } from '../server/client-response.js';
import { sameName } from '../upstream/header-names.js';
import type { CompiledRoute, Runtime, UpstreamTarget } from './runtime.js';

/** Per-request state. It is also what the route table matches against (MatchInput). */
export class Session implements MatchInput {
  requestId = '';
  /** Host the request is for (Host header, or the authority of an absolute-form target). */
  host = '';
  /** Path without the query. */
  path = '';
  /** Query string including its leading "?", or "". */
  query = '';
  /** The client address: the peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  clientIp: string;
  /** The peer is in server.trustedProxies. */
  peerTrusted = false;
  route: CompiledRoute | undefined;
  target: UpstreamTarget | undefined;
  /** Upstream tries after the first (retries.*). */
  retries = 0;
  /** performance.now() when the current upstream try was sent; 0 when none is waiting for its head (observability-filter.ts). */
  upstreamStart = 0;
  /** Time from sending the answering try to its response head, ms; -1 when nothing went upstream. */
  upstreamMs = -1;
  /** The Cache-Status sent on a cached route (RFC 9211), for the access log. */
  cacheStatus: string | undefined;
  /** Set when the request failed; logged. */
  errorCode: ErrorCode | undefined;
  errorDetail: string | undefined;
  logged = false;
  /**
   * The target answered 101 and the request became a WebSocket tunnel: it no longer counts as a
   * request in flight of its runtime (a reload retires the runtime without waiting for it) but
   * as an open tunnel, until it closes and is logged.
   */
  tunneled = false;

  constructor(
    readonly req: DownstreamRequest,
    readonly res: ClientResponse,
    readonly runtime: Runtime,
  ) {
    this.clientIp = req.remoteAddress;
  }

  get method(): string {
    return this.req.method;
  }

  /**
   * A request header (name in lower case), or undefined. Repeated fields are joined with ", "
   * (RFC 9110 §5.3), repeated Cookie fields with "; " (RFC 6265 §5.4, RFC 9113 §8.2.3).
   */
  header(name: string): string | undefined {
    const raw = this.req.rawHeaders;
    let value: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i]!;
      if (sameName(n, name)) value = value === undefined ? raw[i + 1] : `${value}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`;
    }
    return value;
  }
}
