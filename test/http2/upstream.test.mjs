// HTTP/2 to the targets (upstreams.<name>.protocol: http2): HTTP/1.1 and HTTP/2 clients through
// one multiplexed h2c session per target; bodies both ways; what HTTP/2 forbids is not sent;
// a target that is down or resets a stream is a clean 502.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { once } from 'node:events';
import { startProxy, request, deadAddress, rawRequest } from '../helpers.mjs';
import { h2once, session, h2request } from './h2-client.mjs';

async function startH2Origin() {
  const server = http2.createServer();
  const seen = [];
  let sessions = 0;
  server.on('session', () => sessions++);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // the /reset stream is closed with an error on purpose
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      seen.push({ headers, body: Buffer.concat(chunks).toString() });
      if (headers[':path'] === '/reset') return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      stream.respond({ ':status': 201, 'content-type': 'application/json', 'x-origin': 'h2' }, { waitForTrailers: headers[':path'] === '/trailers' });
      if (headers[':path'] === '/trailers') stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }));
      stream.end(JSON.stringify({ path: headers[':path'], authority: headers[':authority'], method: headers[':method'], bodyLength: Buffer.concat(chunks).length }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, seen, sessions: () => sessions, close: () => new Promise((r) => server.close(r)) };
}

describe('HTTP/2 upstreams', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startH2Origin();
    proxy = await startProxy({
      listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }],
      upstreams: {
        h2: { protocol: 'http2', targets: [{ url: `http://127.0.0.1:${origin.port}` }] },
        down: { protocol: 'http2', targets: [{ url: await deadAddress() }], retries: { attempts: 1 } },
      },
      routes: [
        { name: 'down', match: { pathPrefix: '/down' }, upstream: 'down' },
        { name: 'h2', upstream: 'h2' },
      ],
    });
  });
  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('forwards an HTTP/1.1 request over h2c, :authority from Host, no connection-specific fields', async () => {
    const res = await request(`${proxy.url}/h1?q=1`, { headers: { host: 'app.test', connection: 'keep-alive', 'x-a': '1' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-origin'], 'h2');
    const echo = JSON.parse(res.body);
    assert.deepEqual([echo.path, echo.authority, echo.method], ['/h1?q=1', 'app.test', 'GET']);
    const seen = origin.seen.find((s) => s.headers[':path'] === '/h1?q=1').headers;
    assert.equal(seen['x-a'], '1');
    assert.equal(seen.connection, undefined);
    assert.equal(seen.host, undefined);
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  });

  it('streams request bodies of known and unknown length', async () => {
    const sized = await request(`${proxy.url}/post`, { method: 'POST', body: 'x'.repeat(100_000) });
    assert.equal(JSON.parse(sized.body).bodyLength, 100_000);
    const h2 = await h2once(proxy.port, { ':method': 'POST', ':path': '/stream' }, ['a', 'b', 'c']);
    assert.equal(JSON.parse(h2.body).bodyLength, 3);
  });

  it('multiplexes concurrent requests on one session per target', async () => {
    const before = origin.sessions();
    const client = session(proxy.port);
    try {
      const all = await Promise.all(Array.from({ length: 40 }, (_, i) => h2request(client, { ':path': `/m/${i}` })));
      all.forEach((r, i) => assert.equal(JSON.parse(r.body).path, `/m/${i}`));
    } finally {
      client.close();
    }
    assert.ok(origin.sessions() - before <= 1, `${origin.sessions() - before} new sessions`);
  });

  it('relays response trailers to an HTTP/2 client that accepts them', async () => {
    const res = await h2once(proxy.port, { ':path': '/trailers', te: 'trailers' });
    assert.equal(res.status, 201);
    assert.equal(res.trailers?.['x-checksum'], 'abc');
    // An HTTP/1.1 client gets them in the last chunk (RFC 9112 §7.1.2).
    const raw = await rawRequest(proxy.port, 'GET /trailers HTTP/1.1\r\nHost: app.test\r\nTE: trailers\r\nConnection: close\r\n\r\n');
    assert.match(raw.data, /Transfer-Encoding: chunked/i);
    assert.match(raw.data, /\r\n0\r\nx-checksum: abc\r\n\r\n$/);
  });

  it('answers 502 when the target resets the stream, and when it is down', async () => {
    const reset = await request(`${proxy.url}/reset`);
    assert.equal(reset.status, 502);
    assert.match(reset.body.toString(), /UPSTREAM_RESET/);
    const down = await request(`${proxy.url}/down`);
    assert.equal(down.status, 502);
    assert.match(down.body.toString(), /UPSTREAM_CONNECT_REFUSED|UPSTREAM_CONNECT_FAILED/);
  });
});
