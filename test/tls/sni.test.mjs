// TLS listeners pick the certificate by SNI (RFC 6066 §3) from the certificates' SAN DNS names:
// exact names, one-label wildcards, and the first certificate for no name or an unknown one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy } from '../helpers.mjs';
import { SNI_CA, SNI_CERTIFICATES, handshake, httpsGet } from './tls-helpers.mjs';

const respond = [{ name: 'hello', respond: { status: 200, body: 'hello over tls\n' } }];

describe('SNI certificate selection', () => {
  let proxy;
  let port;
  let reversed;

  before(async () => {
    proxy = await startProxy({
      listeners: [{ name: 'websecure', address: '127.0.0.1:0', tls: { certificates: SNI_CERTIFICATES } }],
      routes: respond,
    });
    port = proxy.ports.websecure;
    // The same two certificates in the other order: the default follows the order.
    reversed = await startProxy({
      listeners: [{ name: 'websecure', address: '127.0.0.1:0', tls: { certificates: [...SNI_CERTIFICATES].reverse() } }],
      routes: respond,
    });
  });

  after(async () => {
    await proxy?.close();
    await reversed?.close();
  });

  it('serves each certificate for its own name, verified against its CA', async () => {
    const a = await handshake(port, { servername: 'a.test', ca: SNI_CA, rejectUnauthorized: true });
    assert.equal(a.subject, 'a.test');
    assert.equal(a.authorized, true);
    const wild = await handshake(port, { servername: 'x.wild.test', ca: SNI_CA, rejectUnauthorized: true });
    assert.equal(wild.subject, '*.wild.test');
    assert.equal(wild.authorized, true);
    const apex = await handshake(port, { servername: 'wild.test', ca: SNI_CA, rejectUnauthorized: true });
    assert.equal(apex.subject, '*.wild.test', 'wild.test is an exact SAN of the wildcard certificate');
  });

  it('matches names case-insensitively', async () => {
    assert.equal((await handshake(port, { servername: 'A.Test' })).subject, 'a.test');
    assert.equal((await handshake(port, { servername: 'X.WILD.test' })).subject, '*.wild.test');
  });

  it('a wildcard covers exactly one label', async () => {
    assert.equal((await handshake(port, { servername: 'deep.x.wild.test' })).subject, 'a.test');
  });

  it('serves the first certificate when the name is unknown or missing', async () => {
    assert.equal((await handshake(port, { servername: 'unknown.example' })).subject, 'a.test');
    // Node sends no SNI when connecting to an IP address without a servername.
    assert.equal((await handshake(port, {})).subject, 'a.test');
    assert.equal((await handshake(reversed.ports.websecure, {})).subject, '*.wild.test');
    assert.equal((await handshake(reversed.ports.websecure, { servername: 'a.test' })).subject, 'a.test');
  });

  it('negotiates http/1.1 by ALPN, leaving room for h2 later', async () => {
    const offered = await handshake(port, { servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(offered.alpn, 'http/1.1');
    const none = await handshake(port, { servername: 'a.test' });
    assert.equal(none.alpn, false);
  });

  it('answers HTTP requests over each certificate', async () => {
    for (const servername of ['a.test', 'x.wild.test']) {
      const res = await httpsGet(port, '/', { servername });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello over tls\n');
    }
  });
});
