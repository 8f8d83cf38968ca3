/**
 * The client-facing listeners: accepts connections under the global and per-IP caps, runs
 * one periodic sweep for every connection's deadlines (cheaper than a timer per request),
 * and drains on shutdown. TLS listeners wrap each accepted socket (tls-endpoint.ts) and
 * otherwise share the same path; plain listeners that redirect to https or must answer ACME
 * HTTP-01 challenges get the small front handler (http-front.ts) before the pipeline.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLogger, type Logger } from '../observability/logger.js';
import { ChallengeStore } from './acme/challenge-store.js';
import { parseAddress, type ListenerConfig, type LimitsConfig } from './config.js';
import { createHttpFront } from './http-front.js';
import { Http1Connection, type ConnectionHost, type RequestHandler } from './http1-connection.js';
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
  private readonly connections = new Set<Http1Connection>();
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
      if (listener.tls) this.endpoints.set(listener, new TlsEndpoint({ index, name: listener.name, config: listener.tls, challenges: this.challenges, log }));
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
    const server = createServer({ noDelay: true, keepAlive: true, highWaterMark: CLIENT_WRITE_BUFFER }, (socket) => this.accept(socket, connectionHost, endpoint));
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

  private accept(socket: Socket, host: ConnectionHost, endpoint: TlsEndpoint | undefined): void {
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
      this.open(socket, host, ipKey);
      return;
    }
    // TLS: the ClientHello is read first (it picks the certificate); the socket counts meanwhile.
    this.handshaking.add(socket);
    endpoint.wrap(socket, limits.headersTimeout, (tlsSocket) => {
      this.handshaking.delete(socket);
      if (tlsSocket !== undefined) this.open(tlsSocket, host, ipKey);
      else this.release(ipKey);
    });
  }

  private open(socket: Socket, host: ConnectionHost, ipKey: string | undefined): void {
    const conn = new Http1Connection(socket, host);
    (conn as { ipKey?: string }).ipKey = ipKey;
    this.connections.add(conn);
  }

  private forget(conn: Http1Connection): void {
    this.connections.delete(conn);
    this.release((conn as { ipKey?: string }).ipKey);
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
