/**
 * Access control: IP rules, basic auth, API keys, JWT, forward auth and rate limiting, as one
 * filter per route. Never imports proxy/ or server/ (docs/architecture.md).
 */
export { createAccessFilter, type AccessFilter, type AccessFilterOptions } from './access-filter.js';
export { AccessConfigError } from './access-config-error.js';
export { accessSchema, rateLimitSchema, rateLimitKeyIsChecked, type AccessConfig, type RateLimitConfig } from './config.js';
export { AccessContext, CONTINUE, type AccessDenial, type AccessRequest, type AccessResult, type AccessRule } from './request.js';
export { createIpRules, type IpRules } from './ip-rules.js';
export { parseHtpasswd } from './htpasswd.js';
export { parsePasswordHash, verifyPassword, hashScryptPassword, type StoredPassword } from './password-hash.js';
export { parseBasicCredentials, createBasicAuthRule } from './basic-auth.js';
export { VerificationCache } from './verification-cache.js';
export { parseApiKeys, matchApiKey, createApiKeysRule } from './api-keys.js';
export { bearerToken, claimHeaderValue, createJwtRule } from './jwt.js';
export { createForwardAuthRule, MAX_AUTH_BODY_BYTES } from './forward-auth.js';
export { GcraLimiter } from './gcra-limiter.js';
export { LimiterRegistry, sharedLimiters, type SharedLimiterFactory } from './limiter-registry.js';
export { createRateLimitRule, ratePolicy, sfString, wholeSeconds } from './rate-limit.js';
export type { RateLimiter, RateLimitDecision, RateLimitSpec } from './rate-limiter.js';
