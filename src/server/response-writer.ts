/**
 * Writes one HTTP/1.1 response to a client socket. It owns message framing (RFC 9112 §6):
 * callers pass header lines without Content-Length / Transfer-Encoding / Connection and say
 * how long the body is, and the writer chooses Content-Length, chunked or close-delimited.
 */
import type { Socket } from 'node:net';
import type { ClientResponse } from './client-response.js';
import { statusLine, statusText } from './status-text.js';
import { serializeFields } from './trailer-fields.js';
import { sendHeldNow, unsentShared, writeHeld, writeShared } from './turn-writes.js';
import { writeJoined } from './write-joined.js';

export interface ClientGoneListener {
  clientGone(): void;
}

export interface ResponseTarget {
  readonly socket: Socket;
  /** The request was HEAD: a body is never written (RFC 9110 §9.3.2). */
  readonly isHead: boolean;
  /** The client speaks HTTP/1.0: no chunked encoding, keep-alive only when asked for. */
  readonly http10: boolean;
  /** Whether the connection may stay open after this response, as far as the request goes. */
  keepAlive: boolean;
  /** False when the connection cannot be reused whatever the response (request body unread, draining). */
  mayReuse(): boolean;
  /** Told if the client goes away before the response is complete. */
  onClientGone: ClientGoneListener | null;
  /** Called once, when the response has been completely handed to the socket (or aborted). */
  onFinish(aborted: boolean): void;
  /**
   * After a 101: the connection stops speaking HTTP; returns the bytes the client sent after the
   * request head (already read). `watcher` is checked by the connection's deadline sweep.
   * Absent on targets that cannot switch (a sink).
   */
  takeOver?(watcher: DeadlineWatcher): Buffer;
}

/** A client connection after a 101: its socket and the bytes it sent after the request head. */
export interface SwitchedConnection {
  readonly socket: Socket;
  readonly head: Buffer;
}

/** Something with its own deadlines, checked by the client connection's sweep (a tunnel's idle time). */
export interface DeadlineWatcher {
  checkDeadlines(now: number): void;
}

export class ResponseWriter implements ClientResponse {
  status = 0;
  headersSent = false;
  finished = false;
  /** Body bytes written (framing excluded). */
  bytesWritten = 0;
  private chunked = false;
  private noBody = false;
  private pendingHead: string | null = null;

  constructor(private readonly target: ResponseTarget) {}

  /**
   * Starts the response. `headers` is a flat list [name, value, name, value, …] in wire case.
   * `bodyLength` is the exact body size, or -1 when not known in advance (then chunked, or
   * close-delimited for an HTTP/1.0 client).
   */
  writeHead(status: number, headers: readonly string[], bodyLength: number, reason?: string, storedHead?: string): void {
    if (this.headersSent) throw new Error('headers already sent');
    this.headersSent = true;
    this.status = status;
    const t = this.target;
    if (t.keepAlive && !t.mayReuse()) t.keepAlive = false;
    // Built by concatenation (a rope the socket write flattens once; see serializeRequestHead).
    let head = statusLine(status, reason);
    for (let i = 0; i < headers.length; i += 2) head += headers[i]! + ': ' + headers[i + 1]! + '\r\n';
    // RFC 9110 §6.4.1: 1xx, 204 and 304 never have content; HEAD responses carry the length
    // the GET response would have (§8.6) but no body.
    const bodyless = status === 204 || status === 304 || (status >= 100 && status < 200);
    this.noBody = bodyless || t.isHead;
    if (storedHead !== undefined) {
      // Lines serialized in advance, Content-Length included (see sendStored).
      head += storedHead;
    } else if (!bodyless) {
      if (bodyLength >= 0) head += 'Content-Length: ' + bodyLength + '\r\n';
      else if (t.isHead) {
        // length unknown: say nothing about it
      } else if (t.http10) t.keepAlive = false; // close-delimited (RFC 9112 §6.3 rule 8)
      else {
        head += 'Transfer-Encoding: chunked\r\n';
        this.chunked = true;
      }
    }
    if (!t.keepAlive) head += 'Connection: close\r\n';
    else if (t.http10) head += 'Connection: keep-alive\r\n';
    // Held until the first body bytes or the end, so head and body leave in one write; the
    // upstream side calls flushHead() after each parse so a head is never held back.
    this.pendingHead = head + '\r\n';
  }

  /** Writes the head now if it is still held (a streaming response whose body comes later). */
  flushHead(): void {
    const head = this.pendingHead;
    if (head === null) return;
    this.pendingHead = null;
    const socket = this.target.socket;
    if (!socket.destroyed) writeHeld(socket, head);
  }

  /** Writes body bytes; false means the client is not keeping up: wait for `onDrain`. */
  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    if (this.noBody) {
      this.flushHead();
      return true;
    }
    const socket = this.target.socket;
    if (socket.destroyed) return true;
    this.bytesWritten += chunk.length;
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    if (!this.chunked) return head === '' ? writeShared(socket, chunk) : writeJoined(socket, head, chunk, '');
    // RFC 9112 §7.1: chunk-size CRLF chunk-data CRLF
    return writeJoined(socket, `${head}${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
  }

  /** Tells `listener` if the client goes away before the response is complete. */
  whenClientGone(listener: ClientGoneListener): void {
    this.target.onClientGone = listener;
  }

  /** Bytes written but not yet handed to the kernel that may reference callers' buffers. */
  get queuedBytes(): number {
    return unsentShared(this.target.socket);
  }

  /** Calls `fn` once the socket's write buffer has drained. */
  onDrain(fn: () => void): void {
    this.target.socket.once('drain', fn);
  }

  /** Completes the response. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    const socket = this.target.socket;
    const tail = this.chunked ? '0\r\n\r\n' : '';
    const head = this.pendingHead;
    this.pendingHead = null;
    if (!socket.destroyed && (head !== null || tail !== '')) writeHeld(socket, head === null ? tail : head + tail);
    this.target.onFinish(false);
  }

  /** A response that cannot be completed: the client must see the connection cut, not a short body. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.target.keepAlive = false;
    // What was written before goes out first (a held head: turn-writes.ts), then the cut.
    sendHeldNow(this.target.socket);
    this.target.socket.destroy();
    this.target.onFinish(true);
  }

  /** Sends `100 Continue` (RFC 9110 §10.1.1) before the body is read. */
  writeContinue(): void {
    if (!this.headersSent && !this.target.socket.destroyed) this.target.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  /**
   * A complete response whose header lines were serialized in advance (a cache hit):
   * `headers` are the few lines made per response (Age, Cache-Status, X-Request-Id…),
   * `storedHead` the stored lines as one string, Content-Length included (none for 204/304).
   */
  sendStored(status: number, headers: readonly string[], storedHead: string, body: Buffer): void {
    this.writeHead(status, headers, body.length, undefined, storedHead);
    this.write(body);
    this.end();
  }

  /** Convenience for small generated responses (errors, redirects, fixed answers). */
  send(status: number, headers: readonly string[], body: string | Buffer): void {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.writeHead(status, headers, buf.length);
    this.write(buf);
    this.end();
  }

  // --- Beyond one request/response (issue 7): interim responses, trailers, protocol switch. ---
  // Kept apart from the framing above; none of it runs for a plain response.

  /**
   * Relays an interim response (RFC 9110 §15.2: 102, 103 Early Hints…) before the final one.
   * Never to an HTTP/1.0 client (§15.2: it cannot parse one), never after the final head.
   */
  writeInformational(status: number, headers: readonly string[]): boolean {
    const t = this.target;
    if (this.headersSent || t.http10 || status < 102 || status > 199 || t.socket.destroyed) return true;
    return t.socket.write(`HTTP/1.1 ${status} ${statusText(status)}\r\n${serializeFields(headers)}\r\n`, 'latin1');
  }

  /**
   * Completes a chunked response with a trailer section (RFC 9112 §7.1.2): `fields` is the
   * already serialized `name: value\r\n` lines. When the response is not chunked (an HTTP/1.0
   * client, a HEAD, a bodyless status) there is nowhere to put them and they are dropped.
   */
  endWithTrailers(fields: string): void {
    if (this.finished) return;
    if (!this.chunked || this.noBody) return this.end();
    this.finished = true;
    const socket = this.target.socket;
    const head = this.pendingHead ?? '';
    this.pendingHead = null;
    if (!socket.destroyed) writeHeld(socket, `${head}0\r\n${fields}\r\n`);
    this.target.onFinish(false);
  }

  /**
   * Sends `101 Switching Protocols` (RFC 9110 §15.2.2) with `headers` as given (the caller puts
   * Connection and Upgrade in), and hands the connection over: returns the bytes the client
   * already sent after its request head, or null when the client is gone or cannot switch.
   */
  switchProtocols(headers: readonly string[], watcher: DeadlineWatcher): SwitchedConnection | null {
    const t = this.target;
    if (this.headersSent || t.socket.destroyed || t.takeOver === undefined) return null;
    this.headersSent = true;
    this.status = 101;
    t.socket.write(`HTTP/1.1 101 Switching Protocols\r\n${serializeFields(headers)}\r\n`, 'latin1');
    return { socket: t.socket, head: t.takeOver(watcher) };
  }
}
