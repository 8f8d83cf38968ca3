/**
 * The request pipeline: the one module that knows the order of the phases.
 *
 *   guard → route → filters.onRequest → action (respond | redirect | upstream)
 *   upstream: select target → build request (forwarding headers, rewrite, filters) → send →
 *   response head (hop-by-hop, hidden headers, filters) → stream body → end
 *   any error → sendError (if no header was sent yet, else cut the connection) → log, once.
 */
import { ProxyError, toProxyError } from '../errors/index.js';
import { requestIdFrom } from '../observability/request-id.js';
import type { RequestHandler } from '../server/http1-connection.js';
import { httpDate } from '../server/http-date.js';
import { forwardRequestHeaders, forwardResponseHeaders, serializeRequestHead } from '../upstream/forwarded-headers.js';
import { clientAddress } from '../upstream/trusted-proxies.js';
import type { UpstreamCall } from '../upstream/target-pool.js';
import type { UpstreamExchange } from '../upstream/upstream-connection.js';
import { sendError } from './error-response.js';
import type { CompiledRoute, Runtime } from './runtime.js';
import { Session } from './session.js';
import { parseTarget } from './request-target.js';

/** RFC 9110 §9.2.2 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function createPipeline(runtime: () => Runtime): RequestHandler {
  return {
    handle(req, res) {
      const session = new Session(req, res, runtime());
      try {
        handleRequest(session);
      } catch (err) {
        fail(session, toProxyError(err));
      }
    },
    reject(req, res, err) {
      const session = new Session(req, res, runtime());
      session.requestId = requestIdFrom(undefined);
      fail(session, err);
    },
  };
}

function handleRequest(s: Session): void {
  const req = s.req;
  s.requestId = requestIdFrom(s.header('x-request-id'));

  // --- guard (RFC 9112 §3.2, §6.1) ---
  if (req.method === 'CONNECT') return fail(s, new ProxyError('REQUEST_METHOD_NOT_ALLOWED'));
  const target = parseTarget(req);
  if (target instanceof ProxyError) return fail(s, target);
  s.host = target.host;
  s.path = target.path;
  s.query = target.query;
  if (req.upgrade) return fail(s, new ProxyError('REQUEST_UPGRADE_UNSUPPORTED'));
  if (req.contentLength < 0 && !isPlainChunked(s.header('transfer-encoding'))) {
    return fail(s, new ProxyError('REQUEST_TRANSFER_CODING_UNSUPPORTED'));
  }
  const rt = s.runtime;
  s.clientIp = clientAddress(req.remoteAddress, s.header('x-forwarded-for'), rt.trusted);

  // --- route ---
  const route = rt.routes.match({ host: s.host, path: s.path, method: req.method, header: (n) => s.header(n) });
  if (route === undefined) return fail(s, new ProxyError('ROUTE_NOT_FOUND', `no route for ${req.method} ${s.host}${s.path}`));
  s.route = route;

  // --- filters that may answer (access control plugs in here) ---
  for (const filter of route.filters) {
    if (!filter.onRequest) continue;
    const result = filter.onRequest(s);
    if (result.kind === 'respond') return respond(s, result.status, result.headers, Buffer.from(result.body));
  }

  const action = route.action;
  switch (action.kind) {
    case 'respond':
      return respond(s, action.status, action.headers, action.body);
    case 'redirect':
      return respond(s, action.status, ['Location', expandRedirect(action.to, s)], Buffer.alloc(0));
    case 'upstream':
      return forward(s, route);
  }
}

/**
 * RFC 9112 §6.1: Barbican re-frames bodies and understands only `chunked`; a body under any
 * other coding (gzip, chunked) would reach the origin mislabelled, so it is refused with 501.
 * llhttp has already refused a final coding other than chunked and repeated headers are joined.
 */
function isPlainChunked(te: string | undefined): boolean {
  return te !== undefined && te.trim().toLowerCase() === 'chunked';
}

/** `{scheme}`, `{host}`, `{path}` and `{query}` in a redirect target. */
function expandRedirect(template: string, s: Session): string {
  const host = s.host;
  return template.replace(/\{(scheme|host|path|query)\}/g, (_m, key: string) =>
    key === 'scheme' ? s.req.scheme : key === 'host' ? host : key === 'path' ? s.path : s.query,
  );
}

function responseHeaders(s: Session, headers: string[]): string[] {
  const filters = s.route?.filters;
  if (filters) for (const f of filters) if (f.onResponse) headers = f.onResponse(s, headers);
  return headers;
}

/** Answers from Barbican itself (respond and redirect routes, filter answers). */
function respond(s: Session, status: number, headers: readonly string[], body: Buffer): void {
  const all = responseHeaders(s, ['Date', httpDate(), ...headers]);
  s.res.send(status, all, body);
  log(s);
}

function forward(s: Session, route: CompiledRoute): void {
  const req = s.req;
  const res = s.res;
  const body = req.body;
  if (req.contentLength > route.maxBodyBytes) {
    return fail(s, new ProxyError('REQUEST_BODY_TOO_LARGE', `Content-Length ${req.contentLength} over ${route.maxBodyBytes}`));
  }
  body.limit = route.maxBodyBytes;
  if (route.action.kind !== 'upstream') return;
  const upstream = route.action.upstream;
  const target = upstream.policy.select();
  if (target === undefined) return fail(s, new ProxyError('INTERNAL', 'no target'));
  s.target = target;

  // RFC 9110 §10.1.1: answer 100-continue ourselves; the upstream gets the body re-framed.
  if (req.httpMinor === 1 && !body.complete) {
    const expect = s.header('expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue') res.writeContinue();
  }

  const pathAndQuery = route.rewritePath ? route.rewritePath(s.path + s.query) : s.path + s.query;
  const upstreamHost = route.upstreamHost === 'keep' ? s.host || target.pool.authority : route.upstreamHost === 'target' ? target.pool.authority : route.upstreamHost;
  let headers = forwardRequestHeaders(req.rawHeaders, {
    peer: req.remoteAddress,
    peerTrusted: s.runtime.trusted.isTrusted(req.remoteAddress),
    scheme: req.scheme,
    host: upstreamHost,
    clientHost: s.host,
    requestId: s.requestId,
  });
  for (const f of route.filters) if (f.onUpstreamRequest) headers = f.onUpstreamRequest(s, headers);
  const head = serializeRequestHead(req.method, pathAndQuery, headers, req.contentLength);

  let call: UpstreamCall | null = null;
  let resumeUpstream = (): void => call?.resume();
  const exchange: UpstreamExchange = {
    isHead: req.method === 'HEAD',
    onResponseHead(status, reason, rawHeaders, contentLength) {
      let out = forwardResponseHeaders(rawHeaders, s.runtime.hiddenResponseHeaders);
      out = responseHeaders(s, out);
      res.writeHead(status, out, contentLength, reason || undefined);
    },
    onResponseData(chunk) {
      if (res.write(chunk)) return true;
      res.onDrain(resumeUpstream);
      return false;
    },
    onParsed() {
      res.flushHead();
    },
    onResponseEnd() {
      call = null;
      res.end();
      log(s);
    },
    onError(err) {
      call = null;
      fail(s, err);
    },
  };
  res.whenClientGone(() => {
    const c = call;
    call = null;
    resumeUpstream = () => {};
    c?.abort();
    fail(s, new ProxyError('CLIENT_ABORTED'));
  });
  call = target.pool.request(
    {
      head,
      body: req.contentLength === 0 ? null : body,
      chunked: req.contentLength < 0,
      idempotent: IDEMPOTENT.has(req.method),
      options: { responseHeadersTimeout: route.responseHeadersTimeout, idleTimeout: route.idleTimeout },
    },
    exchange,
  );
}

/** The single exit for failures: error response if possible, else cut; then log. */
function fail(s: Session, err: ProxyError): void {
  if (s.logged) return;
  s.errorCode = err.code;
  s.errorDetail = err.message;
  const res = s.res;
  if (err.code === 'CLIENT_ABORTED') res.abort();
  else if (!res.headersSent) sendError(res, err, s.requestId);
  else res.abort();
  log(s, err);
}

/** Writes the access log line (and the error line) exactly once per request. */
function log(s: Session, err?: ProxyError): void {
  if (s.logged) return;
  s.logged = true;
  const req = s.req;
  const rt = s.runtime;
  const status = err?.code === 'CLIENT_ABORTED' ? 499 : s.res.status;
  if (err !== undefined && err.code !== 'CLIENT_ABORTED') {
    const fields = { requestId: s.requestId, code: err.code, status, method: req.method, host: s.host, path: s.path, route: s.route?.name, upstream: s.route?.action.kind === 'upstream' ? s.route.action.upstream.name : undefined, clientIp: s.clientIp };
    if (err.source === 'internal') rt.logger.error({ ...fields, err: err.cause ?? err }, err.message);
    else if (err.source === 'upstream') rt.logger.warn(fields, err.message);
    else rt.logger.info(fields, err.message);
  }
  rt.accessLog.write({
    time: Date.now(),
    requestId: s.requestId,
    clientIp: s.clientIp,
    method: req.method,
    host: s.host,
    path: s.path + s.query,
    httpVersion: req.httpMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
    status,
    bytesIn: req.body.bytesReceived,
    bytesOut: s.res.bytesWritten,
    durationMs: performance.now() - req.startTime,
    route: s.route?.name,
    upstream: s.route?.action.kind === 'upstream' ? s.route.action.upstream.name : undefined,
    error: err?.code,
    userAgent: s.header('user-agent'),
    referer: s.header('referer'),
  });
}

