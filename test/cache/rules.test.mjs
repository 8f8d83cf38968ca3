// Table-driven unit tests of the RFC 9111 rules: Cache-Control parsing, freshness, age,
// storability, keys, variants, usability of a stored response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCacheControl, freshnessLifetime, initialAge, currentAge, notStorableReason, cacheKey, compileIgnoredParams, isUsable } from '../../dist/cache/index.js';
import { varyNames, varyMatches, varyValues } from '../../dist/cache/vary.js';

const NOW = Date.parse('Mon, 01 Jan 2024 12:00:00 GMT');
const date = (offsetSeconds) => new Date(NOW + offsetSeconds * 1000).toUTCString();

test('§5.2 Cache-Control parsing', () => {
  const cases = [
    ['', {}],
    ['no-store', { noStore: true }],
    ['No-Cache, PRIVATE', { noCache: true, private: true }],
    ['max-age=60, s-maxage="120"', { maxAge: 60, sMaxAge: 120 }],
    ['max-age=abc', { maxAge: 0 }], // §4.2.1: invalid → stale
    ['max-stale', { maxStale: Infinity }],
    ['max-stale=5, min-fresh=3, only-if-cached', { maxStale: 5, minFresh: 3, onlyIfCached: true }],
    ['private="set-cookie, x-a", public', { private: true, public: true }],
    ['must-revalidate, proxy-revalidate', { mustRevalidate: true, proxyRevalidate: true }],
    ['max-age=99999999999', { maxAge: 2147483648 }], // §1.2.2 clamp
    ['stale-while-revalidate=30, stale-if-error=60', { staleWhileRevalidate: 30, staleIfError: 60 }],
  ];
  for (const [header, expected] of cases) {
    const cc = parseCacheControl(header);
    for (const [k, v] of Object.entries(expected)) assert.equal(cc[k], v, `${header}: ${k}`);
  }
});

const fresh = (over) => ({ status: 200, cc: parseCacheControl(over.cc), date: date(0), expires: undefined, lastModified: undefined, age: undefined, ...over, cc: parseCacheControl(over.cc) });

test('§4.2.1 freshness lifetime: s-maxage > max-age > Expires; §4.2.2 heuristic', () => {
  const cases = [
    ['§4.2.1 s-maxage wins over max-age', { cc: 'max-age=10, s-maxage=20' }, 20],
    ['§4.2.1 max-age wins over Expires', { cc: 'max-age=10', expires: date(100) }, 10],
    ['§4.2.1 s-maxage wins over Expires', { cc: 's-maxage=5', expires: date(100) }, 5],
    ['§5.3 Expires − Date', { expires: date(100) }, 100],
    ['§5.3 Expires in the past', { expires: date(-100) }, 0],
    ['§5.3 invalid Expires ("0") is expired', { expires: '0' }, 0],
    ['§4.2.2 heuristic: 10% of Date − Last-Modified', { lastModified: date(-1000) }, 100],
    ['§4.2.2 no heuristic for 302', { status: 302, lastModified: date(-1000) }, 0],
    ['§4.2.2 heuristic for 404', { status: 404, lastModified: date(-1000) }, 100],
    ['§4.2.2 heuristic for 302 marked public', { status: 302, cc: 'public', lastModified: date(-1000) }, 100],
    ['§4.2.2 no heuristic when Expires is present', { expires: date(10), lastModified: date(-1000) }, 10],
    ['§4.2.1 no information: 0', {}, 0],
    ['§4.2.1 missing Date: response time stands in', { date: undefined, expires: date(50) }, 50],
  ];
  for (const [name, over, expected] of cases) assert.equal(freshnessLifetime(fresh(over), NOW), expected, name);
});

test('§4.2.3 age calculation', () => {
  const cases = [
    ['§4.2.3 nothing: 0', { date: date(0) }, NOW, NOW, 0],
    ['§4.2.3 Age header counts', { date: date(0), age: '30' }, NOW, NOW, 30_000],
    ['§4.2.3 apparent age from Date', { date: date(-20) }, NOW, NOW, 20_000],
    ['§4.2.3 response delay added to Age', { date: date(0), age: '10' }, NOW - 2000, NOW, 12_000],
    ['§4.2.3 max(apparent, corrected)', { date: date(-50), age: '10' }, NOW, NOW, 50_000],
    ['§4.2.3 Date in the future: apparent 0', { date: date(60) }, NOW, NOW, 0],
    ['§4.2.3 invalid Age ignored', { date: date(0), age: 'x' }, NOW, NOW, 0],
  ];
  for (const [name, r, reqTime, resTime, expected] of cases) assert.equal(initialAge(r, reqTime, resTime), expected, name);
  assert.equal(currentAge(5000, NOW, NOW + 7000), 12_000, '§4.2.3 resident time added');
});

const storable = (over) => ({ ...fresh(over), method: 'GET', reqCc: parseCacheControl(over.reqCc), authorized: false, vary: undefined, setCookie: false, ...over, cc: parseCacheControl(over.cc), reqCc: parseCacheControl(over.reqCc) });

test('§3 storability for a shared cache', () => {
  const cases = [
    ['§3 plain 200 with max-age', { cc: 'max-age=60' }, undefined],
    ['§3 heuristically cacheable 200 without freshness info', {}, undefined],
    ['§3 HEAD is not stored (no body)', { method: 'HEAD', cc: 'max-age=60' }, 'method'],
    ['§3 POST is not stored', { method: 'POST', cc: 'max-age=60' }, 'method'],
    ['§3 206 not stored (no Range support)', { status: 206, cc: 'max-age=60' }, 'status'],
    ['§3 304 not stored', { status: 304, cc: 'max-age=60' }, 'status'],
    ['§5.2.2.5 response no-store', { cc: 'no-store, max-age=60' }, 'no-store'],
    ['§5.2.1.5 request no-store', { cc: 'max-age=60', reqCc: 'no-store' }, 'request no-store'],
    ['§5.2.2.7 private', { cc: 'private, max-age=60' }, 'private'],
    ['§5.2.2.7 qualified private treated as private', { cc: 'private="x-user", max-age=60' }, 'private'],
    ['§3.5 Authorization without permission', { authorized: true, cc: 'max-age=60' }, 'authorization'],
    ['§3.5 Authorization + public', { authorized: true, cc: 'public, max-age=60' }, undefined],
    ['§3.5 Authorization + s-maxage', { authorized: true, cc: 's-maxage=60' }, undefined],
    ['§3.5 Authorization + must-revalidate', { authorized: true, cc: 'must-revalidate, max-age=60' }, undefined],
    ['§4.1 Vary: * never stored', { cc: 'max-age=60', vary: 'accept, *' }, 'vary *'],
    ['§7.3 Set-Cookie only when public', { cc: 'max-age=60', setCookie: true }, 'set-cookie'],
    ['§7.3 Set-Cookie + public', { cc: 'public, max-age=60', setCookie: true }, undefined],
    ['§3 302 without explicit freshness', { status: 302 }, 'not cacheable'],
    ['§3 302 with max-age', { status: 302, cc: 'max-age=60' }, undefined],
    ['§3 500 with Expires', { status: 500, expires: date(60) }, undefined],
  ];
  for (const [name, over, expected] of cases) assert.equal(notStorableReason(storable(over)), expected, name);
});

test('§4 usability: fresh, request max-age / min-fresh / max-stale, must-revalidate, no-cache', () => {
  const r = (over) => ({ lifetime: 60_000, noCache: false, mustRevalidate: false, ...over });
  const cases = [
    ['§4.2 fresh', r({}), 10_000, '', true],
    ['§4.2 stale', r({}), 61_000, '', false],
    ['§5.2.2.4 response no-cache never served without validation', r({ noCache: true }), 0, '', false],
    ['§5.2.1.1 request max-age narrower than age', r({}), 10_000, 'max-age=5', false],
    ['§5.2.1.1 request max-age wider than age', r({}), 10_000, 'max-age=20', true],
    ['§5.2.1.3 min-fresh not met', r({}), 50_000, 'min-fresh=20', false],
    ['§5.2.1.3 min-fresh met', r({}), 10_000, 'min-fresh=20', true],
    ['§5.2.1.2 max-stale allows stale', r({}), 65_000, 'max-stale=10', true],
    ['§5.2.1.2 max-stale too small', r({}), 75_000, 'max-stale=10', false],
    ['§5.2.1.2 bare max-stale: any staleness', r({}), 600_000, 'max-stale', true],
    ['§5.2.2.2 must-revalidate forbids serving stale', r({ mustRevalidate: true }), 65_000, 'max-stale', false],
  ];
  for (const [name, resp, age, reqCc, expected] of cases) assert.equal(isUsable(resp, age, parseCacheControl(reqCc)), expected, name);
});

test('§2 cache key: scheme, host, path, query without ignored parameters', () => {
  const ignored = compileIgnoredParams(['utm_*', 'fbclid']);
  const cases = [
    ['http', 'Example.COM', '/a', '', 'http://example.com/a'],
    ['https', 'example.com', '/a', '?x=1', 'https://example.com/a?x=1'],
    ['http', 'example.com', '/a', '?utm_source=x&b=2&fbclid=3', 'http://example.com/a?b=2'],
    ['http', 'example.com', '/a', '?utm_source=x', 'http://example.com/a'],
    ['http', 'example.com', '/a', '?utmx=1', 'http://example.com/a?utmx=1'],
  ];
  for (const [scheme, host, path, query, expected] of cases) assert.equal(cacheKey(scheme, host, path, query, ignored), expected, `${host}${path}${query}`);
  assert.equal(cacheKey('http', 'h', '/a', '?utm_a=1', undefined), 'http://h/a?utm_a=1', 'nothing ignored by default');
});

test('§4.1 Vary matching (key headers act as Vary)', () => {
  const h = (o) => (n) => o[n];
  const names = varyNames('Accept-Encoding, accept-language', ['x-tenant']);
  assert.deepEqual(names, ['accept-encoding', 'accept-language', 'x-tenant']);
  const values = varyValues(names, h({ 'accept-encoding': 'gzip , br', 'x-tenant': 'a' }));
  assert.ok(varyMatches(names, values, h({ 'accept-encoding': 'gzip,br', 'x-tenant': 'a' })), '§4.1 whitespace normalized; absent in both matches');
  assert.ok(!varyMatches(names, values, h({ 'accept-encoding': 'gzip', 'x-tenant': 'a' })), '§4.1 different value');
  assert.ok(!varyMatches(names, values, h({ 'accept-encoding': 'gzip,br', 'x-tenant': 'a', 'accept-language': 'fr' })), '§4.1 present vs absent');
  assert.equal(varyNames(undefined, []), null);
});
