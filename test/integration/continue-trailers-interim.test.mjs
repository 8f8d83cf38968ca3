// Expect: 100-continue (RFC 9110 §10.1.1), trailer fields both ways (RFC 9110 §6.5, RFC 9112
// §7.1.2) and interim responses (RFC 9110 §15.2) through the real binary.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { deadAddress, startOrigin, startProxy, startRawOrigin } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A raw client connection: write, read everything, wait for a pattern. */
async function rawClient(port) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  return {
    socket,
    get data() {
      return data;
    },
    get closed() {
      return closed;
    },
    async waitFor(pattern, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(data)) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${pattern}; got:\n${data}`);
        await sleep(10);
      }
    },
  };
}

describe('Expect, trailers and interim responses', () => {
  let origin;
  let proxy;
  let dir;
  /** URLs of the requests the origin read to their end. */
  const completed = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-interim-'));
    const users = join(dir, 'htpasswd');
    writeFileSync(users, `alice:${bcrypt.hashSync('wonderland', 8)}\n`);
    origin = await startOrigin((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        completed.push(req.url);
        if (req.url === '/trailers') {
          res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
          res.write('some content');
          // host and cache-control must never travel as trailers (RFC 9110 §6.5.1). (A
          // Content-Length trailer is refused by llhttp itself: see the request-side test.)
          res.addTrailers({ 'x-checksum': 'sha256=abc', host: 'evil.test', 'cache-control': 'no-store' });
          res.end();
        } else if (req.url === '/hints-hop') {
          // X-Hop is named by Connection: it is about the origin's hop only (RFC 9110 §7.6.1).
          res.writeEarlyHints({ link: '</a.css>; rel=preload; as=style', connection: 'x-hop', 'x-hop': 'origin-only' });
          res.end('final');
        } else if (req.url === '/hints') {
          res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
          res.writeProcessing();
          setTimeout(() => res.end('final'), 50);
        } else {
          const json = JSON.stringify({ body, expect: req.headers.expect ?? null, te: req.headers.te ?? null, trailers: req.trailers });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
          res.end(json);
        }
      });
    });
    const dead = await deadAddress();
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] }, dead: { targets: [{ url: dead }], retries: { attempts: 1 } } },
      routes: [
        { name: 'auth', match: { pathPrefix: '/auth/' }, upstream: 'origin', access: { basicAuth: { realm: 'r', usersFile: users } } },
        { name: 'dead', match: { pathPrefix: '/dead/' }, upstream: 'dead' },
        { name: 'main', upstream: 'origin', maxBodyBytes: 1024 },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // --- Expect: 100-continue ---

  it('Expect: 100-continue: 100 comes before the body is sent, the origin gets the body without Expect', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /upload HTTP/1.1\r\nHost: t.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    assert.doesNotMatch(c.data, /HTTP\/1\.1 200/, 'nothing final before the body');
    c.socket.write('hello');
    await c.waitFor(/\r\n\r\n\{.*\}$/s);
    assert.match(c.data, /HTTP\/1\.1 200 OK/);
    const json = JSON.parse(c.data.slice(c.data.lastIndexOf('\r\n\r\n') + 4));
    assert.equal(json.body, 'hello');
    assert.equal(json.expect, null, 'Expect is not forwarded (Barbican answered it)');
    assert.equal(c.data.match(/100 Continue/g).length, 1, 'exactly one 100');
    c.socket.destroy();
  });

  it('Expect with a body over maxBodyBytes: 413 instead of 100', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /upload HTTP/1.1\r\nHost: t.test\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor(/^HTTP\/1\.1 413 /);
    assert.doesNotMatch(c.data, /100 Continue/);
    c.socket.destroy();
  });

  it('Expect without credentials on a basic-auth route: 401 instead of 100', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /auth/upload HTTP/1.1\r\nHost: t.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor(/^HTTP\/1\.1 401 /);
    assert.doesNotMatch(c.data, /100 Continue/);
    c.socket.destroy();
  });

  it('Expect with no reachable target: 502 instead of 100', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /dead/upload HTTP/1.1\r\nHost: t.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await c.waitFor(/^HTTP\/1\.1 502 /);
    assert.doesNotMatch(c.data, /100 Continue/);
    c.socket.destroy();
  });

  it('Expect from an HTTP/1.0 client: no 100 (RFC 9110 §15.2), the request still goes through', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /upload HTTP/1.0\r\nHost: t.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello');
    await c.waitFor(/HTTP\/1\.1 200 OK/);
    await c.waitFor(/\}$/);
    assert.doesNotMatch(c.data, /100 Continue/);
    c.socket.destroy();
  });

  // --- trailers ---

  it('response trailers reach an HTTP/1.1 client; framing and routing fields never do', async () => {
    const res = await new Promise((resolve, reject) => {
      http.get(`${proxy.url}/trailers`, { headers: { te: 'trailers' } }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body, trailers: r.trailers }));
      }).on('error', reject);
    });
    assert.equal(res.body, 'some content');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(res.trailers, { 'x-checksum': 'sha256=abc' });
  });

  it('response trailers are dropped for an HTTP/1.0 client (no chunked framing to carry them)', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('GET /trailers HTTP/1.0\r\nHost: t.test\r\n\r\n');
    await c.waitFor(/some content$/);
    await sleep(100);
    assert.doesNotMatch(c.data, /x-checksum: /i);
    assert.doesNotMatch(c.data, /Transfer-Encoding/i);
    c.socket.destroy();
  });

  it('request trailers are forwarded in the re-chunked body, without forbidden fields; TE: trailers is kept', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write(
      'POST /echo HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\nTrailer: x-digest\r\n\r\n' +
        '5\r\nhello\r\n0\r\nX-Digest: md5=xyz\r\nHost: evil.test\r\nAuthorization: Basic YTpi\r\n\r\n',
    );
    await c.waitFor(/\r\n\r\n\{.*\}$/s);
    const json = JSON.parse(c.data.slice(c.data.lastIndexOf('\r\n\r\n') + 4));
    assert.equal(json.body, 'hello');
    assert.deepEqual(json.trailers, { 'x-digest': 'md5=xyz' });
    assert.equal(json.te, 'trailers');
    c.socket.destroy();
  });

  it('a Content-Length in a request trailer section is refused (400) and no complete request reaches the origin', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('POST /echo-cl HTTP/1.1\r\nHost: t.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 42\r\n\r\n');
    await c.waitFor(/^HTTP\/1\.1 400 /);
    await sleep(100);
    assert.ok(!completed.includes('/echo-cl'), 'the origin never read a complete request');
    c.socket.destroy();
  });

  it('TE without trailers is not forwarded (hop-by-hop, RFC 9110 §7.6.1)', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('GET /echo HTTP/1.1\r\nHost: t.test\r\nTE: gzip\r\nConnection: TE\r\n\r\n');
    await c.waitFor(/\r\n\r\n\{.*\}$/s);
    const json = JSON.parse(c.data.slice(c.data.lastIndexOf('\r\n\r\n') + 4));
    assert.equal(json.te, null);
    c.socket.destroy();
  });

  // --- interim responses ---

  it('103 Early Hints and 102 from the origin reach an HTTP/1.1 client before the final response', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('GET /hints HTTP/1.1\r\nHost: t.test\r\n\r\n');
    await c.waitFor(/final$/);
    const hints = c.data.indexOf('HTTP/1.1 103 Early Hints\r\n');
    const processing = c.data.indexOf('HTTP/1.1 102 Processing\r\n');
    const final = c.data.indexOf('HTTP/1.1 200 OK\r\n');
    assert.ok(hints === 0, `103 first:\n${c.data}`);
    assert.ok(processing > hints && final > processing, `102 then 200:\n${c.data}`);
    assert.match(c.data.slice(0, final), /\r\nlink: <\/style\.css>; rel=preload; as=style\r\n/i);
    c.socket.destroy();
  });

  it('a field the 103 names in Connection stays behind (RFC 9110 §7.6.1)', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('GET /hints-hop HTTP/1.1\r\nHost: t.test\r\n\r\n');
    await c.waitFor(/final$/);
    const interim = c.data.slice(0, c.data.indexOf('HTTP/1.1 200 OK\r\n'));
    assert.match(interim, /^HTTP\/1\.1 103 Early Hints\r\n/);
    assert.match(interim, /\r\nlink: <\/a\.css>; rel=preload; as=style\r\n/i);
    assert.doesNotMatch(interim, /x-hop|origin-only/i);
    c.socket.destroy();
  });

  it('no interim response reaches an HTTP/1.0 client', async () => {
    const c = await rawClient(proxy.port);
    c.socket.write('GET /hints HTTP/1.0\r\nHost: t.test\r\n\r\n');
    await c.waitFor(/final$/);
    assert.match(c.data, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(c.data, / 10[23] /);
    c.socket.destroy();
  });
});

describe('interim responses under backpressure', () => {
  const HINTS = 20_000;
  const LINK = `<${'/x'.repeat(2000)}>; rel=preload`; // ~4 KiB per 103: ~80 MiB in all
  let origin;
  let proxy;
  /** How many 103s the origin had written when the client started reading. */
  let sentWhenClientRead = -1;
  let sent = 0;

  before(async () => {
    // A target that sends 103s as fast as its socket takes them, then the final response.
    origin = await startRawOrigin((socket) => {
      socket.once('data', async () => {
        for (sent = 0; sent < HINTS; sent++) {
          if (!socket.write(`HTTP/1.1 103 Early Hints\r\nLink: ${LINK}\r\n\r\n`)) await once(socket, 'drain');
        }
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfinal');
      });
      socket.on('error', () => {});
    });
    // The target answers within its 1 s; the client's stall (1.5 s) is not counted against it.
    proxy = await startProxy({ upstreams: { origin: { targets: [{ url: origin.url }], timeouts: { responseHeaders: '1s' } } }, routes: [{ upstream: 'origin' }] });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('a client that does not read holds the target back (without a timeout blamed on it), then gets every 103 and the response', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.pause();
    socket.write('GET /hints HTTP/1.1\r\nHost: t.test\r\n\r\n');
    // Kernel buffers on the way hold a few MiB; without backpressure the proxy would read all
    // 80 MiB into memory within this time.
    await sleep(1500);
    sentWhenClientRead = sent;
    const marker = 'HTTP/1.1 103 Early Hints\r\n';
    let hints = 0;
    let tail = ''; // shorter than the marker: no marker is counted twice
    let done = false;
    socket.on('data', (d) => {
      const text = tail + d.toString('latin1');
      hints += text.split(marker).length - 1;
      done = text.endsWith('\r\n\r\nfinal');
      tail = text.slice(-(marker.length - 1));
    });
    socket.resume();
    const deadline = Date.now() + 20_000;
    while (!done && Date.now() < deadline) await sleep(20);
    socket.destroy();
    assert.ok(sentWhenClientRead < HINTS / 2, `the target was held back (it had sent ${sentWhenClientRead} of ${HINTS} 103s)`);
    assert.ok(done, 'the final response arrived');
    assert.equal(hints, HINTS);
  });
});
