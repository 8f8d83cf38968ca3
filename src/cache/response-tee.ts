/**
 * What the upstream phase tells the cache about a forwarded response (ResponseTee), and the
 * three kinds of listener: CacheFill stores the response while it streams to the client
 * (RFC 9111 §3; only a complete body is stored, §3.3), Invalidator removes entries after a
 * successful unsafe request (§4.4), PassThrough only labels the response (RFC 9211).
 */
import { parseCacheControl } from './cache-control.js';
import { forwardStatus, type ForwardReason } from './cache-status.js';
import type { Collapser } from './collapser.js';
import { freshnessLifetime, initialAge, type FreshnessInput } from './freshness.js';
import { notStorableReason } from './storability.js';
import { responseSize, serializeStoredHead, type CachedResponse, type CacheStore } from './store.js';
import { variantId, varyNames, varyValues, type HeaderReader } from './vary.js';

/** Called by the upstream phase; a tee never changes what the client gets (except Cache-Status). */
export interface ResponseTee {
  /** The response head about to be sent (after hop-by-hop removal); returns the Cache-Status value. */
  onHead(status: number, headers: readonly string[], contentLength: number): string;
  /** A body chunk (the buffer may be reused afterwards: copy what is kept). */
  onData(chunk: Buffer): void;
  /** The whole response was received. */
  onEnd(): void;
  /** The response will not complete (upstream error, client gone, retried status). */
  onAbort(): void;
}

/** Labels a forwarded response that is neither stored nor invalidating. */
export class PassThrough implements ResponseTee {
  constructor(private readonly status: string) {}
  onHead(): string {
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
  onStored?: (bytes: number) => void;
}

/**
 * Headers never stored: Age is recomputed on every hit (§4.2.3, §5.1); X-Request-Id names the
 * request that filled the entry, and every hit carries its own.
 */
const NOT_STORED = new Set(['age', 'x-request-id']);

export class CacheFill implements ResponseTee {
  private readonly requestTime = Date.now();
  private storing = false;
  private done = false;
  private headers: string[] = [];
  private status = 0;
  private fresh: FreshnessInput | null = null;
  private etag: string | undefined;
  private names: string[] | null = null;
  /** Body: one buffer when the length is known, else the chunks. */
  private body: Buffer | null = null;
  private chunks: Buffer[] | null = null;
  private received = 0;
  private expected = -1;

  constructor(
    private readonly req: FillRequest,
    private readonly o: FillOptions,
  ) {}

  onHead(status: number, headers: readonly string[], contentLength: number): string {
    let cacheControl: string | undefined;
    let date: string | undefined;
    let expires: string | undefined;
    let lastModified: string | undefined;
    let age: string | undefined;
    let vary: string | undefined;
    let setCookie = false;
    const kept: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      const lower = name.toLowerCase();
      switch (lower) {
        case 'cache-control': cacheControl = cacheControl === undefined ? value : `${cacheControl}, ${value}`; break;
        case 'date': date = value; break;
        case 'expires': expires = value; break;
        case 'last-modified': lastModified = value; break;
        case 'age': age = value; break;
        case 'vary': vary = vary === undefined ? value : `${vary}, ${value}`; break;
        case 'set-cookie': setCookie = true; break;
        case 'etag': this.etag = value; break;
        default: break;
      }
      if (!NOT_STORED.has(lower)) kept.push(name, value);
    }
    const fresh: FreshnessInput = { status, cc: parseCacheControl(cacheControl), date, expires, lastModified, age };
    const req = this.req;
    const reason = notStorableReason({
      ...fresh,
      method: req.method,
      reqCc: parseCacheControl(req.header('cache-control')),
      authorized: req.header('authorization') !== undefined,
      vary,
      setCookie,
    });
    const fits = contentLength < 0 || contentLength <= this.o.maxObjectBytes;
    // Without revalidation, a response that is stale on arrival (no-cache, max-age=0) cannot be reused.
    const lifetime = reason === undefined && !fresh.cc.noCache ? freshnessLifetime(fresh, Date.now()) : 0;
    if (reason === undefined && fits && lifetime > 0) {
      this.storing = true;
      this.status = status;
      this.headers = kept;
      this.fresh = fresh;
      this.expected = contentLength;
      this.names = varyNames(vary, this.o.keyHeaders);
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
    const responseTime = Date.now();
    const fresh = this.fresh!;
    const body = this.body ?? Buffer.concat(this.chunks!);
    const names = this.names;
    const values = varyValues(names, (n) => this.req.header(n));
    const id = variantId(names, values);
    const response: CachedResponse = {
      status: this.status,
      headers: this.headers,
      head: serializeStoredHead(this.status, this.headers, body.length),
      body,
      varyNames: names,
      varyValues: values,
      variantId: id,
      initialAge: initialAge(fresh, this.requestTime, responseTime),
      responseTime,
      lifetime: freshnessLifetime(fresh, responseTime) * 1000,
      // §5.2.2.2 must-revalidate; §5.2.2.8 proxy-revalidate applies to shared caches.
      mustRevalidate: fresh.cc.mustRevalidate || fresh.cc.proxyRevalidate,
      noCache: fresh.cc.noCache,
      etag: this.etag,
      lastModified: fresh.lastModified,
      size: responseSize(this.headers, body, id),
    };
    if (this.o.store.put(this.o.key, response)) this.o.onStored?.(response.size);
  }

  private settle(): void {
    if (this.done) return;
    this.done = true;
    if (this.o.leader) this.o.collapser.settle(this.o.key);
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
  ) {}

  onHead(status: number, headers: readonly string[]): string {
    if (status >= 200 && status < 400) {
      const locations: string[] = [];
      for (let i = 0; i < headers.length; i += 2) {
        const lower = headers[i]!.toLowerCase();
        if (lower === 'location' || lower === 'content-location') locations.push(headers[i + 1]!);
      }
      for (const key of this.keys(locations)) this.store.delete(key);
    }
    return this.status;
  }
  onData(): void {}
  onEnd(): void {}
  onAbort(): void {}
}
