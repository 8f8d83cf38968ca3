/**
 * The one error mapper: a ProxyError becomes a short response that names the status, the error
 * code and the request id — never an upstream address or a stack trace.
 */
import type { ProxyError } from '../errors/index.js';
import { httpDate } from '../server/http-date.js';
import { statusText } from '../server/status-text.js';
import type { ClientResponse } from '../server/client-response.js';

/** Header list (flat [name, value, …]) and body of the error response for `err`. */
export function errorResponse(err: ProxyError, requestId: string): { headers: string[]; body: string } {
  const status = err.status;
  const headers = ['Content-Type', 'text/plain; charset=utf-8', 'Date', httpDate(), 'Cache-Control', 'no-store'];
  if (requestId) headers.push('X-Request-Id', requestId);
  if (err.retryAfter !== undefined) headers.push('Retry-After', String(err.retryAfter));
  return { headers, body: `${status} ${statusText(status)}\ncode: ${err.code}\nrequest id: ${requestId}\n` };
}

export function sendError(res: ClientResponse, err: ProxyError, requestId: string): void {
  if (err.code === 'CLIENT_ABORTED') {
    res.abort();
    return;
  }
  const { headers, body } = errorResponse(err, requestId);
  res.send(err.status, headers, body);
}
