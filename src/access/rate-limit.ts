/**
 * The rate-limit rule: which key a request counts against, and what the client is told.
 *
 * Over the limit the answer is 429 Too Many Requests (RFC 6585 §4) with Retry-After in seconds
 * (RFC 9110 §10.2.3) and the fields of draft-ietf-httpapi-ratelimit-headers-10:
 *
 *   RateLimit-Policy: "<route>";q=<requests>;w=<seconds>[;barbican-burst=<burst>]   (§3)
 *   RateLimit: "<route>";r=<remaining>;t=<seconds>                                  (§4)
 *
 * q/w are the sustained rate (w is whole seconds, §3.1.3; a sub-second `per` is scaled up),
 * burst is a vendor-prefixed parameter (§3.1), r is what could be sent at once right now and t
 * the seconds until the allowance is whole again. On a 429, t equals Retry-After (§6: Retry-After
 * should not point before the end of the effective window). Admitted responses carry the same
 * two fields. The policy is named after the route; no partition key is sent (§6.1: it would
 * expose the client's address or credential).
 *
 * Keys: `ip`, `header:NAME`, `jwt:CLAIM` (a verified claim), `apiKey` (the matched key's name).
 * A request without its key is counted by client address. Long keys are hashed, so a client
 * cannot make the limiter store large strings.
 */
import { createHash } from 'node:crypto';
import type { RateLimitConfig } from './config.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';
import { denial, type AccessContext, type AccessRequest, type AccessRule, type RuleVerdict } from './request.js';

/** A structured-field string (RFC 8941 §3.3.3): printable ASCII, with `"` and `\` escaped. */
export function sfString(text: string): string {
  return `"${text.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&')}"`;
}

/** The RateLimit-Policy value: q per w seconds, w a whole number of seconds (draft §3.1.3). */
export function ratePolicy(name: string, requests: number, perMs: number, burst: number): string {
  const window = Math.max(1, Math.ceil(perMs / 1000));
  const quota = window * 1000 === perMs ? requests : Math.floor((requests * window * 1000) / perMs);
  return `${sfString(name)};q=${quota};w=${window}${burst > 0 ? `;barbican-burst=${burst}` : ''}`;
}

/** Seconds for Retry-After / t: whole, at least 1 when there is anything to wait for. */
export function wholeSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
}

/** Reads the key a request counts against. */
type KeyOf = (req: AccessRequest, ctx: AccessContext) => string | undefined;

function keyReader(key: string): KeyOf {
  if (key === 'ip') return () => undefined;
  if (key === 'apiKey') return (_req, ctx) => ctx.apiKey;
  if (key.startsWith('header:')) {
    const name = key.slice('header:'.length).toLowerCase();
    return (req) => req.header(name);
  }
  const claim = key.slice('jwt:'.length);
  return (_req, ctx) => {
    const value = ctx.claims?.[claim];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  };
}

/** Keys longer than this are stored as their SHA-256. */
const MAX_KEY_LENGTH = 64;

export interface RateLimitRule extends AccessRule {
  /** The two RateLimit fields for an admitted request (flat [name, value, …]). */
  responseHeaders(ctx: AccessContext): string[];
}

export function createRateLimitRule(config: RateLimitConfig, routeName: string, limiter: RateLimiter, clock: () => number = performance.now.bind(performance)): RateLimitRule {
  const policy = ratePolicy(routeName, config.requests, config.per, config.burst);
  const name = sfString(routeName);
  const keyOf = keyReader(config.key);
  const prefix = config.key === 'ip' ? '' : `${config.key}=`;

  const decide = (d: RateLimitDecision, ctx: AccessContext): RuleVerdict => {
    if (d.allowed) {
      ctx.rateRemaining = d.remaining;
      ctx.rateResetMs = d.resetMs;
      return undefined;
    }
    const wait = wholeSeconds(d.retryAfterMs);
    if (d.unavailable === true) return denial('RATE_LIMIT_UNAVAILABLE', 'the shared rate-limit store cannot be asked and the limit fails closed', [], wait);
    return denial('RATE_LIMITED', `rate limit ${config.requests}/${config.per}ms (burst ${config.burst}) on ${config.key}`, ['RateLimit-Policy', policy, 'RateLimit', `${name};r=0;t=${wait}`], wait);
  };

  return {
    check(req: AccessRequest, ctx: AccessContext): RuleVerdict | Promise<RuleVerdict> {
      const own = keyOf(req, ctx);
      let key = own === undefined || own === '' ? `ip=${req.clientIp}` : prefix + own;
      if (key.length > MAX_KEY_LENGTH) key = createHash('sha256').update(key).digest('base64');
      const decision = limiter.consume(key, clock());
      if (decision instanceof Promise) return decision.then((d) => decide(d, ctx));
      return decide(decision, ctx);
    },
    responseHeaders(ctx: AccessContext): string[] {
      return ['RateLimit-Policy', policy, 'RateLimit', `${name};r=${ctx.rateRemaining};t=${wholeSeconds(ctx.rateResetMs)}`];
    },
  };
}
