/**
 * HTTP/2 to one target (upstreams.<name>.protocol: http2): one node:http2 client session per
 * target, requests multiplexed on it as streams (RFC 9113 §5), opened again when it goes away.
 * https:// targets negotiate "h2" by ALPN; http:// targets speak cleartext HTTP/2 with prior
 * knowledge (h2c, RFC 9113 §3.3) — which is what gRPC servers expect.
 *
 * Requests arrive as the pipeline builds them for HTTP/1.1 (a flat field list with Host); they
 * go out with :authority from Host and without the fields HTTP/2 forbids (§8.2.2). Bodies
 * stream from the same BodySource (client RequestBody or replay buffer) with backpressure;
 * responses stream to the same UpstreamExchange, trailers included.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { H2_CANCEL, H2_FLAG_END_STREAM } from '../server/http2-codes.js';
import { ProxyError } from '../errors/index.js';
import type { BodySink } from '../server/request-body.js';
import { classifyConnectError, classifyConnectionError } from './classify-error.js';
import type { TargetPoolOptions, UpstreamCall, UpstreamPool, UpstreamRequest } from './target-pool.js';
import type { UpstreamExchange } from './upstream-connection.js';

/** RFC 9113 §8.2.2 (and Host, carried as :authority). */
const NOT_SENT = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host', 'http2-settings']);

/** Flattens a node:http2 header object into [name, value, …], pseudo-headers left out. */
function flatten(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else if (value !== undefined) out.push(name, String(value));
  }
  return out;
}

export class Http2TargetPool implements UpstreamPool {
  readonly http2 = true;
  readonly authority: string;
  private readonly origin: string;
  private readonly scheme: 'http' | 'https';
  private current: ClientHttp2Session | null = null;
  /** Streams open or waiting on this target. */
  active = 0;
  private closed = false;

  constructor(private readonly options: TargetPoolOptions) {
    const url = new URL(options.url);
    this.scheme = url.protocol === 'https:' ? 'https' : 'http';
    this.authority = url.host;
    this.origin = url.origin;
  }

  request(req: UpstreamRequest, exchange: UpstreamExchange): UpstreamCall {
    const call = new Http2Call(this, req, exchange);
    if (this.closed) call.fail(new ProxyError('SHUTTING_DOWN'));
    // RFC 9113 §8.6: HTTP/2 has no Upgrade; WebSocket over HTTP/2 (RFC 8441) is not offered upstream.
    else if (req.upgrade === true) call.fail(new ProxyError('REQUEST_UPGRADE_UNSUPPORTED', 'WebSocket to an upstream with protocol: http2'));
    else if (this.active >= this.options.maxConnections * 100 + this.options.maxPending) {
      call.fail(new ProxyError('UPSTREAM_OVERLOADED', `${this.active} streams open to the target`));
    } else call.start(this.session(), this.scheme);
    return call;
  }

  /** The session to send on: the current one, or a new one when there is none usable. */
  private session(): ClientHttp2Session {
    const existing = this.current;
    if (existing !== null && !existing.closed && !existing.destroyed) return existing;
    const o = this.options;
    const session = connect(this.origin, {
      ...(this.scheme === 'https' ? { ...o.tls, ALPNProtocols: ['h2'] } : {}),
      maxHeaderListPairs: 1000,
      settings: { enablePush: false, maxHeaderListSize: o.maxResponseHeaderBytes },
    });
    this.current = session;
    session.on('error', (err: NodeJS.ErrnoException) => {
      // Streams waiting on it fail with it (Http2Call listens on the session too).
      session.destroy();
      void err;
    });
    session.on('close', () => {
      if (this.current === session) this.current = null;
    });
    // No ping, no idle timer per request: an idle session is closed after timeouts.idle.
    session.setTimeout(o.idleTimeout, () => {
      if (this.active === 0) session.close();
    });
    session.unref();
    return session;
  }

  close(): void {
    this.closed = true;
    this.current?.close();
    this.current = null;
  }

  get connectTimeout(): number {
    return this.options.connectTimeout;
  }
}

/** One request as an HTTP/2 stream. Allocated per request on the HTTP/2 path only. */
class Http2Call implements UpstreamCall, BodySink {
  private stream: ClientHttp2Stream | null = null;
  private done = false;
  private headReceived = false;
  private timer: NodeJS.Timeout | null = null;
  private counted = false;

  constructor(
    private readonly pool: Http2TargetPool,
    private readonly req: UpstreamRequest,
    private readonly exchange: UpstreamExchange,
  ) {}

  start(session: ClientHttp2Session, scheme: string): void {
    const req = this.req;
    const headers: OutgoingHttpHeaders = { ':method': req.method, ':scheme': scheme, ':path': req.path };
    const h = req.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!.toLowerCase();
      if (name === 'host') {
        headers[':authority'] = h[i + 1]!;
        continue;
      }
      if (NOT_SENT.has(name)) continue;
      const prev = headers[name];
      const value = h[i + 1]!;
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [String(prev), value];
    }
    headers[':authority'] ??= this.pool.authority;
    if (req.contentLength > 0) headers['content-length'] = req.contentLength;
    if (req.teTrailers) headers.te = 'trailers';
    this.pool.active++;
    this.counted = true;
    if (!session.connecting) this.exchange.onConnected();
    else session.once('connect', () => this.exchange.onConnected());
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: req.body === null });
    } catch (err) {
      this.fail(classifyConnectError(err as NodeJS.ErrnoException));
      return;
    }
    this.stream = stream;
    // The response head must come within responseHeadersTimeout (counted from the request,
    // connection time included: it is one timer on this path, not the HTTP/1.1 sweep).
    this.timer = setTimeout(this.onTimeout, req.options.responseHeadersTimeout + (session.connecting ? this.pool.connectTimeout : 0));
    stream.on('response', this.onResponse);
    stream.on('data', this.onResponseData);
    stream.on('trailers', this.onTrailers);
    stream.on('end', this.onResponseEnd);
    stream.on('error', this.onStreamError);
    stream.on('close', this.onStreamClose);
    if (req.options.idleTimeout > 0) stream.setTimeout(req.options.idleTimeout, this.onIdle);
    if (req.body !== null) req.body.pipe(this);
  }

  // --- request body (BodySink) ---

  onData(chunk: Buffer): boolean {
    const stream = this.stream;
    if (stream === null || this.done || stream.destroyed) return true;
    if (stream.write(chunk)) return true;
    stream.once('drain', this.onBodyDrain);
    return false;
  }

  onEnd(): void {
    if (!this.done) this.stream?.end();
  }

  onError(err: ProxyError): void {
    // The client side of the body failed: cancel the stream.
    this.fail(err);
  }

  private onBodyDrain = (): void => {
    this.req.body?.resume();
  };

  // --- response ---

  private onResponse = (headers: IncomingHttpHeaders, flags: number): void => {
    const status = Number(headers[':status']);
    // RFC 9110 §15.2: interim responses are not the answer (node:http2 reports them as 'headers').
    this.headReceived = true;
    this.clearTimer();
    const raw = flatten(headers);
    const length = headers['content-length'];
    // A HEADERS frame that ends the stream has no body: gRPC's "trailers-only" answers carry
    // grpc-status there, and must reach the client the same way (END_STREAM on its HEADERS).
    const contentLength = (flags & H2_FLAG_END_STREAM) !== 0 ? 0 : length === undefined || this.exchange.isHead ? -1 : Number(length);
    this.exchange.onResponseHead(status, '', raw, Number.isSafeInteger(contentLength) ? contentLength : -1);
    if (!this.done) this.exchange.onParsed();
  };

  private onResponseData = (chunk: Buffer): void => {
    if (this.done) return;
    if (!this.exchange.onResponseData(chunk)) this.stream?.pause();
  };

  private onTrailers = (trailers: IncomingHttpHeaders): void => {
    if (!this.done) this.exchange.onResponseTrailers?.(flatten(trailers));
  };

  private onResponseEnd = (): void => {
    if (this.done || !this.headReceived) return;
    this.finish();
    this.exchange.onResponseEnd();
  };

  private onStreamError = (err: NodeJS.ErrnoException): void => {
    // A stream still waiting for its session is cancelled with the connect error as cause.
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (err.code === 'ERR_HTTP2_STREAM_CANCEL' && cause !== undefined && !this.headReceived) return this.fail(classifyConnectError(cause));
    const code = err.code ?? '';
    this.fail(code.startsWith('ERR_HTTP2') ? classifyConnectionError(err, 'mid-stream') : this.headReceived ? classifyConnectionError(err) : classifyConnectError(err));
  };

  private onStreamClose = (): void => {
    // Closed without an end (reset by the target, session gone).
    if (this.done) return;
    const code = this.stream?.rstCode;
    this.fail(new ProxyError('UPSTREAM_RESET', `stream closed by the target${code !== undefined ? ` (code ${code})` : ''}`));
  };

  private onTimeout = (): void => {
    this.timer = null;
    if (!this.headReceived) this.fail(new ProxyError('UPSTREAM_RESPONSE_TIMEOUT', 'the target did not answer in time'));
  };

  private onIdle = (): void => {
    if (this.headReceived) this.fail(new ProxyError('UPSTREAM_IDLE_TIMEOUT', `no data from the target for ${this.req.options.idleTimeout} ms`));
  };

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private finish(): void {
    this.done = true;
    this.clearTimer();
    this.req.body?.unpipe();
    if (this.counted) {
      this.counted = false;
      this.pool.active--;
    }
  }

  /** Ends the call with an error (reported once); the stream is cancelled. */
  fail(err: ProxyError): void {
    if (this.done) return;
    this.finish();
    const stream = this.stream;
    if (stream !== null && !stream.destroyed) stream.close(H2_CANCEL);
    this.exchange.onError(err);
  }

  resume(): void {
    this.stream?.resume();
  }

  abort(): void {
    if (this.done) return;
    this.finish();
    const stream = this.stream;
    if (stream !== null && !stream.destroyed) stream.close(H2_CANCEL);
  }
}
