/**
 * Fixed answers of `respond` routes with compression: the same rules as forwarded responses
 * (compression/policy.ts), with each coding's body compressed once per runtime, on first use,
 * and kept with the route (the body is fixed, and usually small).
 */
import { compressSync, type Algorithm, type RouteCompression } from '../compression/index.js';
import { httpDate } from '../server/http-date.js';
import { log } from './exit.js';
import { applyResponseFilters } from './filter.js';
import type { Session } from './session.js';

/** A respond route's action (runtime.ts), with the compressed bodies made so far. */
interface RespondAction {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: Buffer;
}

const encodedBodies = new WeakMap<RespondAction, Map<Algorithm, Buffer>>();

export function respondEncoded(s: Session, c: RouteCompression, action: RespondAction): void {
  const headers = ['Date', httpDate(), ...action.headers];
  const coding = c.prepare(s, action.status, headers, action.body.length);
  let body = action.body;
  if (coding !== null) {
    let bodies = encodedBodies.get(action);
    if (bodies === undefined) encodedBodies.set(action, (bodies = new Map()));
    let encoded = bodies.get(coding);
    if (encoded === undefined) bodies.set(coding, (encoded = compressSync(coding, c.levels[coding], action.body)));
    body = encoded;
  }
  // (HEAD: the writer sends the head with this length and no body, RFC 9110 §9.3.2.)
  s.res.send(action.status, applyResponseFilters(s, headers), body);
  log(s);
}
