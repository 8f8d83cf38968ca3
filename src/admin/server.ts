/**
 * The admin listener: a plain node:http server on its own address (admin.address), separate
 * from the proxy's listeners so it can stay on loopback or behind a token. Bodies are small
 * JSON (64 KiB at most). The token is read from the current config, so a reload can rotate it.
 * The live dashboard (dashboard/) is answered first: its page is HTML and its event stream never ends.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { parseAddress } from '../server/config.js';
import { isAuthorized } from './auth.js';
import { handleDashboard } from './dashboard/handler.js';
import { DashboardSampler } from './dashboard/sampler.js';
import type { AdminHost } from './host.js';
import { sharedState } from '../state/index.js';
import { adminError, allowedMethods, ENDPOINTS, type AdminReply, type AdminRequest } from './routes.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | AdminReply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(adminError(413, 'BODY_TOO_LARGE', `admin request bodies are limited to ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(adminError(400, 'BAD_REQUEST', 'the request body could not be read')));
  });
}

type Parsed = { ok: true; body: Record<string, unknown> | undefined } | { ok: false; reply: AdminReply };

function parseBody(text: string): Parsed {
  if (text.trim() === '') return { ok: true, body: undefined };
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ok: true, body: value as Record<string, unknown> };
  } catch {
    // reported below
  }
  return { ok: false, reply: adminError(400, 'BAD_REQUEST', 'the body must be a JSON object') };
}

/**
 * GET /healthz: liveness and readiness probes (Kubernetes, load balancers). Answered without the
 * token, from any address: it reveals nothing but that the process serves (and whether shared
 * state is in use, which never makes it unhealthy: Redis failures fall back to local state).
 */
function health(): AdminReply {
  const redis = sharedState.stats;
  const body = { status: 'ok', redis: redis === undefined ? 'off' : redis.up === 1 ? 'up' : 'degraded' };
  return { status: 200, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(body)}\n` };
}

async function answer(host: AdminHost, metrics: ProxyMetrics, req: IncomingMessage): Promise<AdminReply> {
  if ((req.method === 'GET' || req.method === 'HEAD') && (req.url === '/healthz' || req.url?.startsWith('/healthz?'))) return health();
  if (!isAuthorized(req.headers.authorization, host.runtime().config.admin?.token)) {
    return adminError(401, 'UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer <admin.token>)');
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  const endpoint = ENDPOINTS.get(`${method} ${url.pathname}`);
  if (endpoint === undefined) {
    const allowed = allowedMethods(url.pathname);
    return allowed.length > 0
      ? adminError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} accepts ${allowed.join(', ')}`)
      : adminError(404, 'NOT_FOUND', `no admin endpoint ${url.pathname}`);
  }
  const text = await readBody(req);
  if (typeof text !== 'string') return text;
  const parsed = parseBody(text);
  if (!parsed.ok) return parsed.reply;
  const request: AdminRequest = { method, path: url.pathname, query: url.searchParams, body: parsed.body };
  return endpoint(host, request, metrics);
}

function send(res: ServerResponse, reply: AdminReply, head: boolean): void {
  const headers: Record<string, string | number> = {
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
  };
  if (reply.status === 401) headers['www-authenticate'] = 'Bearer realm="barbican-admin"';
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : reply.body);
}

/** Starts the admin listener on `address`. */
export async function startAdminServer(address: string, host: AdminHost, metrics: ProxyMetrics, logger: Logger): Promise<AdminServer> {
  const { host: bindHost, port } = parseAddress(address);
  // The dashboard (GET /, its assets, GET /api/events) samples once a second while the listener is up.
  const sampler = new DashboardSampler(host, metrics);
  const server: Server = createServer((req, res) => {
    if (handleDashboard(req, res, host, sampler)) return;
    answer(host, metrics, req).then(
      (reply) => send(res, reply, req.method === 'HEAD'),
      (err: unknown) => {
        logger.error({ err }, 'admin request failed');
        send(res, adminError(500, 'INTERNAL', 'the admin request failed; see the log'), false);
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`admin listener: cannot listen on ${address}: ${err.code ?? err.message}`)));
    // exclusive: in a cluster worker (workers > 1, worker 1) the admin socket is its own, not
    // shared through the primary, which would merge it with a proxy listener on the same port-0 key.
    server.listen({ host: bindHost, port, exclusive: true }, () => resolve());
  });
  sampler.start();
  const bound = server.address();
  return {
    host: bindHost,
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        sampler.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
