/**
 * The request pipeline: the one module that knows the order of the phases.
 *
 *   guard → route → filters.onRequest → action (respond | redirect | cache lookup → upstream)
 *   upstream: select target → build request (forwarding headers, rewrite, filters) → send →
 *   response head (hop-by-hop, hidden headers, filters) → stream body → end
 *   any error → sendError (if no header was sent yet, else cut the connection) → log, once.
 */
import { Socket } from 'node:net';
import { contentRange, notModifiedHeaders, type CacheLookup, type ResponseTee, type StoredHit } from '../cache/index.js';
import { ProxyError, toProxyError } from '../errors/index.js';
import { sharedMetrics } from '../observability/metrics.js';
import { requestIdFrom } from '../observability/request-id.js';
import type { RequestHandler } from '../server/http1-connection.js';
import { ResponseWriter, type ClientGoneListener } from '../server/response-writer.js';
import { httpDate } from '../server/http-date.js';
import { clientAddress } from '../upstream/trusted-proxies.js';
import { fail, log } from './exit.js';
import { applyResponseFilters, runRequestFilters } from './filter.js';
import { serveEncodedHit } from './compressed-hit.js';
import { respondEncoded } from './compressed-respond.js';
import { forward } from './forward.js';
import type { CompiledRoute, CompiledUpstream, Runtime } from './runtime.js';
import { listenerRoute } from './listener-route.js';
import { Session } from './session.js';
import { parseTarget } from './request-target.js';
import { openWebSocket } from './websocket.js';
import { checkWebSocketHandshake } from './websocket-handshake.js';

export function createPipeline(runtime: () => Runtime): RequestHandler {
  return {
    handle(req, res) {
      const session = new Session(req, res, runtime());
      try {
        // A guard refusal goes back to the connection, which answers it and closes.
        return handleRequest(session);
      } catch (err) {
        fail(session, toProxyError(err));
      }
    },
    reject(req, res, err) {
      const session = new Session(req, res, runtime());
      // A bad head has no headers; a request refused at the guard keeps the client's id.
      session.requestId = requestIdFrom(session.header('x-request-id'));
      fail(session, err);
    },
    answer(req, res, status, headers, body, answeredBy) {
      const s = new Session(req, res, runtime());
      s.requestId = requestIdFrom(s.header('x-request-id'));
      const target = parseTarget(req);
      if (target instanceof ProxyError) s.path = req.target; // logged as sent (an answer needs no canonical path)
      else {
        s.host = target.host;
        s.path = target.path;
        s.query = target.query;
      }
      s.route = listenerRoute(answeredBy);
      try {
        res.send(status, [...headers, 'X-Request-Id', s.requestId], body);
        log(s);
      } catch (err) {
        fail(s, toProxyError(err));
      }
    },
  };
}

function handleRequest(s: Session): ProxyError | void {
  const req = s.req;
  s.requestId = requestIdFrom(s.header('x-request-id'));

  // --- guard (RFC 9112 §3.2, §6.1; server/request-guard.ts has checked the head) ---
  // A refusal is returned, not answered here: the connection answers it with
  // `Connection: close`, so nothing pipelined behind a refused request reaches an origin.
  if (req.method === 'CONNECT') return new ProxyError('REQUEST_METHOD_NOT_ALLOWED');
  const target = parseTarget(req);
  if (target instanceof ProxyError) return target;
  s.host = target.host;
  s.path = target.path;
  s.query = target.query;
  // RFC 6455 §4.1: only a well-formed WebSocket handshake goes further (the connection closes
  // after any refusal, so nothing behind a refused upgrade is read as HTTP).
  if (req.upgrade) {
    const refused = checkWebSocketHandshake(req);
    if (refused !== null) return refused;
  }
  // (An HTTP/2 body of unknown length has no transfer coding: DATA frames, RFC 9113 §8.1.)
  if (req.contentLength < 0 && req.http2 !== true && !isPlainChunked(s.header('transfer-encoding'))) {
    return new ProxyError('REQUEST_TRANSFER_CODING_UNSUPPORTED');
  }
  const rt = s.runtime;
  s.peerTrusted = rt.trusted.isTrusted(req.remoteAddress);
  if (s.peerTrusted) s.clientIp = clientAddress(req.remoteAddress, s.header('x-forwarded-for'), rt.trusted);

  // --- route ---
  const route = rt.routes.match(s);
  if (route === undefined) return fail(s, new ProxyError('ROUTE_NOT_FOUND', `no route for ${req.method} ${s.host}${s.path}`));
  s.route = route;
  if (req.upgrade && !route.websocket) return fail(s, new ProxyError('REQUEST_UPGRADE_UNSUPPORTED', `websocket is off on route ${route.name}`));

  // --- filters that may answer (access control plugs in here) ---
  // A filter may answer, or decide asynchronously (JWT, forward auth): then the rest of the
  // request (afterFilters) runs when it lets the request through.
  if (!runRequestFilters(s, route, afterFilters)) return;
  return afterFilters(s, route);
}

/** The phases after the request filters; also the continuation of an asynchronous filter. */
function afterFilters(s: Session, route: CompiledRoute): ProxyError | void {
  const action = route.action;
  switch (action.kind) {
    case 'respond':
      if (route.compression !== undefined) return respondEncoded(s, route.compression, action);
      return respond(s, action.status, action.headers, action.body);
    case 'redirect':
      return respond(s, action.status, ['Location', expandRedirect(action.to, s)], Buffer.alloc(0));
    case 'upstream':
      // A WebSocket handshake is never a cache lookup; it may become a tunnel (websocket.ts).
      if (s.req.upgrade) return openWebSocket(s, route, action.upstream);
      // Routes without cache go straight upstream: no lookup, no tee.
      if (route.cache !== undefined) return cached(s, route, action.upstream, true);
      return forward(s, route, action.upstream);
  }
}

/**
 * The cache phase (RFC 9111 §4), after access control and before target selection: a usable
 * stored response is answered here; anything else goes upstream with the cache's listener,
 * or waits for a fetch of the same key already in flight (request collapsing). A stale hit
 * within stale-while-revalidate (RFC 5861 §3) is answered, then refreshed in the background.
 */
function cached(s: Session, route: CompiledRoute, upstream: CompiledUpstream, collapse: boolean): void {
  const result = route.cache!.lookup(s, s.req.scheme, Date.now(), collapse, (hit) => serveStored(s, route, hit));
  answerLookup(s, route, upstream, result);
}

function answerLookup(s: Session, route: CompiledRoute, upstream: CompiledUpstream, result: CacheLookup): void {
  switch (result.kind) {
    case 'hit':
      serveStored(s, route, result.hit);
      if (result.refresh !== null) refreshInBackground(s, route, upstream, result.refresh);
      return;
    case 'forward':
      return forward(s, route, upstream, result.tee);
    case 'wait': {
      const waiter = new CollapsedRequest(s, route, upstream);
      waiter.cancel = route.cache!.wait(result.key, () => waiter.wake());
      s.res.whenClientGone(waiter);
      return;
    }
    case 'unsatisfiable':
      return fail(s, new ProxyError('CACHE_ONLY_IF_CACHED', 'only-if-cached and no usable stored response'));
    case 'later': {
      // The second tier (Redis) is being asked; its answer never rejects (cache/route-cache.ts).
      const waiter = new TierRequest(s, route, upstream);
      s.res.whenClientGone(waiter);
      void result.next.then((next) => waiter.answer(next));
      return;
    }
  }
}

/** Answers from a stored response: 200, the client's own 304 (RFC 9111 §4.3.2) or a 206 (RFC 9110 §14). */
function serveStored(s: Session, route: CompiledRoute, hit: StoredHit): void {
  const r = hit.response;
  const age = String(hit.age);
  s.cacheStatus = hit.cacheStatus;
  if (hit.range !== null) {
    // RFC 9110 §15.3.7: a 206 carries Content-Range and the stored fields; its own Content-Length.
    const headers = ['Age', age, 'Cache-Status', hit.cacheStatus, ...r.headers, 'Content-Range', contentRange(hit.range, r.body.length)];
    s.res.send(206, applyResponseFilters(s, headers), r.body.subarray(hit.range.start, hit.range.end + 1));
  } else if (route.compression !== undefined && serveEncodedHit(s, route, route.compression, hit)) {
    return; // compressed, or sent with Vary: Accept-Encoding (it logs)
  } else if (!hit.notModified && route.storedHits) {
    // Only Age, Cache-Status and the filters' per-response lines are made per hit; the
    // stored lines go out as they were serialized when stored.
    s.res.sendStored(r.status, applyResponseFilters(s, ['Age', age, 'Cache-Status', hit.cacheStatus]), r.head, r.body);
  } else {
    // Header edits must see the stored lines too (or a 304 sends a subset of them).
    const headers = ['Age', age, 'Cache-Status', hit.cacheStatus, ...(hit.notModified ? notModifiedHeaders(r.headers) : r.headers)];
    s.res.send(hit.notModified ? 304 : r.status, applyResponseFilters(s, headers), hit.notModified ? EMPTY : r.body);
  }
  log(s);
}

/**
 * RFC 5861 §3: the refresh of a stale-while-revalidate hit, after the client has its answer:
 * the same upstream phase, for a session of its own whose response goes nowhere (a writer on
 * a closed socket). It counts as a request in flight and is logged like one.
 */
function refreshInBackground(client: Session, route: CompiledRoute, upstream: CompiledUpstream, tee: ResponseTee): void {
  const socket = new Socket();
  socket.destroy();
  const sink = new ResponseWriter({ socket, isHead: false, http10: false, keepAlive: false, mayReuse: () => false, onClientGone: null, onFinish: () => {} });
  const s = new Session(client.req, sink, client.runtime);
  s.requestId = client.requestId;
  s.host = client.host;
  s.path = client.path;
  s.query = client.query;
  s.peerTrusted = client.peerTrusted;
  s.clientIp = client.clientIp;
  s.route = route;
  s.runtime.inFlight++;
  sharedMetrics.inFlight++;
  try {
    // Nothing reads this response: compressing it would be work for nobody.
    forward(s, route.compression === undefined ? route : { ...route, compression: undefined }, upstream, tee);
  } catch (err) {
    tee.onAbort();
    fail(s, toProxyError(err));
  }
}

const EMPTY = Buffer.alloc(0);

/** A miss waiting for another request's fetch of the same key; looks again when it is over. */
class CollapsedRequest implements ClientGoneListener {
  cancel: () => void = () => {};
  constructor(
    private readonly s: Session,
    private readonly route: CompiledRoute,
    private readonly upstream: CompiledUpstream,
  ) {}

  wake(): void {
    if (this.s.logged) return;
    try {
      cached(this.s, this.route, this.upstream, false);
    } catch (err) {
      fail(this.s, toProxyError(err));
    }
  }

  clientGone(): void {
    this.cancel();
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}

/** A miss waiting for the second cache tier's answer. */
class TierRequest implements ClientGoneListener {
  constructor(
    private readonly s: Session,
    private readonly route: CompiledRoute,
    private readonly upstream: CompiledUpstream,
  ) {}

  answer(next: CacheLookup): void {
    if (this.s.logged) {
      // The client left while Redis was asked: a fill not started must still settle its waiters.
      if (next.kind === 'forward') next.tee.onAbort();
      return;
    }
    try {
      answerLookup(this.s, this.route, this.upstream, next);
    } catch (err) {
      if (next.kind === 'forward') next.tee.onAbort();
      fail(this.s, toProxyError(err));
    }
  }

  clientGone(): void {
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}

/**
 * RFC 9112 §6.1: Barbican re-frames bodies and understands only `chunked`; a body under any
 * other coding (gzip, chunked) would reach the origin mislabelled, so it is refused with 501.
 * server/request-guard.ts has already refused a final coding other than chunked and malformed
 * lists; repeated field lines are joined here.
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

/** Answers from Barbican itself (respond and redirect routes, filter answers). */
function respond(s: Session, status: number, headers: readonly string[], body: Buffer): void {
  const all = applyResponseFilters(s, ['Date', httpDate(), ...headers]);
  s.res.send(status, all, body);
  log(s);
}
