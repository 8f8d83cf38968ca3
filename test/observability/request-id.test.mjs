// X-Request-Id on every response and upstream; W3C traceparent propagated with a new span id.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { request, startOrigin, startProxy } from '../helpers.mjs';

const cleanup = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()();
});

const ID = /^[0-9a-f]{20}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

async function setup(originHandler) {
  const origin = await startOrigin(originHandler);
  cleanup.push(() => origin.close());
  const proxy = await startProxy({
    upstreams: { app: { targets: [{ url: origin.url }] } },
    routes: [
      { name: 'ping', match: { path: '/ping' }, respond: { status: 200, body: 'pong' } },
      { name: 'old', match: { path: '/old' }, redirect: { to: '/new', status: 308 } },
      { name: 'denied', match: { path: '/denied' }, upstream: 'app', access: { deny: ['127.0.0.0/8'] } },
      { name: 'app', match: { pathPrefix: '/app/' }, upstream: 'app' },
    ],
  });
  cleanup.push(() => proxy.close());
  return { origin, proxy };
}

test('every response carries X-Request-Id, the same one the origin got and the access log has', async () => {
  const { origin, proxy } = await setup();
  const forwarded = await request(`${proxy.url}/app/x`);
  assert.match(forwarded.headers['x-request-id'], ID);
  assert.equal(origin.requests.at(-1).headers['x-request-id'], forwarded.headers['x-request-id']);
  for (const [path, status] of [
    ['/ping', 200],
    ['/old', 308],
    ['/denied', 403],
    ['/nowhere', 404],
  ]) {
    const res = await request(`${proxy.url}${path}`);
    assert.equal(res.status, status, path);
    assert.match(res.headers['x-request-id'] ?? '', ID, path);
    assert.equal(res.rawHeaders.filter((h) => h.toLowerCase() === 'x-request-id').length, 1, `one X-Request-Id on ${path}`);
  }
  // A valid id from the client is kept end to end.
  const kept = await request(`${proxy.url}/app/y`, { headers: { 'x-request-id': 'client-id-123' } });
  assert.equal(kept.headers['x-request-id'], 'client-id-123');
  assert.equal(origin.requests.at(-1).headers['x-request-id'], 'client-id-123');
  // An invalid one is replaced.
  const replaced = await request(`${proxy.url}/ping`, { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.match(replaced.headers['x-request-id'], ID);
  assert.equal((await proxy.waitForLog((r) => r.requestId === forwarded.headers['x-request-id'])).length, 1);
});

test('an origin that echoes its own X-Request-Id does not give the client two', async () => {
  const { proxy } = await setup((req, res) => {
    res.writeHead(200, { 'x-request-id': 'origin-made-this' });
    res.end('ok');
  });
  const res = await request(`${proxy.url}/app/x`);
  assert.match(res.headers['x-request-id'], ID);
  assert.equal(res.rawHeaders.filter((h) => h.toLowerCase() === 'x-request-id').length, 1);
});

test('traceparent: same trace id and flags, a new span id for the hop; tracestate passes; invalid starts a new trace', async () => {
  const { origin, proxy } = await setup();
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  await request(`${proxy.url}/app/a`, { headers: { traceparent: incoming, tracestate: 'vendor=abc' } });
  const sent = origin.requests.at(-1).headers;
  const m = TRACEPARENT.exec(sent.traceparent);
  assert.ok(m, sent.traceparent);
  assert.equal(m[1], '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.notEqual(m[2], '00f067aa0ba902b7');
  assert.equal(m[3], '01');
  assert.equal(sent.tracestate, 'vendor=abc');

  const spans = new Set();
  for (const bad of [undefined, 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01']) {
    await request(`${proxy.url}/app/b`, { headers: bad === undefined ? {} : { traceparent: bad } });
    const tp = TRACEPARENT.exec(origin.requests.at(-1).headers.traceparent);
    assert.ok(tp, `a new traceparent for ${bad}`);
    assert.notEqual(tp[1], '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.notEqual(tp[1], '0'.repeat(32));
    spans.add(tp[2]);
  }
  assert.equal(spans.size, 5, 'span ids are not reused');
  // A later version with extra fields is understood (its first four fields are kept).
  await request(`${proxy.url}/app/c`, { headers: { traceparent: `cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra` } });
  assert.match(origin.requests.at(-1).headers.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
});
