// The dashboard in real headless Chromium (playwright-core driving the Debian package) against
// the real proxy and real origins: no console errors, no request to another host, numbers change
// after traffic, a target turns unhealthy when its origin stops, no sideways scroll on a phone.
// The laptop screenshot goes to the temp dir, or to docs/dashboard.png with
// BARBICAN_UPDATE_SCREENSHOT=1 (so a test run never changes a tracked file).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, adminPort, request, startOrigin, startProxy } from '../helpers.mjs';
import { findChromium } from './chromium.mjs';

const TOKEN = 'browser-test-token-0123456789';
const found = findChromium();
const skip = found.skip ? `dashboard browser tests skipped: ${found.skip}` : false;
if (skip) console.log(`# ${skip}`);

const cleanup = [];
after(async () => {
  while (cleanup.length) await cleanup.pop()();
});

let proxy, stable, doomed, browser, base;
before(async () => {
  if (skip) return;
  const ok = (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  };
  stable = await startOrigin(ok);
  doomed = await startOrigin(ok);
  cleanup.push(() => stable.close(), () => doomed.close());
  proxy = await startProxy({
    upstreams: {
      app: {
        targets: [{ url: stable.url }, { url: doomed.url }],
        healthCheck: { path: '/healthz', interval: '200ms', timeout: '150ms', unhealthyThreshold: 1, healthyThreshold: 1 },
      },
    },
    routes: [
      { name: 'api', match: { pathPrefix: '/api/' }, upstream: 'app' },
      { name: 'site', upstream: 'app' },
    ],
    admin: { address: '127.0.0.1:0', token: TOKEN },
  });
  cleanup.push(() => proxy.close());
  base = `http://127.0.0.1:${await adminPort(proxy)}`;
  browser = await chromium.launch({ executablePath: found.executablePath, args: ['--no-sandbox'] });
  cleanup.push(() => browser.close());
});

/** A page that records console errors, page errors, failed requests and requests to other hosts. */
async function open(viewport, at = base) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(at) && !r.url().startsWith('data:')) problems.push(`other host: ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // EventSource connections are aborted when the page closes; anything else is a problem.
    if (!r.url().endsWith('/api/events')) problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  await page.goto(`${at}/?token=${TOKEN}`);
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.waitForSelector('#conn.live');
  return { page, problems, close: () => context.close() };
}

const numberIn = async (page, selector) => Number((await page.textContent(selector)).replace(/[^0-9.]/g, ''));

test('laptop: loads cleanly, numbers follow traffic, a stopped origin shows unhealthy', { skip, timeout: 30_000 }, async () => {
  const { page, problems, close } = await open({ width: 1280, height: 800 });
  try {
    await page.waitForSelector(`tr[data-target="${doomed.url}"][data-state="healthy"]`);
    const before = await numberIn(page, '#total');

    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => request(`${proxy.url}${i % 4 === 0 ? '/api/items' : '/'}`, { agent })));
    agent.destroy();
    await page.waitForFunction((n) => Number(document.getElementById('total').textContent.replace(/[^0-9]/g, '')) >= n, before + 200, { timeout: 5000 });
    assert.ok((await numberIn(page, '#total')) >= before + 200);
    assert.notEqual(await page.textContent('#p50'), '–', 'latency percentiles are shown');
    assert.match(await page.textContent('#routes'), /site/);
    assert.match(await page.textContent('#routes'), /api/);

    await doomed.close();
    const row = `tr[data-target="${doomed.url}"]`;
    await page.waitForSelector(`${row}[data-state="unhealthy"]`, { timeout: 5000 });
    assert.equal((await page.textContent(`${row} .state`)).trim(), 'unhealthy');
    assert.equal(await page.getAttribute(`tr[data-target="${stable.url}"]`, 'data-state'), 'healthy');
    await page.waitForFunction(() => /health/.test(document.getElementById('errors').textContent), null, { timeout: 3000 });

    // A little more traffic so the sparkline has a shape, then the picture for the docs.
    await Promise.all(Array.from({ length: 40 }, () => request(`${proxy.url}/`)));
    await page.waitForTimeout(1100);
    await page.screenshot({ path: process.env.BARBICAN_UPDATE_SCREENSHOT ? join(ROOT, 'docs', 'dashboard.png') : join(tmpdir(), 'barbican-dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('phone (390×844): no horizontal scroll, no console errors', { skip, timeout: 15_000 }, async () => {
  const { page, problems, close } = await open({ width: 390, height: 844 });
  try {
    await page.waitForSelector('tr[data-target]');
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    assert.ok(scrollWidth <= clientWidth, `page is ${scrollWidth}px wide in a ${clientWidth}px viewport`);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('workers: 2: the page counts both workers and lists them (laptop and phone)', { skip, timeout: 40_000 }, async () => {
  const origin = await startOrigin((req, res) => res.end('ok'));
  cleanup.push(() => origin.close());
  const workers = await startProxy({
    server: { workers: 2 },
    upstreams: { app: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'site', upstream: 'app' }],
    admin: { address: '127.0.0.1:0', token: TOKEN },
  });
  cleanup.push(() => workers.close());
  const at = `http://127.0.0.1:${await adminPort(workers)}`;
  const { page, problems, close } = await open({ width: 1280, height: 800 }, at);
  try {
    await page.waitForSelector('#workers-section:not([hidden]) tr[data-worker="2"]');
    assert.equal(await page.locator('tr[data-worker]').count(), 2);
    const before = await numberIn(page, '#total');
    // A new connection per request: the cluster hands connections to the workers in turn.
    for (let i = 0; i < 40; i++) await request(`${workers.url}/`, { headers: { connection: 'close' } });
    await page.waitForFunction((n) => Number(document.getElementById('total').textContent.replace(/[^0-9]/g, '')) >= n, before + 40, { timeout: 8000 });
    assert.equal(await numberIn(page, '#total'), before + 40, 'both workers counted');
    assert.doesNotMatch(await page.textContent('#workers'), /not answering/);
    await page.setViewportSize({ width: 390, height: 844 });
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    assert.ok(scrollWidth <= clientWidth, `page is ${scrollWidth}px wide in a ${clientWidth}px viewport`);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
