// ACME when the CA refuses: the TLS listener still starts and serves a temporary self-signed
// certificate for the domains, the failure is logged with the CA's problem detail and the retry
// delay, and the plain listener keeps routing (a challenge path with an unknown token is an
// ordinary request on a listener that does not redirect). The "CA" is a local HTTPS server that
// answers every request with an RFC 7807 problem (trusted through acme.caFile).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startOrigin, startProxy } from '../helpers.mjs';
import { SNI_CERTIFICATES, fixture, handshake, httpsGet, waitFor } from './tls-helpers.mjs';

describe('ACME with a CA that refuses', () => {
  let origin;
  let ca;
  let proxy;
  let storageDir;

  before(async () => {
    origin = await startOrigin();
    // RFC 8555 §7.1.1 directory and §7.2 nonces, then every account request refused (§6.7).
    let nonce = 0;
    ca = https.createServer({ cert: readFileSync(fixture('origin.pem')), key: readFileSync(fixture('origin.key')) }, (req, res) => {
      const base = `https://127.0.0.1:${ca.address().port}`;
      const headers = { 'replay-nonce': `nonce-${++nonce}`, 'cache-control': 'no-store' };
      req.resume();
      if (req.url === '/dir') {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        return res.end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` }));
      }
      if (req.url === '/nonce') {
        res.writeHead(200, headers);
        return res.end();
      }
      res.writeHead(403, { ...headers, 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:unauthorized', detail: 'this test CA refuses everyone' }));
    });
    ca.listen(0, '127.0.0.1');
    await once(ca, 'listening');
    storageDir = mkdtempSync(join(tmpdir(), 'barbican-acme-offline-'));
    proxy = await startProxy({
      listeners: [
        { name: 'web', address: '127.0.0.1:0' },
        {
          name: 'websecure',
          address: '127.0.0.1:0',
          tls: {
            certificates: [SNI_CERTIFICATES[0]],
            acme: {
              directoryUrl: `https://127.0.0.1:${ca.address().port}/dir`,
              email: 'ops@shop.test',
              domains: ['shop.test', 'www.shop.test'],
              storageDir,
              caFile: fixture('ca.pem'),
            },
          },
        },
      ],
      upstreams: { app: { targets: [{ url: origin.url }] } },
      routes: [{ upstream: 'app' }],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    ca?.close();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('serves a temporary self-signed certificate for the ACME domains, and the configured one for the rest', async () => {
    const temporary = await handshake(proxy.ports.websecure, { servername: 'www.shop.test' });
    assert.equal(temporary.subject, 'shop.test');
    assert.equal(temporary.issuer, 'shop.test', 'self-signed');
    assert.equal(temporary.san, 'DNS:shop.test, DNS:www.shop.test');
    assert.equal(temporary.authorized, false);
    const configured = await handshake(proxy.ports.websecure, { servername: 'a.test' });
    assert.equal(configured.subject, 'a.test');
    const res = await httpsGet(proxy.ports.websecure, '/over-temporary', { servername: 'shop.test', ca: undefined, headers: {} }).catch((e) => e);
    assert.match(String(res.code ?? res.message), /SELF_SIGNED|self.signed/i, 'clients are told the certificate is not trusted');
  });

  it('logs the failed order with the CA\'s detail and the retry delay', async () => {
    await waitFor(() => /acme: issuance failed/.test(proxy.stderr()), 10_000, 'the failure log');
    const line = proxy.stderr().split('\n').find((l) => l.includes('acme: issuance failed'));
    const record = JSON.parse(line);
    assert.equal(record.listener, 'websecure');
    assert.deepEqual(record.domains, ['shop.test', 'www.shop.test']);
    assert.equal(record.retryInMs, 300_000);
    assert.match(record.err.message, /this test CA refuses everyone/);
  });

  it('a plain listener that does not redirect routes unknown challenge tokens like any request', async () => {
    const res = await request(`${proxy.url}/.well-known/acme-challenge/not-ours`);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body.toString()).url, '/.well-known/acme-challenge/not-ours');
  });
});
