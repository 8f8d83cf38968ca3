// What goes wrong with TLS configuration is reported as one line naming the key path and the
// file (never a stack trace): at `barbican check` for what the file itself says, at start for
// the certificate files (read when the listener starts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fixture, runBinary } from './tls-helpers.mjs';

const routes = [{ respond: { status: 200, body: 'ok' } }];
const acme = (extra = {}) => ({ directoryUrl: 'https://127.0.0.1:1/dir', email: 'ops@a.test', domains: ['a.test'], storageDir: '/tmp/x', ...extra });

describe('TLS configuration errors', () => {
  let dir;
  let n = 0;
  /** Writes a config with these listeners and returns its path. */
  const configFile = (listeners) => {
    const file = join(dir, `c${n++}.yaml`);
    writeFileSync(file, stringify({ listeners, routes }));
    return file;
  };
  const start = (listeners) => runBinary(['--config', configFile(listeners)]);
  const check = (listeners) => runBinary(['check', '--config', configFile(listeners)]);
  const tlsListener = (tls) => ({ name: 'websecure', address: '127.0.0.1:0', tls });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-tls-errors-'));
    writeFileSync(join(dir, 'not-pem.pem'), 'hello\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Exit 1 with exactly one line, naming the key path, and no stack. */
  function assertStartError(result, pattern) {
    assert.equal(result.code, 1, result.stderr);
    const line = result.stderr.trim();
    assert.match(line, pattern);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(result.stderr, /PRIVATE KEY/, 'no key material');
  }

  it('a missing certificate file names its key path and file', async () => {
    const r = await start([tlsListener({ certificates: [{ certFile: '/nonexistent/cert.pem', keyFile: fixture('a.test.key') }] })]);
    assertStartError(r, /^barbican: listeners\[0\]\.tls\.certificates\[0\]\.certFile: cannot read "\/nonexistent\/cert\.pem": no such file$/);
  });

  it('a missing key file names its key path and file', async () => {
    const r = await start([
      { name: 'web', address: '127.0.0.1:0' },
      tlsListener({ certificates: [{ certFile: fixture('a.test.pem'), keyFile: fixture('a.test.key') }, { certFile: fixture('wild.test.pem'), keyFile: join(dir, 'missing.key') }] }),
    ]);
    assertStartError(r, /^barbican: listeners\[1\]\.tls\.certificates\[1\]\.keyFile: cannot read ".*missing\.key": no such file$/);
  });

  it('a file that is not PEM, or a key that is not the certificate\'s, is named', async () => {
    const notCert = await start([tlsListener({ certificates: [{ certFile: join(dir, 'not-pem.pem'), keyFile: fixture('a.test.key') }] })]);
    assertStartError(notCert, /listeners\[0\]\.tls\.certificates\[0\]\.certFile: ".*not-pem\.pem" is not a PEM certificate$/);
    const notKey = await start([tlsListener({ certificates: [{ certFile: fixture('a.test.pem'), keyFile: join(dir, 'not-pem.pem') }] })]);
    assertStartError(notKey, /listeners\[0\]\.tls\.certificates\[0\]\.keyFile: ".*not-pem\.pem" is not an unencrypted PEM private key$/);
    const mismatch = await start([tlsListener({ certificates: [{ certFile: fixture('a.test.pem'), keyFile: fixture('wild.test.key') }] })]);
    assertStartError(mismatch, /listeners\[0\]\.tls\.certificates\[0\]\.keyFile: ".*wild\.test\.key" is not the private key of ".*a\.test\.pem"$/);
  });

  it('an unreadable ACME caFile is named', async () => {
    const r = await start([{ name: 'web', address: '127.0.0.1:0' }, tlsListener({ acme: acme({ caFile: '/nonexistent/ca.pem', storageDir: join(dir, 'acme') }) })]);
    assertStartError(r, /^barbican: listeners\[1\]\.tls\.acme\.caFile: cannot read "\/nonexistent\/ca\.pem": no such file$/);
  });

  it('check reports TLS problems in the file with their key paths', async () => {
    const cases = [
      [[tlsListener({})], /listeners\[0\]\.tls: a TLS listener needs certificates, acme, or both/],
      [[tlsListener({ minVersion: 'TLSv1.1', certificates: [{ certFile: 'c', keyFile: 'k' }] })], /listeners\[0\]\.tls\.minVersion: /],
      [[tlsListener({ certificates: [{ certFile: 'c' }] })], /listeners\[0\]\.tls\.certificates\[0\]\.keyFile: required key missing/],
      [[{ ...tlsListener({ certificates: [{ certFile: 'c', keyFile: 'k' }] }), redirectToHttps: true }], /listeners\[0\]\.redirectToHttps: redirectToHttps is for plain listeners/],
      [[tlsListener({ acme: acme() })], /listeners\[0\]\.tls\.acme: the http-01 challenge is answered on a plain listener, and there is none \(add a listener on port 80 without tls, or use challenge: tls-alpn-01\)/],
      [[tlsListener({ acme: acme({ domains: ['*.a.test'] }) })], /listeners\[0\]\.tls\.acme\.domains\[0\]: expected a DNS name/],
      [[tlsListener({ acme: acme({ directoryUrl: 'http://acme.test/dir' }) })], /listeners\[0\]\.tls\.acme\.directoryUrl: expected an https:\/\/ URL/],
      [[tlsListener({ acme: acme({ challenge: 'dns-01' }) })], /listeners\[0\]\.tls\.acme\.challenge: /],
      [[tlsListener({ certificate: [] })], /listeners\[0\]\.tls\.certificate: unknown key "certificate" \(did you mean "certificates"\?\)/],
    ];
    for (const [listeners, pattern] of cases) {
      const r = await check(listeners);
      assert.equal(r.code, 2, `${JSON.stringify(listeners)}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    const tlsAlpn = await check([tlsListener({ acme: acme({ challenge: 'tls-alpn-01' }) })]);
    assert.equal(tlsAlpn.code, 0, tlsAlpn.stderr);
  });
});
