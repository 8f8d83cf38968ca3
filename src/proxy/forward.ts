/**
 * The upstream phases of the pipeline: select a target, build the request (forwarding headers,
 * rewrite, filters), send it through the target's pool, and relay the response with
 * backpressure. One ForwardExchange per request (a class, not closures: this is the hot path).
 */
import { ProxyError } from '../errors/index.js';
import type { ClientGoneListener, ResponseWriter } from '../server/response-writer.js';
import { forwardRequestHeaders, forwardResponseHeaders, serializeRequestHead } from '../upstream/forwarded-headers.js';
import type { UpstreamCall } from '../upstream/target-pool.js';
import type { UpstreamExchange } from '../upstream/upstream-connection.js';
import { fail, log } from './exit.js';
import { applyResponseFilters } from './filter.js';
import type { CompiledRoute, UpstreamTarget } from './runtime.js';
import type { Session } from './session.js';

/** RFC 9110 §9.2.2 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function forward(s: Session, route: CompiledRoute, target: UpstreamTarget): void {
  const req = s.req;
  const res = s.res;
  const body = req.body;
  if (req.contentLength > route.maxBodyBytes) {
    return fail(s, new ProxyError('REQUEST_BODY_TOO_LARGE', `Content-Length ${req.contentLength} over ${route.maxBodyBytes}`));
  }
  body.limit = route.maxBodyBytes;
  s.target = target;

  // RFC 9110 §10.1.1: answer 100-continue ourselves; the upstream gets the body re-framed.
  if (req.httpMinor === 1 && !body.complete) {
    const expect = s.header('expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue') res.writeContinue();
  }

  const pathAndQuery = route.rewritePath ? route.rewritePath(s.path + s.query) : s.path + s.query;
  const upstreamHost =
    route.upstreamHost === 'keep' ? s.host || target.pool.authority : route.upstreamHost === 'target' ? target.pool.authority : route.upstreamHost;
  let headers = forwardRequestHeaders(req.rawHeaders, {
    peer: req.remoteAddress,
    peerTrusted: s.peerTrusted,
    scheme: req.scheme,
    host: upstreamHost,
    clientHost: s.host,
    requestId: s.requestId,
  });
  for (const f of route.filters) if (f.onUpstreamRequest) headers = f.onUpstreamRequest(s, headers);

  const exchange = new ForwardExchange(s, res);
  res.whenClientGone(exchange);
  exchange.call = target.pool.request(
    {
      head: serializeRequestHead(req.method, pathAndQuery, headers, req.contentLength),
      body: req.contentLength === 0 ? null : body,
      chunked: req.contentLength < 0,
      idempotent: IDEMPOTENT.has(req.method),
      options: { responseHeadersTimeout: route.responseHeadersTimeout, idleTimeout: route.idleTimeout },
    },
    exchange,
  );
}

class ForwardExchange implements UpstreamExchange, ClientGoneListener {
  call: UpstreamCall | null = null;
  readonly isHead: boolean;
  private resumeOnDrain: (() => void) | null = null;

  constructor(
    private readonly s: Session,
    private readonly res: ResponseWriter,
  ) {
    this.isHead = s.req.method === 'HEAD';
  }

  onResponseHead(status: number, reason: string, rawHeaders: string[], contentLength: number): void {
    const headers = applyResponseFilters(this.s, forwardResponseHeaders(rawHeaders, this.s.runtime.hiddenResponseHeaders));
    this.res.writeHead(status, headers, contentLength, reason || undefined);
  }

  onResponseData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The client is slower than the target: pause the target until the client drains.
    this.res.onDrain((this.resumeOnDrain ??= () => this.call?.resume()));
    return false;
  }

  onParsed(): void {
    this.res.flushHead();
  }

  retainsData(): boolean {
    return this.res.queuedBytes > 0;
  }

  onResponseEnd(): void {
    this.call = null;
    this.res.end();
    log(this.s);
  }

  onError(err: ProxyError): void {
    this.call = null;
    fail(this.s, err);
  }

  clientGone(): void {
    const call = this.call;
    this.call = null;
    call?.abort();
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}
