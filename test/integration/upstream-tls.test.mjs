// https:// targets: the certificate is verified by default (upstreams.*.tls.verify), against
// tls.caFile when given, with tls.serverName as the name checked; failures are 502 UPSTREAM_TLS_FAILED.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { ROOT, request, startProxy } from '../helpers.mjs';

const TLS = join(ROOT, 'test', 'fixtures', 'tls');
const BIG = Buffer.alloc(5 * 1024 * 1024, 'barbican-tls-');

describe('upstream TLS', () => {
  let origin;
  let proxy;
  let originUrl;

  before(async () => {
    origin = https.createServer({ cert: readFileSync(join(TLS, 'origin.pem')), key: readFileSync(join(TLS, 'origin.key')) }, (req, res) => {
      if (req.url.endsWith('/big')) {
        res.writeHead(200, { 'content-length': BIG.length });
        res.end(BIG);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`secure ${req.url} ${req.headers.host}`);
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    originUrl = `https://127.0.0.1:${origin.address().port}`;
    const ca = join(TLS, 'ca.pem');
    proxy = await startProxy({
      upstreams: {
        trusted: { targets: [{ url: originUrl }], tls: { caFile: ca } },
        untrusted: { targets: [{ url: originUrl }] },
        unverified: { targets: [{ url: originUrl }], tls: { verify: false } },
        wrongName: { targets: [{ url: originUrl }], tls: { caFile: ca, serverName: 'other.test' } },
        rightName: { targets: [{ url: originUrl }], tls: { caFile: ca, serverName: 'origin.test' } },
      },
      routes: [
        { match: { pathPrefix: '/trusted' }, upstream: 'trusted' },
        { match: { pathPrefix: '/untrusted' }, upstream: 'untrusted' },
        { match: { pathPrefix: '/unverified' }, upstream: 'unverified' },
        { match: { pathPrefix: '/wrong-name' }, upstream: 'wrongName' },
        { match: { pathPrefix: '/right-name' }, upstream: 'rightName' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    origin?.closeAllConnections();
    await new Promise((r) => origin?.close(r));
  });

  it('forwards to an https target whose certificate chains to tls.caFile', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(`${proxy.url}/trusted/x?i=${i}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString().split(' ')[1], `/trusted/x?i=${i}`);
    }
  });

  it('refuses a target the system CAs do not trust: 502 UPSTREAM_TLS_FAILED (verification is on by default)', async () => {
    const res = await request(`${proxy.url}/untrusted/x`);
    assert.equal(res.status, 502);
    assert.match(res.body.toString(), /code: UPSTREAM_TLS_FAILED/);
  });

  it('tls.verify: false accepts the certificate', async () => {
    const res = await request(`${proxy.url}/unverified/x`);
    assert.equal(res.status, 200);
  });

  it('tls.serverName is the name checked: a name the certificate lacks is refused, its own name passes', async () => {
    const wrong = await request(`${proxy.url}/wrong-name/x`);
    assert.equal(wrong.status, 502);
    assert.match(wrong.body.toString(), /code: UPSTREAM_TLS_FAILED/);
    const right = await request(`${proxy.url}/right-name/x`);
    assert.equal(right.status, 200);
  });

  it('a 5 MiB response over TLS arrives intact', async () => {
    // The TLS path reads through 'data' events (not the plain-TCP reusable buffer).
    const res = await request(`${proxy.url}/trusted/big`);
    assert.equal(res.status, 200);
    const digest = (b) => createHash('sha256').update(b).digest('hex');
    assert.equal(res.body.length, BIG.length);
    assert.equal(digest(res.body), digest(BIG));
  });
});
