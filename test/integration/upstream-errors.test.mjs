// Upstream failures as the client and the operator see them: each failure mode of a target
// becomes one error code (docs/errors.md) with its status, the request id in the response and
// in the proxy's error log line, and a cut connection when the response had already started.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { startOrigin, startProxy, startRawOrigin, request, deadAddress } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` with the first complete request head received on `socket`. */
function onRequestHead(socket, fn) {
  let buf = '';
  let done = false;
  socket.on('data', (d) => {
    if (done) return;
    buf += d.toString('latin1');
    if (buf.includes('\r\n\r\n')) {
      done = true;
      fn(buf);
    }
  });
}

/**
 * A listener whose accept queue is full and never drained: a child process listens with
 * backlog 1 and is then stopped (SIGSTOP), and a few sockets fill its queue. Further SYNs are
 * dropped by the kernel, so a connect neither succeeds nor is refused: it times out.
 * `reliable` says whether a probe connect really hung.
 */
async function startBlackhole() {
  const child = spawn(
    process.execPath,
    ['-e', "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>process.stdout.write(s.address().port+'\\n'))"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [d] = await once(child.stdout, 'data');
  const port = Number(String(d).trim());
  // A stopped child must not outlive this test process, whatever happens to it.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  process.kill(child.pid, 'SIGSTOP');
  const fillers = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
  }
  await sleep(200);
  const probe = net.connect(port, '127.0.0.1');
  let probeOutcome = 'hung';
  probe.on('connect', () => (probeOutcome = 'connected'));
  probe.on('error', (e) => (probeOutcome = e.code));
  await sleep(400);
  probe.destroy();
  return {
    url: `http://127.0.0.1:${port}`,
    reliable: probeOutcome === 'hung',
    probeOutcome,
    async close() {
      for (const s of fillers) s.destroy();
      process.removeListener('exit', killChild);
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/**
 * GET that reports how the response ended: { status, headers, body, complete, error, ms }.
 * `complete` is false when the connection was cut before the message ended.
 */
function fetchOutcome(url, { method = 'GET', headers = {}, body, agent = false } = {}) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (v) => {
      if (settled) return;
      settled = true;
      resolve({ ...v, ms: performance.now() - t0 });
    };
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => settle({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete, error: null }));
      res.on('error', (err) => settle({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: false, error: err }));
      res.on('close', () => settle({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete, error: null }));
    });
    req.on('error', (err) => settle({ status: undefined, headers: {}, body: Buffer.alloc(0), complete: false, error: err }));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** The proxy's operational log lines (JSON on stderr). */
function logLines(proxy) {
  const out = [];
  for (const line of proxy.stderr().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line still being written
    }
  }
  return out;
}

/** Waits (briefly) for an error log line naming `requestId` and `code` (any code if undefined). */
async function findLogLine(proxy, requestId, code, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLines(proxy).find((l) => l.requestId === requestId && (code === undefined ? typeof l.code === 'string' : l.code === code));
    if (line || Date.now() > deadline) return line;
    await sleep(25);
  }
}

/** Asserts the shape of an error response and its log line. */
async function assertErrorResponse(proxy, res, status, code) {
  assert.equal(res.status, status, `status (body: ${res.body})`);
  const body = res.body.toString();
  assert.match(body, new RegExp(`^code: ${code}$`, 'm'), `body names the code: ${body}`);
  const id = res.headers['x-request-id'];
  assert.ok(typeof id === 'string' && id.length > 0, 'X-Request-Id header present');
  assert.ok(body.includes(id), 'body names the request id');
  const line = await findLogLine(proxy, id, code);
  assert.ok(line, `stderr has a log line with requestId ${id} and code ${code}:\n${proxy.stderr()}`);
  assert.equal(line.status, status, 'log line status');
  return { id, line };
}

describe('upstream errors', () => {
  let proxy;
  let dead;
  let resetOrigin;
  let silentOrigin;
  let stallOrigin;
  let badOrigins;
  let keepAliveClosing;
  let staleOrigin;
  let blackhole;
  let closeMidBodyOrigin;
  let uploadOrigin;
  const closers = [];

  before(async () => {
    dead = await deadAddress();

    // Destroys the connection as soon as a request head has arrived.
    resetOrigin = await startRawOrigin((socket) => onRequestHead(socket, () => socket.destroy()));
    closers.push(resetOrigin);

    // Reads the request and never answers.
    silentOrigin = await startRawOrigin((socket) => socket.resume());
    closers.push(silentOrigin);

    // Sends the head and part of the body, then goes silent.
    stallOrigin = await startRawOrigin((socket) =>
      onRequestHead(socket, (head) => {
        if (head.startsWith('GET /stall/chunked')) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n');
        } else {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789');
        }
      }),
    );
    closers.push(stallOrigin);

    // Sends the head and part of the body, then closes its side cleanly (FIN).
    closeMidBodyOrigin = await startRawOrigin((socket) =>
      onRequestHead(socket, (head) => {
        if (head.startsWith('GET /close-mid/chunked')) socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n');
        else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      }),
    );
    closers.push(closeMidBodyOrigin);

    // Reads a request with a body slowly sent by the client, and answers once it is complete.
    uploadOrigin = await startOrigin((req, res) => {
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`received ${n}`);
      });
    });
    closers.push(uploadOrigin);

    // Answers with something that is not a valid HTTP/1.1 response.
    const badResponses = {
      '/bad/garbage': 'this is not http\r\n\r\n',
      '/bad/status': 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
      '/bad/content-length': 'HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nhello',
      '/bad/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      '/bad/header-space': 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n',
    };
    badOrigins = badResponses;
    const badOrigin = await startRawOrigin((socket) =>
      onRequestHead(socket, (head) => {
        const path = head.split(' ')[1];
        socket.write(badResponses[path] ?? 'HTTP/1.1 500 Unknown\r\nContent-Length: 0\r\n\r\n');
      }),
    );
    closers.push(badOrigin);

    // Keep-alive origin that closes idle connections quickly.
    keepAliveClosing = await startOrigin((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.url}`);
    });
    keepAliveClosing.server.keepAliveTimeout = 100;
    closers.push(keepAliveClosing);

    // Keep-alive origin that answers the first request of a connection and drops the
    // connection without answering when a second request arrives on it: the pool's stale
    // connection race, made deterministic.
    staleOrigin = await startOrigin((req, res) => {
      const socket = req.socket;
      socket.requestCount = (socket.requestCount ?? 0) + 1;
      if (socket.requestCount > 1) {
        socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`fresh ${req.method} ${req.url}`);
      });
    });
    staleOrigin.server.keepAliveTimeout = 30_000;
    closers.push(staleOrigin);

    blackhole = await startBlackhole();
    closers.push(blackhole);

    proxy = await startProxy({
      upstreams: {
        dead: { targets: [{ url: dead }] },
        reset: { targets: [{ url: resetOrigin.url }] },
        silent: { targets: [{ url: silentOrigin.url }], timeouts: { responseHeaders: '500ms' } },
        silentLong: { targets: [{ url: silentOrigin.url }], timeouts: { responseHeaders: '20s' } },
        stall: { targets: [{ url: stallOrigin.url }], timeouts: { idle: '500ms' } },
        blackhole: { targets: [{ url: blackhole.url }], timeouts: { connect: '300ms' } },
        bad: { targets: [{ url: badOrigin.url }] },
        keepalive: { targets: [{ url: keepAliveClosing.url }] },
        stale: { targets: [{ url: staleOrigin.url }] },
        closeMid: { targets: [{ url: closeMidBodyOrigin.url }] },
        upload: { targets: [{ url: uploadOrigin.url }], timeouts: { responseHeaders: '400ms' } },
      },
      routes: [
        { name: 'refused', match: { pathPrefix: '/refused' }, upstream: 'dead' },
        { name: 'reset', match: { pathPrefix: '/reset' }, upstream: 'reset' },
        { name: 'silent', match: { pathPrefix: '/silent/' }, upstream: 'silent' },
        // The route's responseHeaders wins over the upstream's (20 s).
        { name: 'silent-route', match: { pathPrefix: '/silent-route/' }, upstream: 'silentLong', timeouts: { responseHeaders: '300ms' } },
        { name: 'stall', match: { pathPrefix: '/stall/' }, upstream: 'stall' },
        { name: 'blackhole', match: { pathPrefix: '/blackhole' }, upstream: 'blackhole' },
        { name: 'bad', match: { pathPrefix: '/bad/' }, upstream: 'bad' },
        { name: 'keepalive', match: { pathPrefix: '/keepalive/' }, upstream: 'keepalive' },
        { name: 'stale', match: { pathPrefix: '/stale/' }, upstream: 'stale' },
        { name: 'close-mid', match: { pathPrefix: '/close-mid/' }, upstream: 'closeMid' },
        { name: 'upload', match: { pathPrefix: '/upload' }, upstream: 'upload' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    for (const c of closers) await c.close();
  });

  it('connection refused → 502 UPSTREAM_CONNECT_REFUSED', async () => {
    const res = await request(`${proxy.url}/refused`);
    const { line } = await assertErrorResponse(proxy, res, 502, 'UPSTREAM_CONNECT_REFUSED');
    assert.equal(line.upstream, 'dead');
    assert.equal(line.route, 'refused');
    // The error response never reveals the target address.
    assert.ok(!res.body.toString().includes(new URL(dead).port), 'target port not in the body');
  });

  it('an incoming valid X-Request-Id is kept in the error response and the log', async () => {
    const res = await request(`${proxy.url}/refused`, { headers: { 'x-request-id': 'test-refused-42' } });
    const { id } = await assertErrorResponse(proxy, res, 502, 'UPSTREAM_CONNECT_REFUSED');
    assert.equal(id, 'test-refused-42');
  });

  it('target resets the connection on the request → 502 UPSTREAM_RESET', async () => {
    const res = await request(`${proxy.url}/reset/x`);
    await assertErrorResponse(proxy, res, 502, 'UPSTREAM_RESET');
  });

  it('target never answers → 504 UPSTREAM_RESPONSE_TIMEOUT after timeouts.responseHeaders', async () => {
    const t0 = performance.now();
    const res = await request(`${proxy.url}/silent/x`);
    const ms = performance.now() - t0;
    await assertErrorResponse(proxy, res, 504, 'UPSTREAM_RESPONSE_TIMEOUT');
    assert.ok(ms >= 450, `waited for the timeout (${ms.toFixed(0)} ms)`);
    assert.ok(ms < 3000, `did not wait much longer than 500 ms (${ms.toFixed(0)} ms)`);
  });

  it("the route's timeouts.responseHeaders overrides the upstream's", async () => {
    const t0 = performance.now();
    const res = await request(`${proxy.url}/silent-route/x`);
    const ms = performance.now() - t0;
    await assertErrorResponse(proxy, res, 504, 'UPSTREAM_RESPONSE_TIMEOUT');
    assert.ok(ms >= 250, `waited for the route timeout (${ms.toFixed(0)} ms)`);
    assert.ok(ms < 3000, `the route's 300 ms applied, not the upstream's 20 s (${ms.toFixed(0)} ms)`);
  });

  it('target stalls mid-body (Content-Length) → the client connection is cut after timeouts.idle', async () => {
    const id = 'test-stall-length';
    const res = await fetchOutcome(`${proxy.url}/stall/length`, { headers: { 'x-request-id': id } });
    assert.equal(res.status, 200, 'the head was forwarded');
    assert.equal(res.headers['content-length'], '100');
    assert.equal(res.complete, false, 'the response is not complete');
    assert.ok(res.body.length < 100, `short body (${res.body.length} bytes) is not presented as complete`);
    assert.ok(res.ms >= 450, `cut after the idle timeout, not before (${res.ms.toFixed(0)} ms)`);
    assert.ok(res.ms < 3000, `cut soon after the idle timeout (${res.ms.toFixed(0)} ms)`);
    const line = await findLogLine(proxy, id, 'UPSTREAM_IDLE_TIMEOUT');
    assert.ok(line, `log line with UPSTREAM_IDLE_TIMEOUT for ${id}:\n${proxy.stderr()}`);
  });

  it('target stalls mid-body (chunked) → the client never sees a clean end of message', async () => {
    const res = await fetchOutcome(`${proxy.url}/stall/chunked`);
    assert.equal(res.status, 200);
    assert.equal(res.complete, false, 'no terminating chunk was sent');
    assert.equal(res.body.toString(), '0123456789');
    assert.ok(res.ms >= 450 && res.ms < 3000, `cut after the idle timeout (${res.ms.toFixed(0)} ms)`);
  });

  for (const framing of ['length', 'chunked']) {
    it(`target closes its side mid-body (${framing}) → the client connection is cut`, async () => {
      const id = `test-close-mid-${framing}`;
      const res = await fetchOutcome(`${proxy.url}/close-mid/${framing}`, { headers: { 'x-request-id': id } });
      assert.equal(res.status, 200);
      assert.equal(res.complete, false, 'not presented as a complete response');
      assert.equal(res.body.toString(), '0123456789');
      const line = await findLogLine(proxy, id, undefined);
      assert.ok(line, `an error log line for ${id}`);
    });

    it(
      `target closes its side mid-body (${framing}) is logged as UPSTREAM_RESET`,
      async () => {
        const id = `test-close-mid-code-${framing}`;
        await fetchOutcome(`${proxy.url}/close-mid/${framing}`, { headers: { 'x-request-id': id } });
        const line = await findLogLine(proxy, id, undefined);
        assert.equal(line?.code, 'UPSTREAM_RESET');
      },
    );
  }

  it(
    'a request body still being sent is not cut by timeouts.responseHeaders (the wait starts once the request is sent)',
    async () => {
      const socket = net.connect(proxy.port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\nConnection: close\r\n\r\n');
      // 8 bytes over ~1.2 s: three times the upstream's responseHeaders (400 ms), well within requestTimeout.
      for (let i = 0; i < 8 && !socket.destroyed; i++) {
        await sleep(150);
        socket.write('x');
      }
      const deadline = Date.now() + 2000;
      while (!data.includes('received') && !socket.destroyed && Date.now() < deadline) await sleep(10);
      socket.destroy();
      assert.match(data, /^HTTP\/1\.1 200 /, data);
      assert.match(data, /received 8/);
    },
  );

  it('connect timeout → 504 UPSTREAM_CONNECT_TIMEOUT', async (t) => {
    if (!blackhole.reliable) {
      t.skip(`cannot provoke a connect timeout on loopback here (probe: ${blackhole.probeOutcome})`);
      return;
    }
    const t0 = performance.now();
    const res = await request(`${proxy.url}/blackhole`);
    const ms = performance.now() - t0;
    await assertErrorResponse(proxy, res, 504, 'UPSTREAM_CONNECT_TIMEOUT');
    assert.ok(ms >= 250 && ms < 3000, `after timeouts.connect (300 ms): ${ms.toFixed(0)} ms`);
  });

  for (const path of ['/bad/garbage', '/bad/status', '/bad/content-length', '/bad/two-lengths', '/bad/header-space']) {
    it(`malformed response (${path.slice(5)}) → 502 UPSTREAM_BAD_RESPONSE`, async () => {
      assert.ok(badOrigins[path]);
      const res = await request(`${proxy.url}${path}`);
      await assertErrorResponse(proxy, res, 502, 'UPSTREAM_BAD_RESPONSE');
    });
  }

  it('the target closing an idle keep-alive connection is not an error for the next request', async () => {
    const first = await request(`${proxy.url}/keepalive/1`);
    assert.equal(first.status, 200);
    assert.equal(first.body.toString(), 'ok /keepalive/1');
    await sleep(400); // the origin's keepAliveTimeout (100 ms) closes the pooled connection
    for (let i = 2; i <= 4; i++) {
      const res = await request(`${proxy.url}/keepalive/${i}`);
      assert.equal(res.status, 200, `request ${i}: ${res.body}`);
      assert.equal(res.body.toString(), `ok /keepalive/${i}`);
      await sleep(250);
    }
  });

  it('a GET on a reused connection the target drops unanswered is retried on a fresh one', async () => {
    const before = staleOrigin.requests.length;
    const first = await request(`${proxy.url}/stale/a`);
    assert.equal(first.status, 200);
    assert.equal(first.body.toString(), 'fresh GET /stale/a');
    const second = await request(`${proxy.url}/stale/b`);
    assert.equal(second.status, 200, `no error surfaced: ${second.body}`);
    assert.equal(second.body.toString(), 'fresh GET /stale/b');
    const seen = staleOrigin.requests.slice(before).map((r) => r.url);
    assert.deepEqual(seen, ['/stale/a', '/stale/b', '/stale/b'], 'the second GET was sent twice: once on the stale connection, once fresh');
  });

  it('a POST on a reused connection the target drops is not replayed → 502 UPSTREAM_RESET', async () => {
    // Prime a pooled connection.
    const primer = await request(`${proxy.url}/stale/prime`);
    assert.equal(primer.status, 200);
    const before = staleOrigin.requests.length;
    const res = await request(`${proxy.url}/stale/post`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    await assertErrorResponse(proxy, res, 502, 'UPSTREAM_RESET');
    const posts = staleOrigin.requests.slice(before).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, 'the POST reached the origin exactly once');
  });
});
