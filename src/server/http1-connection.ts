/**
 * One client connection speaking HTTP/1.1: parses requests with llhttp, hands each to the
 * request handler in order, enforces the connection-level limits and deadlines, and decides
 * when the connection may be reused (RFC 9112 §9).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ProxyError } from '../errors/index.js';
import type { LimitsConfig } from './config.js';
import type { ClientResponse } from './client-response.js';
import type { DownstreamRequest } from './downstream-request.js';
import { HTTPParser, METHODS, startReading, stopReading, type LlhttpError, type LlhttpParser, type OnHeadersComplete } from './llhttp.js';
import { RequestBody } from './request-body.js';
import { sendHeldNow, unsentBytes } from './turn-writes.js';
import { freshReadBuffer, useOwnReadBuffer, type ReadBufferOwner } from './user-read-buffer.js';
import { checkRequestHead } from './request-guard.js';
import { SimpleRequestHead } from './simple-request-head.js';
import { forwardableTrailers } from './trailer-fields.js';
import { ResponseWriter, type ClientGoneListener, type DeadlineWatcher, type ResponseTarget } from './response-writer.js';

/** What a connection needs from the proxy: the pipeline entry points. */
export interface RequestHandler {
  /**
   * Handles one parsed request; must eventually end or abort `res`. Instead, it may refuse the
   * request at the guard by returning a ProxyError without having written anything: the
   * connection then answers it through `reject` and closes, like for a bad head, so nothing
   * sent after a refused request on this connection is ever handled.
   */
  handle(req: DownstreamRequest, res: ClientResponse): ProxyError | void;
  /** Answers (and logs) a request that failed before it could be handled. */
  reject(req: DownstreamRequest, res: ClientResponse, err: ProxyError): void;
  /**
   * Sends an answer a listener gives itself before routing (server/http-front.ts: ACME HTTP-01,
   * redirectToHttps) and logs and counts it like any request, under the route name
   * `answeredBy` (a name in parentheses, which says no configured route answered).
   */
  answer(req: DownstreamRequest, res: ClientResponse, status: number, headers: readonly string[], body: string, answeredBy: string): void;
}

/** What a connection needs from its listener. */
export interface ConnectionHost {
  readonly limits: LimitsConfig;
  readonly scheme: 'http' | 'https';
  readonly listenerName: string;
  readonly handler: () => RequestHandler;
  /** True once graceful shutdown has begun: finish the current response, then close. */
  readonly draining: boolean;
  onClose(conn: Http1Connection): void;
}

const freeParsers: LlhttpParser[] = [];
/**
 * One reader for every connection (its field offsets are 1 KiB, which 1,000 idle connections
 * need not hold each): a head is read and its values taken in one synchronous step.
 */
const simpleHead = new SimpleRequestHead();
/** How long a closing connection keeps reading (and discarding) before it is cut. */
const LINGER_MS = 2000;
const PARSER_RESOURCE = {};
/**
 * Sizes of the buffer each plain-TCP client connection reads into (user-read-buffer.ts): it
 * starts small, as most connections only ever carry heads (and idle ones hold it: 1,000 idle
 * connections, 4 MiB), and grows once a read fills it, so that a head with a 10 KiB body
 * then fits one read.
 */
const READ_BUFFER_START = 4 * 1024;
const READ_BUFFER_MAX = 16 * 1024;

function stripMappedPrefix(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

class Exchange implements ResponseTarget {
  readonly res: ResponseWriter;
  keepAlive: boolean;
  /** Set by the pipeline to hear that the client went away mid-exchange. */
  onClientGone: ClientGoneListener | null = null;
  /** A request refused before it reaches the pipeline (bad head, head timeout). */
  rejection: ProxyError | null = null;
  /** An upgrade request: the bytes that followed its head in the same read (null until known). */
  upgradeHead: Buffer | null = null;

  constructor(
    readonly conn: Http1Connection,
    readonly req: DownstreamRequest,
    readonly socket: Socket,
    requestKeepAlive: boolean,
  ) {
    this.keepAlive = requestKeepAlive;
    this.res = new ResponseWriter(this);
  }

  mayReuse(): boolean {
    return this.req.body.complete && this.conn.reusable;
  }

  get isHead(): boolean {
    return this.req.method === 'HEAD';
  }

  get http10(): boolean {
    return this.req.httpMinor === 0;
  }

  onFinish(aborted: boolean): void {
    this.conn.finished(this, aborted);
  }

  takeOver(watcher: DeadlineWatcher): Buffer {
    return this.conn.takeOver(this, watcher);
  }
}

const EMPTY = Buffer.alloc(0);

export class Http1Connection implements ReadBufferOwner {
  readonly remoteAddress: string;
  readonly remotePort: number;
  private parser: LlhttpParser;
  /** The exchange whose response is being produced. */
  private active: Exchange | null = null;
  /** Pipelined exchanges waiting for the active one to finish (RFC 9112 §9.3.2: in order). */
  private readonly queue: Exchange[] = [];
  /** The exchange whose request message is still being read. */
  private parsing: Exchange | null = null;
  private headerParts: string[] = [];
  private urlPart = '';
  private messageStart = 0;
  private closing = false;
  /** FIN sent: input is discarded until the client closes or the linger time ends. */
  private ending = false;
  /**
   * A request was refused (a bad head, or at the guard): nothing the client sends after its
   * head is read, not even its body, so no byte of it can be taken for a request.
   */
  private refused = false;
  private closed = false;
  private readingPaused = false;
  /** Where plain-TCP reads land (see onRead); replaced while a body slice of it may be referenced. */
  readBuffer: Buffer;
  /** Bytes of a Content-Length request body still to come: relayed as slices of the read, not through llhttp. */
  private rawRemaining = 0;
  /**
   * llhttp is at the start of a message and has not been handed a byte since it was set up:
   * the next head may be read by SimpleRequestHead instead (never in the middle of llhttp's work).
   */
  private parserFresh = true;
  /** Absolute deadlines (performance.now() ms), 0 = none. Checked by the listener's sweep. */
  headersDeadline = 0;
  requestDeadline = 0;
  idleDeadline = 0;
  /** Between requests on a keep-alive connection. */
  private idle = false;
  /** An upgrade request whose following bytes are still to be set aside (see setUpgradeHead). */
  private upgrading: Exchange | null = null;
  /** After a 101: the tunnel, whose deadlines the sweep checks; the socket is no longer HTTP. */
  private tunnel: DeadlineWatcher | null = null;
  /** Bytes queued for the client at the last sweep, and since when that has not changed. */
  private unsentSeen = 0;
  private sendStalledSince = 0;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.remoteAddress = stripMappedPrefix(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    const parser = freeParsers.pop() ?? new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, PARSER_RESOURCE, host.limits.maxHeaderBytes, HTTPParser.kLenientNone);
    parser[HTTPParser.kOnMessageBegin] = this.onMessageBegin;
    parser[HTTPParser.kOnHeaders] = this.onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    parser[HTTPParser.kOnBody] = this.onBody;
    // Wired only while a body is read (see wireMessageComplete); a pooled parser may have it set.
    parser[HTTPParser.kOnMessageComplete] = undefined;
    this.parser = parser;
    socket.setNoDelay(true);
    // Plain TCP: reads land in readBuffer (onRead); TLS: 'data' events (onData).
    this.readBuffer = 'encrypted' in socket ? EMPTY : Buffer.allocUnsafeSlow(READ_BUFFER_START);
    if (!useOwnReadBuffer(socket, this)) {
      this.readBuffer = EMPTY;
      socket.on('data', this.onData);
    }
    // Bytes a listener already read while deciding the protocol (h2c's preface check) come first.
    if (socket.readableLength > 0) process.nextTick(this.parseBuffered);
    socket.on('end', this.onEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.headersDeadline = performance.now() + host.limits.headersTimeout;
  }

  /** False once the connection is to close after the current response. */
  get reusable(): boolean {
    return !this.closing && !this.host.draining;
  }

  /** Closes the connection at the next point where no response is in progress. */
  drain(): void {
    this.closing = true;
    if (this.active === null && this.parsing === null) this.closeAfterResponse();
  }

  /** Called by the sweep with the current time; enforces the deadlines. */
  checkDeadlines(now: number): void {
    if (this.closed) return;
    if (this.tunnel !== null) this.tunnel.checkDeadlines(now);
    // A response still queued for the client: the client must keep taking it (sendTimeout),
    // and the connection is not idle until it is all sent.
    const unsent = unsentBytes(this.socket);
    if (unsent > 0) {
      if (unsent !== this.unsentSeen) {
        this.unsentSeen = unsent;
        this.sendStalledSince = now;
      } else if (now - this.sendStalledSince >= this.host.limits.sendTimeout) {
        this.socket.destroy();
        return;
      }
      this.idleDeadline = 0;
    } else this.unsentSeen = 0;

    if (this.headersDeadline !== 0 && now >= this.headersDeadline && this.active === null) {
      this.headersDeadline = 0;
      // A connection that never started a request is closed quietly (browsers pre-connect).
      if (this.messageStart === 0) this.socket.destroy();
      else this.failBeforeHandling(new ProxyError('REQUEST_HEADERS_TIMEOUT'));
    } else if (this.requestDeadline !== 0 && now >= this.requestDeadline) {
      this.requestDeadline = 0;
      const parsing = this.parsing;
      if (parsing !== null) {
        parsing.keepAlive = false;
        // The pipeline sees the body fail and answers 408 (or cuts the response).
        parsing.req.body.fail(new ProxyError('REQUEST_TIMEOUT'));
        if (parsing !== this.active) this.socket.destroy();
      }
    } else if (this.idle && unsent === 0) {
      // The keep-alive clock starts at the first sweep after the response is fully sent (no
      // clock read per request).
      if (this.idleDeadline === 0) this.idleDeadline = now + this.host.limits.keepAliveTimeout;
      else if (now >= this.idleDeadline) {
        this.idle = false;
        this.socket.destroy();
      }
    }
  }

  /** A read from a TLS socket (its own fresh buffer). */
  private onData = (chunk: Buffer): void => {
    this.onChunk(chunk, false);
  };

  /** A read into readBuffer (plain TCP, see user-read-buffer.ts). */
  onRead = (nread: number, buffer: Buffer): void => {
    this.onChunk(nread === buffer.length ? buffer : buffer.subarray(0, nread), true);
    // A full read: this connection carries more than heads; read in larger pieces from now on.
    if (nread === buffer.length && this.readBuffer === buffer && buffer.length < READ_BUFFER_MAX) this.readBuffer = freshReadBuffer(this.socket, READ_BUFFER_MAX);
  };

  /**
   * Bytes from the client. A head is read by SimpleRequestHead when it is of the common kind and
   * llhttp is fresh, else by llhttp, which then reads the connection's heads until a
   * Content-Length body: it is stopped at the end of that head and set up afresh, so the next
   * head can be the fast path's again. A Content-Length body is handed on as slices of the read
   * itself (llhttp's body callback copies every chunk); chunked bodies go through llhttp.
   * `shared`: the chunk lies in readBuffer, which is replaced when a body slice of it may still
   * be referenced.
   */
  private onChunk(chunk: Buffer, shared: boolean): void {
    if (this.ending || this.refused) return;
    if (this.tunnel !== null) {
      // After a 101 the socket belongs to the tunnel, which listens for 'data' (its own copy).
      this.socket.emit('data', shared ? Buffer.from(chunk) : chunk);
      return;
    }
    this.idle = false;
    this.idleDeadline = 0;
    let lent: RequestBody | null = null;
    let offset = 0;
    while (offset < chunk.length && !this.ending && !this.refused) {
      if (this.rawRemaining > 0) {
        const n = Math.min(this.rawRemaining, chunk.length - offset);
        const slice = offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n);
        offset += n;
        this.rawRemaining -= n;
        const body = this.parsing?.req.body;
        if (body !== undefined) {
          if (shared) lent = body;
          body.push(slice);
        }
        if (this.rawRemaining === 0) this.endBody(null);
        continue;
      }
      if (this.parserFresh) {
        const head = simpleHead;
        const length = head.scan(chunk, offset, this.host.limits.maxHeaderBytes);
        if (length !== 0) {
          offset += length;
          // Wholly in this read: the message began now.
          this.headComplete(1, head.httpMinor, head.headers, head.method, head.target, false, head.keepAlive, performance.now());
          continue; // its body (raw), or the next request, follows
        }
        this.parserFresh = false;
      }
      const ret = this.parser.execute(offset === 0 ? chunk : chunk.subarray(offset));
      if (typeof ret !== 'number') {
        this.onParseError(ret);
        break;
      }
      if (this.upgrading !== null) {
        const rest = chunk.subarray(offset + ret);
        this.setUpgradeHead(shared ? Buffer.from(rest) : rest);
        break;
      }
      // llhttp took the rest of the read, or nothing more is read (see headComplete's return).
      if (this.rawRemaining === 0 || this.refused) break;
      // A head ended at `ret` and its body follows, raw: llhttp starts afresh.
      offset += ret;
      this.parser.initialize(HTTPParser.REQUEST, PARSER_RESOURCE, this.host.limits.maxHeaderBytes, HTTPParser.kLenientNone);
      this.parserFresh = true;
    }
    if (lent !== null && lent.retainsInput()) this.readBuffer = freshReadBuffer(this.socket, this.readBuffer.length);
  }

  private parseBuffered = (): void => {
    const buffered = this.socket.read() as Buffer | null;
    if (buffered !== null) this.onChunk(buffered, false);
    // The listener paused the socket while it looked; reading goes on unless parsing paused it.
    if (!this.readingPaused && !this.ending && !this.closed) startReading(this.socket);
  };

  /**
   * llhttp stopped at an upgrade request's head: the rest of the read is not HTTP. It is kept
   * for the tunnel (a client may send its first frames without waiting for the 101).
   */
  private setUpgradeHead(rest: Buffer): void {
    const exchange = this.upgrading!;
    this.upgrading = null;
    exchange.upgradeHead = rest.length === 0 ? EMPTY : rest;
  }

  /**
   * RFC 9110 §15.2.2: the response to `exchange` was a 101; the socket now belongs to a tunnel.
   * The connection stops parsing and stops treating a half-close as the client leaving; it
   * still counts the socket, closes it on shutdown and frees its parser when it closes.
   */
  takeOver(exchange: Exchange, watcher: DeadlineWatcher): Buffer {
    this.tunnel = watcher;
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onEnd);
    exchange.onClientGone = null;
    return exchange.upgradeHead ?? EMPTY;
  }

  private onMessageBegin = (): number => {
    this.messageStart = performance.now();
    if (this.headersDeadline === 0) this.headersDeadline = this.messageStart + this.host.limits.headersTimeout;
    return 0;
  };

  private onHeaders = (headers: string[], url: string): void => {
    for (let i = 0; i < headers.length; i++) this.headerParts.push(headers[i]!);
    this.urlPart += url;
  };

  private onHeadersComplete: OnHeadersComplete = (major, minor, headers, method, url, _s, _m, upgrade, shouldKeepAlive) => {
    // Closing (a refused request was answered while llhttp was still parsing the same read):
    // whatever follows it is never handled, so nothing pipelined behind a refusal gets through.
    if (this.ending) {
      this.headersDeadline = 0;
      this.headerParts = [];
      this.urlPart = '';
      return 0;
    }
    if (headers === undefined) {
      headers = this.headerParts;
      this.headerParts = [];
    }
    if (url === undefined) {
      url = this.urlPart;
      this.urlPart = '';
    }
    const startTime = this.messageStart || performance.now();
    this.messageStart = 0;
    return this.headComplete(major, minor, headers, METHODS[method] ?? 'UNKNOWN', url, upgrade, shouldKeepAlive, startTime);
  };

  /**
   * A request head, from llhttp or SimpleRequestHead. Returns what llhttp's callback returns:
   * 2 to stop right after the head (a Content-Length body is relayed raw, or the request is
   * refused), 0 when llhttp goes on (no body, a chunked one) or stops by itself (an upgrade).
   */
  private headComplete(
    major: number,
    minor: number,
    headers: string[],
    method: string,
    url: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
    startTime: number,
  ): number {
    this.headersDeadline = 0;
    // The framing (Content-Length, -1 for chunked, 0), or why the head is refused.
    const limits = this.host.limits;
    const verdict =
      url.length > limits.maxUrlBytes
        ? new ProxyError('REQUEST_URI_TOO_LONG', `request target of ${url.length} bytes`)
        : headers.length > limits.maxHeaderCount * 2
          ? new ProxyError('REQUEST_HEADERS_TOO_LARGE', `${headers.length / 2} header fields`)
          : checkRequestHead(major, minor, headers);
    const rejection = typeof verdict === 'number' ? null : verdict;
    // A refused request's body is never read as one: the connection closes after the answer.
    const contentLength = typeof verdict === 'number' ? verdict : 0;
    const body = new RequestBody(contentLength !== 0 && !upgrade, this.pauseReading, this.resumeReading);
    const req: DownstreamRequest = {
      method,
      target: url,
      httpMinor: major === 1 ? minor : 1,
      rawHeaders: headers,
      contentLength: upgrade ? 0 : contentLength,
      body,
      upgrade,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      scheme: this.host.scheme,
      listener: this.host.listenerName,
      startTime,
    };
    const exchange = new Exchange(this, req, this.socket, shouldKeepAlive && !upgrade && !this.closing);
    if (!body.complete) {
      this.parsing = exchange;
      this.requestDeadline = req.startTime + this.host.limits.requestTimeout;
      if (contentLength > 0) this.rawRemaining = contentLength;
      else this.wireMessageComplete(true); // chunked: llhttp frames it
    }
    if (upgrade) {
      // llhttp stops parsing at an upgrade; what follows is not HTTP/1.1 we can frame: it goes
      // to the tunnel if the target switches protocols, else the connection closes after the answer.
      this.closing = true;
      this.pauseReading();
      this.upgrading = exchange;
    }
    this.enqueue(exchange, rejection);
    // 2 makes llhttp stop right after the head (as for an upgrade) and report where it ended:
    // a Content-Length body is exactly that many bytes (RFC 9112 §6.2), relayed raw by onChunk,
    // and after a refused head nothing more is read. Otherwise llhttp goes on: through a
    // chunked body, or to the next head, which on a connection whose heads are llhttp's is
    // likely llhttp's again (a client sends its requests alike): trying the fast path on each,
    // and setting llhttp up afresh after each, cost 1.04x the CPU per request when measured.
    return !upgrade && (this.rawRemaining > 0 || rejection !== null) ? 2 : 0;
  }

  private onBody = (chunk: Buffer): void => {
    this.parsing?.req.body.push(chunk);
  };

  /**
   * llhttp calls back into JS only for the callbacks that are set, and each call costs more
   * than the little onMessageComplete does for a request without a body (nothing): it is set
   * while a body is being read and unset once it ends.
   */
  private wireMessageComplete(wired: boolean): void {
    this.parser[HTTPParser.kOnMessageComplete] = wired ? this.onMessageComplete : undefined;
  }

  private onMessageComplete = (): void => {
    this.wireMessageComplete(false);
    // A chunked body's trailer section (RFC 9112 §7.1.2) arrives through onHeaders.
    const trailers = this.headerParts;
    this.headerParts = [];
    this.urlPart = '';
    this.endBody(trailers.length > 0 ? trailers : null);
  };

  /** The request body has been read to its end (llhttp's message complete, or its last raw byte). */
  private endBody(trailers: string[] | null): void {
    const parsing = this.parsing;
    if (parsing === null) return;
    this.parsing = null;
    this.requestDeadline = 0;
    if (trailers !== null) parsing.req.body.trailers = forwardableTrailers(trailers);
    parsing.req.body.end();
  }

  private enqueue(exchange: Exchange, rejection: ProxyError | null): void {
    if (rejection !== null) {
      exchange.keepAlive = false;
      exchange.rejection = rejection;
      this.refused = true;
    }
    if (this.active === null) this.dispatch(exchange);
    else {
      this.queue.push(exchange);
      // Hold further pipelined input until the responses catch up.
      this.pauseReading();
    }
  }

  private dispatch(exchange: Exchange): void {
    this.active = exchange;
    const handler = this.host.handler();
    if (exchange.rejection !== null) handler.reject(exchange.req, exchange.res, exchange.rejection);
    else {
      if (this.host.draining) exchange.keepAlive = false;
      const refused = handler.handle(exchange.req, exchange.res);
      if (refused instanceof ProxyError) {
        // Refused at the guard (nothing written yet): answered like a bad head, then closed.
        exchange.keepAlive = false;
        this.refused = true;
        exchange.rejection = refused;
        handler.reject(exchange.req, exchange.res, refused);
      }
    }
  }

  /** Called by an exchange's writer when its response is complete or aborted. */
  finished(exchange: Exchange, aborted: boolean): void {
    if (exchange !== this.active) return;
    this.active = null;
    exchange.onClientGone = null;
    if (aborted || this.closed) return;
    const reusable = exchange.keepAlive && exchange.req.body.complete && !this.closing && !this.host.draining;
    if (!reusable) {
      // RFC 9112 §9.6: after a response with "close", no further requests on this connection.
      this.closeAfterResponse();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      this.dispatch(next);
      if (this.queue.length === 0) this.resumeReading();
      return;
    }
    this.resumeReading();
    if (this.parsing === null) this.idle = true;
  }

  /**
   * Sends FIN, then keeps reading and discarding for a short while so that bytes the client is
   * still sending (an unread body) do not turn into a reset that destroys the response in
   * flight (RFC 9112 §9.6, "lingering close"); then the connection is cut.
   */
  private closeAfterResponse(): void {
    if (this.ending) return;
    this.closing = true;
    this.ending = true;
    this.queue.length = 0;
    this.parsing = null;
    this.socket.end();
    this.readingPaused = false;
    startReading(this.socket);
    setTimeout(destroySocket, LINGER_MS, this.socket).unref();
  }

  private onParseError(err: LlhttpError): void {
    // Already closing after a response: nothing more is answered on this connection.
    if (this.ending) return;
    const proxyError =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new ProxyError('REQUEST_HEADERS_TOO_LARGE')
        : new ProxyError('REQUEST_MALFORMED', `malformed request: ${err.reason ?? err.code}`);
    this.closing = true;
    this.pauseReading();
    const parsing = this.parsing;
    if (parsing !== null) {
      // The body in progress cannot be trusted: abandon the upstream request it feeds.
      this.parsing = null;
      parsing.keepAlive = false;
      parsing.req.body.fail(proxyError);
      if (parsing === this.active || this.queue.includes(parsing)) return;
    }
    this.failBeforeHandling(proxyError);
  }

  /** Answers a request that never got as far as the pipeline (bad head, head timeout). */
  private failBeforeHandling(err: ProxyError): void {
    this.closing = true;
    const req: DownstreamRequest = {
      method: '-',
      target: '-',
      httpMinor: 1,
      rawHeaders: [],
      contentLength: 0,
      body: new RequestBody(false, noop, noop),
      upgrade: false,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      scheme: this.host.scheme,
      listener: this.host.listenerName,
      startTime: this.messageStart || performance.now(),
    };
    this.enqueue(new Exchange(this, req, this.socket, false), err);
  }

  private pauseReading = (): void => {
    if (this.readingPaused) return;
    this.readingPaused = true;
    stopReading(this.socket);
  };

  private resumeReading = (): void => {
    // A held body pauses again on its next chunk, so resuming here holds at most one read.
    if (!this.readingPaused || this.closing || this.queue.length > 0) return;
    this.readingPaused = false;
    startReading(this.socket);
  };

  private onEnd = (): void => {
    // The client half-closed. Like nginx, a client that closes before its response is
    // complete is treated as gone (499), and its upstream request is cancelled.
    this.clientGone();
  };

  private onSocketError = (): void => {
    // 'close' follows; nothing to add here (resets are normal at the edge).
  };

  private onSocketClose = (): void => {
    this.clientGone();
    if (this.closed) return;
    this.closed = true;
    this.headersDeadline = this.requestDeadline = this.idleDeadline = 0;
    this.parser.remove();
    if (freeParsers.length < 256) freeParsers.push(this.parser);
    else this.parser.free();
    this.host.onClose(this);
  };

  private clientGone(): void {
    const parsing = this.parsing;
    if (parsing !== null) {
      this.parsing = null;
      parsing.req.body.fail(new ProxyError('CLIENT_ABORTED'));
    }
    const active = this.active;
    this.queue.length = 0;
    if (active !== null) {
      const listener = active.onClientGone;
      active.onClientGone = null;
      listener?.clientGone();
    }
    if (!this.socket.destroyed && this.active === null) {
      // A response answered in this turn may still be held (turn-writes.ts): it goes first.
      sendHeldNow(this.socket);
      this.socket.destroy();
    }
  }
}

function noop(): void {}

function destroySocket(socket: Socket): void {
  socket.destroy();
}
