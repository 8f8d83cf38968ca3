/**
 * The one point of access control of a route, as a pipeline filter (its hooks have the shape
 * of proxy/filter.ts's Filter; the Session satisfies AccessRequest).
 *
 * Order: IP rules → authentication (basicAuth, apiKeys, jwt, forwardAuth; every one configured
 * must pass) → rate limit, so that `jwt:CLAIM` and `apiKey` rate-limit keys come from verified
 * credentials and refused clients never use up anyone's quota. It runs after routing and before
 * the cache and the upstream, so nothing reaches an origin or the cache for a refused request.
 *
 * Synchronous rules answer synchronously; the first asynchronous one (bcrypt/scrypt, JWKS,
 * forward auth, a shared limiter) turns the result into a Promise. A route with only IP rules
 * allocates nothing per request.
 *
 * Upstream headers set from credentials (jwt.forwardClaims, forwardAuth.copyResponseHeaders) are
 * always removed from the client's request first, whether or not a value is set, so a client
 * can never send them itself.
 */
import { HeaderNameSet } from '../upstream/header-names.js';
import { createApiKeysRule } from './api-keys.js';
import { createBasicAuthRule } from './basic-auth.js';
import type { AccessConfig, RateLimitConfig } from './config.js';
import { createForwardAuthRule } from './forward-auth.js';
import { createIpRules } from './ip-rules.js';
import { createJwtRule } from './jwt.js';
import { sharedLimiters, type LimiterRegistry } from './limiter-registry.js';
import { createRateLimitRule, type RateLimitRule } from './rate-limit.js';
import { AccessContext, CONTINUE, denial, type AccessRequest, type AccessResult, type AccessRule, type RuleVerdict } from './request.js';

/** A pipeline filter (structurally proxy/filter.ts's Filter). */
export interface AccessFilter {
  readonly name: 'access';
  onRequest(req: AccessRequest): AccessResult | Promise<AccessResult>;
  onUpstreamRequest?(req: AccessRequest, headers: string[]): string[];
  onResponse?(req: AccessRequest, headers: string[]): string[];
}

export interface AccessFilterOptions {
  /** The route's name (rate-limit policy name and state identity). */
  route: string;
  /** Key path of the route for error messages, e.g. `routes[2]`. */
  keyPath: string;
  access?: AccessConfig | undefined;
  rateLimit?: RateLimitConfig | undefined;
  /** server.hideResponseHeaders (any case): also hidden from forward-auth answers. */
  hiddenResponseHeaders?: HeaderNameSet;
  /** Where rate-limit state lives (default: the process-wide registry, kept across reloads). */
  limiters?: LimiterRegistry;
}

const ACCESS_DENIED = denial('ACCESS_DENIED', 'client address refused by access.allow / access.deny');

/**
 * The access filter of a route, or undefined when the route has no access rules. Reads the
 * files the rules name; throws AccessConfigError (naming key path, file and line) on a problem.
 */
export function createAccessFilter(options: AccessFilterOptions): AccessFilter | undefined {
  const { access, rateLimit, keyPath } = options;
  if (access === undefined && rateLimit === undefined) return undefined;
  const ip = access === undefined ? undefined : createIpRules(access.allow, access.deny);
  const rules: AccessRule[] = [];
  if (access?.basicAuth) rules.push(createBasicAuthRule(access.basicAuth, `${keyPath}.access.basicAuth`));
  if (access?.apiKeys) rules.push(createApiKeysRule(access.apiKeys, `${keyPath}.access.apiKeys`));
  if (access?.jwt) rules.push(createJwtRule(access.jwt, `${keyPath}.access.jwt`));
  if (access?.forwardAuth) rules.push(createForwardAuthRule(access.forwardAuth, options.hiddenResponseHeaders ?? new HeaderNameSet([])));
  let limit: RateLimitRule | undefined;
  if (rateLimit !== undefined) {
    const registry = options.limiters ?? sharedLimiters;
    const limiter = registry.get(`${options.route}|${rateLimit.key}`, { requests: rateLimit.requests, perMs: rateLimit.per, burst: rateLimit.burst, maxKeys: rateLimit.maxKeys }, rateLimit.scope);
    limit = createRateLimitRule(rateLimit, options.route, limiter);
    rules.push(limit);
  }

  // Per-request state for the later hooks, only for requests that have some.
  const states = new WeakMap<AccessRequest, AccessContext>();
  const remember = (req: AccessRequest, ctx: AccessContext): AccessResult => {
    if (ctx.upstreamHeaders !== undefined || ctx.rateRemaining >= 0) states.set(req, ctx);
    return CONTINUE;
  };

  /** Runs rules[from…] until one denies or one turns async. */
  const run = (req: AccessRequest, ctx: AccessContext, from: number): AccessResult | Promise<AccessResult> => {
    for (let i = from; i < rules.length; i++) {
      const verdict = rules[i]!.check(req, ctx);
      if (verdict instanceof Promise) {
        return verdict.then((v: RuleVerdict) => (v !== undefined ? v : run(req, ctx, i + 1)));
      }
      if (verdict !== undefined) return verdict;
    }
    return remember(req, ctx);
  };

  const filter: AccessFilter = {
    name: 'access',
    onRequest(req: AccessRequest): AccessResult | Promise<AccessResult> {
      if (ip !== undefined && !ip.allows(req.clientIp)) return ACCESS_DENIED;
      if (rules.length === 0) return CONTINUE;
      return run(req, new AccessContext(), 0);
    },
  };

  const stripped = new Set<string>([
    ...Object.values(access?.jwt?.forwardClaims ?? {}).map((h) => h.toLowerCase()),
    ...(access?.forwardAuth?.copyResponseHeaders ?? []).map((h) => h.toLowerCase()),
  ]);
  if (stripped.size > 0) {
    filter.onUpstreamRequest = (req: AccessRequest, headers: string[]): string[] => {
      const out: string[] = [];
      for (let i = 0; i < headers.length; i += 2) if (!stripped.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
      const set = states.get(req)?.upstreamHeaders;
      if (set !== undefined) for (const h of set) out.push(h);
      return out;
    };
  }
  if (limit !== undefined) {
    const rule = limit;
    filter.onResponse = (req: AccessRequest, headers: string[]): string[] => {
      const ctx = states.get(req);
      if (ctx !== undefined && ctx.rateRemaining >= 0) headers.push(...rule.responseHeaders(ctx));
      return headers;
    };
  }
  return filter;
}
