// The TLS profile of client-facing listeners: minVersion is enforced (RFC 8446 / RFC 5246; TLS
// 1.0 and 1.1 never), only ECDHE + AEAD suites for TLS 1.2, the server's cipher order wins, and
// renegotiation is refused. Refusals are checked to come from the server (its alert), not from
// the client failing to build a ClientHello.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy } from '../helpers.mjs';
import { SNI_CERTIFICATES, handshake } from './tls-helpers.mjs';
import tls from 'node:tls';

/** Old-protocol clients need OpenSSL's security level lowered on the client side. */
const LEGACY = 'DEFAULT:@SECLEVEL=0';

describe('TLS protocol versions and ciphers', () => {
  let proxy;
  let min12;
  let min13;

  before(async () => {
    proxy = await startProxy({
      listeners: [
        { name: 'tls12', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } },
        { name: 'tls13', address: '127.0.0.1:0', tls: { minVersion: 'TLSv1.3', certificates: SNI_CERTIFICATES } },
      ],
      routes: [{ respond: { status: 200, body: 'ok' } }],
    });
    min12 = proxy.ports.tls12;
    min13 = proxy.ports.tls13;
  });

  after(() => proxy?.close());

  it('refuses TLS 1.0 and 1.1 clients with a protocol_version alert', async () => {
    for (const version of ['TLSv1', 'TLSv1.1']) {
      for (const port of [min12, min13]) {
        const r = await handshake(port, { servername: 'a.test', minVersion: version, maxVersion: version, ciphers: LEGACY });
        assert.equal(r.error, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', `${version} on ${port}: ${r.message ?? r.protocol}`);
      }
    }
  });

  it('accepts TLS 1.2 when minVersion is TLSv1.2 (the default) and refuses it when TLSv1.3', async () => {
    const ok = await handshake(min12, { servername: 'a.test', maxVersion: 'TLSv1.2' });
    assert.equal(ok.protocol, 'TLSv1.2');
    const refused = await handshake(min13, { servername: 'a.test', maxVersion: 'TLSv1.2' });
    assert.equal(refused.error, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('negotiates TLS 1.3 on both', async () => {
    for (const port of [min12, min13]) {
      const r = await handshake(port, { servername: 'a.test' });
      assert.equal(r.protocol, 'TLSv1.3');
      assert.equal(r.cipher, 'TLS_AES_128_GCM_SHA256');
    }
    const chacha = await handshake(min13, { servername: 'a.test', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
    assert.equal(chacha.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
  });

  it('refuses weak TLS 1.2 suites: RSA key transport, CBC, SHA-1, finite-field DHE, 3DES', async () => {
    const weak = ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'DES-CBC3-SHA', 'ECDHE-RSA-CAMELLIA128-SHA256'];
    const known = new Set(tls.getCiphers().map((c) => c.toUpperCase()));
    let tried = 0;
    for (const cipher of weak) {
      if (!known.has(cipher)) continue; // not in this OpenSSL build: the client could not offer it
      tried++;
      for (const servername of ['a.test', 'x.wild.test']) {
        const r = await handshake(min12, { servername, maxVersion: 'TLSv1.2', ciphers: `${cipher}:@SECLEVEL=0` });
        assert.equal(r.error, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', `${cipher} (${servername}) was accepted: ${r.cipher ?? r.message}`);
      }
    }
    assert.ok(tried >= 5, `only ${tried} weak suites could be offered`);
  });

  it('accepts every ECDHE + AEAD suite with the matching certificate type', async () => {
    const rsa = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305'];
    const ecdsa = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'];
    for (const [servername, suites] of [['a.test', rsa], ['x.wild.test', ecdsa]]) {
      for (const cipher of suites) {
        const r = await handshake(min12, { servername, maxVersion: 'TLSv1.2', ciphers: cipher });
        assert.equal(r.cipher, cipher, `${cipher}: ${r.message}`);
      }
    }
  });

  it('prefers its own cipher order (AES-GCM before ChaCha20)', async () => {
    const r = await handshake(min12, { servername: 'a.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256' });
    assert.equal(r.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
  });

  it('refuses TLS 1.2 renegotiation', async () => {
    const result = await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: min12, servername: 'a.test', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      socket.on('secureConnect', () => {
        socket.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? err.message : 'renegotiated'));
        socket.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n');
      });
      socket.on('error', (err) => resolve(err.message));
      socket.on('close', () => resolve('closed'));
    });
    assert.match(result, /no renegotiation/);
  });
});
