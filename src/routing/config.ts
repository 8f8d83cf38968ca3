/** Schema for `routes[]`: how requests are matched and what is done with them. */
import { z } from 'zod';
import { duration, size } from '../config/units.js';
import { accessSchema, rateLimitKeyIsChecked, rateLimitSchema } from '../access/config.js';
import { routeCacheSchema } from '../cache/config.js';
import { routeCompressionSchema } from '../compression/config.js';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.1 token
const headerName = z.string().regex(HEADER_NAME, 'expected a header name (RFC 9110 token)');
// RFC 9110 §5.5: field values must not contain CR, LF or NUL.
const headerValue = z.string().regex(/^[^\r\n\0]*$/, 'header values must not contain CR, LF or NUL');

const compilesAsRegex = (v: string) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};

export const matchSchema = z
  .strictObject({
    hosts: z.array(z.string().regex(/^(\*\.)?[A-Za-z0-9_.:[\]-]+$/, 'expected a host name, optionally starting with *.')).min(1).optional()
      .describe('Host names (exact, or *.example.com for any subdomain); the port is ignored.'),
    path: z.string().startsWith('/').optional().describe('Exact path.'),
    pathPrefix: z.string().startsWith('/').optional().describe('Path prefix (a plain string prefix).'),
    pathRegex: z.string().refine(compilesAsRegex, 'expected a valid regular expression').optional().describe('Regular expression tested against the path.'),
    methods: z.array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Z]+$/, 'expected an upper-case method such as GET')).min(1).optional().describe('Request methods (a route listing GET also matches HEAD).'),
    headers: z.record(headerName, headerValue).optional().describe('Request headers that must have exactly these values.'),
  })
  .refine((m) => [m.path, m.pathPrefix, m.pathRegex].filter((v) => v !== undefined).length <= 1, 'use only one of path, pathPrefix, pathRegex')
  .describe('All given conditions must hold. An empty match matches every request.');

export const headerEditsSchema = z.strictObject({
  set: z.record(headerName, headerValue).default({}).describe('Headers set (replacing any existing value).'),
  add: z.record(headerName, headerValue).default({}).describe('Headers appended (kept beside existing values).'),
  remove: z.array(headerName).default([]).describe('Headers removed.'),
});

export const rewriteSchema = z.strictObject({
  stripPrefix: z.string().startsWith('/').optional().describe('Prefix removed from the path before forwarding.'),
  addPrefix: z.string().startsWith('/').optional().describe('Prefix added to the path before forwarding (after stripPrefix).'),
  host: z.string().min(1).default('keep').describe('Host header sent upstream: keep (the client\'s), target (the target\'s host:port) or a literal host.'),
});

export const redirectSchema = z.strictObject({
  to: z.string().min(1).describe('Location; {scheme}, {host}, {path} and {query} (with its leading ?) are replaced.'),
  status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(308).describe('Redirect status.'),
});

export const respondSchema = z.strictObject({
  status: z.number().int().min(200).max(599).default(200).describe('Status code.'),
  body: z.string().default('').describe('Response body.'),
  headers: z.record(headerName, headerValue).default({}).describe('Response headers.'),
});

export const routeTimeoutsSchema = z.strictObject({
  responseHeaders: duration().optional().describe('Overrides the upstream responseHeaders timeout.'),
  idle: duration().optional().describe('Overrides the upstream idle timeout.'),
  websocketIdle: duration().optional().describe('Overrides server.limits.websocketIdleTimeout for WebSocket tunnels of this route.'),
});

export const routeSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('Name used in logs (default: route-<index>).'),
    match: matchSchema.prefault({}),
    upstream: z.string().optional().describe('Name of the upstream to forward to.'),
    redirect: redirectSchema.optional().describe('Answer with a redirect.'),
    respond: respondSchema.optional().describe('Answer with a fixed response.'),
    rewrite: rewriteSchema.optional().describe('Changes made to the request before it is forwarded.'),
    requestHeaders: headerEditsSchema.optional().describe('Header edits on the request sent upstream.'),
    responseHeaders: headerEditsSchema.optional().describe('Header edits on the response sent to the client.'),
    maxBodyBytes: size().optional().describe('Largest request body for this route (default server.limits.maxBodyBytes).'),
    timeouts: routeTimeoutsSchema.optional().describe('Per-route upstream timeouts.'),
    access: accessSchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    cache: routeCacheSchema.optional(),
    compression: routeCompressionSchema.optional(),
    websocket: z
      .boolean()
      .default(true)
      .describe('Proxy WebSocket handshakes (RFC 6455 Upgrade) on this route: once the target answers 101 the connection becomes a tunnel. On by default, as in Caddy and Traefik (nginx needs explicit Upgrade/Connection lines, a common trap). false answers upgrade requests 501 REQUEST_UPGRADE_UNSUPPORTED without asking the target.'),
  })
  .refine((r) => [r.upstream, r.redirect, r.respond].filter((v) => v !== undefined).length === 1, 'a route needs exactly one of upstream, redirect, respond')
  .refine(rateLimitKeyIsChecked, { message: 'rateLimit key jwt:CLAIM needs access.jwt, and key apiKey needs access.apiKeys', path: ['rateLimit', 'key'] });

export const routesSchema = z.array(routeSchema).min(1).describe('Routes, tried in order; the first match wins.');

export type RouteConfig = z.output<typeof routeSchema>;
export type MatchConfig = z.output<typeof matchSchema>;
export type HeaderEditsConfig = z.output<typeof headerEditsSchema>;
