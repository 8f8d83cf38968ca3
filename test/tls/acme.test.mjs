// ACME end to end (RFC 8555) against Pebble: the proxy serves a temporary certificate, obtains
// one over HTTP-01 (answered on its plain listener, which otherwise redirects to https) or
// TLS-ALPN-01 (RFC 8737, answered on its TLS listener), serves it by SNI, stores it (keys 0600),
// loads it from storage on the next start without a new order, and renews it in place.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startProxy } from '../helpers.mjs';
import { ensurePebble, startPebble } from './pebble.mjs';
import { freePort, handshake, httpsGet, waitFor } from './tls-helpers.mjs';

const pebbleAvailable = ensurePebble();
const skip = pebbleAvailable.ok ? false : `skipped: ${pebbleAvailable.reason}`;
if (skip) console.log(`# ACME end-to-end test ${skip}`);

/** Every file under `dir` with its mode: { 'a/b': 0o600 }. */
function modes(dir, prefix = '') {
  const out = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const key = prefix + entry.name;
    out[key + (entry.isDirectory() ? '/' : '')] = statSync(path).mode & 0o777;
    if (entry.isDirectory()) Object.assign(out, modes(path, `${key}/`));
  }
  return out;
}

describe('ACME with Pebble', { skip, timeout: 90_000 }, () => {
  let pebble;
  let httpPort;
  let tlsPort;
  let storageDir;
  let root;
  let intermediate;

  before(async () => {
    httpPort = await freePort();
    tlsPort = await freePort();
    pebble = await startPebble({ httpPort, tlsPort });
    storageDir = mkdtempSync(join(tmpdir(), 'barbican-acme-'));
    root = await pebble.root();
    intermediate = new X509Certificate(await pebble.intermediate());
  });

  after(async () => {
    await pebble?.close();
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
  });

  const config = (domains, acme = {}) => ({
    listeners: [
      { name: 'web', address: `127.0.0.1:${httpPort}`, redirectToHttps: true },
      {
        name: 'websecure',
        address: `127.0.0.1:${tlsPort}`,
        tls: { acme: { directoryUrl: pebble.directoryUrl, email: 'ops@acme.test', domains, storageDir, caFile: pebble.caFile, ...acme } },
      },
    ],
    routes: [{ respond: { status: 200, body: 'acme ok\n' } }],
  });

  /** The served certificate for `servername`, checked against Pebble's root. */
  async function served(servername) {
    const r = await handshake(tlsPort, { servername, ca: root });
    assert.equal(r.error, undefined, r.message);
    return r;
  }

  it('http-01: obtains a certificate from Pebble and serves it by SNI; a restart loads it without a new order', async () => {
    const domains = ['acme.test', 'www.acme.test'];
    let proxy = await startProxy(config(domains));
    let first;
    try {
      await waitFor(() => /acme: certificate issued/.test(proxy.stderr()) || /acme: issuance failed/.test(proxy.stderr()), 30_000, 'issuance');
      assert.doesNotMatch(proxy.stderr(), /issuance failed/, proxy.stderr());
      assert.match(proxy.stderr(), /serving a temporary self-signed certificate[\s\S]*certificate issued/);
      for (const name of domains) {
        const cert = await served(name);
        assert.equal(cert.authorized, true, `${name}: ${cert.authorizationError}`);
        assert.equal(cert.issuer, intermediate.subject.replace(/^CN=/, ''), 'issued by Pebble\'s intermediate');
        assert.equal(cert.san, 'DNS:acme.test, DNS:www.acme.test');
        first ??= cert.serial;
        assert.equal(cert.serial, first, 'one certificate for both names');
      }
      const res = await httpsGet(tlsPort, '/', { servername: 'www.acme.test', ca: root });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'acme ok\n');
      // The plain listener still redirects everything else.
      const redirect = await request(`http://127.0.0.1:${httpPort}/x`, { headers: { host: 'acme.test' } });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.location, `https://acme.test:${tlsPort}/x`);
      assert.doesNotMatch(proxy.stderr(), /PRIVATE KEY/, 'keys are never logged');
      // Pebble's validations (one per domain at least) were answered by the listener and logged.
      const challenges = await proxy.waitForLog((r) => r.route === '(acme-http-01)', { count: 2 });
      assert.ok(challenges.length >= 2, JSON.stringify(challenges));
      for (const c of challenges) {
        assert.equal(c.status, 200);
        assert.match(c.path, /^\/\.well-known\/acme-challenge\/[\w-]+$/);
      }
      const [redirected] = await proxy.waitForLog((r) => r.route === '(redirect-to-https)' && r.path === '/x');
      assert.equal(redirected?.status, 308);
    } finally {
      await proxy.close();
    }

    const files = modes(storageDir);
    const server = Object.keys(files).find((k) => k.endsWith('_dir/'));
    assert.ok(server, JSON.stringify(files));
    assert.equal(files[`${server}account.key`], 0o600);
    assert.equal(files[`${server}acme.test/key.pem`], 0o600);
    assert.equal(files[`${server}acme.test/cert.pem`], 0o600);
    assert.equal(files[`${server}acme.test/`], 0o700);

    const issued = pebble.issuedCount();
    proxy = await startProxy(config(domains));
    try {
      assert.match(proxy.stderr(), /acme: certificate loaded from storage/);
      const cert = await served('acme.test');
      assert.equal(cert.serial, first, 'the stored certificate is served at once');
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(proxy.stderr(), /acme: (ordering|renewing)/);
      assert.equal(pebble.issuedCount(), issued, 'no new certificate was issued');
    } finally {
      await proxy.close();
    }
  });

  it('renews a certificate due within renewBefore and swaps it in without a restart', async () => {
    const domains = ['acme.test', 'www.acme.test'];
    // Pebble's certificates last 5 years: a longer renewBefore makes the stored one due at once.
    const proxy = await startProxy(config(domains, { renewBefore: '50000h' }));
    try {
      assert.match(proxy.stderr(), /acme: certificate loaded from storage/);
      const before = await served('acme.test');
      await waitFor(() => /acme: certificate renewed|acme: renewal failed/.test(proxy.stderr()), 30_000, 'renewal');
      assert.doesNotMatch(proxy.stderr(), /renewal failed/, proxy.stderr());
      const after = await served('acme.test');
      assert.notEqual(after.serial, before.serial, 'new handshakes get the renewed certificate');
      assert.equal(after.authorized, true);
    } finally {
      await proxy.close();
    }
  });

  it('tls-alpn-01: obtains a certificate answering the validation on the TLS listener', async () => {
    const proxy = await startProxy(config(['alpn.test'], { challenge: 'tls-alpn-01' }));
    try {
      await waitFor(() => /acme: certificate issued|acme: issuance failed/.test(proxy.stderr()), 30_000, 'issuance');
      assert.doesNotMatch(proxy.stderr(), /issuance failed/, proxy.stderr());
      const cert = await served('alpn.test');
      assert.equal(cert.authorized, true, cert.authorizationError);
      assert.equal(cert.san, 'DNS:alpn.test');
      assert.equal(cert.issuer, intermediate.subject.replace(/^CN=/, ''));
      assert.match(pebble.output(), /alpn\.test/);
    } finally {
      await proxy.close();
    }
  });
});
