import { ERROR_CODES, type ErrorCode, type ErrorSource } from './codes.js';

/**
 * The one error type of the request path: what went wrong (`code`), on which side (`source`),
 * what the client gets (`status`) and whether another attempt can help (`retryable`).
 */
export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly status: number;
  readonly retryable: boolean;
  /** Seconds for a Retry-After header (RFC 9110 §10.2.3), when waiting is known to help. */
  retryAfter: number | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; retryAfter?: number }) {
    const info = ERROR_CODES[code];
    super(detail ?? info.summary, options);
    this.name = 'ProxyError';
    this.code = code;
    this.source = info.source;
    this.status = info.status;
    this.retryable = info.retryable;
    this.retryAfter = options?.retryAfter;
  }
}

/** Wraps anything thrown into a ProxyError (unknown errors are internal bugs). */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}
