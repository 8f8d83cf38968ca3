/**
 * What the pipeline, the upstream exchange and the cache write a response through, whatever
 * the client's protocol. Two implementations: `ResponseWriter` (HTTP/1.1 on a socket, the fast
 * path: it frames the message itself) and `Http2ResponseWriter` (one HTTP/2 stream through
 * node:http2, which frames it). Callers pass header lines without framing (Content-Length,
 * Transfer-Encoding, Connection) and say how long the body is; each writer frames for its
 * protocol (RFC 9112 §6, RFC 9113 §8.1).
 */
import type { ClientGoneListener, DeadlineWatcher, SwitchedConnection } from './response-writer.js';

export interface ClientResponse {
  /** The status sent (0 until writeHead). */
  readonly status: number;
  readonly headersSent: boolean;
  readonly finished: boolean;
  /** Body bytes written (framing excluded; a WebSocket tunnel adds what it relays). */
  bytesWritten: number;
  /**
   * Starts the response. `headers` is a flat list [name, value, …] in wire case; `bodyLength`
   * the exact body size or -1 when unknown. `storedHead`: stored lines serialized in advance
   * (a cache hit), Content-Length included.
   */
  writeHead(status: number, headers: readonly string[], bodyLength: number, reason?: string, storedHead?: string): void;
  /** Sends a head still held back for the first body bytes. */
  flushHead(): void;
  /** Writes body bytes; false means the client is not keeping up: wait for `onDrain`. */
  write(chunk: Buffer): boolean;
  /** Completes the response. */
  end(): void;
  /**
   * Completes the response with a trailer section (RFC 9110 §6.5): `fields` is the serialized
   * `name: value\r\n` lines, already filtered (server/trailer-fields.ts). Sent where the
   * client's framing can carry them (a chunked HTTP/1.1 body; HTTP/2 to a client that sent
   * `TE: trailers`, as gRPC clients do); dropped otherwise.
   */
  endWithTrailers(fields: string): void;
  /**
   * Sends an interim response (1xx other than 100, e.g. 103 Early Hints) before the final head.
   * False means the client is not keeping up: wait for `onDrain` before relaying more.
   */
  writeInformational(status: number, headers: readonly string[]): boolean;
  /**
   * Sends 101 and hands the connection to a tunnel (WebSocket, HTTP/1.1 only): null when the
   * client cannot switch (gone, or HTTP/2, which has no Upgrade: RFC 9113 §8.6).
   */
  switchProtocols(headers: readonly string[], watcher: DeadlineWatcher): SwitchedConnection | null;
  /** A response that cannot be completed: the client must see it cut, not a short body. */
  abort(): void;
  /** Tells `listener` if the client goes away before the response is complete. */
  whenClientGone(listener: ClientGoneListener): void;
  /** Bytes written but not yet handed to the kernel (they may reference callers' buffers). */
  readonly queuedBytes: number;
  /** Calls `fn` once the client has taken what was queued. */
  onDrain(fn: () => void): void;
  /** Sends `100 Continue` (RFC 9110 §10.1.1) before the body is read. */
  writeContinue(): void;
  /** A complete response whose stored lines were serialized in advance (a cache hit). */
  sendStored(status: number, headers: readonly string[], storedHead: string, body: Buffer): void;
  /** A small complete response (errors, redirects, fixed answers). */
  send(status: number, headers: readonly string[], body: string | Buffer): void;
}
