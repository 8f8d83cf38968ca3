/**
 * What the upstream phase tells the cache about a forwarded response (ResponseTee), and the
 * three kinds of listener: CacheFill stores the response while it streams to the client
 * (RFC 9111 §3; only a complete body is stored, §3.3), Invalidator removes entries after a
 * successful unsafe request (§4.4), PassThrough only labels the response (RFC 9211).
 */
import { parseCacheControl } from './cache-control.js';
import { forwardStatus, type ForwardReason } from './cache-status.js';
import type { Collapser } from './collapser.js';
import { freshnessLifetime } from './freshness.js';
import { notStorableReason } from './storability.js';
import type { CachedResponse, CacheStore } from './store.js';
import { buildStored, readResponseFields, type ResponseFields } from './stored-response.js';
import { takeTags } from './tags.js';
import { variantId, varyNames, varyValues, type HeaderReader } from './vary.js';

/**
 * Called by the upstream phase; a tee never changes what the client gets, except Cache-Status,
 * the purge tag fields it removes (tags.ts), and — through the optional members, for a
 * revalidation or stale-if-error — answering from the store instead.
 */
export interface ResponseTee {
  /**
   * The response head about to be sent (after hop-by-hop removal); returns the Cache-Status
   * value. Removes Cache-Tag / Surrogate-Key lines from `headers` (in place).
   */
  onHead(status: number, headers: string[], contentLength: number): string;
  /** A body chunk (the buffer may be reused afterwards: copy what is kept). */
  onData(chunk: Buffer): void;
  /** The whole response was received. */
  onEnd(): void;
  /** The response will not complete (upstream error, client gone, retried status). */
  onAbort(): void;
  /** Rewrites the upstream request headers (a revalidation sends validators: RFC 9111 §4.3.1). */
  upstreamHeaders?(headers: string[]): string[];
  /**
   * Asked right after onHead: true when the client is answered from the store instead of this
   * response (a 304 to a revalidation, §4.3.4; a 5xx within stale-if-error, RFC 5861 §4). The
   * upstream phase then reads the response to its end without sending it and calls answer().
   */
  replaced?(): boolean;
  /** Answers the client from the store (after replaced() said true). */
  answer?(): void;
  /**
   * The upstream failed before anything was sent to the client, with an error whose status is
   * `status`; true when the tee answered the client from the store (RFC 5861 §4). When false
   * the upstream phase fails the request as usual (and calls onAbort).
   */
  rescue?(status: number): boolean;
}

/** Labels a forwarded response that is neither stored nor invalidating. */
export class PassThrough implements ResponseTee {
  constructor(private readonly status: string) {}
  onHead(_status: number, headers: string[]): string {
    takeTags(headers);
    return this.status;
  }
  onData(): void {}
  onEnd(): void {}
  onAbort(): void {}
}

/** The request side of a fill: what storability and variants depend on. */
export interface FillRequest {
  readonly method: string;
  header: HeaderReader;
}

export interface FillOptions {
  store: CacheStore;
  collapser: Collapser;
  key: string;
  /** The collapser's leader for `key` (settles it when done). */
  leader: boolean;
  reason: ForwardReason;
  maxObjectBytes: number;
  keyHeaders: readonly string[];
  /** The route serves stale responses by default (staleWhileRevalidate / staleIfError > 0). */
  servesStale?: boolean;
  onStored?: (bytes: number) => void;
  /** Called once when the fill is over, with the response stored in memory (null when none was). */
  onSettled?: (stored: CachedResponse | null) => void;
}

export class CacheFill implements ResponseTee {
  private readonly requestTime = Date.now();
  private storing = false;
  private done = false;
  private status = 0;
  private fields: ResponseFields | null = null;
  private tags: readonly string[] = [];
  private names: string[] | null = null;
  /** Body: one buffer when the length is known, else the chunks. */
  private body: Buffer | null = null;
  private chunks: Buffer[] | null = null;
  private received = 0;
  private expected = -1;
  private stored: CachedResponse | null = null;

  constructor(
    private readonly req: FillRequest,
    private readonly o: FillOptions,
  ) {}

  onHead(status: number, headers: string[], contentLength: number): string {
    const tags = takeTags(headers);
    const fields = readResponseFields(status, headers);
    const fresh = fields.fresh;
    const req = this.req;
    const reason = notStorableReason({
      ...fresh,
      method: req.method,
      reqCc: parseCacheControl(req.header('cache-control')),
      authorized: req.header('authorization') !== undefined,
      vary: fields.vary,
      setCookie: fields.setCookie,
    });
    const fits = contentLength < 0 || contentLength <= this.o.maxObjectBytes;
    // A response stale on arrival (no-cache, max-age=0) is worth storing only with a validator
    // to revalidate it with on every use (§4.3.1), or to be served stale (RFC 5861).
    const cc = fresh.cc;
    const lifetime = reason === undefined && !cc.noCache ? freshnessLifetime(fresh, Date.now()) : 0;
    const validator = fields.etag !== undefined || fresh.lastModified !== undefined;
    const servableStale = !cc.noCache && (cc.staleWhileRevalidate > 0 || cc.staleIfError > 0 || this.o.servesStale === true);
    if (reason === undefined && fits && (lifetime > 0 || validator || servableStale)) {
      this.storing = true;
      this.status = status;
      this.fields = fields;
      this.tags = tags;
      this.expected = contentLength;
      this.names = varyNames(fields.vary, this.o.keyHeaders);
      if (contentLength >= 0) this.body = Buffer.allocUnsafe(contentLength);
      else this.chunks = [];
    } else {
      // Waiters need not wait for a body that will not be stored.
      this.settle();
    }
    return forwardStatus(this.o.reason, this.storing);
  }

  onData(chunk: Buffer): void {
    if (!this.storing) return;
    const end = this.received + chunk.length;
    if (end > this.o.maxObjectBytes || (this.expected >= 0 && end > this.expected)) return this.giveUp();
    if (this.body !== null) chunk.copy(this.body, this.received);
    else this.chunks!.push(Buffer.from(chunk));
    this.received = end;
  }

  onEnd(): void {
    if (this.storing && (this.expected < 0 || this.received === this.expected)) this.store();
    this.storing = false;
    this.settle();
  }

  onAbort(): void {
    this.giveUp();
  }

  private giveUp(): void {
    this.storing = false;
    this.body = null;
    this.chunks = null;
    this.settle();
  }

  private store(): void {
    const body = this.body ?? Buffer.concat(this.chunks!);
    const names = this.names;
    const values = varyValues(names, (n) => this.req.header(n));
    const response: CachedResponse = buildStored({
      status: this.status,
      fields: this.fields!,
      body,
      varyNames: names,
      varyValues: values,
      variantId: variantId(names, values),
      tags: this.tags,
      requestTime: this.requestTime,
      responseTime: Date.now(),
    });
    if (this.o.store.put(this.o.key, response)) {
      this.stored = response;
      this.o.onStored?.(response.size);
    }
  }

  private settle(): void {
    if (this.done) return;
    this.done = true;
    if (this.o.leader) this.o.collapser.settle(this.o.key);
    this.o.onSettled?.(this.stored);
  }
}

/**
 * §4.4: a non-error response (2xx, 3xx) to an unsafe request invalidates the target URI and
 * the URIs in Location and Content-Location when they have the same origin.
 */
export class Invalidator implements ResponseTee {
  constructor(
    private readonly store: CacheStore,
    private readonly keys: (locations: readonly string[]) => string[],
    private readonly status: string,
    /** Also invalidates in the second tier and on the other instances. */
    private readonly fleet?: (keys: readonly string[]) => void,
  ) {}

  onHead(status: number, headers: string[]): string {
    takeTags(headers);
    if (status >= 200 && status < 400) {
      const locations: string[] = [];
      for (let i = 0; i < headers.length; i += 2) {
        const lower = headers[i]!.toLowerCase();
        if (lower === 'location' || lower === 'content-location') locations.push(headers[i + 1]!);
      }
      const keys = this.keys(locations);
      for (const key of keys) this.store.delete(key);
      this.fleet?.(keys);
    }
    return this.status;
  }
  onData(): void {}
  onEnd(): void {}
  onAbort(): void {}
}
