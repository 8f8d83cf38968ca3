// Helpers for the TLS termination tests: fixture paths, a raw TLS handshake probe, HTTPS
// requests with a chosen SNI name, and a free-port finder (for configs that must know their
// ports before the proxy starts, like the ACME test's Pebble).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { BIN, ROOT } from '../helpers.mjs';

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'tls');
export const fixture = (name) => join(FIXTURES, name);
/** CA of a.test and *.wild.test; CA of origin.pem (127.0.0.1, origin.test). */
export const SNI_CA = readFileSync(fixture('sni-ca.pem'));
export const ORIGIN_CA = readFileSync(fixture('ca.pem'));

/** The two SNI certificates, a.test first (so it is the default). */
export const SNI_CERTIFICATES = [
  { certFile: fixture('a.test.pem'), keyFile: fixture('a.test.key') },
  { certFile: fixture('wild.test.pem'), keyFile: fixture('wild.test.key') },
];

/**
 * One TLS handshake to 127.0.0.1:port. Resolves { subject, san, protocol, cipher, alpn,
 * authorized } or { error } (the error code); never rejects. `options` go to tls.connect.
 */
export function handshake(port, options = {}) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    socket.on('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      resolve({
        subject: cert.subject?.CN,
        san: cert.subjectaltname,
        serial: cert.serialNumber,
        issuer: cert.issuer?.CN,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        alpn: socket.alpnProtocol,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError,
      });
      socket.destroy();
    });
    socket.on('error', (err) => resolve({ error: err.code ?? err.message, message: err.message }));
  });
}

/** GET over HTTPS to 127.0.0.1:port with SNI `servername`: { status, headers, body }. */
export function httpsGet(port, path, { servername = 'a.test', ca = SNI_CA, headers = {}, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, servername, ca, headers: { host: servername, ...headers }, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export { freePort } from '../helpers.mjs';

/** Runs the binary to completion with a config file: { code, stdout, stderr }. */
export function runBinary(args, { timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits until `predicate()` is true (polling), or throws after `ms` with `what`. */
export async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
