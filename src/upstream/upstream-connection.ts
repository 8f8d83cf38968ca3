/**
 * One pooled HTTP/1.1 connection to a target: writes a request head and streams the request
 * body (re-framed by Barbican, never passed through as the client framed it), parses the
 * response with llhttp and streams it to the exchange with backpressure.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ProxyError } from '../errors/index.js';
import { HTTPParser, startReading, stopReading, type LlhttpError, type LlhttpParser, type OnHeadersComplete } from '../server/llhttp.js';
import type { BodySink } from '../server/request-body.js';
import type { BodySource } from './body-source.js';
import { unsentShared, writeHeld, writeShared } from '../server/turn-writes.js';
import { writeJoined } from '../server/write-joined.js';
import { classifyConnectionError } from './classify-error.js';
import { serializeFields } from '../server/trailer-fields.js';
import { freshReadBuffer } from '../server/user-read-buffer.js';
import { SimpleResponseHead } from './simple-response-head.js';

/** The per-request side of an upstream call. */
export interface UpstreamExchange {
  /** The request is HEAD: the response has no body whatever its headers say. */
  readonly isHead: boolean;
  /** `contentLength` is the exact body size, or -1 when not known in advance. */
  onResponseHead(status: number, reason: string, rawHeaders: string[], contentLength: number): void;
  /** Returns false when the client cannot take more; call `resume()` once it can. */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  /** Trailer fields of the response (flat [name, value, …]), just before onResponseEnd (HTTP/2 targets). */
  onResponseTrailers?(trailers: string[]): void;
  /** Called after each read from the target has been parsed: send on whatever is held. */
  onParsed(): void;
  /** A connection is ready and the request is about to be written (latency is measured from here). */
  onConnected(): void;
  /** Whether bytes handed to onResponseData may still be referenced (queued for the client). */
  retainsData(): boolean;
  /** The call failed (upstream error, or the request body failed on the client side). */
  onError(err: ProxyError): void;
  /**
   * An interim response other than 101 (RFC 9110 §15.2: 100, 102, 103 Early Hints…); the final
   * response follows. Optional: exchanges without it ignore interim responses. Returns false
   * when the client cannot take more: reading stops until `resume()`, as for body data.
   */
  onInformational?(status: number, reason: string, rawHeaders: string[]): boolean;
  /**
   * The trailer section of a chunked response (RFC 9112 §7.1.2), flat [name, value, …] as
   * received, called just before onResponseEnd and only when there is one. Optional: exchanges
   * without it drop trailers. Callers filter them (upstream/trailers.ts) before passing them on.
   */
  onResponseTrailers?(rawTrailers: string[]): void;
  /**
   * The target answered 101 to a request sent with `upgrade` (RFC 9110 §15.2.2): from now on the
   * connection carries another protocol. Returns the peer that takes the target's bytes (the
   * connection then leaves HTTP for good and is never pooled again), or null to close it.
   */
  onSwitchingProtocols?(reason: string, rawHeaders: string[], conn: UpstreamConnection): TunnelPeer | null;
}

/** Takes the target's bytes once a connection is a tunnel (after 101). */
export interface TunnelPeer {
  /** Returns false when the other side cannot take more: reading stops until `resume()`. */
  onTunnelData(chunk: Buffer): boolean;
  /** Whether bytes handed to onTunnelData may still be referenced (queued for the client). */
  retainsData(): boolean;
  /** The target half-closed (FIN). */
  onTunnelEnd(): void;
  /** The target connection closed; `error` when it was reset or failed. */
  onTunnelClose(error: boolean): void;
}

export interface SendOptions {
  responseHeadersTimeout: number;
  idleTimeout: number;
}

/** What the connection needs from its pool. */
export interface ConnectionOwner {
  release(conn: UpstreamConnection): void;
  forget(conn: UpstreamConnection): void;
}

const RESOURCE = {};
/** One reader for every connection: a head is read and its values taken in one synchronous step. */
const simpleHead = new SimpleResponseHead();
/** Size of the read buffer each plain-TCP connection reuses (see onRead). */
export const READ_BUFFER_SIZE = 64 * 1024;

/**
 * Every open upstream connection; one sweep checks their deadlines (response head, idle)
 * instead of a timer armed and cleared per request. Resolution: SWEEP_MS.
 */
const open = new Set<UpstreamConnection>();
const SWEEP_MS = 100;
let sweep: NodeJS.Timeout | null = null;

function sweepDeadlines(): void {
  const now = performance.now();
  for (const conn of open) conn.checkDeadlines(now);
  if (open.size === 0 && sweep !== null) {
    clearInterval(sweep);
    sweep = null;
  }
}

export class UpstreamConnection implements BodySink {
  /** Requests sent on this connection (more than 0 means it is a reused connection). */
  requests = 0;
  private readonly parser: LlhttpParser;
  private exchange: UpstreamExchange | null = null;
  private body: BodySource | null = null;
  private chunked = false;
  private bodyDone = true;
  /** Bytes of the request body written to the socket. */
  bodyBytesSent = 0;
  /** Any response byte has been parsed for the current request. */
  responseStarted = false;
  private headReceived = false;
  private informational = false;
  private keepAlive = false;
  /** When the response head must have arrived (performance.now() ms), 0 = not waiting. */
  private responseDeadline = 0;
  private responseHeadersTimeout = 0;
  /** Reads so far, and what the sweep last saw: no change for idleTimeout = silence. */
  private reads = 0;
  private readsSeen = 0;
  private quietSince = 0;
  private idleTimeout = 0;
  private headerParts: string[] = [];
  /**
   * llhttp is at the start of a message and has never been handed bytes since it was set up:
   * a head may then be read by SimpleResponseHead instead (never in the middle of llhttp's work).
   */
  private parserFresh = true;
  private closed = false;
  /** Where the next read lands (plain TCP: TargetPool wires `onread` to it). */
  readBuffer: Buffer;
  /** A request head held back until the first body bytes (see send). */
  private pendingHead: string | null = null;
  /** Bytes of a Content-Length body still to come: relayed as they are, without llhttp. */
  private rawRemaining = 0;
  /** Reading paused because the client is not keeping up. */
  private readingStopped = false;
  /** The request sent asks to switch protocols: a 101 is expected, and the connection is never reused. */
  private upgradeRequested = false;
  /** After a 101: raw bytes to and from this peer, no HTTP any more (null on every plain request). */
  private tunnel: TunnelPeer | null = null;
  private tunnelError = false;
  /** Forgotten by its pool already (a tunnel: see switchProtocols). */
  private forgotten = false;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    private readonly maxHeaderBytes: number,
    readBuffer: Buffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE),
  ) {
    this.readBuffer = readBuffer;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, RESOURCE, maxHeaderBytes, HTTPParser.kLenientNone);
    parser[HTTPParser.kOnHeaders] = this.onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    parser[HTTPParser.kOnBody] = this.onBody;
    parser[HTTPParser.kOnMessageComplete] = this.onMessageComplete;
    this.parser = parser;
    socket.setNoDelay(true);
    // Plain TCP sockets are created with `onread` (reads land in readBuffer, no stream
    // machinery per read; see TargetPool). TLS sockets deliver fresh buffers as 'data'.
    if ('encrypted' in socket) socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onClose);
    this.quietSince = performance.now();
    open.add(this);
    if (sweep === null) {
      sweep = setInterval(sweepDeadlines, SWEEP_MS);
      sweep.unref();
    }
  }

  /** Called by the sweep: response-head deadline, silence mid-response, idle in the pool. */
  checkDeadlines(now: number): void {
    // A tunnel's idle time is watched from the client side (one clock for both directions).
    if (this.tunnel !== null) return;
    // Silence while Barbican itself stopped reading (a slow client) is not the target's.
    if (this.reads !== this.readsSeen || this.readingStopped) {
      this.readsSeen = this.reads;
      this.quietSince = now;
    }
    if (this.exchange === null) {
      if (now - this.quietSince >= this.idleTimeout) this.socket.destroy(); // idle in the pool too long
      return;
    }
    if (this.responseDeadline !== 0) {
      // Before the head, reading stops only while the client is not taking interim responses
      // (onInformational): that wait is the client's (its sendTimeout bounds it), not the target's.
      if (this.readingStopped) this.responseDeadline = now + this.responseHeadersTimeout;
      else if (now >= this.responseDeadline) {
        this.responseDeadline = 0;
        this.fail(new ProxyError('UPSTREAM_RESPONSE_TIMEOUT', 'the target did not answer in time'));
      }
    } else if (this.headReceived && this.idleTimeout > 0 && now - this.quietSince >= this.idleTimeout) {
      this.fail(new ProxyError('UPSTREAM_IDLE_TIMEOUT', `no data from the target for ${this.idleTimeout} ms`));
    }
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed && this.exchange === null;
  }

  /**
   * Sends one request. `head` is the complete request head (request line, headers, blank line)
   * including the framing headers matching `chunked`; `body` is null for a request without one.
   */
  send(head: string, body: BodySource | null, chunked: boolean, exchange: UpstreamExchange, options: SendOptions, upgrade = false): void {
    this.requests++;
    this.upgradeRequested = upgrade;
    this.exchange = exchange;
    this.body = body;
    this.chunked = chunked;
    this.bodyDone = body === null;
    this.bodyBytesSent = 0;
    this.responseStarted = false;
    this.headReceived = false;
    this.informational = false;
    this.idleTimeout = options.idleTimeout;
    this.responseHeadersTimeout = options.responseHeadersTimeout;
    // The wait for the response head starts once the whole request is sent: a slow upload is
    // the client's time (server.limits.requestTimeout), not the origin's.
    if (body === null) this.startResponseTimer();
    if (body === null) {
      writeHeld(this.socket, head);
      return;
    }
    // The head waits for the first body bytes (which usually follow in the same read from the
    // client) so that both leave in one write.
    this.pendingHead = head;
    body.pipe(this);
  }

  /** The client drained: read more of the response. */
  resume(): void {
    if (this.closed || !this.readingStopped) return;
    this.readingStopped = false;
    startReading(this.socket);
  }

  /** The exchange is abandoned (client gone): the connection is in an unknown state, close it. */
  abort(): void {
    this.detach();
    this.socket.destroy();
  }

  // --- tunnel (after 101) ---

  /** Writes tunnel bytes to the target; false: wait for `onceDrained`. */
  tunnelWrite(chunk: Buffer): boolean {
    return writeShared(this.socket, chunk);
  }

  /** Calls `fn` once the target has taken what was written. */
  onceDrained(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** The client half-closed: pass the FIN on. */
  tunnelEnd(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /** Stops reading the target until `resume()` (the client is not keeping up). */
  pause(): void {
    if (this.closed || this.readingStopped) return;
    this.readingStopped = true;
    stopReading(this.socket);
  }

  // --- request body (BodySink) ---

  onData(chunk: Buffer): boolean {
    const socket = this.socket;
    if (this.closed) return true;
    this.bodyBytesSent += chunk.length;
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    // RFC 9112 §7.1: the body is re-chunked here; client chunk boundaries and extensions are not kept.
    const ok = this.chunked
      ? writeJoined(socket, `${head}${chunk.length.toString(16)}\r\n`, chunk, '\r\n')
      : head === ''
        ? writeShared(socket, chunk)
        : writeJoined(socket, head, chunk, '');
    if (ok) return true;
    socket.once('drain', this.onBodyDrain);
    return false;
  }

  onEnd(): void {
    if (this.closed) return;
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    // RFC 9112 §7.1.2: the client's trailer section (already filtered) closes the chunked body.
    const trailers = this.chunked ? this.body?.trailers ?? null : null;
    const tail = this.chunked ? (trailers === null ? '0\r\n\r\n' : `0\r\n${serializeFields(trailers)}\r\n`) : '';
    if (head !== '' || tail !== '') writeHeld(this.socket, head + tail);
    this.bodyDone = true;
    if (!this.headReceived) this.startResponseTimer();
  }

  onError(err: ProxyError): void {
    // The client side of the body failed (too large, too slow, malformed, client gone).
    this.fail(err);
  }

  retainsData(): boolean {
    // Small chunks are copied by writeJoined; larger ones stay referenced only while queued.
    return unsentShared(this.socket) > 0;
  }

  private onBodyDrain = (): void => {
    this.body?.resume();
  };

  // --- response ---

  private onSocketData = (chunk: Buffer): void => {
    this.onChunk(chunk, false);
  };

  /** A read into readBuffer (plain TCP, via the socket's `onread`). */
  onRead(nread: number, buffer: Buffer): void {
    this.onChunk(nread === buffer.length ? buffer : buffer.subarray(0, nread), true);
  }

  /**
   * Response bytes from the target. Heads (and chunked or close-delimited bodies) go through
   * llhttp; a Content-Length body is relayed as slices of the read itself, so its bytes are not
   * copied (llhttp's body callback copies every chunk). `shared`: the chunk lies in readBuffer,
   * which is replaced when the client may still hold a slice of it.
   */
  private onChunk(chunk: Buffer, shared: boolean): void {
    this.reads++;
    if (this.tunnel !== null) return this.relayTunnel(chunk, shared);
    let lentTo: UpstreamExchange | null = null;
    let offset = 0;
    while (offset < chunk.length && !this.closed) {
      const exchange = this.exchange;
      if (exchange === null) {
        // Bytes from the target with no request outstanding: the connection is out of sync.
        this.socket.destroy();
        return;
      }
      this.responseStarted = true;
      if (this.rawRemaining > 0) {
        const n = Math.min(this.rawRemaining, chunk.length - offset);
        const slice = offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n);
        offset += n;
        this.rawRemaining -= n;
        if (shared) lentTo = exchange;
        const more = exchange.onResponseData(slice);
        if (this.rawRemaining === 0) {
          if (!this.parserFresh) {
            // llhttp stopped at the head (see onHeadersComplete): start it afresh for the next response.
            this.parser.initialize(HTTPParser.RESPONSE, RESOURCE, this.maxHeaderBytes, HTTPParser.kLenientNone);
            this.parser[HTTPParser.kOnMessageComplete] = this.onMessageComplete;
            this.parserFresh = true;
          }
          this.finishResponse();
        } else if (!more) {
          this.readingStopped = true;
          stopReading(this.socket);
        }
        continue;
      }
      if (this.parserFresh && !exchange.isHead) {
        // The common head (simple-response-head.ts) is read without llhttp, which stays fresh.
        const head = simpleHead;
        const length = head.scan(chunk, offset, this.maxHeaderBytes);
        if (length !== 0) {
          offset += length;
          this.headComplete(head.headers, head.status, head.reason, false, head.keepAlive, head.contentLength);
          continue; // the body follows, raw (headComplete set rawRemaining)
        }
      }
      this.parserFresh = false;
      const ret = this.parser.execute(offset === 0 ? chunk : chunk.subarray(offset));
      if (typeof ret !== 'number') {
        this.onParseError(ret);
        return;
      }
      if (this.tunnel !== null) {
        // A 101 head ended at `ret`: what follows in this read is already the new protocol.
        if (offset + ret < chunk.length) this.relayTunnel(chunk.subarray(offset + ret), shared);
        return;
      }
      if (this.rawRemaining === 0) break; // llhttp took the rest
      offset += ret; // the head ended at `ret`: the body follows, raw
    }
    if (this.exchange !== null && this.headReceived) this.exchange.onParsed();
    if (lentTo !== null && lentTo.retainsData()) this.readBuffer = freshReadBuffer(this.socket, READ_BUFFER_SIZE);
  }

  private onHeaders = (headers: string[]): void => {
    for (let i = 0; i < headers.length; i++) this.headerParts.push(headers[i]!);
  };

  private onHeadersComplete: OnHeadersComplete = (_maj, _min, headers, _m, _u, status, reason, upgrade, shouldKeepAlive) => {
    if (headers === undefined) {
      headers = this.headerParts;
      this.headerParts = [];
    }
    const ret = this.headComplete(headers, status, reason ?? '', upgrade, shouldKeepAlive, -1);
    if (ret === 2 && this.rawRemaining > 0) {
      // llhttp would call onMessageComplete at once for the head alone, a call into JS that
      // does nothing then: it is unset until the raw body ends (onChunk sets it again).
      this.parser[HTTPParser.kOnMessageComplete] = undefined;
    }
    return ret;
  };

  /**
   * A response head, from llhttp or SimpleResponseHead. Returns what llhttp's callback returns:
   * 0 body follows (llhttp reads it), 1 no body, 2 stop after the head (a raw body or a tunnel).
   * `contentLength`: already known (SimpleResponseHead), else -1 (looked up here).
   */
  private headComplete(headers: string[], status: number, reason: string, upgrade: boolean, shouldKeepAlive: boolean, contentLength: number): number {
    const exchange = this.exchange;
    if (exchange === null) {
      // A response with no request outstanding: the connection is out of sync.
      this.socket.destroy();
      return 0;
    }
    if (status < 200 && status !== 101) {
      // RFC 9110 §15.2: interim responses are not the final answer; wait for the next one.
      this.informational = true;
      if (exchange.onInformational?.(status, reason, headers) === false) this.pause();
      return 0;
    }
    if (upgrade || status === 101) {
      if (status === 101 && this.upgradeRequested && exchange.onSwitchingProtocols !== undefined) return this.switchProtocols(reason, headers, exchange);
      // No Upgrade was sent, so a switch of protocols is a broken response.
      this.fail(new ProxyError('UPSTREAM_BAD_RESPONSE', 'unexpected 101 Switching Protocols'));
      return 2;
    }
    this.responseDeadline = 0;
    this.headReceived = true;
    // A refused upgrade (any answer but 101) is relayed, but the connection is not reused: the
    // target may have set up state for the protocol switch it declined.
    this.keepAlive = shouldKeepAlive && !this.upgradeRequested;
    for (let i = 0; i < headers.length && contentLength === -1; i += 2) {
      const name = headers[i]!;
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        contentLength = Number(headers[i + 1]);
        break;
      }
      if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') break;
    }
    exchange.onResponseHead(status, reason, headers, contentLength);
    // RFC 9110 §9.3.2: a response to HEAD has no body whatever its headers say (1 = skip body).
    if (exchange.isHead) return 1;
    if (contentLength > 0 && status !== 204 && status !== 304) {
      // A body of known length is relayed raw (onChunk); 2 makes llhttp stop right after the
      // head, as it does for an upgrade, and report how many bytes the head took.
      this.rawRemaining = contentLength;
      return 2;
    }
    return 0;
  };

  /**
   * RFC 9110 §15.2.2: the target switched protocols. The connection leaves the request/response
   * cycle for good (it is never released to the pool: the pool forgets it when it closes).
   * 2 makes llhttp stop after the head; onChunk relays what follows.
   */
  private switchProtocols(reason: string, headers: string[], exchange: UpstreamExchange): number {
    this.responseDeadline = 0;
    this.headReceived = true;
    this.keepAlive = false;
    this.detach();
    // A tunnel may live for hours: it leaves the pool's count, so maxConnectionsPerTarget bounds
    // the connections for requests and open WebSockets never starve them (tunnels are bounded
    // by server.limits.maxConnections on the client side).
    this.forgotten = true;
    this.owner.forget(this);
    const peer = exchange.onSwitchingProtocols!(reason, headers, this);
    if (peer === null) this.socket.destroy();
    else this.tunnel = peer;
    return 2;
  }

  /** Target bytes of a tunnel, to its peer; the read buffer is replaced while the client holds a slice of it. */
  private relayTunnel(chunk: Buffer, shared: boolean): void {
    const peer = this.tunnel!;
    if (!peer.onTunnelData(chunk)) this.pause();
    if (shared && peer.retainsData()) this.readBuffer = freshReadBuffer(this.socket, READ_BUFFER_SIZE);
  }

  private onBody = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (exchange !== null && !exchange.onResponseData(chunk)) {
      this.readingStopped = true;
      stopReading(this.socket);
    }
  };

  private onMessageComplete = (): void => {
    // A chunked body's trailer section arrives through onHeaders (RFC 9112 §7.1.2).
    const trailers = this.headerParts;
    this.headerParts = [];
    if (this.informational) {
      this.informational = false;
      return;
    }
    if (trailers.length > 0) this.exchange?.onResponseTrailers?.(trailers);
    this.finishResponse();
  };

  /** The response is complete: hand it over and return the connection to the pool if reusable. */
  private finishResponse(): void {
    const exchange = this.exchange;
    if (exchange === null) return;
    const reusable = this.keepAlive && this.bodyDone;
    this.detach();
    exchange.onResponseEnd();
    // (quiet time restarts at the sweep, which sees the read count moved)
    if (reusable && !this.closed) {
      // The last read may have paused reading for a slow client: a pooled connection reads.
      this.resume();
      this.owner.release(this);
    } else this.socket.destroy();
  }

  private onParseError(err: LlhttpError): void {
    this.fail(new ProxyError('UPSTREAM_BAD_RESPONSE', `invalid response from target: ${err.reason ?? err.code}`));
  }

  private onSocketEnd = (): void => {
    if (this.tunnel !== null) {
      // A half-close is passed on; the socket closes once both directions are done.
      this.tunnel.onTunnelEnd();
      return;
    }
    if (this.rawRemaining > 0) this.fail(classifyConnectionError(undefined, 'before the response was complete'));
    // A close-delimited body ends here (RFC 9112 §6.3 rule 8).
    else if (this.exchange !== null && this.headReceived) {
      const ret = this.parser.finish();
      // Any other framing cut short by the close is a reset, not a malformed response.
      if (ret !== undefined && typeof ret !== 'number') this.fail(classifyConnectionError(undefined, 'before the response was complete'));
    }
    this.socket.destroy();
  };

  private onSocketError = (err: NodeJS.ErrnoException): void => {
    if (this.tunnel !== null) {
      this.tunnelError = true;
      return;
    }
    this.fail(classifyConnectionError(err));
  };

  private onClose = (): void => {
    if (this.exchange !== null) this.fail(classifyConnectionError(undefined));
    if (this.closed) return;
    this.closed = true;
    this.responseDeadline = 0;
    open.delete(this);
    if (!this.forgotten) this.owner.forget(this);
    this.parser.remove();
    this.parser.free();
    const peer = this.tunnel;
    this.tunnel = null;
    peer?.onTunnelClose(this.tunnelError);
  };

  private startResponseTimer(): void {
    this.responseDeadline = performance.now() + this.responseHeadersTimeout;
  }

  private detach(): void {
    this.responseDeadline = 0;
    this.pendingHead = null;
    this.body?.unpipe();
    this.body = null;
    this.exchange = null;
    this.socket.removeListener('drain', this.onBodyDrain);
  }

  /** Ends the current exchange with an error; the connection is not reused. */
  private fail(err: ProxyError): void {
    this.rawRemaining = 0;
    const exchange = this.exchange;
    this.detach();
    this.socket.destroy();
    exchange?.onError(err);
  }
}
