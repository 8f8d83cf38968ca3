// SimpleResponseHead (upstream/simple-response-head.ts) reads common response heads without
// llhttp. It must accept only heads llhttp accepts, and read them exactly as llhttp does; all
// else it must leave to llhttp. Checked against llhttp itself (Node's binding, set up as
// UpstreamConnection sets it up), over fixed cases and over many mutated heads.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { SimpleResponseHead } from '../../dist/upstream/simple-response-head.js';
import { HEAD_BYTES, mutatedHeads } from '../head-mutations.mjs';

const require = createRequire(import.meta.url);
const { HTTPParser } = require('_http_common');
const MAX = 16 * 1024;

/** What llhttp makes of `bytes` (a response): { error } or { consumed, status, reason, headers, keepAlive, upgrade }. */
function llhttp(bytes) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, MAX, HTTPParser.kLenientNone);
  let flushed = [];
  let seen = null;
  parser[HTTPParser.kOnHeaders] = (headers) => flushed.push(...headers);
  parser[HTTPParser.kOnHeadersComplete] = (_maj, _min, headers, _m, _u, status, reason, upgrade, keepAlive) => {
    seen = { status, reason: reason ?? '', headers: headers ?? flushed, keepAlive, upgrade };
    return 2; // stop after the head, as UpstreamConnection does for a Content-Length body
  };
  const ret = parser.execute(bytes);
  parser.free();
  if (typeof ret !== 'number') return { error: ret.code };
  if (seen === null) return { error: 'incomplete' };
  return { consumed: ret, ...seen };
}

function scan(bytes) {
  const head = new SimpleResponseHead();
  const n = head.scan(bytes, 0, MAX);
  return n === 0 ? null : { consumed: n, status: head.status, reason: head.reason, headers: head.headers, keepAlive: head.keepAlive, contentLength: head.contentLength };
}

const bytes = (s) => Buffer.from(s, 'latin1');

/** Asserts that an accepted head reads exactly as llhttp reads it. */
function assertAsLlhttp(buf, label) {
  const ours = scan(buf);
  if (ours === null) return false;
  const theirs = llhttp(buf);
  assert.equal(theirs.error, undefined, `${label}: accepted here, but llhttp says ${theirs.error}`);
  assert.equal(ours.consumed, theirs.consumed, `${label}: head length`);
  assert.equal(ours.status, theirs.status, `${label}: status`);
  assert.equal(ours.reason, theirs.reason, `${label}: reason`);
  assert.deepEqual(ours.headers, theirs.headers, `${label}: fields`);
  assert.equal(ours.keepAlive, theirs.keepAlive, `${label}: keep-alive`);
  assert.equal(theirs.upgrade, false, `${label}: llhttp sees an upgrade`);
  const lengths = [];
  for (let i = 0; i < theirs.headers.length; i += 2) if (theirs.headers[i].toLowerCase() === 'content-length') lengths.push(Number(theirs.headers[i + 1]));
  assert.deepEqual(lengths, [ours.contentLength], `${label}: Content-Length`);
  return true;
}

const NGINX = 'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 02 Dec 2026 12:00:39 GMT\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\nhello world\n';

test('a typical head is read as llhttp reads it, and its length is the head only', () => {
  const buf = bytes(NGINX);
  assert.equal(assertAsLlhttp(buf, 'nginx'), true);
  const ours = scan(buf);
  assert.equal(ours.consumed, NGINX.indexOf('\r\n\r\n') + 4);
  assert.deepEqual(ours.headers, ['Server', 'nginx', 'Date', 'Wed, 02 Dec 2026 12:00:39 GMT', 'Content-Type', 'text/plain', 'Content-Length', '12', 'Connection', 'keep-alive']);
  assert.equal(ours.contentLength, 12);
  // The head is read from `start` on, as in a read that held the end of an earlier response.
  const head = new SimpleResponseHead();
  const shifted = Buffer.concat([bytes('xyz'), buf]);
  assert.equal(head.scan(shifted, 3, MAX), ours.consumed);
  assert.equal(head.reason, 'OK');
});

test('accepted variants: cases, inner whitespace, Connection: close, empty reason, many fields', () => {
  const many = Array.from({ length: 40 }, (_, i) => `X-F${i}: v${i}\r\n`).join('');
  const cases = {
    lower: 'HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\ncontent-type: text/html; charset=utf-8\r\n\r\nabc',
    close: 'HTTP/1.1 503 Service Unavailable\r\nCONNECTION: Close\r\nContent-Length: 1\r\n\r\nx',
    inner: 'HTTP/1.1 200 OK\r\nX-A:\tlead tab\r\nX-B:   a \t b\r\nContent-Length: 2\r\n\r\nab',
    noReason: 'HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx',
    zeros: 'HTTP/1.1 200 OK\r\nContent-Length: 0012\r\n\r\nhello world\n',
    many: `HTTP/1.1 200 OK\r\n${many}Content-Length: 1\r\n\r\nx`,
  };
  for (const [label, text] of Object.entries(cases)) assert.equal(assertAsLlhttp(bytes(text), label), true, `${label} is taken`);
  assert.equal(scan(bytes(cases.close)).keepAlive, false);
  assert.equal(scan(bytes(cases.zeros)).contentLength, 12);
});

test('everything outside the simple subset is left to llhttp', () => {
  const cl = 'Content-Length: 5\r\n';
  const declined = {
    http10: `HTTP/1.0 200 OK\r\n${cl}\r\n`,
    http2: `HTTP/2.0 200 OK\r\n${cl}\r\n`,
    interim: `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n`,
    switching: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    noContent: `HTTP/1.1 204 No Content\r\n${cl}\r\n`,
    notModified: `HTTP/1.1 304 Not Modified\r\n${cl}\r\n`,
    status600: `HTTP/1.1 600 X\r\n${cl}\r\n`,
    twoDigits: `HTTP/1.1 20 OK\r\n${cl}\r\n`,
    noSpaceAfterStatus: `HTTP/1.1 200\r\n${cl}\r\n`,
    chunked: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
    teAndLength: `HTTP/1.1 200 OK\r\n${cl}Transfer-Encoding: chunked\r\n\r\n`,
    upgrade: `HTTP/1.1 200 OK\r\nUpgrade: h2c\r\n${cl}\r\n`,
    connectionList: `HTTP/1.1 200 OK\r\nConnection: close, X-Foo\r\n${cl}\r\n`,
    connectionUpgrade: `HTTP/1.1 200 OK\r\nConnection: upgrade\r\n${cl}\r\n`,
    // llhttp reads Proxy-Connection as Connection: `close` there ends keep-alive.
    proxyConnection: `HTTP/1.1 200 OK\r\nProxy-Connection: close\r\n${cl}\r\n`,
    noLength: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n',
    zeroLength: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    twoLengths: `HTTP/1.1 200 OK\r\n${cl}${cl}\r\n`,
    lengthList: 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n',
    lengthSign: 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n',
    lengthHex: 'HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\n',
    lengthHuge: 'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n',
    obsFold: `HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n${cl}\r\n`,
    spaceBeforeColon: `HTTP/1.1 200 OK\r\nX-A : a\r\n${cl}\r\n`,
    trailingSpace: `HTTP/1.1 200 OK\r\nX-A: a \r\n${cl}\r\n`,
    emptyValue: `HTTP/1.1 200 OK\r\nX-A:\r\n${cl}\r\n`,
    emptyName: `HTTP/1.1 200 OK\r\n: a\r\n${cl}\r\n`,
    bareLf: `HTTP/1.1 200 OK\nX-A: a\r\n${cl}\r\n`,
    bareLfField: `HTTP/1.1 200 OK\r\nX-A: a\n${cl}\r\n`,
    bareCr: `HTTP/1.1 200 OK\r\nX-A: a\rb\r\n${cl}\r\n`,
    nul: `HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n${cl}\r\n`,
    obsText: `HTTP/1.1 200 OK\r\nX-A: caf\u00e9\r\n${cl}\r\n`,
    obsTextReason: `HTTP/1.1 200 \u00c7a va\r\n${cl}\r\n`,
    tabInReason: `HTTP/1.1 200 O\tK\r\n${cl}\r\n`,
    del: `HTTP/1.1 200 OK\r\nX-A: a\u007f\r\n${cl}\r\n`,
    nonTokenName: `HTTP/1.1 200 OK\r\nX(A): a\r\n${cl}\r\n`,
    unfinished: `HTTP/1.1 200 OK\r\n${cl}`,
    unfinishedLine: 'HTTP/1.1 200 OK\r\nContent-Len',
  };
  for (const [label, text] of Object.entries(declined)) assert.equal(scan(bytes(`${text}hello`)), null, `${label} goes to llhttp`);
  // More fields than it keeps offsets for: llhttp reads them.
  const manyFields = Array.from({ length: 65 }, (_, i) => `X-F${i}: v\r\n`).join('');
  assert.equal(scan(bytes(`HTTP/1.1 200 OK\r\n${manyFields}${cl}\r\nhello`)), null);
  assert.equal(llhttp(bytes(`HTTP/1.1 200 OK\r\n${manyFields}${cl}\r\nhello`)).headers.length, 132);
  // Larger than the limit: llhttp reports the overflow.
  const big = bytes(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX)}\r\n${cl}\r\nhello`);
  assert.equal(scan(big), null);
  assert.equal(llhttp(big).error, 'HPE_HEADER_OVERFLOW');
});

test('mutated heads: whatever is accepted reads exactly as llhttp reads it', () => {
  const heads = mutatedHeads({
    seed: 20261202,
    count: 20_000,
    bases: [
      NGINX,
      'HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/a?b=c\r\nContent-Length: 5\r\nCache-Control: max-age=60, public\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\nset-cookie: a=b; Path=/; HttpOnly\r\n\r\nabc',
      'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\nX-A: \t1\t2\r\nETag: "x"\r\n\r\nx',
    ],
    alphabet: HEAD_BYTES,
    inserts: ['Content-Length: 7\r\n', 'Proxy-Connection: close\r\n', 'Connection: close\r\n', 'Transfer-Encoding: chunked\r\n'],
  });
  let accepted = 0;
  let changedAndAccepted = 0;
  let declined = 0;
  let n = 0;
  for (const { buf, base } of heads) {
    if (assertAsLlhttp(buf, `mutation ${n++}: ${JSON.stringify(buf.toString('latin1'))}`)) {
      accepted++;
      if (!buf.equals(base)) changedAndAccepted++;
    } else declined++;
  }
  // The run means something only if both sides of the subset were reached often.
  assert.ok(changedAndAccepted > 2000, `changed heads accepted: ${changedAndAccepted}`);
  assert.ok(declined > 5000, `declined: ${declined}`);
  assert.equal(accepted + declined, 20_000);
});
