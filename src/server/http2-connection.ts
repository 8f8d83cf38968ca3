/**
 * One client connection speaking HTTP/2 (RFC 9113) through node:http2 (nghttp2 parses and frames;
 * Barbican never hand-writes HTTP/2 framing). Each stream becomes a DownstreamRequest and an
 * Http2ResponseWriter and goes through the same pipeline as an HTTP/1.1 request; its DATA
 * frames feed the same RequestBody, so the body the origin receives is framed by Barbican.
 *
 * Floods (RFC 9113 §10.5) are bounded per connection: at most `maxConcurrentStreams` streams
 * (nghttp2 refuses more, and node:http2 closes a session that keeps opening them), header lists
 * within limits.maxHeaderBytes / maxHeaderCount (node:http2 resets the stream), protocol state
 * within maxSessionMemory; counted here: streams the client cancels (rapid reset,
 * CVE-2023-44487) and PING / SETTINGS frames per second. Over a limit the connection is closed
 * with GOAWAY ENHANCE_YOUR_CALM and the streams in progress are cancelled upstream.
 */
import type { Socket } from 'node:net';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { H2_ENHANCE_YOUR_CALM, H2_NO_ERROR, H2_PROTOCOL_ERROR } from './http2-codes.js';
import { performance } from 'node:perf_hooks';
import { ProxyError } from '../errors/index.js';
import type { Http2Config, LimitsConfig } from './config.js';
import type { DownstreamRequest } from './downstream-request.js';
import type { RequestHandler } from './http1-connection.js';
import { translateHttp2Request } from './http2-request.js';
import { Http2ResponseWriter, type Http2ResponseOwner } from './http2-response-writer.js';
import { RequestBody } from './request-body.js';

/** What an HTTP/2 connection needs from its listener. */
export interface Http2ConnectionHost {
  readonly limits: LimitsConfig;
  readonly http2: Http2Config;
  readonly scheme: 'http' | 'https';
  readonly listenerName: string;
  readonly handler: () => RequestHandler;
  readonly draining: boolean;
  onClose(conn: Http2Connection): void;
  /** A connection closed for abuse (flood): logged by the listener. */
  onAbuse(conn: Http2Connection, reason: 'rapid_reset' | 'control_flood', detail: string): void;
}

function stripMappedPrefix(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** One stream: the request, its response writer, and the stream events that end them. */
class Http2Exchange implements Http2ResponseOwner {
  readonly res: Http2ResponseWriter;
  done = false;

  constructor(
    readonly conn: Http2Connection,
    readonly stream: ServerHttp2Stream,
    readonly req: DownstreamRequest,
    acceptsTrailers: boolean,
  ) {
    this.res = new Http2ResponseWriter(stream, req.method === 'HEAD', acceptsTrailers, this);
    stream.on('aborted', this.onAborted);
    stream.on('close', this.onClose);
    stream.on('error', noop); // 'close' follows; resets are normal at the edge
    if (!req.body.complete) {
      stream.on('data', this.onData);
      stream.on('end', this.onEnd);
    }
  }

  private onData = (chunk: Buffer): void => {
    const body = this.req.body;
    body.push(chunk);
    // RFC 9113 §8.1.1: DATA beyond Content-Length makes the request malformed (nghttp2 checks
    // too; the upstream framing must never depend on it).
    const declared = this.req.contentLength;
    if (declared >= 0 && body.bytesReceived > declared) this.malformed('more DATA than Content-Length');
  };

  private onEnd = (): void => {
    const body = this.req.body;
    const declared = this.req.contentLength;
    if (declared >= 0 && body.bytesReceived !== declared) return this.malformed('less DATA than Content-Length');
    body.end();
  };

  private malformed(detail: string): void {
    this.req.body.fail(new ProxyError('REQUEST_MALFORMED', `malformed HTTP/2 request: ${detail}`));
    if (!this.stream.destroyed) this.stream.close(H2_PROTOCOL_ERROR);
  }

  pause = (): void => {
    this.stream.pause();
  };

  resume = (): void => {
    this.stream.resume();
  };

  private onAborted = (): void => {
    // The client reset the stream before the response was complete.
    if (!this.res.finished) this.conn.clientReset();
  };

  private onClose = (): void => {
    this.conn.streamClosed(this);
    if (!this.req.body.complete) this.req.body.fail(new ProxyError('CLIENT_ABORTED'));
    if (!this.res.finished) this.res.gone();
  };

  onFinish(): void {
    this.done = true;
    // RFC 9113 §8.1: a response sent before the request is complete ends the request too
    // (RST_STREAM NO_ERROR) once the response has left, so the client stops sending.
    if (!this.req.body.complete && !this.stream.destroyed) {
      if (this.stream.writableFinished) this.stream.close(H2_NO_ERROR);
      else this.stream.once('finish', () => this.stream.close(H2_NO_ERROR));
    }
  }
}

export class Http2Connection {
  readonly socket: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly exchanges = new Set<Http2Exchange>();
  private closed = false;
  /** performance.now() deadlines checked by the listener's sweep; 0 = none. */
  private firstStreamDeadline: number;
  private idleSince: number;
  private resetWindow = 0;
  private resets = 0;
  private controlWindow = 0;
  private controlFrames = 0;
  private unsentSeen = 0;
  private sendStalledSince = 0;

  constructor(
    readonly session: ServerHttp2Session,
    private readonly host: Http2ConnectionHost,
  ) {
    const socket = session.socket as Socket;
    this.socket = socket;
    this.remoteAddress = stripMappedPrefix(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    const now = performance.now();
    this.firstStreamDeadline = now + host.limits.headersTimeout;
    this.idleSince = now;
    session.on('stream', this.onStream);
    session.on('ping', this.onControlFrame);
    session.on('remoteSettings', this.onControlFrame);
    session.on('error', noop); // 'close' follows
    session.on('close', this.onSessionClose);
  }

  /** Open streams on this connection. */
  get streams(): number {
    return this.exchanges.size;
  }

  /** Graceful close: GOAWAY, the streams in progress finish, then the connection closes. */
  drain(): void {
    if (!this.session.closed && !this.session.destroyed) this.session.close();
  }

  /** Called by the listener's sweep. */
  checkDeadlines(now: number): void {
    if (this.closed) return;
    const limits = this.host.limits;
    // The client must keep taking what is sent to it (as for HTTP/1.1, sendTimeout).
    const unsent = this.socket.writableLength;
    if (unsent > 0) {
      if (unsent !== this.unsentSeen) {
        this.unsentSeen = unsent;
        this.sendStalledSince = now;
      } else if (now - this.sendStalledSince >= limits.sendTimeout) {
        this.session.destroy();
        return;
      }
    } else this.unsentSeen = 0;
    if (this.firstStreamDeadline !== 0 && now >= this.firstStreamDeadline) {
      // Opened and never asked for anything (or only sent a preface): closed quietly.
      this.session.destroy();
      return;
    }
    if (this.exchanges.size === 0) {
      if (now - this.idleSince >= limits.keepAliveTimeout) this.drain();
      return;
    }
    for (const exchange of this.exchanges) {
      const req = exchange.req;
      if (!req.body.complete && now - req.startTime >= limits.requestTimeout) {
        req.body.fail(new ProxyError('REQUEST_TIMEOUT'));
      }
    }
  }

  /** A stream the client cancelled before its response was complete (rapid reset, CVE-2023-44487). */
  clientReset(): void {
    const now = performance.now();
    if (now - this.resetWindow >= 1000) {
      this.resetWindow = now;
      this.resets = 0;
    }
    if (++this.resets > this.host.http2.maxStreamResetsPerSecond) this.calm('rapid_reset', 'too many streams reset by the client (rapid reset)');
  }

  private onControlFrame = (): void => {
    const now = performance.now();
    if (now - this.controlWindow >= 1000) {
      this.controlWindow = now;
      this.controlFrames = 0;
    }
    if (++this.controlFrames > this.host.http2.maxControlFramesPerSecond) this.calm('control_flood', 'too many PING/SETTINGS frames');
  };

  /** Closes an abusive connection: GOAWAY ENHANCE_YOUR_CALM (RFC 9113 §5.4.1), streams cancelled. */
  private calm(reason: 'rapid_reset' | 'control_flood', detail: string): void {
    if (this.closed || this.session.destroyed) return;
    this.host.onAbuse(this, reason, detail);
    this.session.destroy(new Error(detail), H2_ENHANCE_YOUR_CALM);
  }

  streamClosed(exchange: Http2Exchange): void {
    if (this.exchanges.delete(exchange) && this.exchanges.size === 0) this.idleSince = performance.now();
  }

  private onStream = (stream: ServerHttp2Stream, _headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void => {
    this.firstStreamDeadline = 0;
    const startTime = performance.now();
    const host = this.host;
    const endStream = stream.endAfterHeaders;
    const head = translateHttp2Request(rawHeaders, endStream, host.limits);
    const refused = head instanceof ProxyError ? head : null;
    const ok = refused === null ? head as Exclude<typeof head, ProxyError> : null;
    const contentLength = ok?.contentLength ?? 0;
    let exchange: Http2Exchange | null = null;
    const body = new RequestBody(
      ok !== null && !endStream && contentLength !== 0,
      () => exchange?.pause(),
      () => exchange?.resume(),
    );
    const req: DownstreamRequest = {
      method: ok?.method ?? methodOf(rawHeaders),
      target: ok?.target ?? '-',
      httpMinor: 1,
      rawHeaders: ok?.rawHeaders ?? [],
      contentLength,
      body,
      upgrade: false,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      scheme: host.scheme,
      listener: host.listenerName,
      http2: true,
      startTime,
    };
    exchange = new Http2Exchange(this, stream, req, ok !== null && hasTrailersTe(ok.rawHeaders));
    this.exchanges.add(exchange);
    const handler = host.handler();
    if (refused !== null) {
      handler.reject(req, exchange.res, refused);
      return;
    }
    const refusal = handler.handle(req, exchange.res);
    // A guard refusal: answered (and logged) like a malformed head; only this stream ends.
    if (refusal instanceof ProxyError) handler.reject(req, exchange.res, refusal);
  };

  private onSessionClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.host.onClose(this);
  };
}

function methodOf(raw: readonly string[]): string {
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === ':method') return raw[i + 1]!;
  return '-';
}

function hasTrailersTe(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'te') return true; // only "trailers" gets this far
  return false;
}

function noop(): void {}
