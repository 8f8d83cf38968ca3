/**
 * Schema for `routes[].access` (who may use a route) and `routes[].rateLimit` (how often).
 * Composed into the route schema by routing/config.ts. Files named here (htpasswd, keys,
 * public keys) are read when the runtime is built, not here: a reload re-reads them.
 */
import { z } from 'zod';
import { cidr, httpUrl } from '../config/formats.js';
import { duration } from '../config/units.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.1 token
const headerName = z.string().regex(TOKEN, 'expected a header name (RFC 9110 token)');

/**
 * Headers an access rule may not set on the upstream request: framing and connection
 * management belong to Barbican (RFC 9112 §6, RFC 9110 §7.6.1), Host to the route.
 */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect']);
const settableHeader = headerName.refine((v) => !RESERVED_HEADERS.has(v.toLowerCase()), 'expected a header other than Host, Content-Length, Transfer-Encoding or a hop-by-hop header');

/** RFC 7617 §2: the realm is a quoted-string; CR, LF and NUL could split the header. */
const realm = z.string().min(1).regex(/^[^\r\n\0"\\]*$/, 'expected a realm without quotes, backslashes or line breaks');

export const basicAuthSchema = z
  .strictObject({
    realm: realm.default('Restricted').describe('Protection space named in the WWW-Authenticate challenge (RFC 7617 §2); browsers show it in the login prompt.'),
    usersFile: z
      .string()
      .min(1)
      .describe(
        'htpasswd file (relative to the working directory), one user:hash per line; # starts a comment. Accepted hashes: bcrypt ($2y$, $2b$, $2a$; make with `htpasswd -nbB user password`) ' +
          'and scrypt in PHC form $scrypt$ln=15,r=8,p=1$<salt>$<hash> (salt and 32-byte key in base64 without padding). ' +
          'Plain, crypt, MD5 ($apr1$, $1$), SHA ({SHA}, $5$, $6$) and argon2 entries are refused when the runtime is built, naming the file and line. Read again on every reload.',
      ),
  })
  .describe('HTTP Basic authentication (RFC 7617) against an htpasswd file. Successful checks are cached in memory (1024 entries, keyed by an HMAC-SHA-256 of the credentials) so bcrypt runs once per user and password.');

export const apiKeysSchema = z
  .strictObject({
    header: headerName.default('x-api-key').describe('Request header that carries the key.'),
    query: z
      .string()
      .regex(/^[A-Za-z0-9_.~-]+$/, 'expected a query parameter name')
      .optional()
      .describe('Query parameter that may carry the key when the header is absent (keys in URLs end up in logs: prefer the header).'),
    keysFile: z
      .string()
      .min(1)
      .describe(
        'File of accepted keys, stored hashed: one SHA-256 hex digest per line, optionally prefixed by a name (`name:digest`); # starts a comment. ' +
          'Make a key with `openssl rand -hex 32` and its digest with `printf %s "$KEY" | sha256sum`. The name (or the digest) is what rateLimit key apiKey counts. Read again on every reload.',
      ),
  })
  .describe('API keys: a request must carry one of the keys whose SHA-256 digest is in keysFile (compared in constant time).');

/** RFC 7518 §3.1 algorithms jose verifies; `none` is never accepted (RFC 8725 §3.1). */
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
const isHmac = (alg: string) => alg.startsWith('HS');

export const jwtSchema = z
  .strictObject({
    jwksUrl: httpUrl()
      .optional()
      .describe('URL of the issuer\'s JSON Web Key Set (use https). Keys are cached; a token with an unknown kid triggers a refetch (at most once per jwksCooldown).'),
    jwksCacheMaxAge: duration().default(600_000).describe('How long a fetched key set is used before it is fetched again.'),
    jwksCooldown: duration().default(30_000).describe('Least time between two fetches of the key set triggered by unknown key ids.'),
    jwksTimeout: duration().default(5_000).describe('Time allowed to fetch the key set; when it cannot be fetched the request gets 503, never access.'),
    secret: z.string().min(32, 'expected a secret of at least 32 characters (RFC 7518 §3.2: HMAC keys of at least 256 bits)').optional().describe('Shared secret for HS256/HS384/HS512 tokens (at least 32 characters; use ${ENV} interpolation rather than writing it in the file).'),
    publicKeyFile: z.string().min(1).optional().describe('PEM file with the issuer\'s public key (SPKI) or certificate, read when the runtime is built.'),
    issuer: z.string().min(1).optional().describe('Required value of the iss claim (RFC 7519 §4.1.1). Strongly recommended (RFC 8725 §3.8).'),
    audiences: z.array(z.string().min(1)).min(1).optional().describe('Accepted values of the aud claim (RFC 7519 §4.1.3); the token must name one of them. Strongly recommended (RFC 8725 §3.9).'),
    algorithms: z
      .array(z.enum(JWT_ALGORITHMS))
      .min(1)
      .optional()
      .describe('Accepted signing algorithms (default: [HS256] with secret, [RS256, ES256] otherwise). HMAC algorithms only with secret and the others only with a public key (RFC 8725 §2.1, §3.1); none is never accepted.'),
    clockSkew: duration().default(30_000).describe('Tolerance when checking exp and nbf against the clock.'),
    forwardClaims: z
      .record(z.string().min(1), settableHeader)
      .default({})
      .describe(
        'Claims sent upstream as request headers (claim: header). These headers are always removed from the client\'s request first, so they cannot be forged. ' +
          'Arrays are joined with ", ", objects sent as JSON; a value with control characters is not sent.',
      ),
  })
  .refine((j) => [j.jwksUrl, j.secret, j.publicKeyFile].filter((v) => v !== undefined).length === 1, 'use exactly one of jwksUrl, secret, publicKeyFile')
  .refine((j) => j.algorithms === undefined || j.algorithms.every((alg) => isHmac(alg) === (j.secret !== undefined)), {
    message: 'HS* algorithms go with secret, the others with jwksUrl or publicKeyFile',
    path: ['algorithms'],
  })
  .describe('Bearer JSON Web Tokens (RFC 6750, RFC 7519) from the Authorization header, verified per the JWT best current practices (RFC 8725).');

export const forwardAuthSchema = z
  .strictObject({
    url: httpUrl()
      .describe('Authentication service asked (GET) before each request, with X-Forwarded-Method, -Proto, -Host, -Uri, -For and X-Request-Id.'),
    copyRequestHeaders: z.array(headerName).default(['authorization', 'cookie']).describe('Client request headers sent along to the authentication service.'),
    copyResponseHeaders: z
      .array(settableHeader)
      .default([])
      .describe('Headers of a 2xx answer copied onto the upstream request. They are always removed from the client\'s request first, so they cannot be forged.'),
    timeout: duration().default(5_000).describe('Time the authentication service has to answer; then 503 (never access).'),
  })
  .describe('Ask an authentication service: a 2xx answer lets the request through; any other answer (status, headers and body up to 64 KiB) goes back to the client as it is.');

export const accessSchema = z
  .strictObject({
    allow: z.array(cidr).min(1).optional().describe('Client addresses (IPs or CIDRs) allowed; when given, every other address gets 403. Matched on the client address (server.trustedProxies decides when X-Forwarded-For is believed).'),
    deny: z.array(cidr).default([]).describe('Client addresses (IPs or CIDRs) refused with 403; deny wins over allow. IPv4-mapped IPv6 addresses match IPv4 rules.'),
    basicAuth: basicAuthSchema.optional(),
    apiKeys: apiKeysSchema.optional(),
    jwt: jwtSchema.optional(),
    forwardAuth: forwardAuthSchema.optional(),
  })
  .refine((a) => a.basicAuth === undefined || a.jwt === undefined, 'basicAuth and jwt both need the Authorization header: use one of them')
  .describe('Access control, checked after routing and before the cache and the upstream: IP rules, then every authentication given (all must pass: basicAuth, apiKeys, jwt, forwardAuth), then the rate limit.');

const RATE_LIMIT_KEY = /^(ip|apiKey|header:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|jwt:.+)$/;

export const rateLimitSchema = z
  .strictObject({
    requests: z.number().int().min(1).describe('Requests allowed per `per` once a client sends steadily (the sustained rate).'),
    per: duration().default(1_000).describe('Time in which `requests` are allowed.'),
    burst: z.number().int().min(0).default(0).describe('Extra requests allowed at once above the sustained rate (like nginx burst); 0 spaces requests evenly.'),
    key: z
      .string()
      .regex(RATE_LIMIT_KEY, 'expected ip, apiKey, header:NAME or jwt:CLAIM')
      .default('ip')
      .describe('What is counted: ip (client address), header:NAME, jwt:CLAIM (needs access.jwt) or apiKey (needs access.apiKeys; the key\'s name). A request without the key is counted by its client address.'),
    maxKeys: z.number().int().min(1).default(100_000).describe('Most keys remembered at once; beyond it the least recently admitted key is forgotten (memory stays bounded).'),
    scope: z
      .enum(['shared', 'local'])
      .default('shared')
      .describe('shared: counted across every instance in Redis when state.redis is configured (and its rateLimit.enabled), else in memory; local: always in this process\'s memory.'),
  })
  .refine((r) => r.per > 0, { message: 'per must be longer than 0', path: ['per'] })
  .describe('Rate limit (GCRA; in memory per process, or shared by every instance through Redis with state.redis): over it the answer is 429 with Retry-After and RateLimit-Policy / RateLimit headers (draft-ietf-httpapi-ratelimit-headers-10).');

/** Route-level rule: a rate-limit key that reads a credential needs that credential checked. */
export function rateLimitKeyIsChecked(route: { access?: AccessConfig | undefined; rateLimit?: RateLimitConfig | undefined }): boolean {
  const key = route.rateLimit?.key;
  if (key === undefined) return true;
  if (key.startsWith('jwt:')) return route.access?.jwt !== undefined;
  if (key === 'apiKey') return route.access?.apiKeys !== undefined;
  return true;
}

export type AccessConfig = z.output<typeof accessSchema>;
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
export type BasicAuthConfig = z.output<typeof basicAuthSchema>;
export type ApiKeysConfig = z.output<typeof apiKeysSchema>;
export type JwtConfig = z.output<typeof jwtSchema>;
export type ForwardAuthConfig = z.output<typeof forwardAuthSchema>;
