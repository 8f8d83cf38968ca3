/**
 * Admin authentication: `Authorization: Bearer <token>`, compared in constant time. Both sides
 * are hashed first, so the comparison takes the same time whatever the lengths (timingSafeEqual
 * needs equal lengths, and comparing lengths first would leak the token's length).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Whether the request may use the admin API: always when no token is configured (loopback only; see admin/config.ts). */
export function isAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const given = bearerToken(authorization);
  // Compare even when nothing was given, so a missing header takes as long as a wrong one.
  const equal = timingSafeEqual(digest(given ?? ''), digest(token));
  return given !== undefined && equal;
}
