/**
 * A request body kept so that a retry can send it again. Only bodies of a known, small length
 * are kept (retries.maxReplayBytes, 64 KiB by default): the bytes are recorded as they pass to
 * the first try, and a later try gets the recorded bytes first, then whatever the client has
 * not sent yet — with backpressure in both cases. Larger bodies are never buffered; their
 * requests are retried only when no byte was sent (DESIGN.md: buffer only what a feature
 * needs, bounded).
 */
import type { ProxyError } from '../errors/index.js';
import type { BodySink, RequestBody } from '../server/request-body.js';
import type { BodySource } from './body-source.js';

export class ReplayableBody implements BodySource, BodySink {
  private readonly chunks: Buffer[] = [];
  private sink: BodySink | null = null;
  /** Next recorded chunk to give the current sink. */
  private next = 0;
  private sinkWaiting = false;
  private attached = false;
  private ended = false;
  /** The source stopped because no sink could take a chunk (between tries). */
  private sourceWaiting = false;

  constructor(private readonly source: RequestBody) {}

  get trailers(): readonly string[] | null {
    // Only Content-Length bodies are replayable, and they have no trailer section.
    return null;
  }

  get error(): ProxyError | null {
    return this.source.error;
  }

  pipe(sink: BodySink): void {
    this.sink = sink;
    this.next = 0;
    this.sinkWaiting = false;
    if (!this.attached) {
      this.attached = true;
      this.source.pipe(this); // delivers held chunks now; onData records and forwards them
      return;
    }
    this.replay();
  }

  unpipe(): void {
    this.sink = null;
  }

  resume(): void {
    if (!this.sinkWaiting) return;
    this.sinkWaiting = false;
    this.replay();
  }

  // --- BodySink, fed by the client's body ---

  onData(chunk: Buffer): boolean {
    // Chunks may be views of a buffer the client connection reuses: keep a copy.
    this.chunks.push(Buffer.from(chunk));
    const sink = this.sink;
    if (sink === null || this.next !== this.chunks.length - 1 || this.sinkWaiting) {
      this.sourceWaiting = true;
      return false;
    }
    this.next++;
    if (sink.onData(chunk)) return true;
    this.sinkWaiting = true;
    this.sourceWaiting = true;
    return false;
  }

  onEnd(): void {
    this.ended = true;
    if (this.sink !== null && this.next === this.chunks.length && !this.sinkWaiting) this.sink.onEnd();
  }

  onError(err: ProxyError): void {
    this.sink?.onError(err);
  }

  retainsData(): boolean {
    // The recorded copies are this body's own; only the live sink may hold the client's bytes.
    const sink = this.sink;
    return sink !== null && (sink.retainsData === undefined || sink.retainsData());
  }

  /** Gives the current sink the recorded chunks it has not had, then the live rest. */
  private replay(): void {
    const sink = this.sink;
    if (sink === null) return;
    const error = this.source.error;
    if (error !== null) {
      sink.onError(error);
      return;
    }
    while (this.next < this.chunks.length) {
      const chunk = this.chunks[this.next++]!;
      if (!sink.onData(chunk)) {
        this.sinkWaiting = true;
        return;
      }
      if (this.sink !== sink) return;
    }
    if (this.ended) {
      sink.onEnd();
      return;
    }
    if (this.sourceWaiting) {
      this.sourceWaiting = false;
      this.source.resume();
    }
  }
}
