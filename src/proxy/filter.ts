/**
 * Per-route filters plug into fixed phases of the pipeline (docs/architecture.md). Each hook is
 * optional; a hook that can end the request returns a FilterResult, never a bare boolean.
 *
 * onRequest may answer asynchronously (access control: password hashing, JWKS, forward auth):
 * it then returns a Promise, and the request continues from the next filter once it settles.
 * Routes whose filters answer synchronously never allocate for this.
 */
import { ProxyError, toProxyError } from '../errors/index.js';
import { httpDate } from '../server/http-date.js';
import type { ClientGoneListener } from '../server/response-writer.js';
import { errorResponse } from './error-response.js';
import { fail, log } from './exit.js';
import type { CompiledRoute } from './runtime.js';
import type { Session } from './session.js';

export type FilterResult =
  | { kind: 'continue' }
  /** Answer as given; `error`, when set, is logged as the request's error code. */
  | { kind: 'respond'; status: number; headers: string[]; body: string | Buffer; error?: ProxyError }
  /** Answer with the usual error response of `error` (code, request id), plus `headers`. */
  | { kind: 'deny'; error: ProxyError; headers: readonly string[] };

export interface Filter {
  readonly name: string;
  /** After routing, before the cache and anything sent upstream. May answer the request itself. */
  onRequest?(session: Session): FilterResult | Promise<FilterResult>;
  /** Edits the header list sent upstream (flat [name, value, …]); returns the list to use. */
  onUpstreamRequest?(session: Session, headers: string[]): string[];
  /** Edits the header list sent to the client, for every response of the route. */
  onResponse?(session: Session, headers: string[]): string[];
}

/** Runs the route's onResponse filters over the header list sent to the client. */
export function applyResponseFilters(session: Session, headers: string[]): string[] {
  const filters = session.route?.filters;
  if (filters !== undefined) for (const f of filters) if (f.onResponse) headers = f.onResponse(session, headers);
  return headers;
}

/** What follows the request filters in the pipeline (the action, and any phase before it). */
export type AfterFilters = (s: Session, route: CompiledRoute) => ProxyError | void;

/**
 * Runs the route's onRequest filters from `from`. True: every filter let the request through
 * and the caller goes on now. False: a filter answered, or one is still deciding and `next`
 * will be called when it lets the request through.
 */
export function runRequestFilters(s: Session, route: CompiledRoute, next: AfterFilters, from = 0): boolean {
  const filters = route.filters;
  for (let i = from; i < filters.length; i++) {
    const filter = filters[i]!;
    if (filter.onRequest === undefined) continue;
    const result = filter.onRequest(s);
    if (result instanceof Promise) {
      awaitFilter(s, route, next, result, i + 1);
      return false;
    }
    if (result.kind !== 'continue') {
      answerFilterResult(s, result);
      return false;
    }
  }
  return true;
}

/** A request whose client goes away while a filter decides is abandoned (499), never forwarded. */
class AbandonOnClientGone implements ClientGoneListener {
  constructor(private readonly s: Session) {}

  clientGone(): void {
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}

function awaitFilter(s: Session, route: CompiledRoute, next: AfterFilters, pending: Promise<FilterResult>, from: number): void {
  s.res.whenClientGone(new AbandonOnClientGone(s));
  pending
    .then((result) => {
      if (s.logged) return;
      if (result.kind !== 'continue') return answerFilterResult(s, result);
      if (!runRequestFilters(s, route, next, from)) return;
      const refused = next(s, route);
      if (refused instanceof ProxyError) fail(s, refused);
    })
    .catch((err: unknown) => fail(s, toProxyError(err)));
}

/** Sends a filter's answer and logs the request (with the answer's error code, if any). */
function answerFilterResult(s: Session, result: Exclude<FilterResult, { kind: 'continue' }>): void {
  if (s.logged) return;
  const res = s.res;
  if (result.kind === 'respond') {
    const body = typeof result.body === 'string' ? Buffer.from(result.body) : result.body;
    res.send(result.status, applyResponseFilters(s, ['Date', httpDate(), ...result.headers]), body);
    if (result.error !== undefined) {
      s.errorCode = result.error.code;
      s.errorDetail = result.error.message;
    }
    return log(s, result.error);
  }
  // The usual error response, plus the filter's headers (WWW-Authenticate, RateLimit); the
  // route's response filters apply, as to every answer of the route.
  const err = result.error;
  const { headers, body } = errorResponse(err, s.requestId);
  for (const h of result.headers) headers.push(h);
  s.errorCode = err.code;
  s.errorDetail = err.message;
  res.send(err.status, applyResponseFilters(s, headers), body);
  log(s, err);
}
