import type { RequestBody } from './request-body.js';

/** One client request as parsed from the wire: raw header list, body stream, peer. */
export interface DownstreamRequest {
  readonly method: string;
  /** The request-target exactly as sent (origin-form or absolute-form). */
  readonly target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly httpMinor: number;
  /** Flat [name, value, …] in wire case and order. */
  readonly rawHeaders: string[];
  /** Body length from Content-Length, or -1 for chunked. 0 when there is no body. */
  readonly contentLength: number;
  readonly body: RequestBody;
  /** The request asked to switch protocols (Upgrade) or was a CONNECT. */
  readonly upgrade: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly scheme: 'http' | 'https';
  readonly listener: string;
  /** The request arrived over HTTP/2 (RFC 9113); absent for HTTP/1.x (the llhttp path does not set it). */
  readonly http2?: boolean;
  /** performance.now() at the first byte of the request. */
  readonly startTime: number;
}
