// WebSocket proxying through the real binary (RFC 6455 over RFC 9110 §7.8 Upgrade): echo of text
// and binary frames, closes and failures passed both ways, idle timeout, websocket: false,
// refused upgrades relayed, access control, bytes pipelined behind the handshake, accounting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { WebSocket } from 'ws';
import { adminRequest, deadAddress, startProxy, startWebSocketOrigin } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Opens a client WebSocket; resolves it once open, or rejects with the unexpected response. */
function connect(url, options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => reject(Object.assign(new Error(`unexpected ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() })));
    });
    ws.on('error', reject);
  });
}

const nextMessage = (ws) => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
const closed = (ws) => new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

/** Waits until `check()` is true (polling), failing after `ms`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('WebSocket proxying', () => {
  let origin;
  let proxy;
  let dir;
  /** Origin-side sockets by the path they connected to, with how they closed. */
  const originSide = [];
  /** Bytes that reached the origin on a connection it answered with a bare 101 (must stay empty). */
  const behindBare101 = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-ws-'));
    const users = join(dir, 'htpasswd');
    writeFileSync(users, `alice:${bcrypt.hashSync('wonderland', 8)}\n`);
    origin = await startWebSocketOrigin({
      onUpgrade(req, socket, _head, accept) {
        if (req.url === '/ws/h2c') socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
        // An application that answers 101 without being a WebSocket server (a reflected status):
        // it still reads HTTP on this connection.
        else if (req.url === '/ws/bare101') {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          socket.on('data', (d) => behindBare101.push(d));
        } else if (req.url === '/ws/refuse') socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nnot for you\r\n\r\n');
        else accept();
      },
      onConnection(ws, req) {
        const entry = { url: req.url, protocol: ws.protocol, closed: null };
        originSide.push(entry);
        ws.on('close', (code) => (entry.closed = code));
        if (req.url === '/ws/drop') setTimeout(() => ws.terminate(), 50);
        else if (req.url === '/ws/goodbye') setTimeout(() => ws.close(1001, 'origin leaving'), 50);
        else if (req.url === '/ws/hello') ws.send('hello first');
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      },
    });
    const dead = await deadAddress();
    proxy = await startProxy({
      admin: { address: '127.0.0.1:0' },
      upstreams: { origin: { targets: [{ url: origin.url }] }, dead: { targets: [{ url: dead }] } },
      routes: [
        { name: 'dead', match: { pathPrefix: '/dead/' }, upstream: 'dead' },
        { name: 'off', match: { pathPrefix: '/off/' }, upstream: 'origin', websocket: false },
        { name: 'idle', match: { pathPrefix: '/idle/' }, upstream: 'origin', timeouts: { websocketIdle: '600ms' } },
        { name: 'auth', match: { pathPrefix: '/auth/' }, upstream: 'origin', access: { basicAuth: { realm: 'ws', usersFile: users } } },
        { name: 'deny', match: { pathPrefix: '/deny/' }, upstream: 'origin', access: { deny: ['127.0.0.0/8'] } },
        { name: 'ws', upstream: 'origin' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('echoes text and binary frames, forwards the Sec-WebSocket-* fields and the chosen subprotocol', async () => {
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws/echo?room=1`, { protocols: ['chat.v2', 'chat.v1'] });
    assert.equal(ws.protocol, 'chat.v2', 'the origin\'s Sec-WebSocket-Protocol reaches the client');
    ws.send('hello, tunnel');
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from('hello, tunnel'), isBinary: false });
    const binary = Buffer.from([0, 1, 2, 253, 254, 255]);
    ws.send(binary);
    const echoed = await nextMessage(ws);
    assert.equal(echoed.isBinary, true);
    assert.deepEqual(echoed.data, binary);
    // A message larger than one read, in both directions.
    const big = Buffer.alloc(300_000, 7);
    ws.send(big);
    assert.deepEqual((await nextMessage(ws)).data, big);
    ws.close(1000, 'done');
    assert.equal((await closed(ws)).code, 1000);

    const hs = origin.handshakes.find((h) => h.url === '/ws/echo?room=1');
    assert.ok(hs, 'the origin got the handshake');
    assert.equal(hs.headers.upgrade, 'websocket');
    assert.match(hs.headers.connection, /upgrade/i);
    assert.match(hs.headers['sec-websocket-key'], /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(hs.headers['sec-websocket-version'], '13');
    assert.equal(hs.headers['sec-websocket-protocol'], 'chat.v2,chat.v1');
    assert.equal(hs.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('logs one access-log line per tunnel, at close, with status 101, duration and bytes both ways', async () => {
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws/logged`);
    ws.send(Buffer.alloc(1000, 1));
    await nextMessage(ws);
    await sleep(100);
    assert.equal(proxy.accessLog().filter((l) => l.path === '/ws/logged').length, 0, 'nothing is logged while the tunnel is open');
    ws.close();
    await closed(ws);
    await until(() => proxy.accessLog().some((l) => l.path === '/ws/logged'), 5000, 'the tunnel line');
    const lines = proxy.accessLog().filter((l) => l.path === '/ws/logged');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line.status, 101);
    assert.equal(line.route, 'ws');
    assert.ok(line.durationMs >= 100, `duration ${line.durationMs}`);
    // A masked 1000-byte frame is 1008 bytes; the unmasked echo 1004 (plus the close frames).
    assert.ok(line.bytesIn >= 1008, `bytesIn ${line.bytesIn}`);
    assert.ok(line.bytesOut >= 1004, `bytesOut ${line.bytesOut}`);
  });

  it('origin going away: the client sees the close (clean close code, or the drop)', async () => {
    const polite = await connect(`ws://127.0.0.1:${proxy.port}/ws/goodbye`);
    const politeClose = await closed(polite);
    assert.equal(politeClose.code, 1001);
    assert.equal(politeClose.reason, 'origin leaving');

    const dropped = await connect(`ws://127.0.0.1:${proxy.port}/ws/drop`);
    const t0 = Date.now();
    const drop = await closed(dropped);
    assert.equal(drop.code, 1006, 'an abrupt end on the origin side is an abrupt end for the client');
    assert.ok(Date.now() - t0 < 3000);
  });

  it('client going away: the origin sees the close (clean, and abrupt)', async () => {
    const clean = await connect(`ws://127.0.0.1:${proxy.port}/ws/client-clean`);
    clean.close(4000, 'bye');
    await until(() => originSide.find((e) => e.url === '/ws/client-clean')?.closed === 4000, 5000, 'the origin to see close 4000');

    const abrupt = await connect(`ws://127.0.0.1:${proxy.port}/ws/client-abrupt`);
    abrupt.terminate();
    await until(() => originSide.find((e) => e.url === '/ws/client-abrupt')?.closed === 1006, 5000, 'the origin to see the drop (1006)');
  });

  it('closes a tunnel that carries nothing for the idle timeout, and logs WEBSOCKET_IDLE_TIMEOUT', async () => {
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/idle/quiet`);
    // Activity keeps it open past the timeout…
    for (let i = 0; i < 4; i++) {
      await sleep(250);
      ws.send(`tick ${i}`);
      await nextMessage(ws);
    }
    const t0 = Date.now();
    const { code } = await closed(ws);
    const quiet = Date.now() - t0;
    assert.equal(code, 1006);
    assert.ok(quiet >= 500 && quiet < 4000, `closed after ${quiet} ms of silence`);
    await until(() => proxy.accessLog().some((l) => l.path === '/idle/quiet'), 5000, 'the tunnel line');
    assert.equal(proxy.accessLog().find((l) => l.path === '/idle/quiet').error, 'WEBSOCKET_IDLE_TIMEOUT');
  });

  it('websocket: false refuses the handshake (501) without asking the origin', async () => {
    const before = origin.handshakes.length;
    const err = await connect(`ws://127.0.0.1:${proxy.port}/off/x`).then(() => null, (e) => e);
    assert.equal(err?.status, 501);
    assert.match(err.body, /REQUEST_UPGRADE_UNSUPPORTED/);
    assert.equal(origin.handshakes.length, before);
  });

  it('an origin refusing the upgrade: its answer is relayed as a normal response', async () => {
    const err = await connect(`ws://127.0.0.1:${proxy.port}/ws/refuse`).then(() => null, (e) => e);
    assert.equal(err?.status, 403);
    assert.equal(err.body, 'not for you\r\n\r\n');
    assert.equal(err.headers.connection, 'close');
  });

  it('a target that cannot be reached: 502 to the handshake; a 101 to another protocol: 502, no tunnel', async () => {
    const down = await connect(`ws://127.0.0.1:${proxy.port}/dead/x`).then(() => null, (e) => e);
    assert.equal(down?.status, 502);
    assert.match(down.body, /UPSTREAM_CONNECT_REFUSED/);
    const wrong = await connect(`ws://127.0.0.1:${proxy.port}/ws/h2c`).then(() => null, (e) => e);
    assert.equal(wrong?.status, 502);
    assert.match(wrong.body, /UPSTREAM_BAD_RESPONSE/);
  });

  it('a 101 without the Accept of the client\'s key: 502, and the client\'s bytes never reach the origin', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    const head = 'GET /ws/bare101 HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    // A request smuggled behind the handshake, for a tunnel the proxy must not believe in.
    socket.write(`${head}GET /internal HTTP/1.1\r\nHost: internal\r\n\r\n`);
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    // Bounded: a proxy that believed the 101 keeps the socket open as a tunnel.
    await until(() => socket.destroyed || data.includes('\r\n\r\n'), 5000, 'an answer');
    await sleep(100);
    socket.destroy();
    assert.doesNotMatch(data, /101 Switching/);
    assert.match(data, /^HTTP\/1\.1 502 /);
    assert.match(data, /UPSTREAM_BAD_RESPONSE/);
    await sleep(200);
    assert.equal(Buffer.concat(behindBare101).toString('latin1'), '', 'nothing of the client reached the origin after its 101');
  });

  it('access control applies: basic auth and IP deny on WebSocket routes', async () => {
    const before = origin.handshakes.length;
    const noAuth = await connect(`ws://127.0.0.1:${proxy.port}/auth/x`).then(() => null, (e) => e);
    assert.equal(noAuth?.status, 401);
    assert.match(noAuth.headers['www-authenticate'], /Basic realm="ws"/);
    const wrong = await connect(`ws://127.0.0.1:${proxy.port}/auth/x`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } }).then(() => null, (e) => e);
    assert.equal(wrong?.status, 401);
    const denied = await connect(`ws://127.0.0.1:${proxy.port}/deny/x`).then(() => null, (e) => e);
    assert.equal(denied?.status, 403);
    assert.equal(origin.handshakes.length, before, 'no refused handshake reached the origin');

    const ws = await connect(`ws://127.0.0.1:${proxy.port}/auth/x`, { headers: { authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` } });
    ws.send('let in');
    assert.equal((await nextMessage(ws)).data.toString(), 'let in');
    ws.close();
    await closed(ws);
  });

  it('bytes sent right behind the handshake (before the 101) go to the tunnel; a first frame from the origin arrives', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    // One write: the handshake and a masked text frame "ping" (RFC 6455 §5.2).
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('ping');
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
    const head = 'GET /ws/hello HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), frame]));
    let data = Buffer.alloc(0);
    socket.on('data', (d) => (data = Buffer.concat([data, d])));
    await until(() => data.includes('hello first') && data.includes('ping'), 5000, 'both frames');
    const text = data.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
    assert.match(text, /\r\nUpgrade: websocket\r\n/i);
    assert.match(text, /\r\nConnection: Upgrade\r\n/i);
    assert.ok(text.indexOf('hello first') < text.indexOf('ping'), 'the origin\'s greeting, then the echo');
    socket.destroy();
  });

  it('counts open tunnels (admin status and metrics) and handles 1,000 concurrent sockets', async () => {
    const N = 1000;
    const sockets = [];
    // Opened in batches of 100 (bounded: the test machine is shared).
    for (let i = 0; i < N; i += 100) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => connect(`ws://127.0.0.1:${proxy.port}/ws/many/${i + j}`)))));
    }
    const status = (await adminRequest(proxy, '/api/status')).json();
    assert.equal(status.websocketTunnels, N);
    const metrics = (await adminRequest(proxy, '/metrics')).body.toString();
    assert.match(metrics, new RegExp(`^barbican_websocket_tunnels_open ${N}$`, 'm'));
    // Every socket echoes its own message.
    const replies = await Promise.all(
      sockets.map((ws, i) => {
        const reply = nextMessage(ws);
        ws.send(`n${i}`);
        return reply.then((m) => m.data.toString());
      }),
    );
    assert.deepEqual(replies, sockets.map((_, i) => `n${i}`));
    await Promise.all(sockets.map((ws) => {
      const done = closed(ws);
      ws.close();
      return done;
    }));
    await until(async () => (await adminRequest(proxy, '/api/status')).json().websocketTunnels === 0, 10_000, 'every tunnel to be counted closed');
    const after = (await adminRequest(proxy, '/metrics')).body.toString();
    assert.match(after, /^barbican_requests_in_flight 0$/m, 'tunnels are not left counted as requests in flight');
  });
});
