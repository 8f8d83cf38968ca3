// server.limits and request guards, over raw sockets: oversized heads and bodies, slow
// clients, idle keep-alive connections, connection caps, and malformed or ambiguous requests
// that must be refused before anything reaches the origin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { startOrigin, startProxy, simpleConfig, rawRequest } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A raw client connection that records what it receives and when the server closed it.
 * `closedAt` is ms since connect (null while open); `hadData` tells a cut from an answer.
 */
async function rawConnection(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const t0 = performance.now();
  const conn = {
    socket,
    data: '',
    closedAt: null,
    elapsed: () => performance.now() - t0,
    /** Resolves once the server has closed the connection, or after `ms`. */
    async waitClosed(ms) {
      const deadline = performance.now() + ms;
      while (conn.closedAt === null && performance.now() < deadline) await sleep(10);
      return conn.closedAt !== null;
    },
    /** Resolves once `text` has been received, or after `ms`. */
    async waitFor(text, ms) {
      const deadline = performance.now() + ms;
      while (!conn.data.includes(text) && conn.closedAt === null && performance.now() < deadline) await sleep(5);
      return conn.data.includes(text);
    },
    statusLine: () => conn.data.split('\r\n')[0],
    destroy: () => socket.destroy(),
  };
  socket.on('data', (d) => (conn.data += d.toString('latin1')));
  socket.on('close', () => (conn.closedAt = performance.now() - t0));
  return conn;
}

/** The status code of the first response in `data`, or undefined. */
function statusOf(data) {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(data);
  return m ? Number(m[1]) : undefined;
}

function codeOf(data) {
  return /^code: (\w+)$/m.exec(data)?.[1];
}

/** An origin that records every request body: { url, method, bytes, complete }. */
async function startRecordingOrigin() {
  const bodies = [];
  const origin = await startOrigin((req, res) => {
    const rec = { method: req.method, url: req.url, bytes: 0, complete: false };
    bodies.push(rec);
    req.on('data', (c) => (rec.bytes += c.length));
    req.on('error', () => {});
    req.on('end', () => {
      rec.complete = true;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`got ${rec.bytes}`);
    });
  });
  origin.bodies = bodies;
  return origin;
}

describe('server.limits', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startRecordingOrigin();
    proxy = await startProxy(
      simpleConfig(origin.url, { maxBodyBytes: 100 }, {
        server: { limits: { maxHeaderBytes: '1KiB', maxUrlBytes: 300, maxHeaderCount: 10, headersTimeout: '1s', requestTimeout: '2s', keepAliveTimeout: '500ms' } },
      }),
    );
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('a head under maxHeaderBytes is forwarded', async () => {
    const res = await rawRequest(proxy.port, `GET /small HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(600)}\r\nConnection: close\r\n\r\n`, { idleMs: 500 });
    assert.equal(statusOf(res.data), 200, res.data);
    assert.ok(origin.requests.some((r) => r.url === '/small'));
  });

  it('a head over maxHeaderBytes → 431 and the connection closes', async () => {
    const before = origin.requests.length;
    const res = await rawRequest(proxy.port, `GET /big HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(2000)}\r\n\r\n`, { idleMs: 1500 });
    assert.equal(statusOf(res.data), 431, res.data);
    assert.equal(codeOf(res.data), 'REQUEST_HEADERS_TOO_LARGE');
    assert.match(res.data, /\r\nConnection: close\r\n/i);
    assert.equal(res.closed, true, 'the proxy closed the connection');
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
  });

  it('a target over maxUrlBytes → 414 and the connection closes; one at the limit is forwarded', async () => {
    const before = origin.requests.length;
    const res = await rawRequest(proxy.port, `GET /${'u'.repeat(300)} HTTP/1.1\r\nHost: a\r\n\r\n`, { idleMs: 1500 });
    assert.equal(statusOf(res.data), 414, res.data);
    assert.equal(codeOf(res.data), 'REQUEST_URI_TOO_LONG');
    assert.equal(res.closed, true);
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
    const ok = await rawRequest(proxy.port, `GET /${'u'.repeat(299)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, { idleMs: 500 });
    assert.equal(statusOf(ok.data), 200, ok.data);
  });

  it('more than maxHeaderCount fields → 431 and the connection closes', async () => {
    const before = origin.requests.length;
    const fields = Array.from({ length: 10 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
    const res = await rawRequest(proxy.port, `GET /many HTTP/1.1\r\nHost: a\r\n${fields}\r\n`, { idleMs: 1500 });
    assert.equal(statusOf(res.data), 431, res.data);
    assert.equal(codeOf(res.data), 'REQUEST_HEADERS_TOO_LARGE');
    assert.equal(res.closed, true);
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
  });

  it('a body over maxBodyBytes with Content-Length → 413 before the body is sent', async () => {
    const before = origin.requests.length;
    const c = await rawConnection(proxy.port);
    c.socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
    // No body byte is sent: the answer must not wait for it.
    assert.ok(await c.waitFor('\r\n\r\n', 1500), `answered without the body: ${JSON.stringify(c.data)}`);
    assert.equal(statusOf(c.data), 413, c.data);
    assert.equal(codeOf(c.data), 'REQUEST_BODY_TOO_LARGE');
    assert.match(c.data, /\r\nX-Request-Id: \S+\r\n/i);
    assert.ok(await c.waitClosed(1500), 'the connection is closed (the unread body cannot be skipped)');
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
  });

  it('a body over maxBodyBytes with Expect: 100-continue → 413 and no 100 Continue', async () => {
    const before = origin.requests.length;
    const c = await rawConnection(proxy.port);
    c.socket.write('PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    assert.ok(await c.waitFor('\r\n\r\n', 1500), c.data);
    assert.equal(statusOf(c.data), 413, c.data);
    assert.ok(!c.data.includes('100 Continue'), 'the client was not invited to send the body');
    c.destroy();
    assert.equal(origin.requests.length, before);
  });

  it('a chunked body over maxBodyBytes is cut when exceeded; the origin never gets it whole', async () => {
    const beforeBodies = origin.bodies.length;
    const c = await rawConnection(proxy.port);
    c.socket.write(`POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n${'a'.repeat(80)}\r\n`);
    await sleep(200);
    assert.equal(c.closedAt, null, 'under the limit so far: still open');
    c.socket.write(`50\r\n${'b'.repeat(80)}\r\n`);
    const closed = await c.waitClosed(1500);
    assert.ok(closed, 'the connection is cut once the limit is exceeded');
    if (c.data !== '') {
      assert.equal(statusOf(c.data), 413, c.data);
      assert.equal(codeOf(c.data), 'REQUEST_BODY_TOO_LARGE');
    }
    await sleep(100);
    for (const b of origin.bodies.slice(beforeBodies)) {
      assert.equal(b.complete, false, `the origin got no complete body (${JSON.stringify(b)})`);
      assert.ok(b.bytes <= 100, `the origin got at most maxBodyBytes (${b.bytes})`);
    }
  });

  it('a body within maxBodyBytes is forwarded whole', async () => {
    const c = await rawConnection(proxy.port);
    c.socket.write(`POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n32\r\n${'a'.repeat(50)}\r\n32\r\n${'b'.repeat(50)}\r\n0\r\n\r\n`);
    assert.ok(await c.waitClosed(2000));
    assert.equal(statusOf(c.data), 200, c.data);
    assert.match(c.data, /\r\ngot 100\r\n/);
  });

  it('slowloris: a head sent one byte every 200 ms → 408 and cut after headersTimeout (1s)', async () => {
    const before = origin.requests.length;
    const c = await rawConnection(proxy.port);
    const head = `GET /slow HTTP/1.1\r\nHost: a\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
    let sent = 0;
    while (c.closedAt === null && sent < head.length && c.elapsed() < 5000) {
      c.socket.write(head[sent++]);
      await sleep(200);
    }
    assert.ok(c.closedAt !== null, 'the connection was closed');
    assert.ok(sent < head.length, 'the head was never completed');
    assert.equal(statusOf(c.data), 408, c.data);
    assert.equal(codeOf(c.data), 'REQUEST_HEADERS_TIMEOUT');
    assert.ok(c.closedAt >= 900, `not before headersTimeout (${c.closedAt.toFixed(0)} ms)`);
    assert.ok(c.closedAt < 2500, `soon after headersTimeout (${c.closedAt.toFixed(0)} ms)`);
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
  });

  it('slowloris on the second request of a keep-alive connection → 408 after headersTimeout', async () => {
    const c = await rawConnection(proxy.port);
    c.socket.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
    // The whole first response, last chunk included (it may arrive in a read of its own).
    assert.ok(await c.waitFor('got 0\r\n0\r\n\r\n', 1500), c.data);
    const marker = c.data.length;
    const startedAt = c.elapsed();
    const head = `GET /second HTTP/1.1\r\nHost: a\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
    let sent = 0;
    // 150 ms per byte: never idle for keepAliveTimeout (500 ms), so only headersTimeout can end it.
    while (c.closedAt === null && sent < head.length && c.elapsed() < 5000) {
      c.socket.write(head[sent++]);
      await sleep(150);
    }
    assert.ok(c.closedAt !== null, 'closed');
    const second = c.data.slice(marker);
    assert.equal(statusOf(second), 408, second);
    assert.equal(codeOf(second), 'REQUEST_HEADERS_TIMEOUT');
    const took = c.closedAt - startedAt;
    assert.ok(took >= 900 && took < 2500, `after ~headersTimeout from the first byte (${took.toFixed(0)} ms)`);
    assert.ok(!origin.requests.some((r) => r.url === '/second'));
  });

  it('a client that connects and sends nothing is closed after headersTimeout', async () => {
    const c = await rawConnection(proxy.port);
    assert.ok(await c.waitClosed(3000), 'closed');
    assert.ok(c.closedAt >= 900 && c.closedAt < 2500, `after ~1 s (${c.closedAt.toFixed(0)} ms)`);
  });

  it('a body sent too slowly → 408 and cut after requestTimeout (2s)', async () => {
    const beforeBodies = origin.bodies.length;
    const c = await rawConnection(proxy.port);
    c.socket.write('POST /slow-body HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n');
    let sent = 0;
    while (c.closedAt === null && sent < 50 && c.elapsed() < 6000) {
      c.socket.write('x');
      sent++;
      await sleep(200);
    }
    assert.ok(c.closedAt !== null, 'the connection was closed');
    assert.ok(sent < 50, 'the body was never completed');
    assert.ok(c.closedAt >= 1900, `not before requestTimeout (${c.closedAt.toFixed(0)} ms)`);
    assert.ok(c.closedAt < 3500, `soon after requestTimeout (${c.closedAt.toFixed(0)} ms)`);
    if (c.data !== '') {
      assert.equal(statusOf(c.data), 408, c.data);
      assert.equal(codeOf(c.data), 'REQUEST_TIMEOUT');
    }
    await sleep(100);
    for (const b of origin.bodies.slice(beforeBodies)) assert.equal(b.complete, false, 'the origin got no complete body');
  });

  it('keepAliveTimeout closes an idle keep-alive connection', async () => {
    const c = await rawConnection(proxy.port);
    c.socket.write('GET /ka HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await c.waitFor('got 0', 1500), c.data);
    assert.equal(statusOf(c.data), 200);
    assert.doesNotMatch(c.data, /Connection: close/i, 'kept alive after the response');
    const answeredAt = c.elapsed();
    await sleep(250);
    assert.equal(c.closedAt, null, 'still open before keepAliveTimeout');
    assert.ok(await c.waitClosed(2500), 'closed once idle for keepAliveTimeout');
    const idleFor = c.closedAt - answeredAt;
    assert.ok(idleFor >= 400 && idleFor < 2000, `idle ${idleFor.toFixed(0)} ms (keepAliveTimeout 500 ms)`);
  });

  it('a keep-alive connection in use is not closed by keepAliveTimeout', async () => {
    const c = await rawConnection(proxy.port);
    for (let i = 0; i < 4; i++) {
      const marker = c.data.length;
      c.socket.write(`GET /ka/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      const deadline = performance.now() + 1500;
      while (!c.data.slice(marker).includes('got 0') && performance.now() < deadline) await sleep(5);
      assert.equal(statusOf(c.data.slice(marker)), 200, `request ${i}`);
      await sleep(300); // under keepAliveTimeout each time
    }
    assert.equal(c.closedAt, null);
    c.destroy();
  });
});

describe('server.limits.maxConnections', () => {
  let origin;
  let proxy;
  const conns = [];

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy(simpleConfig(origin.url, {}, { server: { limits: { maxConnections: 5, headersTimeout: '10s', keepAliveTimeout: '10s' } } }));
  });

  after(async () => {
    for (const c of conns) c.destroy();
    await proxy?.close();
    await origin?.close();
  });

  /** Opens a connection and proves it is served with one keep-alive request. */
  async function openServed(i) {
    const c = await rawConnection(proxy.port);
    conns.push(c);
    c.socket.write(`GET /c/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.ok(await c.waitFor('"bodyLength"', 2000), `connection ${i} served: ${c.data}`);
    return c;
  }

  it('the 6th concurrent connection is closed at accept; a slot freed is reusable', async () => {
    const open = [];
    for (let i = 1; i <= 5; i++) open.push(await openServed(i));
    const sixth = await rawConnection(proxy.port);
    conns.push(sixth);
    sixth.socket.write('GET /c/6 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await sixth.waitClosed(2000), 'the 6th connection is closed');
    assert.equal(sixth.data, '', 'with no response');
    assert.ok(!origin.requests.some((r) => r.url === '/c/6'), 'its request never reached the origin');
    for (const c of open) assert.equal(c.closedAt, null, 'the first five stay open');

    open[0].destroy();
    await sleep(200);
    const again = await openServed(7);
    assert.equal(again.closedAt, null);
  });
});

describe('server.limits.maxConnectionsPerIp', () => {
  let origin;
  let proxy;
  const conns = [];

  before(async () => {
    origin = await startOrigin();
    proxy = await startProxy(simpleConfig(origin.url, {}, { server: { limits: { maxConnectionsPerIp: 2, headersTimeout: '10s', keepAliveTimeout: '10s' } } }));
  });

  after(async () => {
    for (const c of conns) c.destroy();
    await proxy?.close();
    await origin?.close();
  });

  it('the 3rd concurrent connection from 127.0.0.1 is closed; a slot freed is reusable', async () => {
    const open = [];
    for (let i = 1; i <= 2; i++) {
      const c = await rawConnection(proxy.port);
      conns.push(c);
      c.socket.write(`GET /ip/${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.ok(await c.waitFor('"bodyLength"', 2000), `connection ${i} served`);
      open.push(c);
    }
    const third = await rawConnection(proxy.port);
    conns.push(third);
    third.socket.write('GET /ip/3 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await third.waitClosed(2000), 'the 3rd connection is closed');
    assert.equal(third.data, '');
    assert.ok(!origin.requests.some((r) => r.url === '/ip/3'));
    for (const c of open) assert.equal(c.closedAt, null);

    open[1].destroy();
    await sleep(200);
    const again = await rawConnection(proxy.port);
    conns.push(again);
    again.socket.write('GET /ip/4 HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await again.waitFor('"bodyLength"', 2000), `a freed slot serves again: ${again.data}`);
  });
});

describe('malformed and refused requests never reach the origin', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startRecordingOrigin();
    proxy = await startProxy(simpleConfig(origin.url, {}, { server: { limits: { headersTimeout: '2s', keepAliveTimeout: '2s' } } }));
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  // A request the origin would accept, appended after an ambiguous message: if the proxy
  // framed the first one differently from a strict parser, this one would be smuggled through.
  const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

  const cases = [
    // [name, payload, accepted statuses, expected code, closes the connection]
    ['Content-Length and Transfer-Encoding together', `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['two Content-Length values that differ', `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['Transfer-Encoding: chunked, identity', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, [400, 501], undefined, true],
    ['Transfer-Encoding: identity', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n${SMUGGLED}`, [400, 501], undefined, true],
    ['invalid chunk size', `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['bare LF in the header section', `GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['a header name with a space', `GET / HTTP/1.1\r\nHost: a\r\nX Bad: b\r\n\r\n${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['whitespace between a header name and the colon', `GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['NUL in a header value', `GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n${SMUGGLED}`, [400], 'REQUEST_MALFORMED', true],
    ['missing Host on HTTP/1.1', 'GET /no-host HTTP/1.1\r\nConnection: close\r\n\r\n', [400], 'REQUEST_HOST_INVALID', false],
    ['two Host headers', 'GET /two-hosts HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', [400], 'REQUEST_HOST_INVALID', false],
    ['an invalid Host value', 'GET /bad-host HTTP/1.1\r\nHost: a b/c\r\nConnection: close\r\n\r\n', [400], 'REQUEST_HOST_INVALID', false],
    ['asterisk-form target on GET', 'GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [400], 'REQUEST_TARGET_INVALID', false],
    ['authority-form target on GET', `GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLED}`, [400], undefined, false],
    ['relative target without a leading slash', `GET foo/bar HTTP/1.1\r\nHost: a\r\n\r\n${SMUGGLED}`, [400], undefined, false],
    ['absolute-form with another scheme', 'GET ftp://a/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', [400], undefined, false],
    ['HTTP/2.0 version on an HTTP/1.1 connection', `GET / HTTP/2.0\r\nHost: a\r\n\r\n${SMUGGLED}`, [400, 505], undefined, true],
    ['HTTP/1.3 version', `GET / HTTP/1.3\r\nHost: a\r\n\r\n${SMUGGLED}`, [400, 505], undefined, true],
    ['HTTP/0.9 request line', `GET /\r\n\r\n${SMUGGLED}`, [400, 505], undefined, true],
  ];

  for (const [name, payload, statuses, code, closes] of cases) {
    it(`${name} → ${statuses.join('/')}`, async () => {
      const before = origin.requests.length;
      const res = await rawRequest(proxy.port, payload, { idleMs: 400 });
      const status = statusOf(res.data);
      assert.ok(statuses.includes(status), `status ${status}, expected ${statuses.join(' or ')}:\n${res.data}`);
      if (code) assert.equal(codeOf(res.data), code);
      assert.match(res.data, /\r\nX-Request-Id: \S+\r\n/i, 'X-Request-Id on the error response');
      if (closes) {
        assert.equal(res.closed, true, 'the connection is closed after an unframeable request');
        assert.match(res.data, /\r\nConnection: close\r\n/i);
      }
      assert.equal((res.data.match(/HTTP\/1\.1 \d{3} /g) ?? []).length, 1, 'exactly one response: nothing after the bad message was served');
      await sleep(50);
      assert.deepEqual(origin.requests.slice(before).map((r) => r.url), [], 'the origin received no request');
    });
  }

  it(
    'CONNECT → 405',
    async () => {
      const before = origin.requests.length;
      const res = await rawRequest(proxy.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { idleMs: 400 });
      assert.deepEqual(origin.requests.slice(before), [], 'the origin received no request');
      assert.equal(statusOf(res.data), 405, res.data);
      assert.equal(codeOf(res.data), 'REQUEST_METHOD_NOT_ALLOWED');
    },
  );

  it('CONNECT never reaches the origin, whatever the status', async () => {
    const before = origin.requests.length;
    for (const payload of [
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n',
      'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n',
      'CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n',
    ]) {
      const res = await rawRequest(proxy.port, payload, { idleMs: 400 });
      const status = statusOf(res.data);
      assert.ok(status >= 400 && status < 500, `refused: ${res.data}`);
      assert.doesNotMatch(res.data, /^HTTP\/1\.1 200/, 'no tunnel was opened');
    }
    assert.deepEqual(origin.requests.slice(before), []);
  });

  it('CONNECT with an origin-form or absolute-form target → 405', async () => {
    for (const payload of ['CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n', 'CONNECT http://a/ HTTP/1.1\r\nHost: a\r\n\r\n']) {
      const res = await rawRequest(proxy.port, payload, { idleMs: 400 });
      assert.equal(statusOf(res.data), 405, res.data);
      assert.equal(codeOf(res.data), 'REQUEST_METHOD_NOT_ALLOWED');
    }
  });

  it(
    'Transfer-Encoding: gzip, chunked → 501, or forwarded with the gzip coding kept',
    async () => {
      const before = origin.requests.length;
      const gz = gzipSync('hello world');
      const payload = Buffer.concat([
        Buffer.from(`POST /gz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${gz.length.toString(16)}\r\n`),
        gz,
        Buffer.from('\r\n0\r\n\r\n'),
      ]);
      const res = await rawRequest(proxy.port, payload, { idleMs: 400 });
      const status = statusOf(res.data);
      const seen = origin.requests.slice(before);
      if (status === 501) assert.deepEqual(seen, [], 'refused before the origin');
      else {
        assert.equal(seen.length, 1, res.data);
        assert.match(seen[0].headers['transfer-encoding'] ?? '', /gzip/, 'the origin is told the body is gzip-coded');
      }
    },
  );

  it('Upgrade: websocket to an origin that does not switch: its answer relayed with close, no tunnel, the bytes behind never forwarded', async () => {
    const before = origin.requests.length;
    const res = await rawRequest(
      proxy.port,
      'GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' +
        '\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58' +
        'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
      { idleMs: 400 },
    );
    assert.equal(statusOf(res.data), 200, res.data);
    assert.match(res.data, /\r\nConnection: close\r\n/i);
    assert.doesNotMatch(res.data, /101 Switching Protocols/);
    assert.equal(res.closed, true, 'the connection closes: what follows an upgrade request cannot be framed');
    await sleep(50);
    assert.deepEqual(origin.requests.slice(before).map((r) => r.url), ['/chat']);
  });

  it('a well-formed request on the same proxy still works (control)', async () => {
    const res = await rawRequest(proxy.port, 'GET /control HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { idleMs: 1000 });
    assert.equal(statusOf(res.data), 200, res.data);
    assert.ok(origin.requests.some((r) => r.url === '/control'));
  });
});
