/**
 * How a browser proves it may see the dashboard. A browser cannot send `Authorization: Bearer`
 * on a page load or an EventSource, so the token is given once as `/?token=…`; Barbican answers
 * with a 303 to `/` (the token leaves the address bar) and an HttpOnly, SameSite=Strict cookie.
 *
 * The cookie is not the token: it is an HMAC of the token under a key drawn at process start.
 * Stealing it does not reveal the token, it stops working on restart, and rotating the token by a
 * reload invalidates it. The cookie is accepted only by the dashboard's own GET paths (see
 * handler.ts), never by the API that changes state, so a cross-site form cannot use it either.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isAuthorized } from '../auth.js';

export const COOKIE_NAME = 'barbican_admin';
const KEY = randomBytes(32);

function sessionValue(token: string): string {
  return createHmac('sha256', KEY).update(token).digest('base64url');
}

/** The named cookie's value in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the token configured now has no value (loopback-only admin; see admin/config.ts). */
export function tokenless(token: string | undefined): token is undefined | '' {
  return token === undefined || token === '';
}

/** A valid bearer header or a valid session cookie. */
export function dashboardAuthorized(headers: { authorization?: string | undefined; cookie?: string | undefined }, token: string | undefined): boolean {
  if (tokenless(token)) return true;
  if (headers.authorization !== undefined) return isAuthorized(headers.authorization, token);
  const given = cookieValue(headers.cookie, COOKIE_NAME);
  if (given === undefined) return false;
  const expected = Buffer.from(sessionValue(token));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether `given` is the token (constant time; same check as the bearer header). */
export function tokenMatches(given: string, token: string): boolean {
  return isAuthorized(`Bearer ${given}`, token);
}

/** The Set-Cookie value that opens a dashboard session for `token`. */
export function sessionCookie(token: string): string {
  return `${COOKIE_NAME}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
