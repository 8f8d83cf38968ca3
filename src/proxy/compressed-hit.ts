/**
 * Cache hits on a route with compression. The cache stores responses as the origin sent them
 * (identity, unless the origin compressed); a hit is compressed for the client that asks, and
 * each compressed copy is kept with the stored response (CacheStore.attach, charged to
 * cache.maxBytes), so one stored response is compressed once per coding, not once per hit.
 * The identity answer keeps its own head too (the stored one plus Vary: Accept-Encoding).
 */
import { notModifiedHeaders, serializeStoredHead, type CachedResponse, type DerivedRepresentation, type StoredHit } from '../cache/index.js';
import { addVaryAcceptEncoding, compressBuffer, toEncodedHead, type Algorithm, type RouteCompression } from '../compression/index.js';
import { ProxyError } from '../errors/index.js';
import { sharedMetrics } from '../observability/metrics.js';
import type { ClientGoneListener } from '../server/response-writer.js';
import { fail, log } from './exit.js';
import { applyResponseFilters } from './filter.js';
import type { CompiledRoute } from './runtime.js';
import type { Session } from './session.js';

const EMPTY = Buffer.alloc(0);

/**
 * Answers `hit` (a 200 or the client's 304; ranges are never compressed) when its stored
 * response is compressible; false when it is not (the usual hit path answers, unchanged).
 */
export function serveEncodedHit(s: Session, route: CompiledRoute, c: RouteCompression, hit: StoredHit): boolean {
  const r = hit.response;
  if (c.compressibility(r.status, r.headers, r.body.length) !== 'compressible') return false;
  if (hit.notModified) {
    // RFC 9110 §15.4.5: the 304 has the ETag and Vary of the 200 this client would get.
    const headers = notModifiedHeaders(r.headers);
    c.prepareStoredNotModified(s, { status: r.status, headers: r.headers, bodyLength: r.body.length }, headers);
    s.res.send(304, applyResponseFilters(s, ['Age', String(hit.age), 'Cache-Status', hit.cacheStatus, ...headers]), EMPTY);
    log(s);
    return true;
  }
  const coding = c.codingFor(s);
  // The level is in the name: a reload that changes it makes new copies.
  const name = coding === null ? 'identity' : `${coding}:${c.levels[coding]}`;
  const kept = r.derived?.get(name);
  if (kept !== undefined) {
    sendRepresentation(s, route, hit, kept);
    return true;
  }
  if (coding === null) {
    const headers = [...r.headers];
    addVaryAcceptEncoding(headers);
    const rep = { headers, head: serializeStoredHead(r.status, headers, r.body.length), body: r.body };
    route.cache?.attach(hit, name, rep);
    sendRepresentation(s, route, hit, rep);
    return true;
  }
  encodeOnce(r, name, coding, c.levels[coding], new EncodedHit(s, route, hit, coding));
  return true;
}

function sendRepresentation(s: Session, route: CompiledRoute, hit: StoredHit, rep: DerivedRepresentation, coding: Algorithm | null = codingOf(rep)): void {
  const status = hit.response.status;
  if (coding !== null && s.req.method !== 'HEAD' && s.runtime.config.metrics.enabled) sharedMetrics.compressed(coding, hit.response.body.length, rep.body.length);
  const perHit = ['Age', String(hit.age), 'Cache-Status', hit.cacheStatus];
  if (route.storedHits) s.res.sendStored(status, applyResponseFilters(s, perHit), rep.head, rep.body);
  else s.res.send(status, applyResponseFilters(s, [...perHit, ...rep.headers]), rep.body);
  log(s);
}

/** The coding of a kept representation (its Content-Encoding line is the last one toEncodedHead adds), or null. */
function codingOf(rep: DerivedRepresentation): Algorithm | null {
  const h = rep.headers;
  for (let i = h.length - 2; i >= 0; i -= 2) if (h[i] === 'Content-Encoding') return h[i + 1] as Algorithm;
  return null;
}

/** Hits waiting for the compression of a stored response (by response, then representation name). */
const inProgress = new WeakMap<CachedResponse, Map<string, EncodedHit[]>>();

/**
 * Compresses the body of `r` once on the thread pool (not on the event loop: a stored body
 * may be megabytes); hits for the same copy arriving meanwhile wait for it.
 */
function encodeOnce(r: CachedResponse, name: string, coding: Algorithm, level: number, waiter: EncodedHit): void {
  let pending = inProgress.get(r);
  const waiting = pending?.get(name);
  if (waiting !== undefined) {
    waiting.push(waiter);
    return;
  }
  if (pending === undefined) inProgress.set(r, (pending = new Map()));
  const waiters = [waiter];
  pending.set(name, waiters);
  compressBuffer(coding, level, r.body, (err, body) => {
    pending.delete(name);
    let rep: DerivedRepresentation | null = null;
    if (err === null) {
      const headers = [...r.headers];
      toEncodedHead(headers, coding);
      rep = { headers, head: serializeStoredHead(r.status, headers, body.length), body };
      // Kept for later hits unless the response left the store meanwhile.
      waiters[0]!.keep(name, rep);
    }
    for (const w of waiters) w.done(rep, err);
  });
}

/** A hit waiting for its compressed copy; abandoned if the client goes away meanwhile. */
class EncodedHit implements ClientGoneListener {
  constructor(
    private readonly s: Session,
    private readonly route: CompiledRoute,
    private readonly hit: StoredHit,
    private readonly coding: Algorithm,
  ) {
    s.res.whenClientGone(this);
  }

  keep(name: string, rep: DerivedRepresentation): void {
    this.route.cache?.attach(this.hit, name, rep);
  }

  done(rep: DerivedRepresentation | null, err: Error | null): void {
    const s = this.s;
    if (s.logged) return;
    if (rep !== null) return sendRepresentation(s, this.route, this.hit, rep, this.coding);
    // Nothing was sent yet: the client still gets the content, uncompressed.
    s.runtime.logger.warn({ requestId: s.requestId, code: 'COMPRESSION_FAILED', err }, 'compressing a stored response failed; sent uncompressed');
    const r = this.hit.response;
    const headers = [...r.headers];
    addVaryAcceptEncoding(headers);
    sendRepresentation(s, this.route, this.hit, { headers, head: serializeStoredHead(r.status, headers, r.body.length), body: r.body }, null);
  }

  clientGone(): void {
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}
