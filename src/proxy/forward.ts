/**
 * The upstream phases of the pipeline: select a target, build the request (forwarding headers,
 * rewrite, filters), send it through the target's pool, relay the response with backpressure,
 * and — when a try fails in a way retries.* allows — try again on another target. One
 * ForwardExchange per request (a class, not closures: this is the hot path).
 */
import { NONE_TRIED, type TargetState } from '../balancer/index.js';
import type { ResponseTee } from '../cache/index.js';
import { StreamEncoder, toEncodedTrailers, type EncoderOwner } from '../compression/index.js';
import { ProxyError } from '../errors/index.js';
import type { ClientResponse } from '../server/client-response.js';
import type { ClientGoneListener } from '../server/response-writer.js';
import type { BodySource } from '../upstream/body-source.js';
import { forwardableTrailers, serializeFields } from '../server/trailer-fields.js';
import { forwardInterimHeaders, forwardRequestHeaders, forwardResponseHeaders, serializeRequestHead } from '../upstream/forwarded-headers.js';
import { ReplayableBody } from '../upstream/replay-body.js';
import { conditionOf, type RetryCondition } from '../upstream/retry-policy.js';
import type { UpstreamCall } from '../upstream/target-pool.js';
import type { UpstreamExchange } from '../upstream/upstream-connection.js';
import { sharedMetrics } from '../observability/metrics.js';
import { DrainResume } from './drain-resume.js';
import { fail, log } from './exit.js';
import { applyResponseFilters } from './filter.js';
import type { CompiledRoute, CompiledUpstream, UpstreamTarget } from './runtime.js';
import type { Session } from './session.js';

/** RFC 9110 §9.2.2 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** `tee`: the cache listener of a cached route (stores or invalidates); null elsewhere. */
export function forward(s: Session, route: CompiledRoute, upstream: CompiledUpstream, tee: ResponseTee | null = null): void {
  const req = s.req;
  const body = req.body;
  if (req.contentLength > route.maxBodyBytes) {
    tee?.onAbort();
    return fail(s, new ProxyError('REQUEST_BODY_TOO_LARGE', `Content-Length ${req.contentLength} over ${route.maxBodyBytes}`));
  }
  body.limit = route.maxBodyBytes;

  const exchange = new ForwardExchange(s, route, upstream, tee);
  // RFC 9110 §10.1.1: Barbican answers 100-continue itself (the upstream gets the body
  // re-framed, without Expect), and only once the request is going to be sent: access control,
  // rate limits and the Content-Length limit have had their say (a 401/403/429/413 goes out
  // instead of the 100), and a connection to a target is open (a 502/503 likewise). An HTTP/1.0
  // client gets no 1xx (§15.2).
  if (req.httpMinor === 1 && !body.complete) {
    const expect = s.header('expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue') exchange.continueDue = true;
  }
  s.res.whenClientGone(exchange);
  exchange.start();
}

class ForwardExchange implements UpstreamExchange, ClientGoneListener, EncoderOwner {
  call: UpstreamCall | null = null;
  /** The client waits for 100 Continue before sending its body (sent at the first connection). */
  continueDue = false;
  /** The response's trailer section, filtered (null: none; see onResponseTrailers). */
  private trailers: string | null = null;
  readonly isHead: boolean;
  /** Resumes the target when the client drains (made at the first wait). */
  private drain: DrainResume | null = null;
  private readonly res: ClientResponse;
  private readonly idempotent: boolean;
  /** The request body as the tries read it (null: no body). */
  private readonly body: BodySource | null;
  /** The body can be sent again (none, or small enough to be kept). */
  private readonly replayable: boolean;
  private pathAndQuery = '';
  /** The try in progress. */
  private target: UpstreamTarget | null = null;
  private targetIndex = -1;
  private tries = 0;
  private tried: readonly TargetState[] = NONE_TRIED;
  private tryStart = 0;
  /** The current try's response is being discarded (its status is retried). */
  private discarding = false;
  /** The current try's response is being discarded because the cache answers instead (see ResponseTee.replaced). */
  private replaced = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private gone = false;
  /** The response body is compressed on its way to the client (route.compression); null otherwise. */
  private encoder: StreamEncoder | null = null;

  constructor(
    private readonly s: Session,
    private readonly route: CompiledRoute,
    private readonly upstream: CompiledUpstream,
    /** Sees the response as it streams (cache store / invalidation); null on routes without cache. */
    private tee: ResponseTee | null,
  ) {
    const req = s.req;
    this.res = s.res;
    this.isHead = req.method === 'HEAD';
    this.idempotent = IDEMPOTENT.has(req.method);
    const retry = upstream.retry;
    if (req.contentLength === 0) {
      this.body = null;
      this.replayable = true;
    } else if (retry.enabled && this.idempotent && req.contentLength > 0 && req.contentLength <= retry.maxReplayBytes) {
      this.body = new ReplayableBody(req.body);
      this.replayable = true;
    } else {
      this.body = req.body;
      this.replayable = false;
    }
  }

  start(): void {
    const s = this.s;
    this.pathAndQuery = this.route.rewritePath ? this.route.rewritePath(s.path + s.query) : s.path + s.query;
    if (this.upstream.retry.enabled) this.upstream.retry.budget.deposit();
    const now = Date.now();
    const index = this.upstream.selector.select(s, now, NONE_TRIED);
    if (index === -1) {
      return this.failUpstream(new ProxyError('UPSTREAM_UNAVAILABLE', `no available target in upstream ${this.upstream.name}`, { retryAfter: this.upstream.retryAfter(now) }));
    }
    this.send(index);
  }

  /** Sends one try to target `index`. */
  private send(index: number): void {
    const s = this.s;
    const req = s.req;
    const route = this.route;
    const target = this.upstream.targets[index]!;
    this.target = target;
    this.targetIndex = index;
    this.tries++;
    this.discarding = false;
    s.target = target;
    target.state.inFlight++;

    const upstreamHost =
      route.upstreamHost === 'keep' ? s.host || target.pool.authority : route.upstreamHost === 'target' ? target.pool.authority : route.upstreamHost;
    let headers = forwardRequestHeaders(req.rawHeaders, {
      peer: req.remoteAddress,
      peerTrusted: s.peerTrusted,
      scheme: req.scheme,
      host: upstreamHost,
      clientHost: s.host,
      requestId: s.requestId,
    });
    // A revalidation sends the stored response's validators (RFC 9111 §4.3.1).
    if (this.tee?.upstreamHeaders !== undefined) headers = this.tee.upstreamHeaders(headers);
    for (const f of route.filters) if (f.onUpstreamRequest) headers = f.onUpstreamRequest(s, headers);

    const pool = target.pool;
    this.call = pool.request(
      {
        // An HTTP/2 pool sends the fields as they are; HTTP/1.1 ones get the head serialized once.
        head: pool.http2 ? '' : serializeRequestHead(req.method, this.pathAndQuery, headers, req.contentLength),
        method: req.method,
        path: this.pathAndQuery,
        headers,
        contentLength: req.contentLength,
        teTrailers: pool.http2 && s.header('te') === 'trailers',
        body: this.body,
        chunked: req.contentLength < 0,
        // A body that cannot be sent again must not be replayed by the pool's stale-connection retry either.
        idempotent: this.idempotent && this.replayable,
        options: route.sendOptions,
      },
      this,
    );
  }

  /** The current try is over: the target has one request less in flight. */
  private endTry(): UpstreamTarget | null {
    const target = this.target;
    if (target !== null) {
      this.target = null;
      target.state.inFlight--;
    }
    this.call = null;
    return target;
  }

  onResponseHead(status: number, reason: string, rawHeaders: string[], contentLength: number): void {
    const target = this.target!;
    const upstream = this.upstream;
    const state = target.state;
    if (upstream.tracksLatency) state.latency.observe(performance.now() - this.tryStart, Date.now());
    if (upstream.outlier !== undefined) {
      // Envoy's consecutive-5xx rule: a 5xx answer counts against the target like a failure.
      if (status >= 500) upstream.outlier.onFailure(state, Date.now());
      else upstream.outlier.onSuccess(state, Date.now());
    }
    if (upstream.retry.retriesStatus(status) && this.mayRetry(undefined)) {
      // Read and drop this answer (the connection stays reusable), then try elsewhere.
      this.discarding = true;
      return;
    }
    const s = this.s;
    let headers = forwardResponseHeaders(rawHeaders, s.runtime.hiddenResponseHeaders);
    // The cache sees the origin's headers before per-client ones (sticky cookie, filters).
    const tee = this.tee;
    if (tee !== null) {
      const cacheStatus = tee.onHead(status, headers, this.isHead ? -1 : contentLength);
      if (tee.replaced?.() === true) {
        // The client is answered from the store (a 304 to a revalidation, stale-if-error):
        // read this response to its end without sending it.
        this.discarding = true;
        this.replaced = true;
        return;
      }
      headers.push('Cache-Status', cacheStatus);
      s.cacheStatus = cacheStatus;
    }
    const sticky = upstream.selector.sticky;
    if (sticky !== undefined && !sticky.names(s.header('cookie'), this.targetIndex)) {
      headers.push('Set-Cookie', sticky.setCookie(this.targetIndex, s.req.scheme === 'https'));
    }
    headers = applyResponseFilters(s, headers);
    // After the cache saw the origin's head (it stores the identity response) and after the
    // filters (a no-transform they set is respected).
    const compression = this.route.compression;
    if (compression !== undefined) {
      const coding = compression.prepare(s, status, headers, contentLength);
      if (coding !== null) {
        if (!this.isHead) this.encoder = new StreamEncoder(this.res, this, coding, compression.levels[coding], contentLength, contentLength < 0);
        contentLength = -1; // the writer frames the compressed body (chunked, or close-delimited for HTTP/1.0)
      }
    }
    this.res.writeHead(status, headers, contentLength, reason || undefined);
  }

  onResponseData(chunk: Buffer): boolean {
    if (this.discarding) return true;
    this.tee?.onData(chunk);
    const out = this.encoder ?? this.res;
    if (out.write(chunk)) return true;
    // The client (or the compressor) is slower than the target: pause the target until it drains.
    this.resumeAfterDrain(out);
    return false;
  }

  onParsed(): void {
    if (this.discarding) return;
    this.res.flushHead();
    this.encoder?.readDone();
  }

  onConnected(): void {
    // Latency is the target's time to answer, not the time to connect to it.
    if (this.upstream.tracksLatency) this.tryStart = performance.now();
    if (this.continueDue) {
      this.continueDue = false;
      this.res.writeContinue();
    }
  }

  /**
   * RFC 9110 §15.2: interim responses are relayed to HTTP/1.1 clients (103 Early Hints lets the
   * browser preload while the origin works), except 100: Barbican answers Expect itself, so a
   * target's 100 is about the hop it received the body on, not the client's. The writer drops
   * them for HTTP/1.0 clients and once the final head is out.
   */
  onInformational(status: number, _reason: string, rawHeaders: string[]): boolean {
    if (status === 100 || this.discarding) return true;
    if (this.res.writeInformational(status, forwardInterimHeaders(rawHeaders, this.s.runtime.hiddenResponseHeaders))) return true;
    // A target may send any number of them: the client must take them as it takes a body.
    this.resumeAfterDrain(this.res);
    return false;
  }

  /** Resumes the target once `out` (the client, or the compressor) has drained. */
  private resumeAfterDrain(out: { onDrain(fn: () => void): void }): void {
    (this.drain ??= new DrainResume(() => this.call?.resume())).after(out);
  }

  /** RFC 9112 §7.1.2: the trailer section goes on to the client when the response to it is chunked. */
  onResponseTrailers(rawTrailers: string[]): void {
    let fields = forwardableTrailers(rawTrailers);
    // A compressed body: trailers about the identity bytes would be false (compression/).
    if (fields !== null && this.encoder !== null) fields = toEncodedTrailers(fields);
    this.trailers = fields === null ? null : serializeFields(fields);
  }

  retainsData(): boolean {
    return this.res.queuedBytes > 0 || (this.encoder !== null && this.encoder.retainsInput);
  }

  onResponseEnd(): void {
    this.endTry();
    if (this.discarding) {
      if (this.replaced) return this.answerFromStore();
      this.retry();
      return;
    }
    this.tee?.onEnd();
    // A compressed body ends once the compressor has emitted its last bytes (encoderEnded).
    if (this.encoder !== null) return this.encoder.end();
    this.endResponse();
    log(this.s);
  }

  /** Ends the response, with the target's trailer section when it sent one (RFC 9112 §7.1.2; HTTP/2 targets: RFC 9113 §8.1). */
  private endResponse(): void {
    if (this.trailers === null) this.res.end();
    else this.res.endWithTrailers(this.trailers);
  }

  encoderEnded(): void {
    const encoder = this.encoder!;
    this.encoder = null;
    this.endResponse();
    if (this.s.runtime.config.metrics.enabled) sharedMetrics.compressed(encoder.coding, encoder.bytesIn, this.res.bytesWritten);
    log(this.s);
  }

  encoderFailed(err: Error): void {
    // The head is out: the client must see the response cut, never a short body.
    this.encoder = null;
    const call = this.call;
    this.endTry();
    call?.abort();
    this.abandonTee();
    fail(this.s, new ProxyError('COMPRESSION_FAILED', err.message, { cause: err }));
  }

  onError(err: ProxyError): void {
    const target = this.endTry();
    const upstream = this.upstream;
    if (target !== null && err.source === 'upstream' && upstream.outlier !== undefined && !this.discarding) {
      upstream.outlier.onFailure(target.state, Date.now());
    }
    // A retried status whose body then failed: the retry was decided already.
    if (this.discarding) {
      if (this.replaced) return this.answerFromStore();
      this.retry();
      return;
    }
    const condition = conditionOf(err.code);
    if (condition !== undefined && upstream.retry.retriesOn(condition) && this.mayRetry(condition)) {
      this.s.runtime.logger.warn(
        { requestId: this.s.requestId, code: err.code, upstream: upstream.name, target: target?.url, try: this.tries },
        `${err.message}; retrying on another target`,
      );
      this.retry();
      return;
    }
    this.failUpstream(err);
  }

  /** Fails the request, unless the cache answers from the store instead (stale-if-error, RFC 5861 §4). */
  private failUpstream(err: ProxyError): void {
    const tee = this.tee;
    if (tee?.rescue !== undefined && !this.res.headersSent && tee.rescue(err.status)) {
      this.tee = null;
      return;
    }
    this.abandonTee();
    this.encoder?.destroy();
    fail(this.s, err);
  }

  /** The response was replaced by a stored one (the tee said so at its head): answer from the store. */
  private answerFromStore(): void {
    const tee = this.tee!;
    this.tee = null;
    tee.answer!();
  }

  /** The response will not be complete: nothing partial is stored, waiters are released. */
  private abandonTee(): void {
    const tee = this.tee;
    this.tee = null;
    tee?.onAbort();
  }

  /**
   * Whether the failed try may be retried (retry-policy.ts has the rules), to which target:
   * chooses the next target now, so that a response is only discarded when there is somewhere
   * else to go. `condition` is undefined for a retried status. Spends from the retry budget
   * when it says yes.
   */
  private mayRetry(condition: RetryCondition | undefined): boolean {
    const retry = this.upstream.retry;
    if (this.tries >= retry.attempts || this.gone || this.res.headersSent) return false;
    // connectFailure: nothing reached the target and nothing of the body was read.
    if (condition !== 'connectFailure' && !(this.idempotent && this.replayable)) return false;
    const current = this.upstream.targets[this.targetIndex]!.state;
    const tried = this.tried === NONE_TRIED ? [current] : [...this.tried, current];
    const next = this.upstream.selector.select(this.s, Date.now(), tried);
    if (next === -1 || !retry.budget.withdraw()) return false;
    this.tried = tried;
    this.targetIndex = next;
    return true;
  }

  /** Sends the next try (chosen by mayRetry) after a jittered backoff. */
  private retry(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.gone) return;
      let index = this.targetIndex;
      const now = Date.now();
      // The target chosen before the backoff may have gone out meanwhile.
      if (!this.upstream.targets[index]!.state.isAvailable(now)) index = this.upstream.selector.select(this.s, now, this.tried);
      if (index === -1) {
        this.failUpstream(new ProxyError('UPSTREAM_UNAVAILABLE', `no other available target in upstream ${this.upstream.name} after ${this.tries} tries`, { retryAfter: this.upstream.retryAfter(now) }));
        return;
      }
      this.s.retries++;
      this.send(index);
    }, this.upstream.retry.backoff(this.tries));
  }

  clientGone(): void {
    this.gone = true;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const call = this.call;
    this.endTry();
    call?.abort();
    this.abandonTee();
    this.encoder?.destroy();
    fail(this.s, new ProxyError('CLIENT_ABORTED'));
  }
}
