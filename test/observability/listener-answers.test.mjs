// Answers a listener gives itself before routing (redirectToHttps' 308, ACME HTTP-01 challenge
// paths) are logged and counted like any request: one access-log line each, with the status
// sent, the request id sent and a route name saying what answered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminRequest, rawRequest, request, startProxy } from '../helpers.mjs';

/** The value of barbican_requests_total for `route` and `statusClass` (0 when absent). */
function requestsTotal(text, route, statusClass) {
  let sum = 0;
  for (const m of text.matchAll(/^barbican_requests_total\{([^}]*)\} (\S+)$/gm)) {
    if (m[1].includes(`route="${route}"`) && m[1].includes(`status_class="${statusClass}"`)) sum += Number(m[2]);
  }
  return sum;
}

describe('answers of a redirectToHttps listener', () => {
  let proxy;
  before(async () => {
    proxy = await startProxy({
      listeners: [{ name: 'web', address: '127.0.0.1:0', redirectToHttps: true }],
      admin: { address: '127.0.0.1:0' },
      routes: [{ name: 'never', respond: { status: 200, body: 'not over plain http' } }],
    });
  });
  after(async () => {
    await proxy?.close();
  });

  it('a 308 redirect writes one access-log line with status 308 and counts in the metrics', async () => {
    const res = await request(`${proxy.url}/to-be-redirected?x=1`, { headers: { host: 'shop.test', 'x-request-id': 'redirect-check-1' } });
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, 'https://shop.test/to-be-redirected?x=1');
    assert.equal(res.headers['x-request-id'], 'redirect-check-1');
    const lines = await proxy.waitForLog((r) => r.path === '/to-be-redirected?x=1', { count: 2, timeoutMs: 1000 });
    assert.equal(lines.length, 1, 'exactly one line');
    const [line] = lines;
    assert.equal(line.status, 308);
    assert.equal(line.route, '(redirect-to-https)');
    assert.equal(line.requestId, 'redirect-check-1');
    assert.equal(line.host, 'shop.test');
    assert.equal(line.method, 'GET');
    assert.equal(line.bytesOut, res.body.length);
    assert.equal(line.upstream, undefined);
    const metrics = (await adminRequest(proxy, '/metrics')).body.toString();
    assert.equal(requestsTotal(metrics, '(redirect-to-https)', '3xx'), 1);
  });

  it('pipelined redirects on one connection are logged once each', async () => {
    const res = await rawRequest(proxy.port, 'GET /pipe-1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /pipe-2 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
    assert.equal(res.data.match(/HTTP\/1\.1 308 /g)?.length, 2);
    const lines = await proxy.waitForLog((r) => r.path.startsWith('/pipe-'), { count: 3, timeoutMs: 1000 });
    assert.deepEqual(lines.map((l) => [l.path, l.status, l.route]), [['/pipe-1', 308, '(redirect-to-https)'], ['/pipe-2', 308, '(redirect-to-https)']]);
  });

  it('a challenge path with an unknown token is answered 404 and logged as (acme-http-01)', async () => {
    const res = await request(`${proxy.url}/.well-known/acme-challenge/unknown-token`, { headers: { host: 'shop.test' } });
    assert.equal(res.status, 404);
    const lines = await proxy.waitForLog((r) => r.path === '/.well-known/acme-challenge/unknown-token', { count: 2, timeoutMs: 1000 });
    assert.equal(lines.length, 1);
    assert.equal(lines[0].status, 404);
    assert.equal(lines[0].route, '(acme-http-01)');
    assert.equal(lines[0].requestId, res.headers['x-request-id']);
    const metrics = (await adminRequest(proxy, '/metrics')).body.toString();
    assert.equal(requestsTotal(metrics, '(acme-http-01)', '4xx'), 1);
  });

  it('a request refused before the redirect (no usable Host) is logged once with its error', async () => {
    const res = await rawRequest(proxy.port, 'GET /no-host HTTP/1.0\r\n\r\n');
    assert.match(res.data, /^HTTP\/1\.1 400 /);
    const lines = await proxy.waitForLog((r) => r.error === 'REQUEST_HOST_INVALID', { count: 2, timeoutMs: 1000 });
    assert.equal(lines.length, 1);
    assert.equal(lines[0].status, 400);
  });
});
