// Unit tests of the TLS building blocks: the ClientHello reader, the SNI table, the self-signed
// certificate builder (temporary and TLS-ALPN-01 certificates), and the ACME storage checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { peekClientHello } from '../../dist/server/client-hello.js';
import { SniTable, certificateNames } from '../../dist/server/tls-context.js';
import { createSelfSigned } from '../../dist/server/acme/self-signed.js';
import { loadOrCreateAccountKey, openStorage, readStoredCertificate, serverFolder, storeCertificate, unusableReason } from '../../dist/server/acme/acme-storage.js';
import { fixture } from './tls-helpers.mjs';

/** The first bytes a real Node TLS client sends with these options. */
async function captureClientHello(options) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise((resolve) => {
    server.once('connection', (socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf);
          socket.destroy();
        }
      });
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port: server.address().port, ...options });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

describe('ClientHello reader', () => {
  it('reads the server name and ALPN protocols of a real ClientHello', async () => {
    const hello = await captureClientHello({ servername: 'www.example.test', ALPNProtocols: ['acme-tls/1', 'http/1.1'] });
    assert.deepEqual(peekClientHello(hello), { kind: 'hello', serverName: 'www.example.test', alpn: ['acme-tls/1', 'http/1.1'] });
    const bare = await captureClientHello({});
    assert.deepEqual(peekClientHello(bare), { kind: 'hello', serverName: undefined, alpn: [] });
  });

  it('asks for more bytes until the first record is complete', async () => {
    const hello = await captureClientHello({ servername: 'a.test' });
    assert.deepEqual(peekClientHello(hello.subarray(0, 3)), { kind: 'incomplete', need: 5 });
    assert.deepEqual(peekClientHello(hello.subarray(0, 40)), { kind: 'incomplete', need: hello.length });
  });

  it('says "other" for what is not a single-record ClientHello', () => {
    assert.deepEqual(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { kind: 'other' });
    assert.deepEqual(peekClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])), { kind: 'other' }); // ServerHello
    assert.deepEqual(peekClientHello(Buffer.from([22, 3, 1, 0, 5, 1, 0, 0, 200, 3])), { kind: 'other' }); // longer than its record
    assert.deepEqual(peekClientHello(Buffer.from([22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3])), { kind: 'other' }); // truncated body
  });
});

describe('SNI table', () => {
  const ctx = (label) => ({ label });
  it('picks exact names, then one-label wildcards, then the first slot', () => {
    const table = new SniTable(3);
    table.set(0, { names: ['a.test'], context: ctx('a') });
    table.set(1, { names: ['*.wild.test', 'wild.test'], context: ctx('wild') });
    table.set(2, { names: ['a.test', 'x.wild.test'], context: ctx('later') });
    assert.equal(table.select('a.test').label, 'a', 'an earlier slot wins a shared name');
    assert.equal(table.select('A.TEST').label, 'a');
    assert.equal(table.select('wild.test').label, 'wild');
    assert.equal(table.select('y.wild.test').label, 'wild');
    assert.equal(table.select('x.wild.test').label, 'later', 'an exact name beats a wildcard');
    assert.equal(table.select('z.y.wild.test').label, 'a');
    assert.equal(table.select(undefined).label, 'a');
    assert.equal(table.defaultContext.label, 'a');
  });

  it('replacing a slot swaps the certificate for new lookups', () => {
    const table = new SniTable(2);
    table.set(1, { names: ['acme.test'], context: ctx('temporary') });
    assert.equal(table.defaultContext.label, 'temporary', 'the first filled slot is the default');
    table.set(1, { names: ['acme.test'], context: ctx('issued') });
    assert.equal(table.select('acme.test').label, 'issued');
  });

  it('reads SAN DNS names (not IP addresses) from certificates', () => {
    assert.deepEqual(certificateNames(new X509Certificate(readFileSync(fixture('wild.test.pem')))), ['*.wild.test', 'wild.test']);
    assert.deepEqual(certificateNames(new X509Certificate(readFileSync(fixture('origin.pem')))), ['origin.test']);
  });
});

describe('self-signed certificates', () => {
  it('makes a temporary end-entity certificate for the names, matching its key', () => {
    const { certPem, keyPem } = createSelfSigned({ names: ['shop.test', 'www.shop.test'], validForMs: 3_600_000 });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subject, 'CN=shop.test');
    assert.equal(cert.subjectAltName, 'DNS:shop.test, DNS:www.shop.test');
    assert.equal(cert.ca, false);
    assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    const validFor = Date.parse(cert.validTo) - Date.now();
    assert.ok(validFor > 3_500_000 && validFor <= 3_600_000, `${validFor}`);
    assert.ok(!cert.raw.includes(Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f])), 'no acmeIdentifier');
    // Usable by the TLS stack.
    tls.createSecureContext({ cert: certPem, key: keyPem });
  });

  it('encodes every random serial in minimal DER (a serial starting with 0x00 once failed in OpenSSL)', () => {
    // About 1 serial in 256 starts with a zero byte; 1,500 certificates make missing it unlikely.
    for (let i = 0; i < 1_500; i++) {
      const { certPem, keyPem } = createSelfSigned({ names: ['serial.test'], validForMs: 60_000 });
      // OpenSSL refuses a non-minimal INTEGER ("illegal padding") when it loads the certificate.
      tls.createSecureContext({ cert: certPem, key: keyPem });
    }
  });

  it('makes an RFC 8737 TLS-ALPN-01 certificate: one SAN, critical acmeIdentifier with SHA-256 of the key authorization', () => {
    const keyAuthorization = 'token.thumbprint';
    const { certPem } = createSelfSigned({ names: ['alpn.test'], validForMs: 60_000, keyAuthorization });
    const cert = new X509Certificate(certPem);
    assert.equal(cert.subjectAltName, 'DNS:alpn.test');
    const digest = createHash('sha256').update(keyAuthorization).digest();
    // Extension ::= SEQUENCE { extnID 1.3.6.1.5.5.7.1.31, critical TRUE, extnValue OCTET STRING { OCTET STRING (32) } }
    const oid = Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f]);
    const expected = Buffer.concat([oid, Buffer.from([0x01, 0x01, 0xff, 0x04, 0x22, 0x04, 0x20]), digest]);
    assert.ok(cert.raw.includes(expected), 'acmeIdentifier extension present and critical');
  });
});

describe('ACME storage', () => {
  it('creates the account key 0600 in a 0700 folder per ACME server, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'barbican-acme-storage-'));
    try {
      assert.equal(serverFolder('https://acme-v02.api.letsencrypt.org/directory'), 'acme-v02.api.letsencrypt.org_directory');
      const paths = openStorage(join(dir, 'store'), 'https://127.0.0.1:14000/dir', 'Shop.Test');
      assert.equal(paths.cert, join(dir, 'store', '127.0.0.1_14000_dir', 'shop.test', 'cert.pem'));
      assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
      const first = loadOrCreateAccountKey(paths);
      assert.equal(first.created, true);
      assert.equal(statSync(paths.accountKey).mode & 0o777, 0o600);
      const again = loadOrCreateAccountKey(paths);
      assert.equal(again.created, false);
      assert.ok(again.pem.equals(first.pem));
      assert.equal(readStoredCertificate(paths), undefined);
      const issued = createSelfSigned({ names: ['shop.test'], validForMs: 90 * 86_400_000 });
      storeCertificate(paths, issued.certPem, issued.keyPem);
      assert.equal(statSync(paths.key).mode & 0o777, 0o600);
      const stored = readStoredCertificate(paths);
      assert.equal(unusableReason(stored, ['shop.test'], 30 * 86_400_000), undefined);
      assert.match(unusableReason(stored, ['shop.test', 'www.shop.test'], 0), /does not cover www\.shop\.test/);
      assert.match(unusableReason(stored, ['shop.test'], 95 * 86_400_000), /valid only until/);
      const other = createSelfSigned({ names: ['shop.test'], validForMs: 86_400_000 });
      assert.match(unusableReason({ ...stored, keyPem: Buffer.from(other.keyPem) }, ['shop.test'], 0), /not the certificate's/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
