/**
 * Schema for `listeners[].tls`: TLS termination (RFC 8446, RFC 5246) with certificates chosen
 * by SNI (RFC 6066 §3), from files or obtained automatically over ACME (RFC 8555).
 *
 * Only the shape is checked here; the files are read when the listener starts (so a renewed
 * certificate on disk is picked up by a restart without editing the config), and a file that
 * cannot be read or parsed is reported then, naming this key path.
 */
import { z } from 'zod';
import { duration } from '../config/units.js';

/** A DNS name as ACME identifiers take it (RFC 8555 §7.1.4: no wildcard for HTTP-01/TLS-ALPN-01). */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const domainName = z
  .string()
  .refine((v) => DNS_NAME.test(v), 'expected a DNS name such as example.com (no wildcard, no IP address: HTTP-01 and TLS-ALPN-01 cannot validate them)');

const httpsUrl = z.string().refine((v) => {
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an https:// URL (RFC 8555 §6.1: ACME runs over HTTPS)');

export const certificateSchema = z.strictObject({
  certFile: z.string().min(1).describe('PEM file: the certificate, then its intermediates. The DNS names of its subjectAltName select it by SNI (`*.example.com` matches one label).'),
  keyFile: z.string().min(1).describe('PEM file: the unencrypted private key of the certificate. Keep it readable by Barbican only.'),
});

export const acmeSchema = z.strictObject({
  directoryUrl: httpsUrl.describe('ACME directory of the certificate authority, e.g. https://acme-v02.api.letsencrypt.org/directory (Let\'s Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory).'),
  email: z.string().refine((v) => /^[^\s@,]+@[^\s@,]+$/.test(v), 'expected an e-mail address').describe('Contact address of the ACME account (RFC 8555 §7.3).'),
  domains: z.array(domainName).min(1).describe('Names on the certificate (the first is its subject). Each must resolve to this server.'),
  storageDir: z.string().min(1).describe('Directory for the account key, the certificate and its key (created with mode 0700; keys are written 0600). One sub-directory per ACME server.'),
  caFile: z.string().min(1).optional().describe('PEM CA certificates trusted for the connection to the ACME server, instead of the system ones (a private ACME server, e.g. Pebble).'),
  renewBefore: duration().default(30 * 24 * 3_600_000).describe('Renew when the certificate expires within this time (checked at start and every 12 hours).'),
  challenge: z
    .enum(['http-01', 'tls-alpn-01'])
    .default('http-01')
    .describe('How domain control is proven: http-01 (RFC 8555 §8.3, answered on the plain listeners; the CA connects to port 80) or tls-alpn-01 (RFC 8737, answered on this listener; the CA connects to port 443).'),
});

export const listenerTlsSchema = z
  .strictObject({
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Oldest TLS version accepted. Ciphers follow Mozilla\'s "intermediate" profile: TLS 1.2 with ECDHE and AEAD suites only, the TLS 1.3 suites.'),
    certificates: z.array(certificateSchema).default([]).describe('Certificates, chosen by the name the client asks for (SNI); the first is served when the client sends no name or an unknown one.'),
    acme: acmeSchema.optional().describe('Obtain and renew a certificate automatically (RFC 8555). Until it is issued, a temporary self-signed certificate is served for its domains.'),
  })
  .refine((t) => t.certificates.length > 0 || t.acme !== undefined, 'a TLS listener needs certificates, acme, or both');

export type ListenerTlsConfig = z.output<typeof listenerTlsSchema>;
export type CertificateConfig = z.output<typeof certificateSchema>;
export type AcmeConfig = z.output<typeof acmeSchema>;
