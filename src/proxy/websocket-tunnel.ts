/**
 * A WebSocket tunnel: after the target's 101, bytes flow both ways unchanged between the client
 * socket and the target connection, with backpressure each way, half-closes passed on, resets
 * passed on as resets, and one idle clock for both directions. Barbican does not parse frames:
 * RFC 6455 frames are end to end (masking, fragmentation, extensions are the two ends' business).
 *
 * The tunnel is logged once, when both sockets have closed: one access-log line with status 101,
 * the duration of the whole connection and the bytes relayed each way (bytesIn: client → target,
 * bytesOut: target → client, after the handshake).
 */
import type { Socket } from 'node:net';
import { ProxyError } from '../errors/index.js';
import { sharedMetrics } from '../observability/metrics.js';
import type { DeadlineWatcher, SwitchedConnection } from '../server/response-writer.js';
import { startReading } from '../server/llhttp.js';
import type { TunnelPeer, UpstreamConnection } from '../upstream/upstream-connection.js';
import { log } from './exit.js';
import type { UpstreamTarget } from './runtime.js';
import type { Session } from './session.js';

/** How long one side may take to close after the other closed cleanly and was sent a FIN. */
const LINGER_MS = 2000;

export class WebSocketTunnel implements TunnelPeer, DeadlineWatcher {
  private client: Socket | null = null;
  private bytesFromClient = 0;
  private bytesToClient = 0;
  /** Reads either way; the sweep compares it with what it saw last (no clock read per read). */
  private moved = 0;
  private movedSeen = -1;
  private quietSince = 0;
  private clientClosed = false;
  private targetClosed = false;
  private done = false;
  /** Why the tunnel ended, if not by a clean close (logged with the line). */
  private error: ProxyError | undefined;

  constructor(
    private readonly s: Session,
    private readonly conn: UpstreamConnection,
    private readonly target: UpstreamTarget,
    private readonly idleTimeout: number,
  ) {}

  /** The client connection is handed over (the 101 is on its way): start relaying. */
  start(switched: SwitchedConnection): void {
    // From here the request is an open tunnel, not a request in flight: a reload retires its
    // runtime without waiting for tunnels, which keep their sockets (reload.ts).
    const s = this.s;
    s.tunneled = true;
    s.runtime.inFlight--;
    sharedMetrics.inFlight--;
    sharedMetrics.tunnels++;
    sharedMetrics.tunnelsOpened++;
    const client = switched.socket;
    this.client = client;
    client.on('data', this.onClientData);
    client.on('end', this.onClientEnd);
    client.on('close', this.onClientClose);
    // Bytes the client sent right behind its handshake are the first of the tunnel.
    if (switched.head.length > 0) this.onClientData(switched.head);
    startReading(client);
  }

  // --- client → target ---

  private onClientData = (chunk: Buffer): void => {
    this.bytesFromClient += chunk.length;
    this.moved++;
    if (!this.conn.tunnelWrite(chunk)) {
      this.client!.pause();
      this.conn.onceDrained(this.resumeClient);
    }
  };

  private resumeClient = (): void => {
    if (!this.clientClosed) this.client!.resume();
  };

  private onClientEnd = (): void => {
    this.conn.tunnelEnd();
  };

  private onClientClose = (hadError: boolean): void => {
    this.clientClosed = true;
    const socket = this.conn.socket;
    // A reset is passed on as one (the target sees the connection drop); a clean close as a FIN.
    if (hadError) socket.destroy();
    else {
      this.conn.tunnelEnd();
      setTimeout(destroy, LINGER_MS, socket).unref();
    }
    this.finish();
  };

  // --- target → client (TunnelPeer) ---

  onTunnelData(chunk: Buffer): boolean {
    this.bytesToClient += chunk.length;
    this.moved++;
    const client = this.client!;
    if (client.destroyed) return true;
    if (client.write(chunk)) return true;
    client.once('drain', this.resumeTarget);
    return false;
  }

  private resumeTarget = (): void => {
    this.conn.resume();
  };

  retainsData(): boolean {
    return this.client!.writableLength > 0;
  }

  onTunnelEnd(): void {
    const client = this.client!;
    if (!client.destroyed) client.end();
  }

  onTunnelClose(error: boolean): void {
    this.targetClosed = true;
    const client = this.client!;
    if (error) {
      this.error ??= new ProxyError('UPSTREAM_RESET', 'the target connection failed during the WebSocket tunnel');
      client.destroy();
    } else {
      if (!client.destroyed) client.end();
      setTimeout(destroy, LINGER_MS, client).unref();
    }
    this.finish();
  }

  // --- idle time (DeadlineWatcher: the client connection's sweep calls it) ---

  checkDeadlines(now: number): void {
    if (this.done) return;
    if (this.moved !== this.movedSeen) {
      this.movedSeen = this.moved;
      this.quietSince = now;
    } else if (now - this.quietSince >= this.idleTimeout) {
      this.error = new ProxyError('WEBSOCKET_IDLE_TIMEOUT', `no data either way for ${this.idleTimeout} ms`);
      this.client!.destroy();
      this.conn.socket.destroy();
    }
  }

  /** Both sides closed: the one access-log line of the tunnel. */
  private finish(): void {
    if (this.done || !this.clientClosed || !this.targetClosed) return;
    this.done = true;
    this.target.state.inFlight--;
    const s = this.s;
    s.req.body.bytesReceived += this.bytesFromClient;
    s.res.bytesWritten += this.bytesToClient;
    log(s, this.error);
  }
}

function destroy(socket: Socket): void {
  socket.destroy();
}
