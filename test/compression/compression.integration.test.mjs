// Compression end to end: the real binary between real origins and clients, bodies
// decompressed and compared by checksum, every "never" rule, Vary and ETag handling, HEAD,
// HTTP/1.0, backpressure, SSE flushing, and compression of cache hits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOrigin, startProxy, simpleConfig, request, rawRequest, adminRequest } from '../helpers.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Compressible text of `n` bytes, the same for the same n (HTML-like, with some variety). */
function text(n, seed = 0) {
  const words = ['<div class="item">', 'barbican', 'reverse', 'proxy', '</div>\n', 'compression', 'gzip', 'brotli', String(seed)];
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = words[(i * 7 + seed) % words.length] + (i % 13 === 0 ? ` ${i} ` : ' ');
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

const sha = (b) => createHash('sha256').update(b).digest('hex');
const decode = (coding, body) => (coding === 'br' ? zlib.brotliDecompressSync(body) : coding === 'gzip' ? zlib.gunzipSync(body) : body);

const HTML_20K = text(20 * KiB);
const originFetches = new Map();
let sseSecondSent = 0;

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  originFetches.set(p, (originFetches.get(p) ?? 0) + 1);
  const html = (extra = {}, body = HTML_20K, status = 200) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  switch (p) {
    case '/html':
    case '/plain/html':
    case '/nt-filter':
      return html();
    case '/html-vary':
      return html({ vary: 'Origin' });
    case '/html-vary-ae':
      return html({ vary: 'Accept-Encoding, Origin' });
    case '/small':
      return html({}, text(500));
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })) }));
    case '/chunked': {
      // Unknown length: compressed whatever its size.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(text(300));
      return setTimeout(() => res.end(text(300, 1)), 20);
    }
    case '/plain/chunked-digest':
    case '/chunked-digest': {
      // A digest and a strong ETag of the identity bytes, sent as trailers (RFC 9110 §6.5, RFC 9530).
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'Content-Digest, Repr-Digest, ETag, X-Checksum' });
      res.write(text(3000));
      res.addTrailers({ 'Content-Digest': 'sha-256=:aWRlbnRpdHk=:', 'Repr-Digest': 'sha-256=:aWRlbnRpdHk=:', ETag: '"t1"', 'X-Checksum': 'abc' });
      return res.end();
    }
    case '/png':
      return html({ 'content-type': 'image/png' });
    case '/pre-gzip': {
      const gz = zlib.gzipSync(HTML_20K);
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': gz.length, vary: 'Accept-Encoding' });
      return res.end(gz);
    }
    case '/no-transform':
      return html({ 'cache-control': 'max-age=10, no-transform' });
    case '/range': {
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!range) return html({ 'accept-ranges': 'bytes' });
      const [start, end] = [Number(range[1]), Number(range[2])];
      const part = HTML_20K.subarray(start, end + 1);
      res.writeHead(206, { 'content-type': 'text/html', 'content-range': `bytes ${start}-${end}/${HTML_20K.length}`, 'content-length': part.length });
      return res.end(part);
    }
    case '/etag': {
      // An origin comparing If-None-Match weakly, as RFC 9110 §13.1.2 says.
      const inm = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
      if (inm.includes('"v1"')) {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      return html({ etag: '"v1"', 'accept-ranges': 'bytes' });
    }
    case '/no-content':
      res.writeHead(204, { 'content-type': 'text/html' });
      return res.end();
    case '/cached':
      return html({ 'cache-control': 'max-age=60', etag: '"c1"' });
    case '/cached-png':
      return html({ 'cache-control': 'max-age=60', 'content-type': 'image/png' });
    case '/sse/events': {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      const timer = setTimeout(() => {
        sseSecondSent = Date.now();
        res.end('data: second\n\n');
      }, 1500);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case '/sse/flood': {
      // 32 MiB of barely-compressible text, written with backpressure; reports how far it got.
      res.writeHead(200, { 'content-type': 'text/plain' });
      floodState.written = 0;
      floodState.hash = createHash('sha256');
      const step = () => {
        while (floodState.written < FLOOD_TOTAL) {
          const chunk = Buffer.from(randomBytes(48 * KiB).toString('base64')); // 64 KiB
          floodState.hash.update(chunk);
          floodState.written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', step);
        }
        floodState.digest = floodState.hash.digest('hex');
        res.end();
      };
      return step();
    }
    case '/big': {
      // 8 MiB streamed in 64 KiB chunks (chunked).
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const step = () => {
        while (i < 128) {
          if (!res.write(text(64 * KiB, i++))) return res.once('drain', step);
        }
        res.end();
      };
      return step();
    }
    case '/big-length': {
      // 8 MiB with a Content-Length: relayed to the compressor as slices of the proxy's read buffer.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 128 * 64 * KiB });
      let i = 0;
      const step = () => {
        while (i < 128) {
          if (!res.write(text(64 * KiB, i++))) return res.once('drain', step);
        }
        res.end();
      };
      return step();
    }
    default:
      return html();
  }
}

const FLOOD_TOTAL = 32 * MiB;
const floodState = { written: 0, hash: null, digest: '' };
const BIG_SHA = sha(Buffer.concat(Array.from({ length: 128 }, (_, i) => text(64 * KiB, i))));

let origin;
let proxy;

before(async () => {
  origin = await startOrigin(handler);
  const config = simpleConfig(origin.url, { compression: {} }, { cache: { maxBytes: '4MiB' }, admin: { address: '127.0.0.1:0' } });
  config.routes = [
    { name: 'sse', match: { pathPrefix: '/sse/' }, upstream: 'origin', compression: { types: ['text/event-stream', 'text/plain'], algorithms: ['gzip', 'br'] } },
    { name: 'cached', match: { pathPrefix: '/cached' }, upstream: 'origin', cache: { enabled: true }, compression: {} },
    { name: 'plain', match: { pathPrefix: '/plain/' }, upstream: 'origin' },
    { name: 'off', match: { pathPrefix: '/off/' }, upstream: 'origin', compression: { enabled: false } },
    { name: 'nt', match: { path: '/nt-filter' }, upstream: 'origin', responseHeaders: { set: { 'cache-control': 'no-transform' } }, compression: {} },
    { name: 'fixed', match: { path: '/fixed' }, respond: { status: 200, body: text(4000).toString(), headers: { 'content-type': 'text/html', etag: '"f1"' } }, compression: {} },
    { name: 'main', upstream: 'origin', compression: { types: ['text/html', 'application/json', 'text/plain', 'image/svg+xml'] } },
  ];
  proxy = await startProxy(config);
});
after(async () => {
  await proxy?.close();
  await origin?.close();
});

const get = (path, headers = {}, method = 'GET') => request(`${proxy.url}${path}`, { method, headers });

describe('round trips', () => {
  for (const coding of ['br', 'gzip']) {
    it(`${coding}: a 20 KiB HTML page, decompressed to the same bytes`, async () => {
      const r = await get('/html', { 'accept-encoding': `${coding}` });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.equal(r.headers['content-length'], undefined);
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(r.body.length < HTML_20K.length / 4, `compressed to ${r.body.length} bytes`);
      assert.equal(sha(decode(coding, r.body)), sha(HTML_20K));
    });

    it(`${coding}: 8 MiB streamed (chunked from the origin), checksum end to end`, async () => {
      const r = await get('/big', { 'accept-encoding': coding });
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(sha(decode(coding, r.body)), BIG_SHA);
      console.log(`# ${coding}: 8 MiB → ${r.body.length} bytes`);
    });

    it(`${coding}: 8 MiB with a Content-Length (the proxy's read buffer is not reused under the compressor)`, async () => {
      const r = await get('/big-length', { 'accept-encoding': coding });
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(r.headers['content-length'], undefined);
      assert.equal(sha(decode(coding, r.body)), BIG_SHA);
    });
  }

  it('a browser Accept-Encoding gets br (the route order); gzip when br is refused', async () => {
    assert.equal((await get('/html', { 'accept-encoding': 'gzip, deflate, br, zstd' })).headers['content-encoding'], 'br');
    assert.equal((await get('/html', { 'accept-encoding': 'gzip, br;q=0' })).headers['content-encoding'], 'gzip');
    assert.equal((await get('/html', { 'accept-encoding': 'gzip;q=1, br;q=0.5' })).headers['content-encoding'], 'gzip');
  });

  it('JSON and chunked responses of unknown length are compressed', async () => {
    const r = await get('/json', { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(decode('gzip', r.body)).items.length, 500);
    const c = await get('/chunked', { 'accept-encoding': 'br' });
    assert.equal(c.headers['content-encoding'], 'br');
    assert.equal(decode('br', c.body).toString(), Buffer.concat([text(300), text(300, 1)]).toString());
  });

  it('trailers about the identity bytes (digests, a strong ETag) do not follow a compressed body', async () => {
    const { data } = await rawRequest(proxy.port, 'GET /chunked-digest HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nTE: trailers\r\nConnection: close\r\n\r\n');
    const head = data.slice(0, data.indexOf('\r\n\r\n'));
    assert.match(head, /\r\nContent-Encoding: gzip/i);
    assert.match(head, /\r\nTransfer-Encoding: chunked/i);
    const trailer = data.slice(data.lastIndexOf('\r\n0\r\n') + 5);
    assert.match(trailer, /^X-Checksum: abc\r\n/m, 'an ordinary trailer is passed on');
    assert.doesNotMatch(trailer, /Content-Digest|Repr-Digest/i, 'a digest of the identity bytes would be false');
    assert.match(trailer, /^ETag: W\/"t1"\r\n/m, 'a strong ETag is weakened as in the head (RFC 9110 §8.8.3)');
    // Without compression the same trailers pass unchanged.
    const plain = await rawRequest(proxy.port, 'GET /plain/chunked-digest HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n');
    const plainTrailer = plain.data.slice(plain.data.lastIndexOf('\r\n0\r\n') + 5);
    assert.match(plainTrailer, /^Content-Digest: sha-256=:aWRlbnRpdHk=:\r\n/m);
    assert.match(plainTrailer, /^ETag: "t1"\r\n/m);
  });

  it('the origin is asked with the client\'s Accept-Encoding, and its own compression passes through', async () => {
    const before = origin.requests.length;
    const r = await get('/pre-gzip', { 'accept-encoding': 'br, gzip' });
    assert.equal(origin.requests[before].headers['accept-encoding'], 'br, gzip');
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(Number(r.headers['content-length']), r.body.length);
    assert.equal(sha(zlib.gunzipSync(r.body)), sha(HTML_20K));
  });
});

describe('never compressed', () => {
  const cases = [
    ['no Accept-Encoding', '/html', {}, 'Accept-Encoding'],
    ['Accept-Encoding: identity', '/html', { 'accept-encoding': 'identity' }, 'Accept-Encoding'],
    ['only codings not offered', '/html', { 'accept-encoding': 'deflate, compress' }, 'Accept-Encoding'],
    ['everything refused', '/html', { 'accept-encoding': 'br;q=0, gzip;q=0' }, 'Accept-Encoding'],
    ['a body under minBytes', '/small', { 'accept-encoding': 'gzip, br' }, undefined],
    ['a type not listed (image/png)', '/png', { 'accept-encoding': 'gzip, br' }, undefined],
    ['Cache-Control: no-transform from the origin', '/no-transform', { 'accept-encoding': 'gzip, br' }, undefined],
    ['no-transform set by the route\'s header edits', '/nt-filter', { 'accept-encoding': 'gzip, br' }, undefined],
    ['a request with Cache-Control: no-transform', '/html', { 'accept-encoding': 'gzip, br', 'cache-control': 'no-transform' }, 'Accept-Encoding'],
    ['a route without compression', '/plain/html', { 'accept-encoding': 'gzip, br' }, undefined],
    ['a route with enabled: false', '/off/html', { 'accept-encoding': 'gzip, br' }, undefined],
  ];
  for (const [what, path, headers, vary] of cases) {
    it(what, async () => {
      const r = await get(path, headers);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers.vary, vary);
      assert.equal(Number(r.headers['content-length']), r.body.length, 'the origin\'s length is kept');
    });
  }

  it('a range: the origin\'s 206 is passed as it is; a Range request is never compressed', async () => {
    const r = await get('/range', { 'accept-encoding': 'gzip, br', range: 'bytes=0-99' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers['content-range'], `bytes 0-99/${HTML_20K.length}`);
    assert.equal(r.body.toString(), HTML_20K.subarray(0, 100).toString());
    // The full response, compressed, does not advertise ranges it cannot serve.
    const full = await get('/range', { 'accept-encoding': 'gzip' });
    assert.equal(full.headers['content-encoding'], 'gzip');
    assert.equal(full.headers['accept-ranges'], undefined);
  });

  it('204 has no body to compress', async () => {
    const r = await get('/no-content', { 'accept-encoding': 'gzip' });
    assert.equal(r.status, 204);
    assert.equal(r.headers['content-encoding'], undefined);
  });
});

describe('Vary', () => {
  it('merged into the origin\'s Vary, never repeated', async () => {
    const r = await get('/html-vary', { 'accept-encoding': 'gzip' });
    assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
    const id = await get('/html-vary');
    assert.equal(id.headers.vary, 'Origin, Accept-Encoding');
    const already = await get('/html-vary-ae', { 'accept-encoding': 'br' });
    assert.equal(already.headers['content-encoding'], 'br');
    assert.deepEqual(already.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'vary').length, 1);
    assert.equal(already.headers.vary, 'Accept-Encoding, Origin');
  });
});

describe('ETag and conditional requests', () => {
  it('the compressed representation has a weak ETag; identity keeps the strong one', async () => {
    const br = await get('/etag', { 'accept-encoding': 'br' });
    assert.equal(br.headers.etag, 'W/"v1"');
    assert.equal(br.headers['accept-ranges'], undefined);
    const id = await get('/etag');
    assert.equal(id.headers.etag, '"v1"');
    assert.equal(id.headers['accept-ranges'], 'bytes');
  });

  it('If-None-Match with the weak ETag gets a 304 carrying the weak ETag and Vary', async () => {
    const r = await get('/etag', { 'accept-encoding': 'br', 'if-none-match': 'W/"v1"' });
    assert.equal(r.status, 304);
    assert.equal(r.headers.etag, 'W/"v1"');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.equal(r.body.length, 0);
    const strong = await get('/etag', { 'if-none-match': '"v1"' });
    assert.equal(strong.status, 304);
    assert.equal(strong.headers.etag, '"v1"');
  });
});

describe('HEAD and HTTP/1.0', () => {
  it('HEAD gets the head GET would get, without a body', async () => {
    const head = await get('/html', { 'accept-encoding': 'gzip' }, 'HEAD');
    const getr = await get('/html', { 'accept-encoding': 'gzip' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const h of ['content-encoding', 'vary', 'content-type', 'content-length']) assert.equal(head.headers[h], getr.headers[h], h);
  });

  it('pipelined requests: each compressed response is complete, in order, before the next', async () => {
    const one = 'GET /chunked HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n';
    const { data } = await rawRequest(proxy.port, `${one}${one}GET /html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    let rest = Buffer.from(data, 'latin1');
    const expected = Buffer.concat([text(300), text(300, 1)]);
    for (let n = 0; n < 3; n++) {
      const s = rest.toString('latin1');
      const headEnd = s.indexOf('\r\n\r\n');
      const head = s.slice(0, headEnd);
      let i = headEnd + 4;
      if (n < 2) {
        assert.match(head, /Content-Encoding: gzip/i);
        const chunks = [];
        for (;;) {
          const lineEnd = s.indexOf('\r\n', i);
          const size = parseInt(s.slice(i, lineEnd), 16);
          i = lineEnd + 2;
          if (size === 0) break;
          chunks.push(rest.subarray(i, i + size));
          i += size + 2;
        }
        i += 2;
        assert.deepEqual(zlib.gunzipSync(Buffer.concat(chunks)), expected, `response ${n}`);
      } else {
        assert.doesNotMatch(head, /Content-Encoding/i);
        assert.equal(sha(rest.subarray(i)), sha(HTML_20K));
      }
      rest = rest.subarray(i);
    }
  });

  it('HTTP/1.0: the compressed body is close-delimited (no chunked encoding)', async () => {
    const { data, closed } = await rawRequest(proxy.port, 'GET /html HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    assert.ok(closed, 'the connection is closed at the end of the body');
    const end = data.indexOf('\r\n\r\n');
    const head = data.slice(0, end);
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.match(head, /\r\nContent-Encoding: gzip/i);
    assert.doesNotMatch(head, /Transfer-Encoding|Content-Length/i);
    assert.equal(sha(zlib.gunzipSync(Buffer.from(data.slice(end + 4), 'latin1'))), sha(HTML_20K));
  });
});

describe('streaming', () => {
  it('an event stream is flushed: the first event arrives decompressible before the second is sent', async () => {
    const req = http.get(`${proxy.url}/sse/events`, { headers: { 'accept-encoding': 'gzip' }, agent: false });
    const [res] = await once(req, 'response');
    assert.equal(res.headers['content-encoding'], 'gzip');
    const gunzip = zlib.createGunzip();
    res.pipe(gunzip);
    const events = [];
    const start = Date.now();
    gunzip.on('data', (d) => events.push({ at: Date.now(), text: d.toString() }));
    await once(gunzip, 'end');
    const all = events.map((e) => e.text).join('');
    assert.equal(all, 'data: first\n\ndata: second\n\n');
    const first = events.find((e) => e.text.includes('first'));
    assert.ok(first.at - start < 1000, `first event after ${first.at - start} ms`);
    assert.ok(first.at < sseSecondSent, 'the first event was not held until the second');
  });

  it('backpressure: a client that stops reading stops the origin; the body is intact afterwards', async () => {
    const req = http.get(`${proxy.url}/sse/flood`, { headers: { 'accept-encoding': 'gzip' }, agent: false });
    const [res] = await once(req, 'response');
    assert.equal(res.headers['content-encoding'], 'gzip');
    res.pause();
    await sleep(1500);
    const writtenWhilePaused = floodState.written;
    console.log(`# origin wrote ${(writtenWhilePaused / MiB).toFixed(1)} MiB of ${FLOOD_TOTAL / MiB} while the client read nothing`);
    assert.ok(writtenWhilePaused < FLOOD_TOTAL / 2, `origin wrote ${writtenWhilePaused} bytes`);
    const hash = createHash('sha256');
    const gunzip = zlib.createGunzip();
    gunzip.on('data', (d) => hash.update(d));
    res.pipe(gunzip);
    await once(gunzip, 'end');
    assert.equal(hash.digest('hex'), floodState.digest);
  });

  it('a client that goes away mid-body: logged 499, the proxy keeps serving', async () => {
    const req = http.get(`${proxy.url}/big`, { headers: { 'accept-encoding': 'br' }, agent: false });
    const [res] = await once(req, 'response');
    await once(res, 'data');
    req.destroy();
    await sleep(200);
    const r = await get('/html', { 'accept-encoding': 'br' });
    assert.equal(sha(decode('br', r.body)), sha(HTML_20K));
    assert.equal((await proxy.waitForLog((l) => l.path === '/big' && l.status === 499)).length, 1);
  });
});

describe('with the cache', () => {
  it('one origin fetch: stored as sent, compressed for br clients, identity for others, Vary on both', async () => {
    const first = await get('/cached', { 'accept-encoding': 'br' });
    assert.equal(first.headers['content-encoding'], 'br');
    assert.match(first.headers['cache-status'], /fwd=uri-miss; stored/);
    assert.equal(sha(decode('br', first.body)), sha(HTML_20K));

    const hit = await get('/cached', { 'accept-encoding': 'gzip, br' });
    assert.match(hit.headers['cache-status'], /hit/);
    assert.equal(hit.headers['content-encoding'], 'br');
    assert.equal(hit.headers.vary, 'Accept-Encoding');
    assert.equal(hit.headers.etag, 'W/"c1"');
    assert.equal(Number(hit.headers['content-length']), hit.body.length, 'a stored copy has a known length');
    assert.equal(sha(decode('br', hit.body)), sha(HTML_20K));

    const again = await get('/cached', { 'accept-encoding': 'br' });
    assert.deepEqual(again.body, hit.body, 'the same compressed copy');

    const identity = await get('/cached');
    assert.match(identity.headers['cache-status'], /hit/);
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(identity.headers.vary, 'Accept-Encoding');
    assert.equal(identity.headers.etag, '"c1"');
    assert.equal(sha(identity.body), sha(HTML_20K));

    const gzip = await get('/cached', { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(sha(decode('gzip', gzip.body)), sha(HTML_20K));

    const head = await get('/cached', { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-encoding'], 'br');
    assert.equal(head.headers['content-length'], hit.headers['content-length']);
    assert.equal(head.body.length, 0);

    assert.equal(originFetches.get('/cached'), 1, 'one origin fetch');
  });

  it('a conditional hit: 304 with the weak ETag for a br client, the strong one otherwise', async () => {
    await get('/cached');
    const br = await get('/cached', { 'accept-encoding': 'br', 'if-none-match': 'W/"c1"' });
    assert.equal(br.status, 304);
    assert.equal(br.headers.etag, 'W/"c1"');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    const id = await get('/cached', { 'if-none-match': '"c1"' });
    assert.equal(id.status, 304);
    assert.equal(id.headers.etag, '"c1"');
  });

  it('a cached range is the identity bytes; a stored image is never compressed', async () => {
    const r = await get('/cached', { 'accept-encoding': 'br', range: 'bytes=10-19' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.body.toString(), HTML_20K.subarray(10, 20).toString());
    await get('/cached-png', { 'accept-encoding': 'br' });
    const png = await get('/cached-png', { 'accept-encoding': 'br' });
    assert.match(png.headers['cache-status'], /hit/);
    assert.equal(png.headers['content-encoding'], undefined);
    assert.equal(png.headers.vary, undefined);
    assert.equal(sha(png.body), sha(HTML_20K));
  });
});

describe('metrics', () => {
  it('compressed responses and their bytes before and after, by algorithm', async () => {
    const metric = async () => (await adminRequest(proxy, '/metrics')).body.toString();
    const value = (text, name, algorithm) => Number(new RegExp(`^${name}\\{algorithm="${algorithm}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const before = await metric();
    await get('/html', { 'accept-encoding': 'gzip' });
    await get('/html', { 'accept-encoding': 'gzip' });
    await get('/html'); // identity: not counted
    const after = await metric();
    assert.equal(value(after, 'barbican_compressed_responses_total', 'gzip') - value(before, 'barbican_compressed_responses_total', 'gzip'), 2);
    const input = value(after, 'barbican_compression_input_bytes_total', 'gzip') - value(before, 'barbican_compression_input_bytes_total', 'gzip');
    const output = value(after, 'barbican_compression_output_bytes_total', 'gzip') - value(before, 'barbican_compression_output_bytes_total', 'gzip');
    assert.equal(input, 2 * HTML_20K.length);
    assert.ok(output > 0 && output < input / 4, `output ${output} for input ${input}`);
  });
});

describe('respond routes', () => {
  it('a fixed body is compressed like a forwarded one (same head for HEAD, identity with Vary)', async () => {
    const br = await get('/fixed', { 'accept-encoding': 'br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers.etag, 'W/"f1"');
    assert.equal(Number(br.headers['content-length']), br.body.length);
    assert.equal(decode('br', br.body).toString(), text(4000).toString());
    const again = await get('/fixed', { 'accept-encoding': 'br' });
    assert.deepEqual(again.body, br.body);
    const head = await get('/fixed', { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-length'], br.headers['content-length']);
    assert.equal(head.body.length, 0);
    const id = await get('/fixed');
    assert.equal(id.headers['content-encoding'], undefined);
    assert.equal(id.headers.vary, 'Accept-Encoding');
    assert.equal(id.headers.etag, '"f1"');
    assert.equal(id.body.toString(), text(4000).toString());
  });
});
