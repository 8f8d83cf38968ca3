// The combined (Apache/nginx) access-log format: one line per request with the client's
// User-Agent and Referer, which the JSON format does not look up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, request, simpleConfig, startOrigin, startProxy } from '../helpers.mjs';

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

// Log injection: bytes llhttp accepts in a request target (`"`, `\` in the query) and in header
// values (`"`, `\`, tab, bytes ≥ 0x80) must not end the quoted field nor reach the log raw.
test('combined format escapes the request line and headers as httpd does', async () => {
  const origin = await startOrigin((req, res) => res.end('ok'));
  const proxy = await startProxy({ ...simpleConfig(origin.url), logging: { level: 'info', accessLog: { format: 'combined', output: 'stdout' } } });
  try {
    const head = [
      'GET /inj"ect?q="x"\\y HTTP/1.1',
      'Host: example.test',
      'User-Agent: evil" 200 0 "\tcaf\xc3\xa9\\',
      'Referer: http://r.example/"\xff',
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    const { data } = await rawRequest(proxy.port, Buffer.from(head, 'latin1'), { idleMs: 500 });
    assert.match(data, /^HTTP\/1\.1 200 /);
    let line;
    for (let i = 0; i < 100 && line === undefined; i++) {
      line = proxy.stdout().split('\n').find((l) => l.includes('/inj'));
      await new Promise((r) => setTimeout(r, 20));
    }
    const rest = line.replace(/^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] /, '');
    assert.notEqual(rest, line, 'the line starts with the client address and the time');
    assert.equal(rest, String.raw`"GET /inj\"ect?q=\"x\"\\y HTTP/1.1" 200 2 "http://r.example/\"\xff" "evil\" 200 0 \"\tcaf\xc3\xa9\\"`);
  } finally {
    await proxy.close();
    await origin.close();
  }
});
