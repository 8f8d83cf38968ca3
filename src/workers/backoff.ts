/**
 * Restart delay of a crashed worker: 100 ms doubling up to 10 s, so a worker that dies at once
 * (a bad certificate, a port taken) does not spin the supervisor, while a worker that ran well
 * for a while (30 s) and then crashed is replaced almost at once again.
 */

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Uptime after which a crash counts as the first one again. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000, resetAfterMs: 30_000 };

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The delay before restarting a worker that ran for `uptimeMs` before it exited. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.options.resetAfterMs) this.attempt = 0;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempt);
    if (delay < this.options.maxMs) this.attempt++;
    return delay;
  }
}
