// Hot reload through the real binary: under load, ten reloads (valid and invalid alternating)
// fail no request; a route added by a reload serves at once; SIGHUP and --watch reload; errors are kept.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, adminRequest, request, rewriteConfig, startOrigin, startProxy } from '../helpers.mjs';

const cleanup = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()();
});

function configWith(originUrl, extraRoutes = []) {
  return {
    upstreams: { app: { targets: [{ url: originUrl }], healthCheck: { path: '/', interval: '200ms' } } },
    routes: [...extraRoutes, { name: 'main', upstream: 'app' }],
    admin: { address: '127.0.0.1:0' },
    logging: { level: 'info', accessLog: { format: 'off' } },
  };
}

/** A config that fails validation (an unknown upstream and an unknown key). */
const INVALID = `listeners: [{ name: web, address: "127.0.0.1:0" }]
admin: { address: "127.0.0.1:0" }
upstreams: { app: { targets: [{ url: "http://127.0.0.1:1" }] } }
routes:
  - { name: main, upstream: ap }
  - { name: other, upstream: app, bogusKey: 1 }
`;

/** Polls `url` until it answers `status`; resolves the time it took (ms). */
async function waitFor(url, status, limitMs) {
  const start = performance.now();
  for (;;) {
    const res = await request(url);
    if (res.status === status) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`${url} still answers ${res.status} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('ten reloads under load (valid and invalid alternating): zero failed requests; added routes serve at once', async () => {
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  cleanup.push(() => origin.close());
  const proxy = await startProxy(configWith(origin.url));
  cleanup.push(() => proxy.close());

  const TOTAL = 10_000;
  const CONCURRENCY = 32;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  cleanup.push(() => agent.destroy());
  let sent = 0;
  let done = 0;
  const failures = [];
  const worker = async () => {
    while (sent < TOTAL) {
      sent++;
      try {
        const res = await request(`${proxy.url}/load`, { agent });
        if (res.status !== 200) failures.push(`status ${res.status}: ${res.body}`);
      } catch (err) {
        failures.push(err.code ?? err.message);
      }
      done++;
    }
  };
  const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const reloads = [];
  const routeTimes = [];
  for (let i = 0; i < 10; i++) {
    // Spread the reloads over the load.
    while (done < ((i + 1) * TOTAL) / 12) await new Promise((r) => setTimeout(r, 5));
    const valid = i % 2 === 0;
    if (valid) rewriteConfig(proxy, configWith(origin.url, [{ name: `added-${i}`, match: { path: `/added-${i}` }, respond: { status: 200, body: `added ${i}` } }]));
    else rewriteConfig(proxy, INVALID);
    const res = await adminRequest(proxy, '/api/reload', { method: 'POST' });
    const report = res.json();
    reloads.push(report.ok);
    assert.equal(res.status, valid ? 200 : 422, JSON.stringify(report));
    if (valid) routeTimes.push(await waitFor(`${proxy.url}/added-${i}`, 200, 1000));
    else {
      assert.ok(report.errors.some((e) => /barbican\.yaml:5:\d+: routes\[0\]\.upstream: unknown upstream "ap"/.test(e)), report.errors.join('\n'));
      assert.ok(report.errors.some((e) => /routes\[1\]\.bogusKey: unknown key/.test(e)), report.errors.join('\n'));
      // The previous (valid) config keeps serving, including the route it added.
      assert.equal((await request(`${proxy.url}/added-${i - 1}`)).status, 200);
    }
  }
  await load;
  assert.equal(done, TOTAL);
  assert.deepEqual(failures, [], `${failures.length} of ${TOTAL} requests failed`);
  assert.deepEqual(reloads, [true, false, true, false, true, false, true, false, true, false]);
  assert.ok(routeTimes.every((t) => t < 1000));

  const status = (await adminRequest(proxy, '/api/status')).json();
  assert.equal(status.reload.ok, false);
  assert.ok(status.reload.errors.length >= 2);
  const metrics = (await adminRequest(proxy, '/metrics')).body.toString();
  assert.match(metrics, /barbican_config_reloads_total\{result="success"\} 5/);
  assert.match(metrics, /barbican_config_reloads_total\{result="failure"\} 5/);
  // Every problem was logged with file:line.
  assert.match(proxy.stderr(), /reload refused: [^"]*barbican\.yaml:5:\d+: routes\[0\]\.upstream/);
  process.stdout.write(`# reload under load: ${TOTAL} requests, ${failures.length} failed, route served after ${routeTimes.map((t) => t.toFixed(1)).join('/')} ms\n`);
});

test('SIGHUP reloads the file; health state survives; a listener change is reported, not applied', async () => {
  const origin = await startOrigin((req, res) => res.end('ok'));
  cleanup.push(() => origin.close());
  const proxy = await startProxy(configWith(origin.url));
  cleanup.push(() => proxy.close());
  assert.equal((await request(`${proxy.url}/hup`)).status, 200, 'caught by main');

  const next = configWith(origin.url, [{ name: 'hup', match: { path: '/hup' }, respond: { status: 204 } }]);
  next.listeners = [{ name: 'web', address: '127.0.0.1:0' }, { name: 'extra', address: '127.0.0.1:0' }];
  rewriteConfig(proxy, next);
  proxy.proc.kill('SIGHUP');
  const took = await waitFor(`${proxy.url}/hup`, 204, 1000);
  assert.ok(took < 1000);
  assert.match(proxy.stderr(), /"trigger":"SIGHUP".*configuration reloaded/);
  assert.match(proxy.stderr(), /a reload cannot rebind listeners; the old listeners keep serving/);
  const status = (await adminRequest(proxy, '/api/status')).json();
  assert.equal(status.reload.ok, true);
  assert.equal(status.reload.trigger, 'SIGHUP');
  assert.equal(status.reload.warnings.length, 1);

  // A draining flag (like health) lives in the target state, which a reload keeps.
  await adminRequest(proxy, '/api/targets/drain', { method: 'POST', json: { upstream: 'app', target: origin.url } });
  proxy.proc.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await request(`${proxy.url}/x`)).status, 503, 'still drained after the reload');
});

test('a reload keeps the cache while cache.maxBytes is unchanged, and starts a new one when it changes', async () => {
  let served = 0;
  const origin = await startOrigin((req, res) => {
    if (req.url === '/c') served++;
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.end(`copy ${served}`);
  });
  cleanup.push(() => origin.close());
  const cached = (maxBytes, extraRoutes = []) => ({
    ...configWith(origin.url, extraRoutes),
    routes: [...extraRoutes, { name: 'cached', upstream: 'app', cache: { enabled: true } }],
    cache: { maxBytes },
  });
  const proxy = await startProxy(cached('1MiB'));
  cleanup.push(() => proxy.close());
  assert.equal((await request(`${proxy.url}/c`)).body.toString(), 'copy 1');

  rewriteConfig(proxy, cached('1MiB', [{ name: 'other', match: { path: '/other' }, respond: { status: 204 } }]));
  proxy.proc.kill('SIGHUP');
  await waitFor(`${proxy.url}/other`, 204, 2000);
  const kept = await request(`${proxy.url}/c`);
  assert.equal(kept.body.toString(), 'copy 1', 'served from the cache kept across the reload');
  assert.match(kept.headers['cache-status'], /hit/);

  rewriteConfig(proxy, cached('2MiB'));
  proxy.proc.kill('SIGHUP');
  await waitFor(`${proxy.url}/other`, 200, 2000);
  assert.equal((await request(`${proxy.url}/c`)).body.toString(), 'copy 2', 'a new cache after maxBytes changed');
});

test('--watch reloads when the file changes; an invalid file changes nothing', async () => {
  const origin = await startOrigin((req, res) => res.end('ok'));
  cleanup.push(() => origin.close());
  const proxy = await startProxy(configWith(origin.url), { args: ['--watch'] });
  cleanup.push(() => proxy.close());
  assert.equal((await request(`${proxy.url}/watched`)).status, 200, 'caught by main');

  rewriteConfig(proxy, configWith(origin.url, [{ name: 'watched', match: { path: '/watched' }, respond: { status: 204 } }]));
  // Polled once a second, then 300 ms to settle.
  const took = await waitFor(`${proxy.url}/watched`, 204, 5000);
  assert.match(proxy.stderr(), /"trigger":"file change".*configuration reloaded/);

  rewriteConfig(proxy, INVALID);
  const deadline = Date.now() + 5000;
  while (!/"trigger":"file change".*reload refused/.test(proxy.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(proxy.stderr(), /reload refused: [^"]*barbican\.yaml:5:\d+: routes\[0\]\.upstream/);
  assert.equal((await request(`${proxy.url}/watched`)).status, 204, 'the running config still serves');
  process.stdout.write(`# --watch: added route served ${took.toFixed(0)} ms after the file was written\n`);
});

test('--watch without a config file (the demo) is refused', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'barbican-watch-'));
  const r = spawnSync(process.execPath, [BIN, '--watch'], { cwd, encoding: 'utf8', timeout: 10_000 });
  rmSync(cwd, { recursive: true, force: true });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--watch needs a config file/);
});
