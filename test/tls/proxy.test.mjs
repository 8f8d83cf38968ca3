// Proxying over TLS end to end (the HTTP/1.1 handling is the same as on plain listeners, with
// scheme https: X-Forwarded-Proto, keep-alive, bodies both ways), and redirectToHttps: 308
// (RFC 9110 §15.4.9) to the first TLS listener, nothing proxied over plain HTTP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest, Agent } from 'node:https';
import net from 'node:net';
import { rawRequest, request, startOrigin, startProxy } from '../helpers.mjs';
import { SNI_CA, SNI_CERTIFICATES, handshake, httpsGet } from './tls-helpers.mjs';

const BIG = Buffer.alloc(3 * 1024 * 1024, 'barbican-over-tls-');

/** POST over HTTPS: { status, body }. */
function httpsPost(port, path, body, agent = false) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', servername: 'a.test', ca: SNI_CA, agent, headers: { host: 'a.test', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('proxying over TLS', () => {
  let origin;
  let proxy;
  let tlsPort;

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-length': BIG.length });
        return res.end(BIG);
      }
      let length = 0;
      req.on('data', (c) => (length += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ url: req.url, proto: req.headers['x-forwarded-proto'], host: req.headers.host, length }));
      });
    });
    proxy = await startProxy({
      listeners: [
        { name: 'web', address: '127.0.0.1:0', redirectToHttps: true },
        { name: 'plain', address: '127.0.0.1:0' },
        { name: 'websecure', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } },
      ],
      upstreams: { app: { targets: [{ url: origin.url }] } },
      routes: [{ name: 'app', upstream: 'app' }],
    });
    tlsPort = proxy.ports.websecure;
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('forwards with X-Forwarded-Proto: https and the client Host', async () => {
    const res = await httpsGet(tlsPort, '/hello?x=1', { servername: 'a.test' });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body);
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.proto, 'https');
    assert.equal(seen.host, 'a.test');
    const [log] = await proxy.waitForLog((r) => r.path.startsWith('/hello'));
    assert.ok(log, 'the request is in the access log');
    assert.equal(log.host, 'a.test');
  });

  it('keeps the connection alive across requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set();
    try {
      for (let i = 0; i < 5; i++) {
        const res = await new Promise((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: tlsPort, path: `/k${i}`, servername: 'x.wild.test', ca: SNI_CA, agent, headers: { host: 'x.wild.test' } }, (r) => {
            sockets.add(r.socket);
            r.resume();
            r.on('end', () => resolve(r));
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal(res.statusCode, 200);
      }
      assert.equal(sockets.size, 1, 'one TLS connection for five requests');
    } finally {
      agent.destroy();
    }
  });

  it('streams large bodies both ways intact', async () => {
    const down = await new Promise((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: tlsPort, path: '/big', servername: 'a.test', ca: SNI_CA, agent: false, headers: { host: 'a.test' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
        .on('error', reject)
        .end();
    });
    assert.ok(down.equals(BIG), 'response body intact');
    const up = await httpsPost(tlsPort, '/upload', BIG);
    assert.equal(up.status, 200);
    assert.equal(JSON.parse(up.body.toString()).length, BIG.length);
  });

  it('a plain listener without redirectToHttps proxies with X-Forwarded-Proto: http', async () => {
    const res = await request(`http://127.0.0.1:${proxy.ports.plain}/p`);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body.toString()).proto, 'http');
  });

  it('redirectToHttps answers 308 to the first TLS listener, keeping host, path and query', async () => {
    const before = origin.requests.length;
    const get = await request(`http://127.0.0.1:${proxy.ports.web}/a/b?c=d&e`, { headers: { host: 'shop.test:8080' } });
    assert.equal(get.status, 308);
    assert.equal(get.headers.location, `https://shop.test:${tlsPort}/a/b?c=d&e`);
    const post = await request(`http://127.0.0.1:${proxy.ports.web}/form`, { method: 'POST', headers: { host: 'shop.test' }, body: 'x=1' });
    assert.equal(post.status, 308, '308 keeps the method and body (unlike 301)');
    assert.equal(post.headers.location, `https://shop.test:${tlsPort}/form`);
    const head = await request(`http://127.0.0.1:${proxy.ports.web}/h`, { method: 'HEAD', headers: { host: 'shop.test' } });
    assert.equal(head.status, 308);
    assert.equal(head.body.length, 0);
    assert.equal(origin.requests.length, before, 'nothing reached the origin over plain HTTP');
  });

  it('redirects absolute-form targets and IPv6 hosts, and refuses requests without a usable host', async () => {
    const port = proxy.ports.web;
    const absolute = await rawRequest(port, 'GET http://other.test:81/x?y HTTP/1.1\r\nHost: ignored.test\r\nConnection: close\r\n\r\n');
    assert.match(absolute.data, /^HTTP\/1\.1 308 /);
    assert.match(absolute.data, new RegExp(`\r\nLocation: https://other\\.test:${tlsPort}/x\\?y\r\n`));
    const v6 = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n');
    assert.match(v6.data, new RegExp(`\r\nLocation: https://\\[::1\\]:${tlsPort}/\r\n`));
    const noHost = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
    assert.match(noHost.data, /^HTTP\/1\.1 400 /);
    assert.match(noHost.data, /REQUEST_HOST_INVALID/);
  });

  it('keeps the client connection alive across redirects', async () => {
    const res = await rawRequest(proxy.ports.web, 'GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
    assert.equal(res.data.match(/HTTP\/1\.1 308 /g)?.length, 2);
    assert.match(res.data, new RegExp(`Location: https://a\\.test:${tlsPort}/2`));
  });

  it('does not redirect ACME challenge paths (unknown token: 404)', async () => {
    const res = await request(`http://127.0.0.1:${proxy.ports.web}/.well-known/acme-challenge/unknown-token`, { headers: { host: 'shop.test' } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.location, undefined);
  });
});

describe('redirectToHttps without a TLS listener', () => {
  let proxy;
  before(async () => {
    proxy = await startProxy({
      listeners: [{ name: 'web', address: '127.0.0.1:0', redirectToHttps: true }],
      routes: [{ respond: { status: 200, body: 'never' } }],
    });
  });
  after(() => proxy?.close());

  it('redirects to the default https port (TLS ends in front of Barbican)', async () => {
    const res = await request(`${proxy.url}/p?q`, { headers: { host: 'www.shop.test:8080' } });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'https://www.shop.test/p?q');
  });
});

describe('graceful shutdown with TLS connections', () => {
  it('closes idle TLS keep-alive connections and connections still in the handshake, then exits 0', async () => {
    const proxy = await startProxy({
      listeners: [{ name: 'websecure', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } }],
      routes: [{ respond: { status: 200, body: 'ok' } }],
    });
    const port = proxy.ports.websecure;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idle = await new Promise((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/', servername: 'a.test', ca: SNI_CA, agent, headers: { host: 'a.test' } }, (res) => {
        const socket = res.socket;
        res.resume();
        res.on('end', () => resolve(socket));
      })
        .on('error', reject)
        .end();
    });
    // A client that connects and never sends its ClientHello.
    const silent = net.connect(port, '127.0.0.1');
    await new Promise((r) => silent.once('connect', r));
    const closed = [new Promise((r) => idle.once('close', r)), new Promise((r) => silent.once('close', r))];
    silent.on('error', () => {});
    const t0 = Date.now();
    const code = await proxy.close('SIGTERM');
    await Promise.all(closed);
    agent.destroy();
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 5000, 'did not wait for the shutdown timeout');
  });
});

describe('connection caps on TLS listeners', () => {
  it('counts a connection from accept, before its handshake, and releases it when it closes', async () => {
    const proxy = await startProxy({
      server: { limits: { maxConnectionsPerIp: 1 } },
      listeners: [{ name: 'websecure', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } }],
      routes: [{ respond: { status: 200, body: 'ok' } }],
    });
    try {
      const port = proxy.ports.websecure;
      const silent = net.connect(port, '127.0.0.1');
      silent.on('error', () => {});
      await new Promise((r) => silent.once('connect', r));
      await new Promise((r) => setTimeout(r, 50));
      const refused = await handshake(port, { servername: 'a.test' });
      assert.ok(refused.error, 'a second connection from the same IP is refused while the first is in its handshake');
      silent.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const ok = await handshake(port, { servername: 'a.test' });
      assert.equal(ok.subject, 'a.test', ok.message);
    } finally {
      await proxy.close();
    }
  });
});
