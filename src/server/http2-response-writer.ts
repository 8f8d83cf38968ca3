/**
 * Writes one response on an HTTP/2 stream (RFC 9113 §8.1): HEADERS, DATA, and trailers when the
 * client asked for them (`TE: trailers`, which every gRPC client sends). node:http2 frames the
 * message; this class maps the pipeline's flat header lists onto it and drops what HTTP/2
 * forbids in a response (connection-specific fields, §8.2.2).
 */
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { H2_INTERNAL_ERROR } from './http2-codes.js';
import type { ClientResponse } from './client-response.js';
import type { ClientGoneListener, SwitchedConnection } from './response-writer.js';

/** Frames a session may have queued for the client before interim responses are dropped. */
const MAX_QUEUED_FRAMES = 64;
/** RFC 9113 §8.2.2: never sent on HTTP/2 (node:http2 would throw on most of them). */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host', 'http2-settings']);

/** What the writer needs from the stream's exchange. */
export interface Http2ResponseOwner {
  /** Called once, when the response is complete or aborted. */
  onFinish(aborted: boolean): void;
}

/** Adds flat [name, value, …] lines to a node:http2 header object (repeated names become arrays). */
function addLines(out: OutgoingHttpHeaders, lines: readonly string[]): void {
  for (let i = 0; i < lines.length; i += 2) {
    const name = lines[i]!.toLowerCase();
    if (FORBIDDEN.has(name) || name.charCodeAt(0) === 58 /* : */) continue;
    const value = lines[i + 1]!;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
}

/** The lines of a head serialized for HTTP/1.1 ("Name: value\r\n" …), as a flat list. */
function storedLines(head: string): string[] {
  const out: string[] = [];
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

export class Http2ResponseWriter implements ClientResponse {
  status = 0;
  headersSent = false;
  finished = false;
  bytesWritten = 0;
  private noBody = false;
  private trailers: OutgoingHttpHeaders | null = null;
  private clientGone: ClientGoneListener | null = null;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly isHead: boolean,
    /** The client sent `TE: trailers`: the response may end with a trailer section. */
    private readonly acceptsTrailers: boolean,
    private readonly owner: Http2ResponseOwner,
  ) {}

  writeHead(status: number, headers: readonly string[], bodyLength: number, _reason?: string, storedHead?: string): void {
    if (this.headersSent) throw new Error('headers already sent');
    this.headersSent = true;
    this.status = status;
    // RFC 9113 §8.3.2: no reason phrase in HTTP/2.
    const out: OutgoingHttpHeaders = { ':status': status };
    addLines(out, headers);
    const bodyless = status === 204 || status === 304 || (status >= 100 && status < 200);
    if (storedHead !== undefined) addLines(out, storedLines(storedHead));
    else if (!bodyless && bodyLength >= 0) out['content-length'] = bodyLength;
    // An empty body ends the stream with the HEADERS frame (what a gRPC trailers-only answer needs).
    this.noBody = bodyless || this.isHead || (storedHead === undefined && bodyLength === 0);
    if (this.stream.destroyed || this.stream.closed) return;
    this.stream.respond(out, { endStream: this.noBody, waitForTrailers: this.acceptsTrailers && !this.noBody });
  }

  flushHead(): void {
    // node:http2 queues HEADERS at once; nothing is held here.
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.noBody || chunk.length === 0) return true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return true;
    this.bytesWritten += chunk.length;
    return stream.write(chunk);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    const stream = this.stream;
    if (!this.noBody && !stream.destroyed && !stream.closed) {
      if (this.acceptsTrailers) stream.once('wantTrailers', this.sendTrailers);
      stream.end();
    }
    this.owner.onFinish(false);
  }

  endWithTrailers(fields: string): void {
    if (this.acceptsTrailers && fields !== '') {
      const out: OutgoingHttpHeaders = {};
      addLines(out, storedLines(fields));
      this.trailers = out;
    }
    this.end();
  }

  writeInformational(status: number, headers: readonly string[]): boolean {
    // RFC 9113 §8.1: interim responses are HEADERS frames before the final one.
    if (this.headersSent || status < 102 || status > 199 || this.stream.destroyed || this.stream.closed) return true;
    // HEADERS frames are not flow-controlled and no 'drain' follows them, so there is nothing to
    // wait for: while the session already has many frames queued for a client that does not
    // read, further interim responses (advisory by nature) are dropped rather than queued.
    if ((this.stream.session?.state.outboundQueueSize ?? 0) > MAX_QUEUED_FRAMES) return true;
    const out: OutgoingHttpHeaders = { ':status': status };
    addLines(out, headers);
    this.stream.additionalHeaders(out);
    return true;
  }

  switchProtocols(): SwitchedConnection | null {
    return null; // RFC 9113 §8.6: no Upgrade in HTTP/2 (requests never ask for one: http2-request.ts)
  }

  private sendTrailers = (): void => {
    // An empty trailer section is sent as an empty DATA frame with END_STREAM by node:http2.
    if (!this.stream.destroyed) this.stream.sendTrailers(this.trailers ?? {});
  };

  abort(): void {
    if (this.finished) return;
    this.finished = true;
    // RFC 9113 §8.1: a response cut short is a reset stream, never a short body that looks complete.
    if (!this.stream.destroyed) this.stream.close(H2_INTERNAL_ERROR);
    this.owner.onFinish(true);
  }

  whenClientGone(listener: ClientGoneListener): void {
    this.clientGone = listener;
  }

  /** The stream closed or was reset before the response was complete. */
  gone(): void {
    const listener = this.clientGone;
    this.clientGone = null;
    listener?.clientGone();
  }

  get queuedBytes(): number {
    return this.stream.writableLength;
  }

  onDrain(fn: () => void): void {
    this.stream.once('drain', fn);
  }

  writeContinue(): void {
    if (!this.headersSent && !this.stream.destroyed) this.stream.additionalHeaders({ ':status': 100 });
  }

  sendStored(status: number, headers: readonly string[], storedHead: string, body: Buffer): void {
    this.writeHead(status, headers, body.length, undefined, storedHead);
    this.write(body);
    this.end();
  }

  send(status: number, headers: readonly string[], body: string | Buffer): void {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.writeHead(status, headers, buf.length);
    this.write(buf);
    this.end();
  }
}
