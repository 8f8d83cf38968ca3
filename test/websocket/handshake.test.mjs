// Table-driven checks of the WebSocket handshake guard (RFC 6455 §4.1) and of the trailer-field
// filter (RFC 9110 §6.5.1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkWebSocketHandshake, switchesToWebSocket } from '../../dist/proxy/websocket-handshake.js';
import { acceptsTrailers, forwardableTrailers, serializeFields } from '../../dist/server/trailer-fields.js';

const VALID = ['Host', 'a.test', 'Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version', '13'];
const req = (rawHeaders, over = {}) => ({ method: 'GET', httpMinor: 1, rawHeaders, ...over });
const without = (name) => VALID.flatMap((v, i, a) => (i % 2 === 0 ? (v === name ? [] : [v, a[i + 1]]) : []));

describe('checkWebSocketHandshake', () => {
  const cases = [
    ['a valid handshake', req(VALID), null],
    ['Upgrade and Connection lists, any case', req([...without('Upgrade').filter((_, i, a) => !(a[i] === 'Connection' || a[i - 1] === 'Connection')), 'upgrade', 'h2c, WebSocket', 'connection', 'keep-alive, upgrade']), null],
    ['Upgrade: h2c', req([...without('Upgrade'), 'Upgrade', 'h2c']), 'REQUEST_UPGRADE_UNSUPPORTED'],
    ['POST', req(VALID, { method: 'POST' }), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['HTTP/1.0', req(VALID, { httpMinor: 0 }), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['no Connection: upgrade', req([...without('Connection'), 'Connection', 'keep-alive']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['no key', req(without('Sec-WebSocket-Key')), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['two keys', req([...VALID, 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['a key of 15 bytes', req([...without('Sec-WebSocket-Key'), 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['a key with a bad character', req([...without('Sec-WebSocket-Key'), 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZ*==']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['no version', req(without('Sec-WebSocket-Version')), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['a version that is not a number', req([...without('Sec-WebSocket-Version'), 'Sec-WebSocket-Version', '13, 8']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['version 8 (the target answers 426 itself)', req([...without('Sec-WebSocket-Version'), 'Sec-WebSocket-Version', '8']), null],
    ['a Content-Length body', req([...VALID, 'Content-Length', '5']), 'WEBSOCKET_HANDSHAKE_INVALID'],
    ['Content-Length: 0', req([...VALID, 'Content-Length', '0']), null],
    ['Transfer-Encoding', req([...VALID, 'Transfer-Encoding', 'chunked']), 'WEBSOCKET_HANDSHAKE_INVALID'],
  ];
  for (const [name, input, code] of cases) {
    it(`${name} → ${code ?? 'valid'}`, () => {
      assert.equal(checkWebSocketHandshake(input)?.code ?? null, code);
    });
  }

  it('switchesToWebSocket wants Upgrade: websocket and the Accept of this key (RFC 6455 §4.1, §4.2.2)', () => {
    // The worked example of RFC 6455 §1.3.
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const accept = ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='];
    assert.equal(switchesToWebSocket(['Upgrade', 'WebSocket', 'Connection', 'Upgrade', ...accept], key), true);
    assert.equal(switchesToWebSocket(['Upgrade', 'WebSocket', 'Connection', 'Upgrade'], key), false, 'no Accept');
    assert.equal(switchesToWebSocket(['Upgrade', 'WebSocket', ...accept], 'AAAAAAAAAAAAAAAAAAAAAA=='), false, 'the Accept of another key');
    assert.equal(switchesToWebSocket(['Upgrade', 'WebSocket', ...accept, ...accept], key), false, 'two Accept fields');
    assert.equal(switchesToWebSocket(['Upgrade', 'h2c', ...accept], key), false);
    assert.equal(switchesToWebSocket([], key), false);
  });
});

describe('trailer fields', () => {
  it('keeps ordinary fields and drops the ones RFC 9110 §6.5.1 forbids', () => {
    const raw = ['X-Checksum', 'abc', 'Content-Length', '5', 'Host', 'evil', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=b', 'grpc-status', '0', 'Authorization', 'x', 'Trailer', 'x'];
    assert.deepEqual(forwardableTrailers(raw), ['X-Checksum', 'abc', 'grpc-status', '0']);
    assert.equal(forwardableTrailers(['content-type', 'text/plain']), null);
    assert.equal(serializeFields(['a', '1', 'b', '2']), 'a: 1\r\nb: 2\r\n');
  });

  it('acceptsTrailers finds the trailers token in a TE list', () => {
    for (const [te, yes] of [['trailers', true], ['gzip, Trailers', true], ['trailers;q=1', true], ['gzip', false], ['', false], ['trailersx', false]]) {
      assert.equal(acceptsTrailers(te), yes, te);
    }
  });
});
