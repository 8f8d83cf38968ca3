/**
 * `POST /api/cache/purge`: removes stored responses from the shared cache (cache/purge.ts) on
 * the operator's word. The JSON body names exactly one of:
 *   { "url": "https://host/path?q" }  every variant stored for that URL,
 *   { "prefix": "https://host/path" } every URL starting with it (scheme, host, path),
 *   { "tag": "product-42" }           every response tagged by Cache-Tag / Surrogate-Key.
 * Answers { "purged": N }, N the number of stored responses removed. Behind the admin token
 * like every /api endpoint (server.ts checks it before any endpoint runs).
 */
import type { AdminHost } from './host.js';
import type { AdminReply, AdminRequest } from './routes.js';

const KINDS = ['url', 'prefix', 'tag'] as const;

function reply(status: number, value: unknown): AdminReply {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

function error(status: number, code: string, message: string): AdminReply {
  return reply(status, { error: { code, message } });
}

export async function purgeCache(host: AdminHost, req: AdminRequest): Promise<AdminReply> {
  const named = KINDS.filter((k) => req.body?.[k] !== undefined);
  if (named.length !== 1) return error(400, 'BAD_REQUEST', 'name exactly one of url, prefix or tag in a JSON body');
  const kind = named[0]!;
  const value = req.body![kind];
  if (typeof value !== 'string' || value === '') return error(400, 'BAD_REQUEST', `${kind} must be a non-empty string`);
  if (kind !== 'tag' && !/^https?:\/\/[^/?#]+/i.test(value)) return error(400, 'BAD_REQUEST', `${kind} must be an absolute http(s) URL (scheme and host at least)`);
  const cache = host.runtime().cache;
  if (cache === undefined) return reply(200, { purged: 0 });
  const purged = await (kind === 'url' ? cache.purge({ url: value }) : kind === 'prefix' ? cache.purge({ prefix: value }) : cache.purge({ tag: value }));
  return reply(200, { purged });
}
