// Open WebSockets across a hot reload (they survive, and the replaced configuration still
// retires) and at graceful shutdown (closed at the end of server.shutdownTimeout).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { adminRequest, rewriteConfig, startProxy, startWebSocketOrigin } from '../helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open(url) {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

async function echo(ws, text) {
  const reply = new Promise((resolve) => ws.once('message', (d) => resolve(d.toString())));
  ws.send(text);
  return reply;
}

it('a hot reload does not drop open WebSockets; the replaced configuration retires without waiting for them', async () => {
  const origin = await startWebSocketOrigin();
  const config = (extra) => ({
    admin: { address: '127.0.0.1:0' },
    server: { shutdownTimeout: '20s' },
    upstreams: { origin: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'ws', upstream: 'origin', ...extra }],
  });
  const proxy = await startProxy(config({}));
  try {
    const sockets = await Promise.all([1, 2, 3].map(() => open(`ws://127.0.0.1:${proxy.port}/before`)));
    assert.equal(await echo(sockets[0], 'one'), 'one');
    rewriteConfig(proxy, config({ responseHeaders: { set: { 'x-generation': '2' } } }));
    const t0 = Date.now();
    const report = (await adminRequest(proxy, '/api/reload', { method: 'POST' })).json();
    assert.equal(report.ok, true);
    // The replaced runtime is closed once its requests in flight are done: tunnels are not
    // requests in flight, so that is at once, not after shutdownTimeout (20 s).
    await sleep(300);
    for (const [i, ws] of sockets.entries()) assert.equal(await echo(ws, `after reload ${i}`), `after reload ${i}`);
    assert.equal((await adminRequest(proxy, '/api/status')).json().websocketTunnels, 3);
    assert.doesNotMatch(proxy.stderr(), /still has requests in flight/);
    assert.ok(Date.now() - t0 < 10_000);
    // New handshakes use the new configuration.
    const fresh = new WebSocket(`ws://127.0.0.1:${proxy.port}/after`);
    const upgraded = once(fresh, 'upgrade');
    const opened = once(fresh, 'open');
    const [res] = await upgraded;
    assert.equal(res.headers['x-generation'], '2');
    await opened;
    fresh.close();
    for (const ws of sockets) ws.close();
    await Promise.all(sockets.map((ws) => once(ws, 'close')));
    const lines = await proxy.waitForLog((l) => l.path === '/before', { count: 3 });
    assert.equal(lines.length, 3, 'each tunnel opened before the reload is logged once, at its close');
    assert.ok(lines.every((l) => l.status === 101));
  } finally {
    await proxy.close();
    await origin.close();
  }
});

it('graceful shutdown closes open tunnels at the end of shutdownTimeout, and the process exits', async () => {
  const origin = await startWebSocketOrigin();
  const proxy = await startProxy({
    server: { shutdownTimeout: '700ms' },
    upstreams: { origin: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'ws', upstream: 'origin' }],
  });
  try {
    const ws = await open(`ws://127.0.0.1:${proxy.port}/long`);
    assert.equal(await echo(ws, 'still here'), 'still here');
    const t0 = Date.now();
    const exited = once(proxy.proc, 'exit');
    proxy.proc.kill('SIGTERM');
    await sleep(300);
    // Still open during the drain.
    assert.equal(await echo(ws, 'draining'), 'draining');
    await once(ws, 'close');
    const ms = Date.now() - t0;
    assert.ok(ms >= 600 && ms < 5000, `closed after ${ms} ms`);
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    await proxy.close();
    await origin.close();
  }
});

it('open tunnels do not hold the upstream\'s connection slots: maxConnectionsPerTarget 2, three WebSockets, requests still served', async () => {
  const origin = await startWebSocketOrigin();
  const proxy = await startProxy({
    upstreams: { origin: { targets: [{ url: origin.url }], maxConnectionsPerTarget: 2, maxPending: 10 } },
    routes: [{ name: 'ws', upstream: 'origin' }],
  });
  try {
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(await open(`ws://127.0.0.1:${proxy.port}/slot/${i}`));
    for (const [i, ws] of sockets.entries()) assert.equal(await echo(ws, `s${i}`), `s${i}`);
    const res = await fetch(`${proxy.url}/plain`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'plain');
    for (const ws of sockets) ws.close();
    await Promise.all(sockets.map((ws) => once(ws, 'close')));
  } finally {
    await proxy.close();
    await origin.close();
  }
});
