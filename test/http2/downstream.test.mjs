// HTTP/2 from clients, end to end through the real binary: ALPN h2 on a TLS listener (with
// http/1.1 still offered), h2c with prior knowledge on a plain listener (HTTP/1.1 still
// answered there), and requests going through the same pipeline as HTTP/1.1 ones: routing,
// fixed answers, access control, the cache, re-framed bodies, the access log.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { startOrigin, startProxy, request } from '../helpers.mjs';
import { SNI_CERTIFICATES, handshake, httpsGet } from '../tls/tls-helpers.mjs';
import { session, h2request, h2once } from './h2-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('HTTP/2 from clients', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startOrigin((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const headers = { 'content-type': 'application/json' };
        if (req.url.startsWith('/cached/')) headers['cache-control'] = 'public, max-age=60';
        if (req.url === '/hints') {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          return setTimeout(() => res.end('final'), 20);
        }
        if (req.url.startsWith('/text/')) {
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<p>hello http2</p>\n'.repeat(500));
        }
        res.writeHead(200, headers);
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: Buffer.concat(chunks).length }));
      });
    });
    proxy = await startProxy({
      listeners: [
        { name: 'web', address: '127.0.0.1:0', h2c: true },
        { name: 'tls', address: '127.0.0.1:0', http2: true, tls: { certificates: SNI_CERTIFICATES } },
        { name: 'tls1', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } },
      ],
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        { name: 'pong', match: { path: '/ping' }, respond: { status: 200, body: 'pong\n', headers: { 'content-type': 'text/plain' } } },
        { name: 'private', match: { pathPrefix: '/private/' }, upstream: 'origin', access: { allow: ['10.0.0.0/8'] } },
        { name: 'cached', match: { pathPrefix: '/cached/' }, upstream: 'origin', cache: { enabled: true } },
        { name: 'text', match: { pathPrefix: '/text/' }, upstream: 'origin', compression: { enabled: true, algorithms: ['gzip'] } },
        { name: 'main', match: { pathPrefix: '/' }, upstream: 'origin' },
      ],
    });
  });
  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('offers h2 then http/1.1 by ALPN on an http2 listener, only http/1.1 elsewhere', async () => {
    assert.equal((await handshake(proxy.ports.tls, { servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2');
    assert.equal((await handshake(proxy.ports.tls, { servername: 'a.test', ALPNProtocols: ['http/1.1'] })).alpn, 'http/1.1');
    assert.equal((await handshake(proxy.ports.tls1, { servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'http/1.1');
    // An HTTP/1.1 client on the http2 listener is served as before.
    const res = await httpsGet(proxy.ports.tls, '/h1-over-tls');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).url, '/h1-over-tls');
  });

  it('proxies GET over TLS h2 and over h2c, with the forwarding headers of HTTP/1.1', async () => {
    for (const [port, tls, proto] of [[proxy.ports.tls, true, 'https'], [proxy.port, false, 'http']]) {
      const res = await h2once(port, { ':path': '/a/b?c=d', 'x-custom': 'yes' }, undefined, { tls });
      assert.equal(res.status, 200);
      const echo = JSON.parse(res.body);
      assert.equal(echo.url, '/a/b?c=d');
      assert.equal(echo.headers['x-custom'], 'yes');
      assert.equal(echo.headers['x-forwarded-proto'], proto);
      assert.match(echo.headers.host, /^(a\.test|127\.0\.0\.1):\d+$/);
      assert.match(res.headers['x-request-id'], /^[0-9a-f]{20}$/);
    }
  });

  it('keeps HTTP/1.1 working on an h2c listener', async () => {
    const res = await request(`${proxy.url}/plain-h1`);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).url, '/plain-h1');
  });

  it('re-frames request bodies: Content-Length as declared, chunked when the length is unknown', async () => {
    const client = session(proxy.port);
    try {
      const sized = await h2request(client, { ':method': 'POST', ':path': '/sized', 'content-length': '11' }, 'hello world');
      assert.equal(JSON.parse(sized.body).bodyLength, 11);
      assert.equal(JSON.parse(sized.body).headers['content-length'], '11');
      const streamed = await h2request(client, { ':method': 'PUT', ':path': '/streamed' }, ['hello ', 'world', '!']);
      const echo = JSON.parse(streamed.body);
      assert.equal(echo.bodyLength, 12);
      assert.equal(echo.headers['transfer-encoding'], 'chunked');
      assert.equal(echo.headers['content-length'], undefined);
    } finally {
      client.close();
    }
  });

  it('joins split cookie fields with "; " (RFC 9113 §8.2.3)', async () => {
    const res = await h2once(proxy.port, { ':path': '/cookies', cookie: ['a=1', 'b=2', 'c=3'] });
    assert.equal(JSON.parse(res.body).headers.cookie, 'a=1; b=2; c=3');
    const raw = origin.requests.find((r) => r.url === '/cookies').rawHeaders;
    assert.equal(raw.filter((h) => h.toLowerCase() === 'cookie').length, 1);
  });

  it('multiplexes many concurrent streams on one connection', async () => {
    const client = session(proxy.ports.tls, { tls: true });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h2request(client, { ':path': `/multi/${i}` })));
      results.forEach((r, i) => assert.equal(JSON.parse(r.body).url, `/multi/${i}`));
    } finally {
      client.close();
    }
  });

  it('goes through routing, fixed answers, access control and the cache', async () => {
    const client = session(proxy.port);
    try {
      const pong = await h2request(client, { ':path': '/ping' });
      assert.equal(pong.status, 200);
      assert.equal(pong.body.toString(), 'pong\n');
      const denied = await h2request(client, { ':path': '/private/x' });
      assert.equal(denied.status, 403);
      assert.match(denied.body.toString(), /code: ACCESS_DENIED/);
      const first = await h2request(client, { ':path': '/cached/one' });
      assert.equal(first.status, 200);
      // A hit, written from the stored head (its serialized lines become HTTP/2 fields).
      const hit = await h2request(client, { ':path': '/cached/one' });
      assert.equal(hit.status, 200);
      assert.match(hit.headers['cache-status'], /hit/);
      assert.equal(hit.headers['content-type'], 'application/json');
      assert.equal(hit.headers['content-length'], String(hit.body.length));
      assert.deepEqual(hit.body, first.body);
      assert.equal(origin.requests.filter((r) => r.url === '/cached/one').length, 1);
      const head = await h2request(client, { ':method': 'HEAD', ':path': '/ping' });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    } finally {
      client.close();
    }
  });

  it('compresses for HTTP/2 clients like for HTTP/1.1 ones (routes[].compression)', async () => {
    const res = await h2once(proxy.port, { ':path': '/text/page', 'accept-encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(res.body).toString(), '<p>hello http2</p>\n'.repeat(500));
  });

  it('answers a guard refusal on the stream only: the connection goes on', async () => {
    const client = session(proxy.port);
    try {
      const bad = await h2request(client, { ':path': '/a/../../etc/passwd' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.toString(), /code: REQUEST_PATH_INVALID/);
      const good = await h2request(client, { ':path': '/after' });
      assert.equal(good.status, 200);
    } finally {
      client.close();
    }
  });

  it('relays a 103 Early Hints from an HTTP/1.1 target to an HTTP/2 client before the response (RFC 9113 §8.1)', async () => {
    const client = session(proxy.ports.web);
    try {
      const events = await new Promise((resolve, reject) => {
        const seen = [];
        const req = client.request({ ':path': '/hints' });
        req.on('headers', (h) => seen.push({ status: h[':status'], link: h.link }));
        req.on('response', (h) => seen.push({ status: h[':status'] }));
        req.on('data', () => {});
        req.on('end', () => resolve(seen));
        req.on('error', reject);
      });
      assert.deepEqual(events, [{ status: 103, link: '</style.css>; rel=preload; as=style' }, { status: 200 }]);
    } finally {
      client.close();
    }
  });

  it('logs HTTP/2.0 as the protocol', async () => {
    await h2once(proxy.port, { ':path': '/logged-h2' });
    await request(`${proxy.url}/logged-h1`);
    const [h2] = await proxy.waitForLog((l) => l.path === '/logged-h2');
    const [h1] = await proxy.waitForLog((l) => l.path === '/logged-h1');
    assert.equal(h2.protocol, 'HTTP/2.0');
    assert.equal(h1.protocol, 'HTTP/1.1');
  });
});

describe('HTTP/2 response relay', () => {
  it('streams a large response with flow control and a slow reader, byte for byte', async () => {
    // Random bytes: a slice of a reused upstream read buffer sent twice or overwritten would show.
    const big = randomBytes(3 * 1024 * 1024);
    const origin = await startOrigin((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(big);
    });
    const proxy = await startProxy({
      listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }],
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [{ upstream: 'origin' }],
    });
    try {
      const client = session(proxy.port);
      const req = client.request({ ':path': '/big' });
      let received = 0;
      const hash = createHash('sha256');
      req.on('data', (c) => {
        received += c.length;
        hash.update(c);
        req.pause();
        setTimeout(() => req.resume(), 1);
      });
      await new Promise((resolve, reject) => {
        req.on('end', resolve);
        req.on('error', reject);
      });
      client.close();
      assert.equal(received, big.length);
      assert.equal(hash.digest('hex'), createHash('sha256').update(big).digest('hex'));
    } finally {
      await proxy.close();
      await origin.close();
    }
  });
});
