/** Schema for `upstreams.<name>`: the origin servers requests are forwarded to. */
import { z } from 'zod';
import { duration } from '../config/units.js';

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

export const upstreamSchema = z.strictObject({
  targets: z.array(targetSchema).min(1).describe('Servers of this upstream.'),
  balancer: z.enum(['roundRobin']).default('roundRobin').describe('How a target is chosen: roundRobin (smooth weighted).'),
  timeouts: upstreamTimeoutsSchema.prefault({}).describe('Upstream timeouts (routes may override responseHeaders and idle).'),
  maxConnectionsPerTarget: z.number().int().min(1).default(1024).describe('Most connections open to one target; requests beyond wait for a free connection.'),
  tls: upstreamTlsSchema.prefault({}).describe('TLS settings for https:// targets.'),
});

export const upstreamsSchema = z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'upstream names use letters, digits, _ . -'), upstreamSchema).default({}).describe('Named groups of origin servers.');

export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type UpstreamTimeouts = z.output<typeof upstreamTimeoutsSchema>;
