// GET /metrics through the real binary: the exposition parses line by line (a small parser
// below), counters move after traffic, and upstream health shows per target.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, deadAddress, request, startOrigin, startProxy } from '../helpers.mjs';

const cleanup = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()();
});

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*)?,?\\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

/**
 * Parses Prometheus text format 0.0.4. Every line must be a sample, a HELP/TYPE comment or
 * empty; every sample must belong to a family declared by TYPE. Returns Map(key → value) with
 * key `name{a="x",b="y"}` (labels as written) and the families' types.
 */
function parseExposition(text) {
  const samples = new Map();
  const types = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = TYPE.exec(line);
      if (type) types.set(type[1], type[2]);
      else assert.match(line, HELP, `a comment that is not HELP or TYPE: ${line}`);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a valid sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.has(family), `sample of an undeclared family: ${line}`);
    assert.ok(!samples.has(`${m[1]}${m[2] ?? ''}`), `duplicate sample: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { samples, types };
}

async function scrape(proxy) {
  const res = await adminRequest(proxy, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body.toString());
}

test('the exposition parses, and request counters, histograms and bytes move with traffic', async () => {
  const origin = await startOrigin((req, res) => {
    if (req.url === '/fail') res.writeHead(503);
    res.end('hello world');
  });
  cleanup.push(() => origin.close());
  const dead = await deadAddress();
  const proxy = await startProxy({
    upstreams: {
      app: { targets: [{ url: origin.url }] },
      gone: { targets: [{ url: dead }], outlierDetection: { consecutiveFailures: 1, baseEjectionTime: '30s', maxEjectionPercent: 100 }, retries: { attempts: 1 } },
    },
    routes: [
      { name: 'limited', match: { pathPrefix: '/limited' }, upstream: 'app', rateLimit: { requests: 1, per: '1m', burst: 0 } },
      { name: 'closed', match: { pathPrefix: '/closed' }, upstream: 'app', access: { deny: ['127.0.0.0/8'] } },
      { name: 'gone', match: { pathPrefix: '/gone' }, upstream: 'gone' },
      { name: 'main', match: { pathPrefix: '/' }, upstream: 'app' },
    ],
    admin: { address: '127.0.0.1:0' },
  });
  cleanup.push(() => proxy.close());

  const before = await scrape(proxy);
  assert.equal(before.types.get('barbican_requests_total'), 'counter');
  assert.equal(before.types.get('barbican_request_duration_seconds'), 'histogram');
  assert.equal(before.types.get('barbican_upstream_request_duration_seconds'), 'histogram');
  assert.equal(before.types.get('barbican_requests_in_flight'), 'gauge');
  assert.equal(before.types.get('barbican_upstream_target_up'), 'gauge');
  assert.equal(before.types.get('barbican_open_connections'), 'gauge');
  assert.equal(before.samples.get('barbican_requests_total{route="main",method="GET",status_class="2xx"}'), undefined);
  assert.equal(before.samples.get(`barbican_upstream_target_up{upstream="app",target="${origin.url}"}`), 1);

  for (let i = 0; i < 5; i++) assert.equal((await request(`${proxy.url}/a`)).status, 200);
  await request(`${proxy.url}/b`, { method: 'POST', body: 'x'.repeat(100) });
  await request(`${proxy.url}/fail`);
  await request(`${proxy.url}/limited`);
  assert.equal((await request(`${proxy.url}/limited`)).status, 429);
  assert.equal((await request(`${proxy.url}/closed`)).status, 403);
  assert.equal((await request(`${proxy.url}/gone`)).status, 502);

  const after = await scrape(proxy);
  const s = after.samples;
  assert.equal(s.get('barbican_requests_total{route="main",method="GET",status_class="2xx"}'), 5);
  assert.equal(s.get('barbican_requests_total{route="main",method="POST",status_class="2xx"}'), 1);
  assert.equal(s.get('barbican_requests_total{route="main",method="GET",status_class="5xx"}'), 1);
  assert.equal(s.get('barbican_request_duration_seconds_count{route="main"}'), 7);
  assert.equal(s.get('barbican_request_duration_seconds_bucket{route="main",le="+Inf"}'), 7);
  assert.ok(s.get('barbican_request_duration_seconds_sum{route="main"}') > 0);
  assert.equal(s.get(`barbican_upstream_request_duration_seconds_count{upstream="app",target="${origin.url}"}`), 8, 'every answered try (7 on main, 1 on limited)');
  assert.equal(s.get('barbican_request_bytes_total{route="main"}'), 100);
  assert.equal(s.get('barbican_response_bytes_total{route="main"}'), 7 * 'hello world'.length);
  assert.equal(s.get('barbican_rate_limited_total{route="limited"}'), 1);
  assert.equal(s.get('barbican_access_rejections_total{route="closed",code="ACCESS_DENIED"}'), 1);
  assert.equal(s.get('barbican_requests_total{route="gone",method="GET",status_class="5xx"}'), 1);
  assert.equal(s.get(`barbican_upstream_target_ejections_total{upstream="gone",target="${dead}"}`), 1);
  assert.equal(s.get(`barbican_upstream_target_up{upstream="gone",target="${dead}"}`), 0);
  assert.equal(s.get('barbican_requests_in_flight'), 0);
  assert.ok(s.has('barbican_process_cpu_seconds_total'), 'process metrics too');
  // Histogram buckets are cumulative.
  let last = 0;
  for (const [key, value] of s) {
    if (!key.startsWith('barbican_request_duration_seconds_bucket{route="main"')) continue;
    assert.ok(value >= last, key);
    last = value;
  }
});

test('retries are counted per upstream', async () => {
  const dead = await deadAddress();
  const origin = await startOrigin((req, res) => res.end('ok'));
  cleanup.push(() => origin.close());
  const proxy = await startProxy({
    upstreams: { app: { targets: [{ url: dead }, { url: origin.url }], retries: { attempts: 2, budgetPercent: 100 } } },
    routes: [{ name: 'main', upstream: 'app' }],
    admin: { address: '127.0.0.1:0' },
  });
  cleanup.push(() => proxy.close());
  for (let i = 0; i < 4; i++) assert.equal((await request(`${proxy.url}/`)).status, 200);
  const { samples } = await scrape(proxy);
  assert.ok(samples.get('barbican_upstream_retries_total{upstream="app"}') >= 1);
});

test('metrics.enabled: false serves no /metrics', async () => {
  const origin = await startOrigin();
  cleanup.push(() => origin.close());
  const proxy = await startProxy({
    upstreams: { app: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'main', upstream: 'app' }],
    admin: { address: '127.0.0.1:0' },
    metrics: { enabled: false },
  });
  cleanup.push(() => proxy.close());
  const res = await adminRequest(proxy, '/metrics');
  assert.equal(res.status, 404);
  assert.equal(res.json().error.code, 'METRICS_DISABLED');
});

test('cache counters: hits, misses, bytes and entries are exposed', async () => {
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.end('cacheable body');
  });
  cleanup.push(() => origin.close());
  const proxy = await startProxy({
    upstreams: { app: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'cached', upstream: 'app', cache: { enabled: true } }],
    cache: { maxBytes: '1MiB' },
    admin: { address: '127.0.0.1:0' },
  });
  cleanup.push(() => proxy.close());
  for (let i = 0; i < 3; i++) assert.equal((await request(`${proxy.url}/c`)).status, 200);
  const { samples, types } = await scrape(proxy);
  assert.equal(types.get('barbican_cache_requests_total'), 'counter');
  const value = (name, labels = '') => samples.get(`${name}${labels}`);
  assert.equal(value('barbican_cache_requests_total', '{result="miss"}'), 1);
  assert.equal(value('barbican_cache_requests_total', '{result="hit"}'), 2);
  assert.equal(value('barbican_cache_entries'), 1);
  assert.ok(value('barbican_cache_bytes') >= 'cacheable body'.length);
  assert.ok(value('barbican_cache_stored_bytes_total') >= 'cacheable body'.length);

  // The access log says how each request was answered: the miss with its upstream time.
  const records = await proxy.waitForLog((r) => r.path === '/c', { count: 3 });
  assert.equal(records.length, 3);
  assert.match(records[0].cacheStatus, /fwd=uri-miss; stored/);
  assert.equal(typeof records[0].upstreamMs, 'number');
  for (const r of records.slice(1)) {
    assert.match(r.cacheStatus, /; hit/);
    assert.equal(r.upstreamMs, undefined);
  }
});
