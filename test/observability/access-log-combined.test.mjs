// The combined (Apache/nginx) access-log format: one line per request with the client's
// User-Agent and Referer, which the JSON format does not look up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, simpleConfig, startOrigin, startProxy } from '../helpers.mjs';

test('combined format: request line, status, bytes, Referer and User-Agent', async () => {
  const origin = await startOrigin((req, res) => res.end('twelve bytes'));
  const proxy = await startProxy({ ...simpleConfig(origin.url), logging: { level: 'info', accessLog: { format: 'combined', output: 'stdout' } } });
  try {
    await request(`${proxy.url}/page?x=1`, { headers: { 'user-agent': 'test-agent/1.0', referer: 'http://ref.example/' } });
    let line;
    for (let i = 0; i < 50 && line === undefined; i++) {
      line = proxy.stdout().split('\n').find((l) => l.includes('/page?x=1'));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(line, /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/page\?x=1 HTTP\/1\.1" 200 12 "http:\/\/ref\.example\/" "test-agent\/1\.0"$/);
  } finally {
    await proxy.close();
    await origin.close();
  }
});
