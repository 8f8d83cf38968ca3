/**
 * The admin API's endpoints: one small function each, from a parsed request to a reply. No
 * framework: this is the operator's door, not the hot path.
 */
import type { ProxyMetrics } from '../observability/metrics.js';
import { purgeCache } from './cache-routes.js';
import type { AdminHost } from './host.js';
import { redact } from './redaction.js';
import { status, targetStatus } from './status.js';

export interface AdminRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The body parsed as JSON (an object), or undefined when empty. */
  body: Record<string, unknown> | undefined;
}

export interface AdminReply {
  status: number;
  contentType: string;
  body: string;
}

function json(statusCode: number, value: unknown): AdminReply {
  return { status: statusCode, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

/** A JSON error body: { error: { code, message } }. */
export function adminError(statusCode: number, code: string, message: string): AdminReply {
  return json(statusCode, { error: { code, message } });
}

/** A parameter from the JSON body or, failing that, the query string. */
function param(req: AdminRequest, name: string): string | undefined {
  const fromBody = req.body?.[name];
  if (typeof fromBody === 'string') return fromBody;
  return req.query.get(name) ?? undefined;
}

/** Trailing slashes do not distinguish target URLs (http://a:1 and http://a:1/ are one target). */
function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/**
 * POST /api/targets/drain and /undrain: the target leaves (or rejoins) the rotation; requests
 * already sent to it finish. It stays drained across reloads that keep it. With workers, every
 * worker applies it (through the supervisor, which also tells workers restarted later) and the
 * answer waits for each serving worker: 200 once all have it, 504 DRAIN_INCOMPLETE naming the
 * workers that did not answer (the drain stays recorded; ask again to confirm).
 */
async function setDraining(host: AdminHost, req: AdminRequest, draining: boolean): Promise<AdminReply> {
  const upstreamName = param(req, 'upstream');
  const url = param(req, 'target');
  if (upstreamName === undefined || url === undefined) return adminError(400, 'BAD_REQUEST', 'name the target: upstream and target (its url), in a JSON body or the query');
  const upstream = host.runtime().upstreams.get(upstreamName);
  if (upstream === undefined) return adminError(404, 'UNKNOWN_UPSTREAM', `no upstream ${JSON.stringify(upstreamName)}`);
  const target = upstream.targets.find((t) => sameUrl(t.url, url));
  if (target === undefined) return adminError(404, 'UNKNOWN_TARGET', `upstream ${upstreamName} has no target ${JSON.stringify(url)}`);
  if (host.cluster === undefined) {
    host.setDraining(target.state.id, draining);
    return json(200, { upstream: upstreamName, target: targetStatus(target, Date.now()) });
  }
  const workers = await host.cluster.setDraining(target.state.id, draining);
  const body = { upstream: upstreamName, target: targetStatus(target, Date.now()), workers };
  const silent = workers.filter((w) => w.state === 'no-answer').map((w) => w.slot);
  if (silent.length === 0) return json(200, body);
  const message = `worker${silent.length > 1 ? 's' : ''} ${silent.join(', ')} did not confirm the ${draining ? 'drain' : 'undrain'} in time and may still ${draining ? 'send requests to' : 'keep out'} the target; the others have it`;
  return json(504, { error: { code: 'DRAIN_INCOMPLETE', message }, ...body });
}

export type Endpoint = (host: AdminHost, req: AdminRequest, metrics: ProxyMetrics) => AdminReply | Promise<AdminReply>;

/** `METHOD path` → endpoint. */
export const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  [
    'GET /metrics',
    async (host, _req, metrics) => {
      if (!host.runtime().config.metrics.enabled) return adminError(404, 'METRICS_DISABLED', 'metrics.enabled is false');
      return { status: 200, contentType: metrics.contentType, body: await metrics.exposition() };
    },
  ],
  ['GET /api/status', async (host) => json(200, await status(host))],
  ['GET /api/config', (host) => json(200, redact(host.runtime().config))],
  [
    'POST /api/reload',
    async (host) => {
      const report = await host.reload('admin API');
      return json(report.ok ? 200 : 422, report);
    },
  ],
  ['POST /api/targets/drain', (host, req) => setDraining(host, req, true)],
  ['POST /api/targets/undrain', (host, req) => setDraining(host, req, false)],
  ['POST /api/cache/purge', purgeCache],
]);

/** The methods a path answers to (for 405 and Allow). */
export function allowedMethods(path: string): string[] {
  const methods: string[] = [];
  for (const key of ENDPOINTS.keys()) {
    const [method, p] = key.split(' ');
    if (p === path) methods.push(method!);
  }
  return methods;
}
