// Unit tests of revalidation (RFC 9111 §4.3), ranges (RFC 9110 §14), purge tags and store purge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, createSharedCache, refreshFrom304, withValidators, selectRange, contentRange, takeTags, keyOfUrl } from '../../dist/cache/index.js';
import { serializeStoredHead } from '../../dist/cache/store.js';

function stored(over = {}) {
  const headers = over.headers ?? ['Content-Type', 'text/plain', 'Cache-Control', 'max-age=0', 'ETag', '"v1"', 'X-Old', 'a', 'X-Old', 'b'];
  const body = Buffer.from(over.body ?? 'hello world');
  return {
    status: 200, headers, head: serializeStoredHead(200, headers, body.length), body, varyNames: null, varyValues: [], variantId: '',
    initialAge: 0, responseTime: Date.now() - 10_000, lifetime: 0, mustRevalidate: false, noCache: false,
    etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', staleWhileRevalidate: -1, staleIfError: -1, tags: [], size: 400,
    ...over, body,
  };
}

test('§4.3.1 the conditional request carries the stored validators, not the client\'s', () => {
  const h = withValidators(['Host', 'x', 'If-None-Match', '"client"', 'Range', 'bytes=0-1', 'If-Range', '"v1"', 'Accept', '*/*'], stored());
  assert.deepEqual(h, ['Host', 'x', 'Accept', '*/*', 'If-None-Match', '"v1"', 'If-Modified-Since', 'Mon, 01 Jan 2024 00:00:00 GMT']);
});

test('§4.3.4 / §3.2 a 304 replaces the stored fields it carries, recomputes freshness, rebuilds the head', () => {
  const now = Date.now();
  const r = refreshFrom304(stored(), ['Cache-Control', 'max-age=60', 'X-Old', 'new', 'Content-Length', '0', 'Age', '5'], ['t1'], now, now);
  assert.deepEqual(r.headers, ['Content-Type', 'text/plain', 'ETag', '"v1"', 'Cache-Control', 'max-age=60', 'X-Old', 'new']);
  assert.equal(r.lifetime, 60_000, '§4.2.1 from the new max-age');
  assert.ok(r.initialAge >= 5000, '§4.2.3 the 304\'s Age counts');
  assert.equal(r.responseTime, now);
  assert.equal(r.head, serializeStoredHead(200, r.headers, r.body.length), 'the head invariant holds');
  assert.match(r.head, /Content-Length: 11\r\n$/, '§3.2 Content-Length is the stored content\'s');
  assert.deepEqual(r.tags, ['t1']);
  assert.equal(r.body.toString(), 'hello world');
});

test('RFC 9110 §14 selectRange', () => {
  const r = stored({ body: 'abcdefghij' });
  const cases = [
    ['§14.1.2 first-last', 'bytes=2-4', undefined, { start: 2, end: 4 }],
    ['§14.1.2 open end', 'bytes=7-', undefined, { start: 7, end: 9 }],
    ['§14.1.2 suffix', 'bytes=-2', undefined, { start: 8, end: 9 }],
    ['§14.1.2 suffix longer than the content', 'bytes=-50', undefined, { start: 0, end: 9 }],
    ['§14.1.2 last past the end is clamped', 'bytes=5-99', undefined, { start: 5, end: 9 }],
    ['§14.1.1 first past the end: whole content', 'bytes=10-', undefined, null],
    ['§14.1.2 last < first is invalid', 'bytes=5-2', undefined, null],
    ['§14.2 several ranges: whole content', 'bytes=0-1,3-4', undefined, null],
    ['§14.1 unknown unit', 'items=0-1', undefined, null],
    ['§13.1.5 If-Range strong match', 'bytes=0-1', '"v1"', { start: 0, end: 1 }],
    ['§13.1.5 If-Range mismatch', 'bytes=0-1', '"v2"', null],
    ['§13.1.5 If-Range weak never matches', 'bytes=0-1', 'W/"v1"', null],
    ['§13.1.5 If-Range date match', 'bytes=0-1', 'Mon, 01 Jan 2024 00:00:00 GMT', { start: 0, end: 1 }],
    ['§13.1.5 If-Range date mismatch', 'bytes=0-1', 'Tue, 02 Jan 2024 00:00:00 GMT', null],
  ];
  for (const [name, range, ifRange, expected] of cases) assert.deepEqual(selectRange('GET', range, ifRange, r), expected, name);
  assert.equal(selectRange('HEAD', 'bytes=0-1', undefined, r), null, '§14.2 GET only');
  assert.equal(selectRange('GET', 'bytes=0-1', undefined, stored({ status: 404 })), null, 'a stored 200 only');
  assert.equal(contentRange({ start: 2, end: 4 }, 10), 'bytes 2-4/10', '§14.4');
});

test('Cache-Tag / Surrogate-Key are taken out of the headers', () => {
  const h = ['Content-Type', 'x', 'Cache-Tag', 'a, b  c', 'surrogate-key', 'c d', 'ETag', '"e"'];
  assert.deepEqual(takeTags(h), ['a', 'b', 'c', 'd']);
  assert.deepEqual(h, ['Content-Type', 'x', 'ETag', '"e"']);
  assert.deepEqual(takeTags(['A', 'b']), []);
});

test('purge: url (all variants), prefix, tag; counters follow the store', async () => {
  const cache = createSharedCache(1_000_000);
  const put = (key, variantId, tags = []) => cache.store.put(key, stored({ variantId, tags }));
  put('http://h/a', '1', ['t']);
  put('http://h/a', '2');
  put('http://h/ab', '', ['t']);
  put('http://h/b', '');
  assert.equal(cache.stats.entries, 4);
  assert.equal(await cache.purge({ url: 'http://H/a' }), 2, 'host compared in lower case; every variant');
  assert.equal(await cache.purge({ tag: 't' }), 1);
  assert.equal(await cache.purge({ prefix: 'http://h/' }), 1);
  assert.equal(cache.stats.entries, 0);
  assert.equal(cache.stats.bytes, 0);
  assert.equal(cache.stats.purged, 4);
  assert.equal(keyOfUrl('HTTPS://Example.COM'), 'https://example.com/');
  assert.equal(keyOfUrl('/relative'), undefined);
});

test('MemoryStore.purge keeps byte and count accounting exact', () => {
  const store = new MemoryStore(1_000_000);
  store.put('k', stored({ variantId: 'a', tags: ['x'] }));
  store.put('k', stored({ variantId: 'b' }));
  assert.equal(store.purge((_k, r) => r.tags.includes('x')), 1);
  assert.equal(store.count, 1);
  assert.equal(store.bytes, 400);
  assert.equal(store.get('k').length, 1);
});
