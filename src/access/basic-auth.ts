/**
 * HTTP Basic authentication (RFC 7617) against an htpasswd file read when the runtime is built.
 *
 * A request without valid credentials gets 401 with `WWW-Authenticate: Basic realm="…",
 * charset="UTF-8"` (RFC 7617 §2, §2.1; RFC 9110 §11.6.1, §15.5.2). Unknown users cost the same
 * hash check as known ones, so response times do not tell which user names exist.
 */
import { readAccessFile, throwFileProblems } from './access-config-error.js';
import type { BasicAuthConfig } from './config.js';
import { parseHtpasswd } from './htpasswd.js';
import { verifyPassword, type StoredPassword } from './password-hash.js';
import { denial, type AccessRequest, type AccessRule, type RuleVerdict } from './request.js';
import { VerificationCache } from './verification-cache.js';

export interface BasicCredentials {
  user: string;
  password: string;
}

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The credentials of an `Authorization: Basic …` header (RFC 7617 §2), or undefined. */
export function parseBasicCredentials(authorization: string | undefined): BasicCredentials | undefined {
  if (authorization === undefined) return undefined;
  const m = BASIC.exec(authorization);
  if (m === null || m[1]!.length % 4 !== 0) return undefined;
  let decoded: string;
  try {
    // RFC 7617 §2.1: with charset="UTF-8" advertised, credentials are UTF-8.
    decoded = UTF8.decode(Buffer.from(m[1]!, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function createBasicAuthRule(config: BasicAuthConfig, keyPath: string): AccessRule {
  const file = parseHtpasswd(readAccessFile(`${keyPath}.usersFile`, config.usersFile));
  throwFileProblems(`${keyPath}.usersFile`, config.usersFile, file.problems);
  const users = file.users;
  // For unknown users: the same work as a real check (its result is thrown away).
  const decoy: StoredPassword = users.values().next().value!;
  const cache = new VerificationCache();
  const challenge = ['WWW-Authenticate', `Basic realm="${config.realm}", charset="UTF-8"`];
  const refuse = (why: string): RuleVerdict => denial('UNAUTHORIZED', `basic auth: ${why}`, challenge);

  return {
    check(req: AccessRequest): RuleVerdict | Promise<RuleVerdict> {
      const credentials = parseBasicCredentials(req.header('authorization'));
      if (credentials === undefined) return refuse('no credentials');
      const stored = users.get(credentials.user);
      if (stored === undefined) return verifyPassword(credentials.password, decoy).then(() => refuse('bad credentials'));
      const key = cache.keyOf(credentials.user, stored.encoded, credentials.password);
      if (cache.has(key)) return undefined;
      return verifyPassword(credentials.password, stored).then((ok) => {
        if (!ok) return refuse('bad credentials');
        cache.add(key);
        return undefined;
      });
    },
  };
}
