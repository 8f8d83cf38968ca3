// Process lifecycle of the real binary: graceful shutdown on SIGTERM / SIGINT lets in-flight
// requests finish, refuses new connections, closes idle ones, and is bounded by
// server.shutdownTimeout.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { startOrigin, startProxy, simpleConfig } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An origin that answers every request after `delayMs`. */
function slowOrigin(delayMs) {
  return startOrigin((req, res) => {
    req.resume();
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`done ${req.url}`);
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
}

/** GET resolving { status, headers, body, complete } or { error } (never rejects). */
function get(url, agent = false) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, complete: res.complete }));
      res.on('error', (error) => resolve({ status: res.statusCode, error }));
    });
    req.on('error', (error) => resolve({ error }));
  });
}

/** Resolves with the error code of a connect attempt, or 'connected'. */
function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e) => resolve(e.code));
  });
}

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The exit of the proxy process: { code, signal, ms } measured from `t0`. */
function exitOf(proc, t0) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode, ms: 0 });
  return once(proc, 'exit').then(([code, signal]) => ({ code, signal, ms: performance.now() - t0 }));
}

describe('graceful shutdown', () => {
  const cleanup = [];

  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c.close();
  });

  for (const signal of ['SIGTERM', 'SIGINT']) {
    it(`${signal}: the in-flight request completes with 200, new connections are refused, idle ones closed, exit 0`, async () => {
      const origin = await slowOrigin(1000);
      cleanup.push(origin);
      const proxy = await startProxy(simpleConfig(origin.url, {}, { server: { shutdownTimeout: '10s', limits: { keepAliveTimeout: '30s' } } }));
      cleanup.push(proxy);

      // An idle keep-alive client connection (served once, then idle).
      const idle = net.connect(proxy.port, '127.0.0.1');
      idle.on('error', () => {});
      let idleData = '';
      let idleClosed = false;
      idle.on('data', (d) => (idleData += d));
      idle.on('close', () => (idleClosed = true));
      await once(idle, 'connect');
      idle.write('GET /idle HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => idleData.includes('done /idle'), 3000, 'the idle connection to be served');

      const inFlight = get(`${proxy.url}/in-flight`);
      await waitFor(() => origin.requests.some((r) => r.url === '/in-flight'), 3000, 'the request to reach the origin');

      const t0 = performance.now();
      const exited = exitOf(proxy.proc, t0);
      proxy.proc.kill(signal);
      await waitFor(() => proxy.stderr().includes('shutting down'), 2000, 'the shutdown log line');

      assert.equal(await tryConnect(proxy.port), 'ECONNREFUSED', 'new connections are refused after the signal');
      await waitFor(() => idleClosed, 1000, 'the idle keep-alive connection to be closed');

      const res = await inFlight;
      assert.equal(res.error, undefined, `in-flight request failed: ${res.error?.message}`);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'done /in-flight');
      assert.equal(res.complete, true);
      assert.equal(res.headers.connection, 'close', 'the draining connection is not kept alive');

      const exit = await exited;
      assert.equal(exit.signal, null, 'exited by itself, not killed by the signal');
      assert.equal(exit.code, 0, `exit code (stderr:\n${proxy.stderr()})`);
      assert.ok(exit.ms >= 600, `waited for the in-flight request (${exit.ms.toFixed(0)} ms)`);
      assert.ok(exit.ms < 5000, `exited soon after it completed (${exit.ms.toFixed(0)} ms)`);
      assert.ok(proxy.accessLog().some((r) => r.path === '/in-flight' && r.status === 200), 'the in-flight request was logged');
    });
  }

  it('shutdownTimeout bounds the drain: origin takes 5 s, shutdownTimeout 500ms → exit within ~1.5 s', async () => {
    const origin = await slowOrigin(5000);
    cleanup.push(origin);
    const proxy = await startProxy(simpleConfig(origin.url, {}, { server: { shutdownTimeout: '500ms' } }));
    cleanup.push(proxy);

    const inFlight = get(`${proxy.url}/slow`);
    await waitFor(() => origin.requests.some((r) => r.url === '/slow'), 3000, 'the request to reach the origin');
    const t0 = performance.now();
    const exited = exitOf(proxy.proc, t0);
    proxy.proc.kill('SIGTERM');

    const exit = await exited;
    assert.equal(exit.signal, null);
    assert.equal(exit.code, 0, proxy.stderr());
    assert.ok(exit.ms >= 400, `drained for shutdownTimeout first (${exit.ms.toFixed(0)} ms)`);
    assert.ok(exit.ms < 1500, `exited within ~1.5 s (${exit.ms.toFixed(0)} ms)`);

    const res = await inFlight;
    assert.ok(res.error !== undefined || res.complete === false, 'the unfinished request was cut, not answered as complete');
  });

  it('a second signal during the drain exits at once', async () => {
    const origin = await slowOrigin(5000);
    cleanup.push(origin);
    const proxy = await startProxy(simpleConfig(origin.url, {}, { server: { shutdownTimeout: '10s' } }));
    cleanup.push(proxy);

    const inFlight = get(`${proxy.url}/slow`);
    await waitFor(() => origin.requests.some((r) => r.url === '/slow'), 3000, 'the request to reach the origin');
    const exited = exitOf(proxy.proc, performance.now());
    proxy.proc.kill('SIGTERM');
    await waitFor(() => proxy.stderr().includes('shutting down'), 2000, 'the shutdown log line');
    await sleep(100);
    assert.equal(proxy.proc.exitCode, null, 'still draining after the first signal');
    const t1 = performance.now();
    proxy.proc.kill('SIGTERM');
    const exit = await exited;
    assert.ok(performance.now() - t1 < 1000, 'exited promptly after the second signal');
    assert.notEqual(exit.code, 0, 'an interrupted drain does not report success');
    await inFlight;
  });
});
