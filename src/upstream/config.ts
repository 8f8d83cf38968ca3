/** Schema for `upstreams.<name>`: the origin servers requests are forwarded to. */
import { z } from 'zod';
import { balancerNameSchema, hashOnSchema, slowStartSchema, stickySchema } from '../balancer/config.js';
import { duration, size } from '../config/units.js';
import { healthCheckSchema, outlierDetectionSchema } from '../health/config.js';

const targetUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return false;
  }
}, 'expected an origin URL such as http://127.0.0.1:3001 (scheme, host and port only)');

export const targetSchema = z.strictObject({
  url: targetUrl.describe('Origin of the target server: http://host:port or https://host:port.'),
  weight: z.number().int().min(1).max(1000).default(1).describe('Relative share of traffic.'),
  backup: z.boolean().default(false).describe('Take traffic only when no primary (non-backup) target is available.'),
});

export const upstreamTimeoutsSchema = z.strictObject({
  connect: duration().default(5_000).describe('Time to establish a connection to a target; then 504.'),
  responseHeaders: duration().default(60_000).describe('Time from sending the request to receiving the complete response head; then 504.'),
  idle: duration().default(60_000).describe('Longest silence on an upstream connection while a response is in progress (then 504, or the stream is cut), and how long an idle pooled connection is kept.'),
});

export const upstreamTlsSchema = z.strictObject({
  verify: z.boolean().default(true).describe('Verify the target certificate. Turning this off is unsafe.'),
  caFile: z.string().optional().describe('PEM file of CA certificates to trust instead of the system ones.'),
  certFile: z.string().optional().describe('Client certificate (PEM) for mutual TLS.'),
  keyFile: z.string().optional().describe('Client key (PEM) for mutual TLS.'),
  serverName: z.string().optional().describe('SNI name and name checked in the certificate (default: the target host).'),
});

/** What makes a failed try worth another one (on another target). */
const retryCondition = z.union([
  z.enum(['connectFailure', 'reset', 'timeout']),
  z.number().int().min(500).max(599),
]);

export const retriesSchema = z.strictObject({
  attempts: z.number().int().min(1).max(10).default(2).describe('Most tries of one request in all, the first included (1 turns retries off). Each try goes to a target not yet tried.'),
  on: z
    .array(retryCondition)
    .default(['connectFailure', 'reset'])
    .describe(
      'Conditions that trigger a retry: connectFailure (no connection, nothing sent), reset (connection lost before the response head), ' +
        'timeout (no response head within perTryTimeout), or a 5xx status. Only idempotent requests are retried once bytes reached the target; connectFailure is safe for every method.',
    ),
  budgetPercent: z.number().min(0).max(100).default(20).describe('Retries never exceed this share of requests to the upstream (a token bucket: each request earns budgetPercent/100 of a retry, at most 100 saved up), so an outage cannot multiply load.'),
  perTryTimeout: duration().optional().describe('Time each try may take to deliver the response head (default: the route or upstream responseHeaders timeout).'),
  backoff: z
    .strictObject({
      base: duration().default(25).describe('Delay before the first retry is random between 0 and this; it doubles per retry.'),
      max: duration().default(250).describe('Upper bound of the retry delay.'),
    })
    .prefault({})
    .describe('Exponential backoff with full jitter between tries.'),
  maxReplayBytes: size().default(65_536).describe('A request body up to this size is kept so that it can be sent again on a retry; a larger body is streamed and its request retried only when no byte of it was sent.'),
});

export const upstreamSchema = z.strictObject({
  targets: z.array(targetSchema).min(1).describe('Servers of this upstream.'),
  balancer: balancerNameSchema,
  hashOn: hashOnSchema,
  sticky: stickySchema.optional(),
  slowStart: slowStartSchema,
  healthCheck: healthCheckSchema.optional(),
  outlierDetection: outlierDetectionSchema.prefault({}),
  retries: retriesSchema.prefault({}).describe('Retrying failed tries on other targets.'),
  timeouts: upstreamTimeoutsSchema.prefault({}).describe('Upstream timeouts (routes may override responseHeaders and idle).'),
  maxConnectionsPerTarget: z.number().int().min(1).default(1024).describe('Most connections open to one target; requests beyond wait for a free connection.'),
  maxPending: z.number().int().min(0).default(1024).describe('Most requests waiting for a connection to one target (all its connections busy); beyond this the request fails at once with 503.'),
  tls: upstreamTlsSchema.prefault({}).describe('TLS settings for https:// targets.'),
  protocol: z
    .enum(['http1', 'http2'])
    .default('http1')
    .describe(
      'Protocol spoken to the targets. http1: HTTP/1.1 on pooled keep-alive connections (the fast path). http2: one HTTP/2 connection per target with requests multiplexed on it (RFC 9113) — https:// targets negotiate h2 by ALPN, http:// targets get cleartext h2c with prior knowledge; needed for gRPC, which also needs HTTP/2 from the client. Health checks (healthCheck) still use HTTP/1.1.',
    ),
});

export const upstreamsSchema = z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'upstream names use letters, digits, _ . -'), upstreamSchema).default({}).describe('Named groups of origin servers.');

export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type UpstreamTimeouts = z.output<typeof upstreamTimeoutsSchema>;
export type RetriesConfig = z.output<typeof retriesSchema>;
