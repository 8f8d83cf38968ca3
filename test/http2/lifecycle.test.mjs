// HTTP/2 connections and the listener's lifecycle: a graceful shutdown lets a stream in flight
// finish (GOAWAY first, so the client opens no new one), and an idle connection is closed after
// server.limits.keepAliveTimeout.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startProxy, simpleConfig } from '../helpers.mjs';
import { session, h2request } from './h2-client.mjs';
import { connectRaw, TYPE } from './h2-frames.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

it('SIGTERM: the stream in flight completes, the client gets GOAWAY, the proxy exits 0', async () => {
  const origin = await startOrigin((req, res) => setTimeout(() => res.end('late answer'), 600));
  const proxy = await startProxy({ ...simpleConfig(origin.url), listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }], server: { shutdownTimeout: '5s' } });
  const client = session(proxy.port);
  let goaway = false;
  client.on('goaway', () => (goaway = true));
  try {
    const pending = h2request(client, { ':path': '/slow' });
    await sleep(200);
    const exited = proxy.close('SIGTERM');
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'late answer');
    assert.equal(await exited, 0);
    assert.ok(goaway, 'GOAWAY received');
  } finally {
    client.destroy();
    await proxy.close();
    await origin.close();
  }
});

it('closes an idle HTTP/2 connection after keepAliveTimeout (GOAWAY NO_ERROR)', async () => {
  const origin = await startOrigin((req, res) => res.end('ok'));
  const proxy = await startProxy({ ...simpleConfig(origin.url), listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }], server: { limits: { keepAliveTimeout: '300ms' } } });
  try {
    const c = await connectRaw(proxy.port);
    const { headers, get } = await import('./h2-frames.mjs');
    c.send(headers(1, get('/one')));
    assert.ok(await c.until((f) => f.some((x) => x.type === TYPE.DATA && x.streamId === 1)));
    assert.ok(await c.until(() => c.goaway() !== undefined, 5000), 'GOAWAY after the idle time');
    assert.equal(c.goaway().code, 0);
    assert.equal(c.goaway().lastStreamId, 1);
    c.close();
  } finally {
    await proxy.close();
    await origin.close();
  }
});
