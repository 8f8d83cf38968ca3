// translateHttp2Request on its own: every check it makes, whether or not nghttp2 has made it
// already (the HTTP/1.1 side must not depend on the library's choices).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { translateHttp2Request } from '../../dist/server/http2-request.js';

const LIMITS = { maxHeaderCount: 5, maxUrlBytes: 20 };
const base = [':method', 'GET', ':scheme', 'https', ':authority', 'a.test', ':path', '/x'];
const t = (raw, endStream = true) => translateHttp2Request(raw, endStream, LIMITS);
const code = (r) => r.code ?? 'ok';

it('translates a valid head: Host first, cookies joined, Content-Length as framing only', () => {
  const r = t([...base, 'cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2', 'content-length', '3'], false);
  assert.deepEqual(r, { method: 'GET', target: '/x', rawHeaders: ['host', 'a.test', 'accept', '*/*', 'cookie', 'a=1; b=2'], contentLength: 3 });
  assert.equal(t(base, false).contentLength, -1);
  assert.equal(t(base, true).contentLength, 0);
  assert.equal(t([':method', 'OPTIONS', ':scheme', 'http', ':authority', 'a', ':path', '*']).target, '*');
});

const REFUSED = [
  [[...base, ':method', 'GET'], 'REQUEST_MALFORMED'],
  [[...base, ':path', '/y'], 'REQUEST_MALFORMED'],
  [[...base, ':scheme', 'http'], 'REQUEST_MALFORMED'],
  [[...base, ':authority', 'b'], 'REQUEST_MALFORMED'],
  [[...base, ':protocol', 'websocket'], 'REQUEST_MALFORMED'],
  [[':method', 'GET', 'x-a', '1', ':scheme', 'http', ':authority', 'a', ':path', '/'], 'REQUEST_MALFORMED'],
  [[':method', 'GET', ':scheme', 'http', ':authority', 'a'], 'REQUEST_MALFORMED'],
  [[':method', 'GET', ':authority', 'a', ':path', '/'], 'REQUEST_MALFORMED'],
  [[':method', 'CONNECT', ':authority', 'a:443'], 'REQUEST_METHOD_NOT_ALLOWED'],
  [[...base.slice(0, 6), ':path', ''], 'REQUEST_MALFORMED'],
  [[...base.slice(0, 6), ':path', 'http://b/'], 'REQUEST_MALFORMED'],
  [[...base.slice(0, 6), ':path', '*'], 'REQUEST_MALFORMED'],
  [[...base.slice(0, 6), ':path', '/' + 'x'.repeat(30)], 'REQUEST_URI_TOO_LONG'],
  [[':method', 'GET', ':scheme', 'ftp', ':authority', 'a', ':path', '/'], 'REQUEST_MALFORMED'],
  [[...base, 'X-Upper', '1'], 'REQUEST_MALFORMED'],
  [[...base, 'x a', '1'], 'REQUEST_MALFORMED'],
  [[...base, 'x-a', 'b\r\nc'], 'REQUEST_MALFORMED'],
  [[...base, 'x-a', 'b\0c'], 'REQUEST_MALFORMED'],
  [[...base, 'x-a', ' b'], 'REQUEST_MALFORMED'],
  [[...base, 'connection', 'close'], 'REQUEST_MALFORMED'],
  [[...base, 'keep-alive', '1'], 'REQUEST_MALFORMED'],
  [[...base, 'proxy-connection', '1'], 'REQUEST_MALFORMED'],
  [[...base, 'transfer-encoding', 'chunked'], 'REQUEST_MALFORMED'],
  [[...base, 'upgrade', 'h2c'], 'REQUEST_MALFORMED'],
  [[...base, 'te', 'gzip'], 'REQUEST_MALFORMED'],
  [[...base.slice(0, 4), ':authority', 'u@a.test', ':path', '/'], 'REQUEST_MALFORMED'],
  [[...base, 'host', 'b.test'], 'REQUEST_HOST_INVALID'],
  [[...base, 'host', 'a.test', 'host', 'a.test'], 'REQUEST_HOST_INVALID'],
  [[':method', 'GET', ':scheme', 'http', ':path', '/'], 'REQUEST_HOST_INVALID'],
  [[...base, 'content-length', '1', 'content-length', '2'], 'REQUEST_MALFORMED'],
  [[...base, 'content-length', '-1'], 'REQUEST_MALFORMED'],
  [[...base, 'content-length', '5'], 'REQUEST_MALFORMED'], // with END_STREAM on HEADERS
  [[...base, 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '6'], 'REQUEST_HEADERS_TOO_LARGE'],
];

it('refuses every malformed head with the right code', () => {
  for (const [raw, expected] of REFUSED) assert.equal(code(t(raw)), expected, JSON.stringify(raw));
});

it('accepts TE: trailers and equal :authority / Host', () => {
  assert.equal(code(t([...base, 'te', 'trailers'])), 'ok');
  assert.equal(code(t([...base, 'host', 'A.TEST'])), 'ok');
});
