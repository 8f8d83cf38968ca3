/** Schema for `server` (process-wide settings) and `listeners[]`. */
import { z } from 'zod';
import { cidr } from '../config/formats.js';
import { duration, size } from '../config/units.js';
import { listenerTlsSchema } from './tls-config.js';

/** `host:port`, `[v6]:port` or `:port`. */
export const ADDRESS_PATTERN = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*)):(\d{1,5})$/;

/** Splits a listener address into host and port (port 0 = any free port). */
export function parseAddress(address: string): { host: string; port: number } {
  const m = ADDRESS_PATTERN.exec(address);
  if (!m) throw new Error(`invalid address ${address}`);
  const rawHost = m[1] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost || '0.0.0.0';
  return { host, port: Number(m[2]) };
}

const address = z
  .string()
  .refine((v) => {
    const m = ADDRESS_PATTERN.exec(v);
    return m !== null && Number(m[2]) <= 65535;
  }, 'expected host:port, [ipv6]:port or :port (port 0-65535)');

export const limitsSchema = z
  .strictObject({
    maxHeaderBytes: size().default(16 * 1024).describe('Largest request head (request line and headers) accepted; larger gets 431.'),
    maxUrlBytes: size().default(8 * 1024).describe('Longest request target (path and query) accepted; longer gets 414 and the connection is closed.'),
    maxHeaderCount: z.number().int().min(1).max(10_000).default(100).describe('Most header fields in a request head; more gets 431 and the connection is closed.'),
    maxBodyBytes: size().default(10 * 1024 * 1024).describe('Largest request body accepted by default (routes may override); larger gets 413.'),
    headersTimeout: duration().default(10_000).describe('Time a client has to send the complete request head (slowloris guard); then 408 and close.'),
    requestTimeout: duration().default(60_000).describe('Time a client has to send the complete request, body included; then 408 and close.'),
    keepAliveTimeout: duration().default(5_000).describe('How long an idle client keep-alive connection is kept open (counted once the last response is fully sent).'),
    sendTimeout: duration().default(60_000).describe('Longest a client may go without taking any of a response being sent to it; then the connection is cut (like nginx send_timeout).'),
    websocketIdleTimeout: duration().default(600_000).describe('How long a WebSocket tunnel may carry no byte in either direction before both connections are closed (routes may override with timeouts.websocketIdle). Longer than nginx\'s 60 s proxy_read_timeout, which cuts quiet sockets of applications that ping every minute or two.'),
    maxConnections: z.number().int().min(1).default(10_000).describe('Most client connections open at once across all listeners; further ones are closed at accept.'),
    maxConnectionsPerIp: z.number().int().min(0).default(0).describe('Most client connections from one client IP at once (0 = no cap).'),
  })
  .describe('Limits that protect Barbican and the origins from oversized or slow clients.');

export const http2Schema = z
  .strictObject({
    maxConcurrentStreams: z.number().int().min(1).max(10_000).default(100).describe('Most requests (streams) one HTTP/2 client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §6.5.2); streams beyond are refused (REFUSED_STREAM), and a client that keeps opening them is disconnected.'),
    maxStreamResetsPerSecond: z.number().int().min(1).default(100).describe('Most streams a client may cancel (RST_STREAM) per second on one connection; more closes the connection with GOAWAY ENHANCE_YOUR_CALM (the "rapid reset" attack, CVE-2023-44487).'),
    maxControlFramesPerSecond: z.number().int().min(1).default(100).describe('Most PING and SETTINGS frames a client may send per second on one connection; more closes the connection with GOAWAY ENHANCE_YOUR_CALM (RFC 9113 §10.5: control-frame floods).'),
    maxSessionMemory: size().default(16 * 1024 * 1024).describe('Memory one HTTP/2 connection may hold in its protocol state (header compression, queued frames); beyond it new streams are refused. Bounds what one client can make Barbican hold.'),
    initialWindowSize: size().default(65_535).describe('Flow-control window of each request body (SETTINGS_INITIAL_WINDOW_SIZE, RFC 9113 §6.9.2): how much a client may send before Barbican has passed it on.'),
  })
  .describe('HTTP/2 limits (listeners with http2 or h2c). The header list of a request is bounded by limits.maxHeaderBytes and limits.maxHeaderCount, as for HTTP/1.1.');

export const serverSchema = z
  .strictObject({
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(1024)])
      .default(1)
      .describe('Worker processes. 1 runs one process (as before); N > 1 or "auto" (one per available core) runs a supervisor that forks the workers, shares the listeners between them, restarts a crashed worker with backoff and reloads them one at a time. Rate limits are shared out (each worker enforces rate/N and burst/N); ACME needs 1.'),
    trustedProxies: z.array(cidr).default([]).describe('Peers (IPs or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host are believed. From anyone else they are replaced.'),
    hideResponseHeaders: z
      .array(z.string().min(1))
      .default(['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version'])
      .describe('Response headers removed from every response so the origin is not identified.'),
    limits: limitsSchema.prefault({}),
    http2: http2Schema.prefault({}),
    shutdownTimeout: duration().default(30_000).describe('On SIGTERM/SIGINT, how long in-flight requests may take to finish before connections are closed.'),
  })
  .describe('Process-wide settings.');

export const listenerSchema = z.strictObject({
  name: z.string().min(1).describe('Name of the listener, used in logs.'),
  address: address.describe('Address to listen on: host:port, [ipv6]:port or :port (all interfaces).'),
  redirectToHttps: z.boolean().default(false).describe('Plain listeners: answer every request with a 308 redirect to https (same host, path and query), to the port of the first TLS listener (none given when it is 443 or there is no TLS listener). ACME HTTP-01 challenges are still answered.'),
  tls: listenerTlsSchema.optional().describe('Terminate TLS on this listener (HTTPS). Without it the listener speaks plain HTTP/1.1.'),
  http2: z.boolean().default(false).describe('TLS listeners: offer HTTP/2 by ALPN ("h2", RFC 9113 §3.2), with "http/1.1" for clients that do not speak it. Requests go through the same routing, access control, cache and upstreams as HTTP/1.1 ones.'),
  h2c: z.boolean().default(false).describe('Plain listeners: also accept cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3: the connection starts with the HTTP/2 preface); HTTP/1.1 still works on the same port. The Upgrade: h2c dance is not supported (RFC 9113 deprecates it). Use only on trusted networks (gRPC between services, a TLS terminator in front).'),
})
  .refine((l) => !l.http2 || l.tls !== undefined, { message: 'http2 needs tls (ALPN); for cleartext HTTP/2 on a plain listener set h2c: true', path: ['http2'] })
  .refine((l) => !l.h2c || l.tls === undefined, { message: 'h2c is for plain listeners; a TLS listener offers HTTP/2 with http2: true', path: ['h2c'] });

export const listenersSchema = z.array(listenerSchema).min(1).describe('Where Barbican accepts client connections.');

export type ServerConfig = z.output<typeof serverSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type Http2Config = z.output<typeof http2Schema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
