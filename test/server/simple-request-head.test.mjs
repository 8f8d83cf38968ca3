// SimpleRequestHead (server/simple-request-head.ts) reads common client request heads without
// llhttp. It must accept only heads llhttp accepts, and read them exactly as llhttp does; all
// else it must leave to llhttp. Checked against llhttp itself (Node's binding, set up as
// Http1Connection sets it up: strict, no lenient flag), over fixed cases and mutated heads.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { SimpleRequestHead } from '../../dist/server/simple-request-head.js';
import { HEAD_BYTES, mutatedHeads } from '../head-mutations.mjs';

const require = createRequire(import.meta.url);
const { HTTPParser, methods } = require('_http_common');
const MAX = 16 * 1024;

/** What llhttp makes of `bytes` (a request): { error } or { consumed, method, target, minor, headers, keepAlive, upgrade }. */
function llhttp(bytes) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, MAX, HTTPParser.kLenientNone);
  const flushed = [];
  let flushedUrl = '';
  let seen = null;
  parser[HTTPParser.kOnHeaders] = (headers, url) => {
    flushed.push(...headers);
    flushedUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, _s, _r, upgrade, keepAlive) => {
    seen = { major, minor, method: methods[method], target: url ?? flushedUrl, headers: headers ?? flushed, keepAlive, upgrade };
    return 2; // stop after the head, as Http1Connection does
  };
  const ret = parser.execute(bytes);
  parser.free();
  if (typeof ret !== 'number') return { error: ret.code };
  if (seen === null) return { error: 'incomplete' };
  return { consumed: ret, ...seen };
}

function scan(bytes, start = 0) {
  const head = new SimpleRequestHead();
  const n = head.scan(bytes, start, MAX);
  return n === 0
    ? null
    : { consumed: n, method: head.method, target: head.target, minor: head.httpMinor, headers: head.headers, keepAlive: head.keepAlive, contentLength: head.contentLength };
}

const bytes = (s) => Buffer.from(s, 'latin1');

/** Asserts that an accepted head reads exactly as llhttp reads it. */
function assertAsLlhttp(buf, label) {
  const ours = scan(buf);
  if (ours === null) return false;
  const theirs = llhttp(buf);
  assert.equal(theirs.error, undefined, `${label}: accepted here, but llhttp says ${theirs.error}`);
  assert.equal(ours.consumed, theirs.consumed, `${label}: head length`);
  assert.equal(ours.method, theirs.method, `${label}: method`);
  assert.equal(ours.target, theirs.target, `${label}: target`);
  assert.equal(theirs.major, 1, `${label}: major version`);
  assert.equal(ours.minor, theirs.minor, `${label}: minor version`);
  assert.deepEqual(ours.headers, theirs.headers, `${label}: fields`);
  assert.equal(ours.keepAlive, theirs.keepAlive, `${label}: keep-alive`);
  assert.equal(theirs.upgrade, false, `${label}: llhttp sees an upgrade`);
  const lengths = [];
  for (let i = 0; i < theirs.headers.length; i += 2) if (theirs.headers[i].toLowerCase() === 'content-length') lengths.push(Number(theirs.headers[i + 1]));
  assert.equal(ours.contentLength, lengths.length === 0 ? 0 : lengths[0], `${label}: Content-Length`);
  assert.ok(lengths.length <= 1, `${label}: one Content-Length at most`);
  return true;
}

const WRK = 'GET /small HTTP/1.1\r\nHost: 127.0.0.1:19101\r\n\r\n';
const BROWSER =
  'GET /app/page?id=42&q=a%20b HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n' +
  'Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n' +
  'Cookie: a=1; b="two"\r\nsec-ch-ua: "Chromium";v="131"\r\nConnection: keep-alive\r\n\r\n';
const POST = 'POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Type: application/octet-stream\r\n\r\nhello';

test('typical heads are read as llhttp reads them, and the length is the head only', () => {
  for (const [label, text] of Object.entries({ WRK, BROWSER, POST })) assert.equal(assertAsLlhttp(bytes(text), label), true, `${label} is taken`);
  const post = scan(bytes(POST));
  assert.equal(post.consumed, POST.indexOf('\r\n\r\n') + 4);
  assert.equal(post.method, 'POST');
  assert.equal(post.contentLength, 5);
  assert.deepEqual(scan(bytes(WRK)).headers, ['Host', '127.0.0.1:19101']);
  // A head read from `start` on, as behind a pipelined request in the same read.
  const shifted = bytes(WRK + WRK);
  assert.equal(scan(shifted, WRK.length).consumed, WRK.length);
  assert.equal(scan(shifted, WRK.length).target, '/small');
});

test('accepted variants: every method, HTTP/1.0, Connection tokens, odd but valid targets', () => {
  const cases = {
    head: 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n',
    put: 'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n',
    del: 'DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n',
    options: 'OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n',
    patch: 'PATCH /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}',
    http10: 'GET / HTTP/1.0\r\n\r\n',
    http10KeepAlive: 'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n',
    http10Both: 'GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n',
    close: 'GET / HTTP/1.1\r\nHost: a\r\nCONNECTION: close\r\n\r\n',
    noFields: 'GET / HTTP/1.1\r\n\r\n',
    target: 'GET /a/../b/%zz/!$&\'()*+,;=:@/~"<>[]{}|^`\\?x=1?y HTTP/1.1\r\nHost: a\r\n\r\n',
    zeros: 'POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n',
    expect: 'POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n',
  };
  for (const [label, text] of Object.entries(cases)) assert.equal(assertAsLlhttp(bytes(text), label), true, `${label} is taken`);
  assert.equal(scan(bytes(cases.http10)).keepAlive, false);
  assert.equal(scan(bytes(cases.http10KeepAlive)).keepAlive, true);
  assert.equal(scan(bytes(cases.close)).keepAlive, false);
  assert.equal(scan(bytes(cases.zeros)).contentLength, 7);
});

test('everything outside the simple subset is left to llhttp', () => {
  const declined = {
    connect: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    trace: 'TRACE / HTTP/1.1\r\nHost: a\r\n\r\n',
    lowerMethod: 'get / HTTP/1.1\r\nHost: a\r\n\r\n',
    unknownMethod: 'GETS / HTTP/1.1\r\nHost: a\r\n\r\n',
    absoluteForm: 'GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n',
    asterisk: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n',
    fragment: 'GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n',
    twoSpaces: 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n',
    spaceBeforeVersion: 'GET /  HTTP/1.1\r\nHost: a\r\n\r\n',
    tabInTarget: 'GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n',
    obsTextTarget: 'GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n',
    delTarget: 'GET /a\u007f HTTP/1.1\r\nHost: a\r\n\r\n',
    noVersion: 'GET /\r\nHost: a\r\n\r\n',
    http09: 'GET / HTTP/0.9\r\n\r\n',
    http2: 'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
    http12: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n',
    lowerVersion: 'GET / http/1.1\r\nHost: a\r\n\r\n',
    leadingCrlf: '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    chunked: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    teAndLength: 'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    upgrade: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    upgradeAlone: 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n',
    connectionList: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Foo\r\n\r\n',
    connectionOther: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Foo\r\n\r\n',
    proxyConnection: 'GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n',
    twoLengths: 'POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n',
    lengthList: 'POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n',
    lengthSign: 'POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n',
    lengthHuge: 'POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\n',
    obsFold: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n',
    spaceBeforeColon: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
    trailingSpace: 'GET / HTTP/1.1\r\nHost: a \r\n\r\n',
    emptyValue: 'GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\r\n',
    emptyName: 'GET / HTTP/1.1\r\n: a\r\n\r\n',
    bareLf: 'GET / HTTP/1.1\nHost: a\r\n\r\n',
    bareLfField: 'GET / HTTP/1.1\r\nHost: a\n\r\n',
    bareLfEnd: 'GET / HTTP/1.1\r\nHost: a\r\n\n',
    bareCr: 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n',
    nul: 'GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n',
    obsText: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\u00e9\r\n\r\n',
    nonTokenName: 'GET / HTTP/1.1\r\nX(A): a\r\n\r\n',
    unfinished: 'GET / HTTP/1.1\r\nHost: a\r\n',
    unfinishedLine: 'GET /a HTTP/1.',
  };
  for (const [label, text] of Object.entries(declined)) assert.equal(scan(bytes(`${text}hello`)), null, `${label} goes to llhttp`);
  const manyFields = Array.from({ length: 65 }, (_, i) => `X-F${i}: v\r\n`).join('');
  assert.equal(scan(bytes(`GET / HTTP/1.1\r\n${manyFields}\r\n`)), null);
  // Larger than the limit: llhttp reports the overflow.
  const big = bytes(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(MAX)}\r\n\r\n`);
  assert.equal(scan(big), null);
  assert.equal(llhttp(big).error, 'HPE_HEADER_OVERFLOW');
});

test('mutated heads: whatever is accepted reads exactly as llhttp reads it', () => {
  const heads = mutatedHeads({
    seed: 20261202,
    count: 20_000,
    bases: [
      WRK,
      BROWSER,
      POST,
      'HEAD /x?y HTTP/1.0\r\nConnection: keep-alive\r\nX-A: \t1\t2\r\n\r\n',
      'DELETE /items/7 HTTP/1.1\r\nhost: a\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    ],
    // The request line's bytes too: #, ?, %, *, and the letters of HTTP.
    alphabet: [...HEAD_BYTES, 0x23, 0x3f, 0x25, 0x2a, 0x48, 0x54, 0x50],
    inserts: ['Content-Length: 7\r\n', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n', 'Proxy-Connection: close\r\n', 'Upgrade: x\r\n', 'Expect: 100-continue\r\n'],
  });
  let changedAndAccepted = 0;
  let declined = 0;
  let n = 0;
  for (const { buf, base } of heads) {
    if (assertAsLlhttp(buf, `mutation ${n++}: ${JSON.stringify(buf.toString('latin1'))}`)) {
      if (!buf.equals(base)) changedAndAccepted++;
    } else declined++;
  }
  // The run means something only if both sides of the subset were reached often.
  assert.ok(changedAndAccepted > 2000, `changed heads accepted: ${changedAndAccepted}`);
  assert.ok(declined > 5000, `declined: ${declined}`);
});
