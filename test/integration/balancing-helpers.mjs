// Helpers for the load-balancing tests: origins that name themselves and can be stopped and
// started again on the same port, and a bounded load loop.
import { once } from 'node:events';
import http from 'node:http';

/**
 * An origin answering `name` (and x-origin: name) on 127.0.0.1; `port` 0 picks one. `handler`
 * may take over (req, res). stop() closes it (connections reset, then refused); start() listens
 * again on the same port. `hits` counts requests (health checks excluded: path /healthz).
 */
export async function namedOrigin(name, { port = 0, handler, health } = {}) {
  const o = { name, hits: 0, healthHits: 0, healthStatus: 200, server: null, port, sockets: new Set() };
  const onRequest = (req, res) => {
    if (req.url === '/healthz') {
      o.healthHits++;
      res.writeHead(health ? health(req) : o.healthStatus, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    o.hits++;
    if (handler) return handler(req, res, o);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': name });
      res.end(`${name} ${Buffer.concat(chunks).length}`);
    });
  };
  o.start = async () => {
    o.server = http.createServer(onRequest);
    o.server.keepAliveTimeout = 30_000;
    o.server.on('connection', (s) => {
      o.sockets.add(s);
      s.on('close', () => o.sockets.delete(s));
      s.on('error', () => {});
    });
    o.server.listen(o.port, '127.0.0.1');
    await once(o.server, 'listening');
    o.port = o.server.address().port;
    o.url = `http://127.0.0.1:${o.port}`;
  };
  /** Stops like a killed process: every connection reset, the port refuses. */
  o.stop = async () => {
    if (!o.server) return;
    const server = o.server;
    o.server = null;
    for (const s of o.sockets) s.resetAndDestroy ? s.resetAndDestroy() : s.destroy();
    await new Promise((r) => server.close(() => r()));
  };
  await o.start();
  return o;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One GET through the proxy: { status, origin, headers, body } (status 0 on a network error). */
export function get(url, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, origin: res.headers['x-origin'], headers: res.headers, body }));
      res.on('error', (err) => resolve({ status: 0, error: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
  });
}

/**
 * Sends `total` GETs to `url` with `concurrency` in flight; `onResult(result, index)` sees each.
 * Returns the results in completion order.
 */
export async function loadLoop(url, { total, concurrency, headers, onResult }) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < total) {
      const i = next++;
      const r = await get(url, typeof headers === 'function' ? headers(i) : headers);
      results.push(r);
      onResult?.(r, i);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Counts results by `key(result)`. */
export function tally(results, key = (r) => r.origin) {
  const counts = {};
  for (const r of results) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
  return counts;
}

export function closeAgent() {
  agent.destroy();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Per-file fixtures: origins and proxies (one upstream `app`, one route) that `closeAll()`
 * stops, for use in `after(...)`.
 */
export function lbFixtures(startProxy) {
  const cleanup = [];
  const fixtures = {
    /** Named origins answering their name. */
    async origins(...names) {
      const list = await Promise.all(names.map((n) => namedOrigin(n)));
      for (const o of list) cleanup.push(() => o.stop());
      return list;
    },
    /** One named origin with its own handler(req, res, origin). */
    async origin(name, handler) {
      const o = await namedOrigin(name, { handler });
      cleanup.push(() => o.stop());
      return o;
    },
    /** The real proxy with `upstream` as upstream `app` behind a catch-all route. */
    async proxyFor(upstream, { accessLog = 'off' } = {}) {
      const proxy = await startProxy({ upstreams: { app: upstream }, routes: [{ name: 'main', upstream: 'app' }], logging: { level: 'info', accessLog: { format: accessLog } } });
      cleanup.push(() => proxy.close());
      return proxy;
    },
    async closeAll() {
      for (const fn of cleanup.reverse()) await fn();
      closeAgent();
    },
  };
  return fixtures;
}
