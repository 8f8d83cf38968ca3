// Shared helpers for integration tests: real origins, the real proxy process, raw clients.
// Everything listens on 127.0.0.1 port 0 and is closed by the returned close() functions.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'barbican.js');

/**
 * Starts a node:http origin on 127.0.0.1:0. `handler(req, res)` defaults to an echo of the
 * request as JSON. Returns { url, port, server, requests, close() } where `requests` records
 * { method, url, headers, rawHeaders } of every request received.
 */
export async function startOrigin(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    if (handler) return handler(req, res);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length }));
    });
  });
  return { ...(await listenTracked(server)), server, requests };
}

/** Listens on 127.0.0.1:0, tracking sockets so close() can end them: { url, port, sockets, close() }. */
async function listenTracked(server) {
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r()));
    },
  };
}

/**
 * Starts a raw TCP "origin" on 127.0.0.1:0 for misbehaving targets: `onConnection(socket)` does
 * whatever the test needs. Returns { url, port, connections(), close() }.
 */
export async function startRawOrigin(onConnection) {
  const origin = await listenTracked(net.createServer(onConnection));
  return { ...origin, connections: () => origin.sockets.size };
}

/** A port on 127.0.0.1 that was free a moment ago (for configs that must name their port in advance). */
export async function freePort() {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * An address where nothing listens (connect is refused). It is on 127.0.0.2: every test server
 * binds 127.0.0.1 only, so a later listen(0) that reuses the port cannot bring it to life.
 */
export async function deadAddress() {
  const s = net.createServer();
  s.listen(0, '127.0.0.2');
  await once(s, 'listening');
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.2:${port}`;
}

/**
 * Starts the real proxy (`node bin/barbican.js --config <file>`) with `config` (an object,
 * written as YAML). Listener addresses default to 127.0.0.1:0; the bound ports are read from
 * the proxy's log. Returns { url, port, ports, proc, stdout(), stderr(), close(signal) }.
 */
export async function startProxy(config, { env = {}, timeoutMs = 10_000, args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'barbican-test-'));
  const full = {
    listeners: [{ name: 'web', address: '127.0.0.1:0' }],
    logging: { level: 'info', accessLog: { format: 'json', output: 'stdout' } },
    ...config,
  };
  const file = join(dir, 'barbican.yaml');
  writeFileSync(file, stringify(full));
  const proc = spawn(process.execPath, [BIN, '--config', file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  const ports = {};
  const ready = new Promise((resolve, reject) => {
    // (The bound ports are read from info-level log lines: a config with a higher log level
    // never reports them. The proxy is killed so a failed start leaves nothing running.)
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`proxy did not start (log level must be info or debug):\n${err}`));
    }, timeoutMs);
    proc.stderr.on('data', (d) => {
      err += d;
      for (const line of err.split('\n')) {
        const m = /"listener":"([^"]+)","address":"[^"]*:(\d+)"/.exec(line);
        if (m) ports[m[1]] = Number(m[2]);
      }
      if (Object.keys(ports).length >= full.listeners.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}:\n${err}`));
    });
  });
  await ready;
  const port = ports[full.listeners[0].name];
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    ports,
    proc,
    dir,
    stdout: () => out,
    stderr: () => err,
    /** Access log records (JSON lines on stdout). */
    accessLog: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)),
    /**
     * The access log records matching `match`, once there are `count` of them (lines are
     * written up to 100 ms after a request ends: observability/access-log.ts); after
     * `timeoutMs`, whatever matched by then.
     */
    async waitForLog(match, { count = 1, timeoutMs = 5000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = this.accessLog().filter(match);
        if (found.length >= count || Date.now() > deadline) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        await once(proc, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

/** Minimal config for one upstream and one catch-all route (merge more keys over it). */
export function simpleConfig(originUrl, route = {}, extra = {}) {
  return {
    upstreams: { origin: { targets: [{ url: originUrl }] } },
    routes: [{ name: 'main', upstream: 'origin', ...route }],
    ...extra,
  };
}

/**
 * Sends raw bytes to host:port and collects everything until the server closes the connection
 * or `idleMs` passes with no data. Returns { data: string, closed: boolean }.
 */
export async function rawRequest(port, payload, { idleMs = 1000 } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.write(payload);
  await new Promise((resolve) => {
    let timer = setTimeout(resolve, idleMs);
    socket.on('data', () => {
      clearTimeout(timer);
      timer = setTimeout(resolve, idleMs);
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
  });
  socket.destroy();
  return { data, closed };
}

/** An http.request wrapper resolving { status, headers, body: Buffer }. */
export function request(url, { method = 'GET', headers = {}, body, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/**
 * A request to the proxy's admin listener (admin.address set to 127.0.0.1:0 by the test; the
 * port is read from the log). `token` is sent as a bearer token; a `json` body is serialized.
 * Resolves { status, headers, body, json() }.
 */
export async function adminRequest(proxy, path, { method = 'GET', token, json, headers = {} } = {}) {
  const port = await adminPort(proxy);
  const h = { ...headers };
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    h['content-type'] = 'application/json';
  }
  const res = await request(`http://127.0.0.1:${port}${path}`, { method, headers: h, body });
  return { ...res, json: () => JSON.parse(res.body.toString()) };
}

/** Rewrites the proxy's config file (`proxy.dir/barbican.yaml`) with `config` merged over the test defaults. */
export function rewriteConfig(proxy, config) {
  const full = {
    listeners: [{ name: 'web', address: '127.0.0.1:0' }],
    logging: { level: 'info', accessLog: { format: 'json', output: 'stdout' } },
    ...config,
  };
  writeFileSync(join(proxy.dir, 'barbican.yaml'), typeof config === 'string' ? config : stringify(full));
}

/** The admin listener's port, read from the proxy's log (it is logged just after the proxy's listeners). */
export async function adminPort(proxy, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (proxy.ports.admin === undefined) {
    const m = /"listener":"admin","address":"[^"]*:(\d+)"/.exec(proxy.stderr());
    if (m) proxy.ports.admin = Number(m[1]);
    else if (Date.now() > deadline) throw new Error('the proxy has no admin listener (set admin.address)');
    else await new Promise((r) => setTimeout(r, 10));
  }
  return proxy.ports.admin;
}

/**
 * A WebSocket origin (the `ws` package on a node:http server, 127.0.0.1:0) that echoes every
 * message with its type. `onUpgrade(req, socket, head, accept)` may answer the handshake itself
 * (refuse it, delay it); `accept()` completes it. Plain HTTP requests get 200 "plain".
 * Returns { url, port, wss, handshakes, sockets, close() }; `handshakes` records the headers of
 * each upgrade request received.
 */
export async function startWebSocketOrigin({ onUpgrade, onConnection } = {}) {
  const { WebSocketServer } = await import('ws');
  const handshakes = [];
  const server = http.createServer((req, res) => res.end('plain'));
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] ?? false });
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (onConnection) return onConnection(ws, req);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  server.on('upgrade', (req, socket, head) => {
    handshakes.push({ url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    socket.on('error', () => {});
    const accept = () => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    if (onUpgrade) onUpgrade(req, socket, head, accept);
    else accept();
  });
  const origin = await listenTracked(server);
  return {
    ...origin,
    wss,
    handshakes,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await origin.close();
    },
  };
}

/**
 * Reads the admin listener's Server-Sent Events from `path` (GET /api/events) with node's http
 * until `until(event)` is true; resolves the events seen, each { fields, data } (data parsed).
 */
export function readEvents(port, path, headers, until, timeoutMs = 8000) {
  return new Promise((resolve, reject) => {
    const events = [];
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      if (!/^text\/event-stream/.test(res.headers['content-type'] ?? '')) return reject(new Error(`content-type ${res.headers['content-type']}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = { fields: {} };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            event.fields[name] = name in event.fields ? `${event.fields[name]}\n${value}` : value;
          }
          if (event.fields.event === undefined) continue; // the retry block
          event.data = JSON.parse(event.fields.data);
          events.push(event);
          if (until(event)) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', (err) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`no matching event within ${timeoutMs} ms (${events.length} seen)`));
    }, timeoutMs).unref();
  });
}

/** { slot: pid } of the workers answering now (workers > 1), from the admin listener's /api/status. */
export async function workerPids(proxy) {
  const status = (await adminRequest(proxy, '/api/status')).json();
  return Object.fromEntries(status.workers.filter((w) => w.answered).map((w) => [w.slot, w.pid]));
}
