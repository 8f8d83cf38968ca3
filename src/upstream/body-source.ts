import type { ProxyError } from '../errors/index.js';
import type { BodySink } from '../server/request-body.js';

/**
 * Where an upstream connection reads a request body from: the client's RequestBody itself, or
 * a ReplayableBody that can deliver it again to a retry.
 */
export interface BodySource {
  /** Starts delivering to `sink` (from the first byte this source can give it). */
  pipe(sink: BodySink): void;
  /** The current consumer is done with the body. */
  unpipe(): void;
  /** The consumer can take more after its onData returned false. */
  resume(): void;
  /** Why the body failed on the client side, or null. */
  readonly error: ProxyError | null;
  /** The chunked body's trailer fields, filtered for forwarding (null: none); read once the body ended. */
  readonly trailers: readonly string[] | null;
}
