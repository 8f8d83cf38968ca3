// The compression policy table: which responses are compressed and how their head changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { routeCompressionSchema, RouteCompression, addVaryAcceptEncoding, toEncodedHead } from '../../dist/compression/index.js';

const policy = (config = {}) => new RouteCompression(routeCompressionSchema.parse(config));
const req = (headers = {}, method = 'GET') => ({ method, header: (n) => headers[n] });
const HTML = ['Content-Type', 'text/html; charset=utf-8'];

describe('compressibility', () => {
  const p = policy();
  const cases = [
    // [status, headers, contentLength, expected]
    [200, HTML, 5000, 'compressible'],
    [200, HTML, -1, 'compressible'], // unknown length: compressed
    [404, HTML, 5000, 'compressible'],
    [200, HTML, 100, 'small'],
    [200, HTML, 1023, 'small'],
    [200, HTML, 1024, 'compressible'],
    [204, HTML, 0, 'no-content'],
    [304, HTML, -1, 'no-content'],
    [101, [], -1, 'no-content'],
    [206, [...HTML, 'Content-Range', 'bytes 0-9/100'], 10, 'partial'],
    [200, [...HTML, 'Content-Range', 'bytes 0-9/100'], 5000, 'partial'],
    [200, [...HTML, 'Cache-Control', 'public, no-transform'], 5000, 'no-transform'],
    [200, [...HTML, 'cache-control', 'No-Transform'], 5000, 'no-transform'],
    [200, [...HTML, 'Cache-Control', 'max-age=60'], 5000, 'compressible'],
    [200, [...HTML, 'Content-Encoding', 'gzip'], 5000, 'encoded'],
    [200, [...HTML, 'Content-Encoding', 'identity'], 5000, 'compressible'],
    [200, ['Content-Type', 'image/png'], 5000, 'type'],
    [200, ['Content-Type', 'video/mp4'], 5000, 'type'],
    [200, ['Content-Type', 'application/zip'], 5000, 'type'],
    [200, ['Content-Type', 'text/event-stream'], -1, 'type'],
    [200, [], 5000, 'type'],
    [200, ['Content-Type', 'application/json'], 5000, 'compressible'],
    [200, ['Content-Type', 'application/problem+json'], 5000, 'compressible'],
    [200, ['Content-Type', 'application/atom+xml'], 5000, 'compressible'],
    [200, ['Content-Type', 'IMAGE/SVG+XML'], 5000, 'compressible'],
  ];
  for (const [status, headers, length, expected] of cases) {
    it(`${status} ${JSON.stringify(headers)} length ${length} → ${expected}`, () => {
      assert.equal(p.compressibility(status, headers, length), expected);
    });
  }

  it('types patterns: type/* and type/*+suffix', () => {
    const q = policy({ types: ['text/*', 'application/*+json'] });
    assert.equal(q.compressibility(200, ['Content-Type', 'text/event-stream'], -1), 'compressible');
    assert.equal(q.compressibility(200, ['Content-Type', 'application/vnd.api+json'], -1), 'compressible');
    assert.equal(q.compressibility(200, ['Content-Type', 'application/json'], -1), 'type');
  });
});

describe('prepare (head edits)', () => {
  const p = policy();
  it('compresses for a client that accepts br: Content-Encoding, Vary, weak ETag, no Accept-Ranges', () => {
    const h = [...HTML, 'ETag', '"abc"', 'Accept-Ranges', 'bytes', 'Vary', 'Origin'];
    assert.equal(p.prepare(req({ 'accept-encoding': 'gzip, br' }), 200, h, 5000), 'br');
    assert.deepEqual(h, [...HTML, 'ETag', 'W/"abc"', 'Vary', 'Origin, Accept-Encoding', 'Content-Encoding', 'br']);
  });
  it('identity for a client without Accept-Encoding, with Vary: Accept-Encoding', () => {
    const h = [...HTML, 'ETag', '"abc"'];
    assert.equal(p.prepare(req(), 200, h, 5000), null);
    assert.deepEqual(h, [...HTML, 'ETag', '"abc"', 'Vary', 'Accept-Encoding']);
  });
  it('never for a Range request (identity, Vary)', () => {
    const h = [...HTML];
    assert.equal(p.prepare(req({ 'accept-encoding': 'gzip', range: 'bytes=0-9' }), 200, h, 5000), null);
    assert.deepEqual(h, [...HTML, 'Vary', 'Accept-Encoding']);
  });
  it('never for a request with Cache-Control: no-transform', () => {
    assert.equal(p.prepare(req({ 'accept-encoding': 'gzip', 'cache-control': 'no-transform' }), 200, [...HTML], 5000), null);
  });
  it('does not touch responses that are not compressible', () => {
    for (const h of [['Content-Type', 'image/png'], [...HTML, 'Content-Encoding', 'gzip'], [...HTML, 'Cache-Control', 'no-transform']]) {
      const copy = [...h];
      assert.equal(p.prepare(req({ 'accept-encoding': 'gzip' }), 200, copy, 5000), null);
      assert.deepEqual(copy, h);
    }
  });
  it('HEAD gets the head GET would get', () => {
    const h = [...HTML];
    assert.equal(p.prepare(req({ 'accept-encoding': 'gzip' }, 'HEAD'), 200, h, 5000), 'gzip');
    assert.deepEqual(h, [...HTML, 'Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding']);
  });
  it('a 304 for a client revalidating the compressed copy (W/ in If-None-Match) gets the weak ETag and Vary', () => {
    const h = ['ETag', '"abc"'];
    p.prepare(req({ 'accept-encoding': 'br', 'if-none-match': 'W/"abc"' }), 304, h, -1);
    assert.deepEqual(h, ['ETag', 'W/"abc"', 'Vary', 'Accept-Encoding']);
    const strong = ['ETag', '"abc"'];
    p.prepare(req({ 'accept-encoding': 'br', 'if-none-match': '"abc"' }), 304, strong, -1);
    assert.deepEqual(strong, ['ETag', '"abc"']);
  });
  it('Content-Encoding: identity from the origin is replaced', () => {
    const h = [...HTML, 'Content-Encoding', 'identity'];
    assert.equal(p.prepare(req({ 'accept-encoding': 'gzip' }), 200, h, -1), 'gzip');
    assert.deepEqual(h, [...HTML, 'Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding']);
  });
});

describe('Vary merging', () => {
  const cases = [
    [[], ['Vary', 'Accept-Encoding']],
    [['Vary', 'Origin'], ['Vary', 'Origin, Accept-Encoding']],
    [['vary', 'accept-encoding'], ['vary', 'accept-encoding']],
    [['Vary', 'Origin', 'Vary', 'Accept-Encoding'], ['Vary', 'Origin', 'Vary', 'Accept-Encoding']],
    [['Vary', 'Origin, ACCEPT-ENCODING'], ['Vary', 'Origin, ACCEPT-ENCODING']],
    [['Vary', '*'], ['Vary', '*']],
    [['Vary', ''], ['Vary', 'Accept-Encoding']],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      const h = [...input];
      addVaryAcceptEncoding(h);
      assert.deepEqual(h, expected);
    });
  }
  it('toEncodedHead keeps a weak ETag and drops digests', () => {
    const h = ['ETag', 'W/"x"', 'Content-Digest', 'sha-256=:abc=:', 'Content-Length', '10'];
    toEncodedHead(h, 'gzip');
    assert.deepEqual(h, ['ETag', 'W/"x"', 'Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding']);
  });
});
