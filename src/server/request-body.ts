/**
 * The body of one client request, as llhttp delivers it, handed to one consumer (the upstream
 * request) with backpressure: when the consumer cannot take more, the client socket is paused.
 * Chunks that arrive before a consumer is attached are held (at most one socket read per
 * request, because the connection pauses reading while a body waits).
 */
import { ProxyError } from '../errors/index.js';

/** Receives the body. `onData` returns false when it wants no more until `resume()` is called. */
export interface BodySink {
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  onError(err: ProxyError): void;
  /**
   * Whether chunks handed to onData may still be referenced (queued for a socket). Chunks can
   * be views of a read buffer the client connection reuses; absent means "maybe": the
   * connection then reads into a new buffer.
   */
  retainsData?(): boolean;
}

export class RequestBody {
  /** Bytes received from the client so far. */
  bytesReceived = 0;
  /** True once the whole body (and any trailers) has been read from the client. */
  complete = false;
  /** The trailer section of a chunked body, filtered for forwarding (RFC 9112 §7.1.2); null: none. */
  trailers: readonly string[] | null = null;
  /** Body byte limit; exceeding it fails the body with 413. */
  limit = Infinity;
  private held: Buffer[] | null = null;
  private sink: BodySink | null = null;
  private failed: ProxyError | null = null;
  /** The sink returned false and waits for `resume()`. */
  private sinkWaiting = false;
  private ended = false;

  /**
   * @param hasBody whether the request declares a body (Content-Length > 0 or chunked)
   * @param onPause / onResume: stop and restart reading the client socket (idempotent)
   */
  constructor(
    readonly hasBody: boolean,
    private readonly onPause: () => void,
    private readonly onResume: () => void,
  ) {
    if (!hasBody) this.complete = true;
  }

  /** Producer: a chunk from the parser. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    this.bytesReceived += chunk.length;
    if (this.bytesReceived > this.limit) {
      this.fail(new ProxyError('REQUEST_BODY_TOO_LARGE'));
      return;
    }
    if (this.sink !== null && this.held === null && !this.sinkWaiting) {
      if (!this.sink.onData(chunk)) {
        this.sinkWaiting = true;
        this.onPause();
      }
      return;
    }
    // No one can take it now: hold it and stop reading, so at most a read's worth is held.
    (this.held ??= []).push(chunk);
    this.onPause();
  }

  /** Producer: the message is complete. */
  end(): void {
    if (this.failed || this.complete) return;
    this.complete = true;
    if (this.held === null) this.deliverEnd();
  }

  /** Producer or pipeline: the body cannot be completed. */
  fail(err: ProxyError): void {
    if (this.failed || this.complete) return;
    this.failed = err;
    this.held = null;
    this.sink?.onError(err);
  }

  get error(): ProxyError | null {
    return this.failed;
  }

  /** Whether chunks pushed so far may still be referenced: held here, or queued by the sink. */
  retainsInput(): boolean {
    if (this.held !== null) return true;
    const sink = this.sink;
    return sink !== null && (sink.retainsData === undefined || sink.retainsData());
  }

  /** Consumer: start receiving. Held chunks are delivered first. */
  pipe(sink: BodySink): void {
    this.sink = sink;
    this.sinkWaiting = false;
    this.ended = false;
    if (this.failed) sink.onError(this.failed);
    else this.drainHeld();
  }

  /** Consumer: detach (the upstream attempt is over); later chunks are held. */
  unpipe(): void {
    this.sink = null;
  }

  /** Consumer: ready for more after `onData` returned false. */
  resume(): void {
    if (!this.sinkWaiting) return;
    this.sinkWaiting = false;
    this.drainHeld();
  }

  private deliverEnd(): void {
    if (this.sink === null || this.ended) return;
    this.ended = true;
    this.sink.onEnd();
  }

  /** Delivers held chunks until the sink pushes back; then lets the client send more. */
  private drainHeld(): void {
    const sink = this.sink;
    if (sink === null) return;
    while (this.held !== null) {
      const chunk = this.held.shift()!;
      if (this.held.length === 0) this.held = null;
      if (!sink.onData(chunk)) {
        this.sinkWaiting = true;
        this.onPause();
        return;
      }
      if (this.sink !== sink || this.failed) return;
    }
    if (this.complete) this.deliverEnd();
    else this.onResume();
  }
}
