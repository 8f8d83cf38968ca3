/**
 * The client-facing listeners: accepts connections under the global and per-IP caps, runs
 * one periodic sweep for every connection's deadlines (cheaper than a timer per request),
 * and drains on shutdown. TLS listeners wrap each accepted socket (tls-endpoint.ts) and
 * otherwise share the same path; plain listeners that redirect to https or must answer ACME
 * HTTP-01 challenges get the small front handler (http-front.ts) before the pipeline.
 */
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { createLogger, type Logger } from '../observability/logger.js';
import { sharedMetrics } from '../observability/metrics.js';
import { ChallengeStore } from './acme/challenge-store.js';
import { http2Schema, parseAddress, type Http2Config, type ListenerConfig, type LimitsConfig } from './config.js';
import { createHttpFront } from './http-front.js';
import { Http1Connection, type ConnectionHost, type RequestHandler } from './http1-connection.js';
import { Http2Connection, type Http2ConnectionHost } from './http2-connection.js';
import { isHttp2Preface, readPreface } from './h2c-preface.js';
import { TlsEndpoint } from './tls-endpoint.js';

/** Bytes queued for a client before the origin is paused (per connection). */
const CLIENT_WRITE_BUFFER = 128 * 1024;

export interface ListenerGroupOptions {
  listeners: readonly ListenerConfig[];
  limits: () => LimitsConfig;
  /** The current request handler (swapped on reload). */
  handler: () => RequestHandler;
  /** Log for TLS and ACME events (issuance, renewal, failures). Default: a new info-level logger. */
  logger?: Logger;
  /** HTTP/2 settings (server.http2), read when a listener with http2 or h2c starts. Default: the schema's defaults. */
  http2?: () => Http2Config;
}

/** A client connection of either protocol, as the listener manages it. */
interface ClientConnection {
  readonly socket: Socket;
  checkDeadlines(now: number): void;
  drain(): void;
}

export interface BoundListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `https` for a TLS listener. */
  readonly scheme: 'http' | 'https';
}

export class ListenerGroup {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<ClientConnection>();
  /** Client IP counted against maxConnectionsPerIp, per connection. */
  private readonly ipKeys = new WeakMap<object, string>();
  /** TLS sockets whose ClientHello is being read (not yet connections). */
  private readonly handshaking = new Set<Socket>();
  private readonly perIp = new Map<string, number>();
  private sweep: NodeJS.Timeout | null = null;
  private drainingFlag = false;
  /** ACME challenges being answered (HTTP-01 on plain listeners, TLS-ALPN-01 on TLS ones). */
  private readonly challenges = new ChallengeStore();
  private readonly endpoints = new Map<ListenerConfig, TlsEndpoint>();
  readonly bound: BoundListener[] = [];

  constructor(private readonly options: ListenerGroupOptions) {}

  get draining(): boolean {
    return this.drainingFlag;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds every listener; rejects (closing those already bound) if one cannot bind. */
  async start(): Promise<BoundListener[]> {
    // Certificates are read before anything binds: a bad file fails the start, naming its key.
    const log = this.options.logger ?? createLogger();
    this.options.listeners.forEach((listener, index) => {
      if (listener.tls) this.endpoints.set(listener, new TlsEndpoint({ index, name: listener.name, config: listener.tls, challenges: this.challenges, log, http2: listener.http2 }));
    });
    try {
      for (const listener of this.options.listeners) await this.listen(listener);
    } catch (err) {
      await this.close();
      throw err;
    }
    const limits = this.options.limits();
    const shortest = Math.min(limits.headersTimeout, limits.requestTimeout, limits.keepAliveTimeout);
    const period = Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const conn of this.connections) conn.checkDeadlines(now);
    }, period);
    this.sweep.unref();
    // ACME orders start once every listener is bound: HTTP-01 is answered on the plain ones.
    for (const endpoint of this.endpoints.values()) endpoint.start();
    return this.bound;
  }

  /** The handler of a plain listener: the pipeline, behind the front when it redirects or answers HTTP-01. */
  private plainHandler(listener: ListenerConfig): () => RequestHandler {
    const http01 = [...this.endpoints.values()].some((e) => e.acme?.challenge === 'http-01');
    if (!listener.redirectToHttps && !http01) return this.options.handler;
    const firstTls = this.options.listeners.find((l) => l.tls !== undefined);
    const front = createHttpFront({
      inner: this.options.handler,
      ...(http01 ? { challenges: this.challenges } : {}),
      // No TLS listener here: TLS ends in front of Barbican, on the default port.
      ...(listener.redirectToHttps ? { httpsPort: () => this.bound.find((b) => b.name === firstTls?.name)?.port ?? 443 } : {}),
    });
    return () => front;
  }

  private listen(listener: ListenerConfig): Promise<void> {
    const { host, port } = parseAddress(listener.address);
    const group = this;
    const endpoint = this.endpoints.get(listener);
    const connectionHost: ConnectionHost = {
      scheme: endpoint ? 'https' : 'http',
      listenerName: listener.name,
      get limits() {
        return group.options.limits();
      },
      handler: endpoint ? this.options.handler : this.plainHandler(listener),
      get draining() {
        return group.drainingFlag;
      },
      onClose: (conn) => this.forget(conn),
    };
    // A 128 KiB write buffer per client before backpressure pauses the origin: with the 16 KiB
    // default every 64 KiB read from the origin stopped it until 'drain' (measured: the proxy
    // sat idle 40% of the time on 100 KiB responses).
    const h2 = listener.http2 || listener.h2c ? this.http2Server(connectionHost) : undefined;
    const server = createServer({ noDelay: true, keepAlive: true, highWaterMark: CLIENT_WRITE_BUFFER }, (socket) => this.accept(socket, connectionHost, endpoint, h2, listener.h2c));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(`listener ${listener.name}: cannot listen on ${listener.address}: ${err.code ?? err.message}`));
      });
      server.listen({ host, port, backlog: 1024 }, () => {
        const addr = server.address();
        const boundPort = typeof addr === 'object' && addr !== null ? addr.port : port;
        this.bound.push({ name: listener.name, host, port: boundPort, scheme: connectionHost.scheme });
        server.removeAllListeners('error');
        server.on('error', () => {
          // accept errors (EMFILE …) are transient; the server keeps listening
        });
        resolve();
      });
    });
  }

  /**
   * The node:http2 server that runs HTTP/2 sessions for one listener. It never listens itself:
   * the listener hands it the connections that chose HTTP/2 (ALPN "h2", or the h2c preface).
   */
  private http2Server(host: ConnectionHost): Http2Server {
    const limits = this.options.limits();
    const config = this.options.http2?.() ?? http2Schema.parse({});
    const log = this.options.logger;
    const group = this;
    const h2host: Http2ConnectionHost = {
      get limits() {
        return group.options.limits();
      },
      http2: config,
      scheme: host.scheme,
      listenerName: host.listenerName,
      handler: host.handler,
      get draining() {
        return group.drainingFlag;
      },
      onClose: (conn) => this.forget(conn),
      onAbuse: (conn, reason, detail) => {
        sharedMetrics.http2Closed(reason);
        log?.warn({ listener: host.listenerName, clientIp: conn.remoteAddress, reason }, `http2: connection closed with ENHANCE_YOUR_CALM: ${detail}`);
      },
    };
    const server = createHttp2Server({
      // node:http2 counts in MiB; the session refuses new streams beyond it.
      maxSessionMemory: Math.max(1, Math.ceil(config.maxSessionMemory / (1024 * 1024))),
      // Pseudo-headers count as pairs too; the field count itself is checked in http2-request.ts.
      maxHeaderListPairs: limits.maxHeaderCount + 8,
      settings: {
        maxConcurrentStreams: config.maxConcurrentStreams,
        // RFC 9113 §6.5.2: advertised, and enforced by node:http2 (the stream is reset).
        maxHeaderListSize: limits.maxHeaderBytes,
        initialWindowSize: config.initialWindowSize,
        enablePush: false,
      },
    });
    server.on('session', (session: ServerHttp2Session) => {
      const conn = new Http2Connection(session, h2host);
      const ipKey = this.ipKeys.get(session.socket);
      if (ipKey !== undefined) this.ipKeys.set(conn, ipKey);
      this.connections.add(conn);
    });
    return server;
  }

  private accept(socket: Socket, host: ConnectionHost, endpoint: TlsEndpoint | undefined, h2?: Http2Server, h2c?: boolean): void {
    const limits = host.limits;
    if (this.drainingFlag || this.connections.size + this.handshaking.size >= limits.maxConnections) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '';
    if (limits.maxConnectionsPerIp > 0) {
      const count = this.perIp.get(ip) ?? 0;
      if (count >= limits.maxConnectionsPerIp) {
        socket.destroy();
        return;
      }
      this.perIp.set(ip, count + 1);
    }
    const ipKey = limits.maxConnectionsPerIp > 0 ? ip : undefined;
    if (endpoint === undefined) {
      if (h2 === undefined || h2c !== true) {
        this.open(socket, host, ipKey);
        return;
      }
      // h2c with prior knowledge (RFC 9113 §3.3): the first bytes tell HTTP/2 from HTTP/1.1.
      this.handshaking.add(socket);
      readPreface(socket, limits.headersTimeout, (start) => {
        this.handshaking.delete(socket);
        if (start === undefined) this.release(ipKey);
        else if (isHttp2Preface(start)) this.openHttp2(h2, socket, ipKey);
        else this.open(socket, host, ipKey);
      });
      return;
    }
    // TLS: the ClientHello is read first (it picks the certificate); the socket counts meanwhile.
    this.handshaking.add(socket);
    endpoint.wrap(socket, limits.headersTimeout, (tlsSocket) => {
      if (tlsSocket === undefined) {
        this.handshaking.delete(socket);
        this.release(ipKey);
      } else if (h2 === undefined) {
        this.handshaking.delete(socket);
        this.open(tlsSocket, host, ipKey);
      } else this.afterHandshake(tlsSocket, socket, limits.headersTimeout, h2, host, ipKey);
    });
  }

  /** RFC 9113 §3.2: the protocol ALPN chose ("h2", else HTTP/1.1) is known once the handshake is done. */
  private afterHandshake(tlsSocket: TLSSocket, raw: Socket, timeoutMs: number, h2: Http2Server, host: ConnectionHost, ipKey: string | undefined): void {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      tlsSocket.removeListener('secure', onSecure);
      tlsSocket.removeListener('close', onGone);
      tlsSocket.removeListener('error', onGone);
      this.handshaking.delete(raw);
      if (!ok) {
        tlsSocket.destroy();
        this.release(ipKey);
      } else if (tlsSocket.alpnProtocol === 'h2') {
        // A server TLSSocket made by hand (not by tls.Server) keeps `secureConnecting` true after
        // its handshake, and node:http2 would wait for a 'secureConnect' that never comes.
        (tlsSocket as unknown as { secureConnecting: boolean }).secureConnecting = false;
        this.openHttp2(h2, tlsSocket, ipKey);
      }
      else this.open(tlsSocket, host, ipKey);
    };
    const onSecure = (): void => done(true);
    const onGone = (): void => done(false);
    const timer = setTimeout(onGone, timeoutMs);
    tlsSocket.once('secure', onSecure);
    tlsSocket.once('close', onGone);
    tlsSocket.once('error', onGone);
  }

  private open(socket: Socket, host: ConnectionHost, ipKey: string | undefined): void {
    const conn = new Http1Connection(socket, host);
    if (ipKey !== undefined) this.ipKeys.set(conn, ipKey);
    this.connections.add(conn);
  }

  /** Hands a connection to node:http2 (its 'session' event registers the Http2Connection). */
  private openHttp2(h2: Http2Server, socket: Socket, ipKey: string | undefined): void {
    if (ipKey !== undefined) this.ipKeys.set(socket, ipKey);
    h2.emit('connection', socket);
  }

  private forget(conn: ClientConnection): void {
    this.connections.delete(conn);
    this.release(this.ipKeys.get(conn));
  }

  private release(ip: string | undefined): void {
    if (ip !== undefined) {
      const count = (this.perIp.get(ip) ?? 1) - 1;
      if (count <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, count);
    }
  }

  /**
   * Graceful shutdown: stop accepting, let every in-flight response finish (connections close
   * after it), and after `timeoutMs` cut whatever is left. Resolves when no connection is open.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.drainingFlag = true;
    const closing = this.close();
    for (const socket of this.handshaking) socket.destroy();
    for (const conn of this.connections) conn.drain();
    const deadline = setTimeout(() => {
      for (const conn of this.connections) conn.socket.destroy();
    }, timeoutMs);
    deadline.unref();
    while (this.connections.size > 0) await new Promise((r) => setTimeout(r, 20));
    clearTimeout(deadline);
    await closing;
  }

  /** Stops accepting (open connections are left alone). */
  close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    for (const endpoint of this.endpoints.values()) endpoint.stop();
    return Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    ).then(() => undefined);
  }
}
