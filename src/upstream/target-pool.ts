/**
 * Keep-alive connection pool for one target: reuses the most recently used idle connection
 * (least likely to have been closed by the target), opens new ones up to the cap, queues
 * beyond it, and retries once on a fresh connection when a reused one turns out to have been
 * closed by the target before it read anything (the keep-alive race, RFC 9112 §9.3.1).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ProxyError } from '../errors/index.js';
import type { BodySource } from './body-source.js';
import { classifyConnectError } from './classify-error.js';
import { READ_BUFFER_SIZE, UpstreamConnection, type ConnectionOwner, type SendOptions, type TunnelPeer, type UpstreamExchange } from './upstream-connection.js';
import { replaceableReadBuffer } from '../server/user-read-buffer.js';

export interface TargetPoolOptions {
  /** Target origin, e.g. http://127.0.0.1:3001. */
  url: string;
  maxConnections: number;
  /** Most requests waiting for a connection; beyond, UPSTREAM_OVERLOADED at once. */
  maxPending: number;
  connectTimeout: number;
  idleTimeout: number;
  maxResponseHeaderBytes: number;
  /** TLS options for https targets (servername, ca, cert, key, rejectUnauthorized). */
  tls?: ConnectionOptions;
}

/** Waits for a connection from the pool. */
interface Waiter {
  onConnection(err: ProxyError | null, conn: UpstreamConnection | null): void;
}

/** A request as the pool sends it. */
export interface UpstreamRequest {
  /** The serialized HTTP/1.1 head (request line, fields, framing); '' for an HTTP/2 pool, which uses the fields below. */
  head: string;
  method: string;
  /** Path and query, as sent upstream. */
  path: string;
  /** Flat [name, value, …], Host included, no framing fields. */
  headers: readonly string[];
  /** Exact body length, -1 when unknown, 0 for none. */
  contentLength: number;
  /** The client accepts trailers (`TE: trailers`): said upstream on HTTP/2 (gRPC needs it). */
  teTrailers: boolean;
  body: BodySource | null;
  chunked: boolean;
  /** Safe to send twice (RFC 9110 §9.2.2); a body already partly sent is never replayed. */
  idempotent: boolean;
  options: SendOptions;
  /**
   * The request asks to switch protocols (a WebSocket handshake): it goes on a fresh connection,
   * which never returns to the pool (a 101 turns it into a tunnel; any other answer closes it).
   */
  upgrade?: boolean;
}

/** Handle for an upstream call in progress. */
export interface UpstreamCall {
  /** Client drained: continue reading the response. */
  resume(): void;
  /** Client gone: cancel the call and drop its connection. */
  abort(): void;
}

/** What the forward phase needs from a target's pool, whatever protocol it speaks upstream. */
export interface UpstreamPool {
  /** host:port as it appears in a Host header for this target. */
  readonly authority: string;
  /** The pool speaks HTTP/2 and needs no serialized head (UpstreamRequest.head is left ''). */
  readonly http2: boolean;
  /** Sends a request and streams the response to `exchange`. */
  request(req: UpstreamRequest, exchange: UpstreamExchange): UpstreamCall;
  /** Closes idle connections and refuses new requests; requests in progress finish. */
  close(): void;
}

export class TargetPool implements ConnectionOwner, UpstreamPool {
  readonly http2 = false;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** host:port as it appears in a Host header for this target. */
  readonly authority: string;
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private open = 0;
  private closed = false;

  constructor(private readonly options: TargetPoolOptions) {
    const url = new URL(options.url);
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port) || (this.secure ? 443 : 80);
    this.authority = url.host;
  }

  /** Sends a request on a pooled connection and streams the response to `exchange`. */
  request(req: UpstreamRequest, exchange: UpstreamExchange): UpstreamCall {
    const call = new PooledCall(this, req, exchange);
    this.acquire(req.upgrade === true, call);
    return call;
  }

  /** Hands `waiter` an idle connection, a new one, or queues it. */
  acquire(fresh: boolean, waiter: Waiter): void {
    if (this.closed) {
      waiter.onConnection(new ProxyError('SHUTTING_DOWN'), null);
      return;
    }
    if (!fresh) {
      while (this.idle.length > 0) {
        const conn = this.idle.pop()!;
        if (conn.usable) {
          waiter.onConnection(null, conn);
          return;
        }
      }
    }
    if (this.open < this.options.maxConnections) {
      this.connect(waiter);
      return;
    }
    if (this.waiters.length >= this.options.maxPending) {
      waiter.onConnection(new ProxyError('UPSTREAM_OVERLOADED', `${this.options.maxConnections} connections busy and ${this.waiters.length} requests waiting`), null);
      return;
    }
    this.waiters.push(waiter);
  }

  private connect(waiter: Waiter): void {
    this.open++;
    const o = this.options;
    let socket: Socket;
    let done = false;
    let created: UpstreamConnection | null = null;
    let firstBuffer: Buffer | undefined;
    const finish = (err: ProxyError | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (err) {
        this.open--;
        socket.destroy();
        waiter.onConnection(err, null);
        this.serveWaiters();
        return;
      }
      created = new UpstreamConnection(socket, this, o.maxResponseHeaderBytes, firstBuffer);
      waiter.onConnection(null, created);
    };
    const onError = (err: NodeJS.ErrnoException): void => finish(classifyConnectError(err));
    if (this.secure) {
      socket = tlsConnect({ ...o.tls, host: this.host, port: this.port, ALPNProtocols: ['http/1.1'] }, () => finish(null));
    } else {
      // Reads land in the connection's own reusable buffer and go straight to it (no 'data'
      // events); before the connection object exists nothing can arrive.
      let conn: UpstreamConnection | null = null;
      firstBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
      const initial = firstBuffer;
      socket = netConnect(
        {
          host: this.host,
          port: this.port,
          noDelay: true,
          onread: {
            // The connection's buffer, until it replaces it (freshReadBuffer); where that cannot
            // be done, a function asked for the buffer after every read.
            buffer: replaceableReadBuffer ? initial : () => conn?.readBuffer ?? initial,
            // The buffer is the connection's own Buffer (returned above); true: keep reading
            // (the connection pauses the socket itself when the client is slow).
            callback: (nread: number, buffer: Uint8Array) => {
              conn?.onRead(nread, buffer as Buffer);
              return true;
            },
          },
        },
        () => {
          finish(null);
          conn = created;
        },
      );
    }
    socket.on('error', onError);
    const timer = setTimeout(
      () => finish(new ProxyError('UPSTREAM_CONNECT_TIMEOUT', `no connection within ${o.connectTimeout} ms`)),
      o.connectTimeout,
    );
  }

  /** A connection finished its response and may be reused. */
  release(conn: UpstreamConnection): void {
    if (this.closed || !conn.usable) {
      conn.socket.destroy();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.onConnection(null, conn);
    else this.idle.push(conn);
  }

  /** A connection closed. */
  forget(conn: UpstreamConnection): void {
    this.open--;
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    this.serveWaiters();
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.open < this.options.maxConnections && !this.closed) {
      this.connect(this.waiters.shift()!);
    }
  }

  /** Closes idle connections and refuses new requests; busy connections finish their response. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.socket.destroy();
    for (const waiter of this.waiters.splice(0)) waiter.onConnection(new ProxyError('SHUTTING_DOWN'), null);
  }
}

/**
 * One request through the pool: gets a connection, sends, relays the response, and retries once
 * on a fresh connection when a reused one turns out to have been closed by the target before it
 * read anything. A class, not closures: this is allocated per request on the hot path.
 */
class PooledCall implements Waiter, UpstreamExchange, UpstreamCall {
  private conn: UpstreamConnection | null = null;
  private aborted = false;
  private retried = false;
  readonly isHead: boolean;

  constructor(
    private readonly pool: TargetPool,
    private readonly req: UpstreamRequest,
    private readonly exchange: UpstreamExchange,
  ) {
    this.isHead = exchange.isHead;
  }

  onConnection(err: ProxyError | null, conn: UpstreamConnection | null): void {
    if (this.aborted) {
      if (conn !== null) this.pool.release(conn);
      return;
    }
    if (err !== null || conn === null) {
      this.exchange.onError(err ?? new ProxyError('INTERNAL', 'no connection'));
      return;
    }
    this.conn = conn;
    this.exchange.onConnected();
    conn.send(this.req.head, this.req.body, this.req.chunked, this, this.req.options, this.req.upgrade === true);
  }

  onInformational(status: number, reason: string, rawHeaders: string[]): boolean {
    return this.exchange.onInformational?.(status, reason, rawHeaders) ?? true;
  }

  onResponseTrailers(rawTrailers: string[]): void {
    this.exchange.onResponseTrailers?.(rawTrailers);
  }

  onSwitchingProtocols(reason: string, rawHeaders: string[], conn: UpstreamConnection): TunnelPeer | null {
    this.conn = null;
    return this.exchange.onSwitchingProtocols?.(reason, rawHeaders, conn) ?? null;
  }

  onResponseHead(status: number, reason: string, rawHeaders: string[], contentLength: number): void {
    this.exchange.onResponseHead(status, reason, rawHeaders, contentLength);
  }

  onResponseData(chunk: Buffer): boolean {
    return this.exchange.onResponseData(chunk);
  }

  onParsed(): void {
    this.exchange.onParsed();
  }

  onConnected(): void {
    this.exchange.onConnected();
  }

  retainsData(): boolean {
    return this.exchange.retainsData();
  }

  onResponseEnd(): void {
    this.conn = null;
    this.exchange.onResponseEnd();
  }

  onError(err: ProxyError): void {
    const c = this.conn;
    this.conn = null;
    const req = this.req;
    // The target closed a reused connection before answering: it most likely never saw the
    // request. Replay only what is safe to replay (RFC 9110 §9.2.2) and was not partly sent.
    const stale =
      c !== null && c.requests > 1 && !c.responseStarted && err.code === 'UPSTREAM_RESET' && !this.retried &&
      req.idempotent && c.bodyBytesSent === 0 && (req.body === null || req.body.error === null);
    if (stale && !this.aborted) {
      this.retried = true;
      this.pool.acquire(true, this);
      return;
    }
    this.exchange.onError(err);
  }

  resume(): void {
    this.conn?.resume();
  }

  abort(): void {
    this.aborted = true;
    const c = this.conn;
    this.conn = null;
    c?.abort();
  }
}
