// WebSocket over a TLS listener (wss://): the same tunnel, with TLS on the client side, and the
// first frame sent in the same write as the handshake.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { startProxy, startWebSocketOrigin } from '../helpers.mjs';
import { SNI_CA, SNI_CERTIFICATES } from '../tls/tls-helpers.mjs';

it('wss:// through a TLS listener: echo, X-Forwarded-Proto https, bytes behind the handshake', async () => {
  const origin = await startWebSocketOrigin();
  const proxy = await startProxy({
    listeners: [{ name: 'websecure', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } }],
    upstreams: { origin: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'ws', upstream: 'origin' }],
  });
  try {
    const ws = new WebSocket(`wss://127.0.0.1:${proxy.port}/secure`, { ca: SNI_CA, servername: 'a.test', headers: { host: 'a.test' } });
    await once(ws, 'open');
    const reply = once(ws, 'message');
    ws.send(Buffer.from('over tls'));
    assert.equal((await reply)[0].toString(), 'over tls');
    ws.close();
    await once(ws, 'close');
    assert.equal(origin.handshakes.at(-1).headers['x-forwarded-proto'], 'https');

    // Handshake and a masked "ping" frame in one TLS write.
    const socket = tls.connect({ port: proxy.port, host: '127.0.0.1', servername: 'a.test', ca: SNI_CA });
    await once(socket, 'secureConnect');
    const mask = Buffer.from([9, 8, 7, 6]);
    const frame = Buffer.concat([Buffer.from([0x81, 0x84]), mask, Buffer.from([...Buffer.from('ping')].map((b, i) => b ^ mask[i % 4]))]);
    socket.write(Buffer.concat([Buffer.from('GET /raw HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'), frame]));
    let data = Buffer.alloc(0);
    socket.on('data', (d) => (data = Buffer.concat([data, d])));
    const deadline = Date.now() + 5000;
    while (!data.includes('ping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(data.toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.ok(data.includes('ping'), 'the frame sent with the handshake was echoed');
    socket.destroy();
  } finally {
    await proxy.close();
    await origin.close();
  }
});
