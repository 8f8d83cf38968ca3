/**
 * What access rules see of a request and what they answer. access/ never imports proxy/ or
 * server/ (docs/architecture.md): the proxy's Session satisfies AccessRequest structurally, and
 * AccessResult has the shape of the pipeline's FilterResult.
 */
import { ProxyError, type ErrorCode } from '../errors/index.js';

/** The request as access rules read it (the proxy's Session satisfies it). */
export interface AccessRequest {
  /** Client address, after server.trustedProxies (a forged X-Forwarded-For never reaches here). */
  readonly clientIp: string;
  readonly method: string;
  /** Host the request is for. */
  readonly host: string;
  /** Path without the query. */
  readonly path: string;
  /** Query string with its leading "?", or "". */
  readonly query: string;
  readonly requestId: string;
  readonly req: { readonly scheme: string };
  /** A request header by lower-case name (repeats joined with ", "), or undefined. */
  header(name: string): string | undefined;
}

/** An answer that ends the request here. */
export type AccessDenial =
  /** An error answer (the pipeline writes the usual error body, plus `headers`). */
  | { kind: 'deny'; error: ProxyError; headers: string[] }
  /** An answer given as it is (forward auth passes its service's answer on); `error` is logged. */
  | { kind: 'respond'; status: number; headers: string[]; body: Buffer; error?: ProxyError };

export type AccessResult = { kind: 'continue' } | AccessDenial;

/** The one `continue` result (shared: the allowed path allocates nothing for it). */
export const CONTINUE: AccessResult = Object.freeze({ kind: 'continue' });

/** What one rule says: nothing (go on) or a denial; async rules return a Promise of it. */
export type RuleVerdict = AccessDenial | undefined;

/** What the rules of one request learned, for later rules and for the upstream request. */
export class AccessContext {
  /** Verified JWT claims. */
  claims: Readonly<Record<string, unknown>> | undefined = undefined;
  /** The matched API key's name (or digest). */
  apiKey: string | undefined = undefined;
  /** Headers to set on the upstream request (flat [name, value, …]). */
  upstreamHeaders: string[] | undefined = undefined;
  /** Remaining quota after this request, for the RateLimit response header. */
  rateRemaining = -1;
  /** Milliseconds until the quota is whole again. */
  rateResetMs = 0;

  setUpstreamHeader(name: string, value: string): void {
    (this.upstreamHeaders ??= []).push(name, value);
  }
}

/** One access rule: a small object built once per route. */
export interface AccessRule {
  check(req: AccessRequest, ctx: AccessContext): RuleVerdict | Promise<RuleVerdict>;
}

/**
 * An error answer. `detail` goes to the log line's msg: it says which rule and why, never a
 * credential.
 */
export function denial(code: ErrorCode, detail: string, headers: string[] = [], retryAfter?: number): AccessDenial {
  return { kind: 'deny', error: new ProxyError(code, detail, retryAfter === undefined ? undefined : { retryAfter }), headers };
}
