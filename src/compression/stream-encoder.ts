/**
 * The streaming stage between the upstream response and the client: body chunks go into a
 * compressor, its output goes to the client, with backpressure both ways. Made only for a
 * response that is compressed; the plain path never sees it.
 *
 *   upstream ──write()──► compressor ──'data'──► client
 *     ▲ paused while write() is false   ▲ paused while the client's write() is false
 *     └──── resumed on the compressor's 'drain'  └── resumed on the client's drain
 */
import type { Transform } from 'node:stream';
import type { Algorithm } from './config.js';
import { createCompressor, flushCompressor } from './compressors.js';

/** Where compressed bytes go (the ResponseWriter fits). */
export interface EncodedOutput {
  /** False: the client is not keeping up; wait for onDrain. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
}

/** Told when the compressed stream is complete, or failed. */
export interface EncoderOwner {
  /** Every compressed byte was handed to the output: the response can be ended. */
  encoderEnded(): void;
  /** The compressor failed: the response cannot be completed (its head is out). */
  encoderFailed(err: Error): void;
}

export class StreamEncoder {
  private readonly z: Transform;
  private resumeInput: (() => void) | null = null;
  /** Body bytes given to the compressor (for metrics). */
  bytesIn = 0;
  /** Input written since the last flush. */
  private unflushed = false;
  private done = false;

  constructor(
    private readonly out: EncodedOutput,
    private readonly owner: EncoderOwner,
    readonly coding: Algorithm,
    level: number,
    lengthHint: number,
    /**
     * Flush after every read from the origin (responses of unknown length: streams, SSE,
     * long polls), so nothing the origin sent waits in the compressor for more input.
     */
    private readonly flushEachRead: boolean,
  ) {
    const z = createCompressor(coding, level, lengthHint);
    z.on('data', this.onOutput);
    z.on('end', this.onEnd);
    z.on('error', this.onError);
    z.on('drain', this.onInputDrained);
    this.z = z;
  }

  /** Body bytes from the origin; false: pause the origin until onDrain's callback. */
  write(chunk: Buffer): boolean {
    if (this.done) return true;
    this.unflushed = true;
    this.bytesIn += chunk.length;
    return this.z.write(chunk);
  }

  /** `fn` is called once the compressor takes input again. */
  onDrain(fn: () => void): void {
    this.resumeInput = fn;
  }

  /**
   * Whether the compressor still holds input it was given (zlib reads it on the thread pool):
   * the upstream connection must not reuse its read buffer meanwhile.
   */
  get retainsInput(): boolean {
    return this.z.writableLength > 0;
  }

  /** A read from the origin was handled. */
  readDone(): void {
    if (this.flushEachRead && this.unflushed && !this.done) {
      this.unflushed = false;
      flushCompressor(this.coding, this.z);
    }
  }

  /** The origin's body is complete: finish the compressed stream (encoderEnded follows). */
  end(): void {
    if (!this.done) this.z.end();
  }

  /** The response is abandoned (client gone, upstream failed): free the compressor. */
  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.z.destroy();
  }

  private onOutput = (chunk: Buffer): void => {
    if (this.done) return;
    if (this.out.write(chunk)) return;
    this.z.pause();
    this.out.onDrain(this.resumeOutput);
  };

  private resumeOutput = (): void => {
    if (!this.done) this.z.resume();
  };

  private onInputDrained = (): void => {
    const resume = this.resumeInput;
    this.resumeInput = null;
    resume?.();
  };

  private onEnd = (): void => {
    if (this.done) return;
    this.done = true;
    this.owner.encoderEnded();
  };

  private onError = (err: Error): void => {
    if (this.done) return;
    this.done = true;
    this.z.destroy();
    this.owner.encoderFailed(err);
  };
}
