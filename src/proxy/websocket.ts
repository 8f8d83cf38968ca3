/**
 * The upstream phase of a WebSocket handshake (RFC 6455 §4): after the guard checked the
 * handshake (websocket-handshake.ts), routing, and access control, one target is chosen like for
 * any request and sent the handshake on a fresh connection, with the Upgrade / Connection pair
 * that hop-by-hop removal takes out of ordinary requests and every Sec-WebSocket-* field of the
 * client. The tunnel opens only if the target answers 101 with `Upgrade: websocket`; any other
 * answer (403, 426, a redirect…) is relayed as an ordinary response, and the connection to the
 * target is not reused.
 *
 * Not retried: a handshake is cheap for the client to try again, and its connect failures are
 * answered 502 like any request's.
 */
import { NONE_TRIED } from '../balancer/index.js';
import { ProxyError } from '../errors/index.js';
import type { ClientGoneListener } from '../server/response-writer.js';
import { forwardRequestHeaders, forwardResponseHeaders, serializeRequestHead } from '../upstream/forwarded-headers.js';
import type { UpstreamCall } from '../upstream/target-pool.js';
import type { TunnelPeer, UpstreamConnection, UpstreamExchange } from '../upstream/upstream-connection.js';
import { DrainResume } from './drain-resume.js';
import { fail, log } from './exit.js';
import { applyResponseFilters } from './filter.js';
import type { CompiledRoute, CompiledUpstream, UpstreamTarget } from './runtime.js';
import type { Session } from './session.js';
import { switchesToWebSocket } from './websocket-handshake.js';
import { WebSocketTunnel } from './websocket-tunnel.js';

/** Sends the handshake upstream; the answer is relayed, or becomes a tunnel. */
export function openWebSocket(s: Session, route: CompiledRoute, upstream: CompiledUpstream): void {
  const exchange = new WebSocketExchange(s, route, upstream);
  s.res.whenClientGone(exchange);
  exchange.start();
}

class WebSocketExchange implements UpstreamExchange, ClientGoneListener {
  readonly isHead = false;
  private call: UpstreamCall | null = null;
  private target: UpstreamTarget | null = null;
  /** Resumes the target when the client drains (made at the first wait). */
  private drain: DrainResume | null = null;

  constructor(
    private readonly s: Session,
    private readonly route: CompiledRoute,
    private readonly upstream: CompiledUpstream,
  ) {}

  start(): void {
    const s = this.s;
    const route = this.route;
    const now = Date.now();
    const index = this.upstream.selector.select(s, now, NONE_TRIED);
    if (index === -1) {
      return fail(s, new ProxyError('UPSTREAM_UNAVAILABLE', `no available target in upstream ${this.upstream.name}`, { retryAfter: this.upstream.retryAfter(now) }));
    }
    const target = this.upstream.targets[index]!;
    this.target = target;
    s.target = target;
    // Counted for the whole tunnel: leastConnections balances open WebSockets too.
    target.state.inFlight++;
    const host = route.upstreamHost === 'keep' ? s.host || target.pool.authority : route.upstreamHost === 'target' ? target.pool.authority : route.upstreamHost;
    let headers = forwardRequestHeaders(s.req.rawHeaders, {
      peer: s.req.remoteAddress,
      peerTrusted: s.peerTrusted,
      scheme: s.req.scheme,
      host,
      clientHost: s.host,
      requestId: s.requestId,
    });
    // RFC 6455 §4.1 items 5-6; hop-by-hop removal (RFC 9110 §7.6.1) dropped the client's pair.
    headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
    for (const f of route.filters) if (f.onUpstreamRequest) headers = f.onUpstreamRequest(s, headers);
    const path = route.rewritePath ? route.rewritePath(s.path + s.query) : s.path + s.query;
    this.call = target.pool.request(
      { head: serializeRequestHead('GET', path, headers, 0), method: 'GET', path, headers, contentLength: 0, teTrailers: false, body: null, chunked: false, idempotent: true, options: route.sendOptions, upgrade: true },
      this,
    );
  }

  onSwitchingProtocols(_reason: string, rawHeaders: string[], conn: UpstreamConnection): TunnelPeer | null {
    const s = this.s;
    const target = this.target!;
    this.call = null;
    this.upstream.outlier?.onSuccess(target.state, Date.now());
    // RFC 6455 §4.1: a 101 to anything but websocket, or without the Accept derived from this
    // handshake's key, is not the answer to this handshake (the guard made sure there is one key).
    if (!switchesToWebSocket(rawHeaders, s.header('sec-websocket-key') ?? '')) {
      this.endTry();
      fail(s, new ProxyError('UPSTREAM_BAD_RESPONSE', 'the target\'s 101 is not a WebSocket answer to this handshake (Upgrade: websocket and the matching Sec-WebSocket-Accept)'));
      return null;
    }
    let headers = forwardResponseHeaders(rawHeaders, s.runtime.hiddenResponseHeaders);
    headers.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
    headers = applyResponseFilters(s, headers);
    const tunnel = new WebSocketTunnel(s, conn, target, this.route.websocketIdleTimeout);
    const switched = s.res.switchProtocols(headers, tunnel);
    if (switched === null) {
      // The client left while the target was answering: no tunnel (the target connection is closed).
      this.endTry();
      fail(s, new ProxyError('CLIENT_ABORTED'));
      return null;
    }
    // The tunnel now holds the target's count (until it closes).
    this.target = null;
    tunnel.start(switched);
    return tunnel;
  }

  // --- any other answer: relayed as an ordinary response ---

  onResponseHead(status: number, reason: string, rawHeaders: string[], contentLength: number): void {
    const s = this.s;
    const outlier = this.upstream.outlier;
    if (outlier !== undefined) {
      if (status >= 500) outlier.onFailure(this.target!.state, Date.now());
      else outlier.onSuccess(this.target!.state, Date.now());
    }
    const headers = applyResponseFilters(s, forwardResponseHeaders(rawHeaders, s.runtime.hiddenResponseHeaders));
    s.res.writeHead(status, headers, contentLength, reason || undefined);
  }

  onResponseData(chunk: Buffer): boolean {
    const res = this.s.res;
    if (res.write(chunk)) return true;
    (this.drain ??= new DrainResume(() => this.call?.resume())).after(res);
    return false;
  }

  onParsed(): void {
    this.s.res.flushHead();
  }

  onConnected(): void {}

  retainsData(): boolean {
    return this.s.res.queuedBytes > 0;
  }

  onResponseEnd(): void {
    this.endTry();
    this.s.res.end();
    log(this.s);
  }

  onError(err: ProxyError): void {
    const target = this.endTry();
    if (target !== null && err.source === 'upstream') this.upstream.outlier?.onFailure(target.state, Date.now());
    fail(this.s, err);
  }

  clientGone(): void {
    const call = this.call;
    this.endTry();
    call?.abort();
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }

  private endTry(): UpstreamTarget | null {
    const target = this.target;
    if (target !== null) {
      this.target = null;
      target.state.inFlight--;
    }
    this.call = null;
    return target;
  }
}
