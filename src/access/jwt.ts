/**
 * Bearer JSON Web Tokens (RFC 6750, RFC 7519), verified with jose following the JWT best
 * current practices (RFC 8725):
 *
 * - the accepted algorithms are fixed by the config, never taken from the token (§2.1, §3.1):
 *   HMAC only with a secret, asymmetric only with a public key or JWKS, `none` never;
 * - iss and aud are checked when configured (§3.8, §3.9); exp and nbf always, within clockSkew;
 * - keys come from the config: a shared secret, a PEM public key read when the runtime is built,
 *   or a JWKS URL (jose's remote set caches the keys, refetches on an unknown kid at most once
 *   per cooldown, and times out).
 *
 * A request without a token gets 401 with `WWW-Authenticate: Bearer` (no error code, RFC 6750
 * §3.1); a bad token gets `Bearer error="invalid_token"`. A key set that cannot be fetched is
 * 503, never access. Verified claims named in forwardClaims go upstream as headers; the access
 * filter strips those headers from the client's request first.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AccessConfigError, readAccessFile } from './access-config-error.js';
import type { JwtConfig } from './config.js';
import { denial, type AccessContext, type AccessRequest, type AccessRule, type RuleVerdict } from './request.js';

/** RFC 6750 §2.1: `Bearer` 1*SP b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return BEARER.exec(authorization)?.[1];
}

/** jose error codes that mean the key set could not be had, not that the token is bad. */
const KEY_SET_UNAVAILABLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** What went wrong with a token, for the log (never the token itself). */
function reason(err: unknown): string {
  const code = errorCode(err);
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err !== null && typeof err === 'object' && 'claim' in err) return `claim ${String(err.claim)} check failed`;
  if (code === 'ERR_JWT_EXPIRED') return 'token expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'bad signature';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED') return 'algorithm not allowed';
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'no key for the token\'s kid';
  return code ?? 'invalid token';
}

/**
 * A claim as a header value: strings as they are, numbers and booleans as text, arrays of
 * those joined with ", ", objects as JSON. Undefined when the value has control characters
 * (RFC 9110 §5.5). Non-ASCII text is sent as its UTF-8 bytes (the head is written in latin1).
 */
export function claimHeaderValue(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) text = value.join(', ');
  else if (value !== null && typeof value === 'object') text = JSON.stringify(value);
  else return undefined;
  if (/[\0-\x08\x0a-\x1f\x7f]/.test(text)) return undefined;
  return /^[\x20-\x7e\t]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

type Verify = (token: string) => Promise<JWTPayload>;

function verifier(config: JwtConfig, keyPath: string): { verify: Verify; remote: boolean } {
  const options: JWTVerifyOptions = {
    algorithms: config.algorithms ?? (config.secret !== undefined ? ['HS256'] : ['RS256', 'ES256']),
    clockTolerance: config.clockSkew / 1000,
  };
  if (config.issuer !== undefined) options.issuer = config.issuer;
  if (config.audiences !== undefined) options.audience = config.audiences;
  if (config.secret !== undefined) {
    const secret = new TextEncoder().encode(config.secret);
    return { verify: async (token) => (await jwtVerify(token, secret, options)).payload, remote: false };
  }
  if (config.publicKeyFile !== undefined) {
    let key: KeyObject;
    try {
      key = createPublicKey(readAccessFile(`${keyPath}.publicKeyFile`, config.publicKeyFile));
    } catch (err) {
      if (err instanceof AccessConfigError) throw err;
      throw new AccessConfigError(`${keyPath}.publicKeyFile: ${config.publicKeyFile} is not a PEM public key or certificate`);
    }
    return { verify: async (token) => (await jwtVerify(token, key, options)).payload, remote: false };
  }
  const keySet = createRemoteJWKSet(new URL(config.jwksUrl!), {
    cacheMaxAge: config.jwksCacheMaxAge,
    cooldownDuration: config.jwksCooldown,
    timeoutDuration: config.jwksTimeout,
  });
  return { verify: async (token) => (await jwtVerify(token, keySet, options)).payload, remote: true };
}

export function createJwtRule(config: JwtConfig, keyPath: string): AccessRule {
  const { verify, remote } = verifier(config, keyPath);
  const forward = Object.entries(config.forwardClaims);
  const missing = ['WWW-Authenticate', 'Bearer'];
  const invalid = ['WWW-Authenticate', 'Bearer error="invalid_token"'];
  return {
    check(req: AccessRequest, ctx: AccessContext): RuleVerdict | Promise<RuleVerdict> {
      const token = bearerToken(req.header('authorization'));
      if (token === undefined) return denial('UNAUTHORIZED', 'jwt: no bearer token', missing);
      return verify(token).then(
        (claims) => {
          ctx.claims = claims;
          for (const [claim, header] of forward) {
            const value = claimHeaderValue(claims[claim]);
            if (value !== undefined) ctx.setUpstreamHeader(header, value);
          }
          return undefined;
        },
        (err: unknown) => {
          const code = errorCode(err);
          // The key set could not be fetched (down, timeout, not a JWKS): no answer is possible.
          if (remote && (code === undefined || KEY_SET_UNAVAILABLE.has(code))) {
            return denial('AUTH_SERVICE_UNAVAILABLE', `jwt: key set unavailable (${code ?? (err instanceof Error ? err.message : 'fetch failed')})`);
          }
          return denial('UNAUTHORIZED', `jwt: ${reason(err)}`, invalid);
        },
      );
    },
  };
}
