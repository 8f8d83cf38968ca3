/**
 * Forward authentication: before each request, ask an authentication service (like Traefik's
 * ForwardAuth or nginx's auth_request).
 *
 * The sub-request is a GET to the configured URL through undici (not on the per-request hot
 * path of proxying, docs/architecture.md), carrying X-Forwarded-Method / -Proto / -Host / -Uri /
 * -For, X-Request-Id and the configured client headers. A 2xx answer lets the request through
 * and the listed answer headers are set on the upstream request. Any other answer — status,
 * headers (less hop-by-hop, framing and hidden ones) and a body of at most 64 KiB — goes back to
 * the client as it is (a login redirect works). When the service cannot be asked (refused,
 * timeout, oversized answer) the client gets 503: access is never granted when the check
 * cannot be made.
 */
import { lazyModule } from '../lazy-module.js';
import type { ForwardAuthConfig } from './config.js';
import { denial, type AccessContext, type AccessRequest, type AccessRule, type RuleVerdict } from './request.js';
import { ProxyError } from '../errors/index.js';
import type { HeaderNameSet } from '../upstream/header-names.js';

/** undici, loaded with the first forward-auth rule's first sub-request (lazy-module.ts). */
const undici = lazyModule<typeof import('undici')>('undici');

/** Largest answer body passed on to the client. */
export const MAX_AUTH_BODY_BYTES = 64 * 1024;

/** Not passed on from the service's answer: RFC 9110 §7.6.1 hop-by-hop, framing (the writer frames), Date (set by Barbican). */
const NOT_PASSED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'date']);

type HeaderValues = Record<string, string | string[] | undefined>;

function answerHeaders(headers: HeaderValues, hidden: HeaderNameSet): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_PASSED.has(name) || hidden.has(name)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/** Reads at most `limit` bytes of a body; undefined (and the body destroyed) beyond that. */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function failure(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    if ('code' in err && typeof err.code === 'string') return err.code;
    if ('name' in err && typeof err.name === 'string') return err.name;
  }
  return 'error';
}

export function createForwardAuthRule(config: ForwardAuthConfig, hiddenResponseHeaders: HeaderNameSet): AccessRule {
  const url = config.url;
  const timeout = config.timeout;
  const copyRequest = config.copyRequestHeaders.map((h) => h.toLowerCase());
  const copyResponse = config.copyResponseHeaders.map((h) => h.toLowerCase());

  async function ask(req: AccessRequest, ctx: AccessContext): Promise<RuleVerdict> {
    const headers: Record<string, string> = {
      'x-forwarded-method': req.method,
      'x-forwarded-proto': req.req.scheme,
      'x-forwarded-host': req.host,
      'x-forwarded-uri': req.path + req.query,
      'x-forwarded-for': req.clientIp,
      'x-request-id': req.requestId,
    };
    for (const name of copyRequest) {
      const value = req.header(name);
      if (value !== undefined) headers[name] = value;
    }
    let answer;
    try {
      answer = await undici().request(url, { method: 'GET', headers, headersTimeout: timeout, bodyTimeout: timeout, signal: AbortSignal.timeout(timeout) });
    } catch (err) {
      return denial('AUTH_SERVICE_UNAVAILABLE', `forward auth: ${failure(err)}`);
    }
    const status = answer.statusCode;
    if (status >= 200 && status < 300) {
      // The body is not needed; reading it lets the connection be reused.
      await answer.body.dump().catch(() => undefined);
      for (const name of copyResponse) {
        const value = answer.headers[name];
        if (Array.isArray(value)) for (const v of value) ctx.setUpstreamHeader(name, v);
        else if (value !== undefined) ctx.setUpstreamHeader(name, value);
      }
      return undefined;
    }
    let body: Buffer | undefined;
    try {
      body = await readBounded(answer.body, MAX_AUTH_BODY_BYTES);
    } catch (err) {
      return denial('AUTH_SERVICE_UNAVAILABLE', `forward auth: ${failure(err)} reading the answer`);
    }
    if (body === undefined) return denial('AUTH_SERVICE_UNAVAILABLE', `forward auth: answer body over ${MAX_AUTH_BODY_BYTES} bytes`);
    return {
      kind: 'respond',
      status,
      headers: answerHeaders(answer.headers, hiddenResponseHeaders),
      body,
      error: new ProxyError('AUTH_SERVICE_DENIED', `forward auth answered ${status}`),
    };
  }

  return { check: ask };
}
