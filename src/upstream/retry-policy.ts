/**
 * When a failed try may be tried again (retries.*), compiled once per upstream. The rules:
 * - never once the response head has gone to the client;
 * - connectFailure: no byte reached the target, so every method may be retried (the body has
 *   not been read from the client either);
 * - any other condition: only idempotent methods (RFC 9110 §9.2.2), and only when the body (if
 *   any) can be sent again (ReplayableBody) or none of it was sent;
 * - to a target not tried yet, within `attempts`, and only while the retry budget allows.
 */
import type { ErrorCode } from '../errors/index.js';
import type { RetriesConfig } from './config.js';
import { RetryBudget } from './retry-budget.js';

export type RetryCondition = 'connectFailure' | 'reset' | 'timeout';

/** The retry condition an error code belongs to, if any. */
export function conditionOf(code: ErrorCode): RetryCondition | undefined {
  switch (code) {
    case 'UPSTREAM_CONNECT_REFUSED':
    case 'UPSTREAM_CONNECT_FAILED':
    case 'UPSTREAM_CONNECT_TIMEOUT':
    case 'UPSTREAM_TLS_FAILED':
    case 'UPSTREAM_OVERLOADED':
      return 'connectFailure';
    case 'UPSTREAM_RESET':
      return 'reset';
    case 'UPSTREAM_RESPONSE_TIMEOUT':
      return 'timeout';
    default:
      return undefined;
  }
}

export class RetryPolicy {
  readonly attempts: number;
  readonly budget: RetryBudget;
  readonly maxReplayBytes: number;
  /** Per-try response-head timeout, or 0 to use the route's. */
  readonly perTryTimeout: number;
  private readonly conditions: ReadonlySet<string>;
  private readonly statuses: ReadonlySet<number>;
  private readonly backoffBase: number;
  private readonly backoffMax: number;

  constructor(config: RetriesConfig) {
    this.attempts = config.attempts;
    this.budget = new RetryBudget(config.budgetPercent);
    this.maxReplayBytes = config.maxReplayBytes;
    this.perTryTimeout = config.perTryTimeout ?? 0;
    this.conditions = new Set(config.on.filter((c): c is RetryCondition => typeof c === 'string'));
    this.statuses = new Set(config.on.filter((c): c is number => typeof c === 'number'));
    this.backoffBase = config.backoff.base;
    this.backoffMax = config.backoff.max;
  }

  get enabled(): boolean {
    return this.attempts > 1;
  }

  /** Whether `condition` is one the config retries on. */
  retriesOn(condition: RetryCondition): boolean {
    return this.conditions.has(condition);
  }

  /** Whether a response with this status is retried (it is then discarded, never sent on). */
  retriesStatus(status: number): boolean {
    return this.statuses.size > 0 && this.statuses.has(status);
  }

  /** Delay before retry number `retry` (1-based): full jitter over an exponential bound. */
  backoff(retry: number): number {
    const bound = Math.min(this.backoffMax, this.backoffBase * 2 ** (retry - 1));
    return Math.random() * bound;
  }
}
