/**
 * The TLS settings every client-facing context shares: Mozilla's "intermediate" server profile
 * (https://wiki.mozilla.org/Security/Server_Side_TLS), narrowed to ECDHE key exchange.
 *
 * - TLS 1.2 (RFC 5246): ECDHE with AEAD ciphers only (RFC 7905 ChaCha20-Poly1305, RFC 5288 GCM):
 *   forward secrecy, no CBC (Lucky13, padding oracles), no RSA key transport, no SHA-1 MACs.
 * - TLS 1.3 (RFC 8446 §9.1): its three standard suites, listed explicitly because Node turns TLS
 *   1.3 off when the cipher string names none of them.
 * - The server's order wins (`honorCipherOrder`), so a client cannot talk it down to the weakest
 *   suite both support; AES-GCM first (hardware-accelerated), ChaCha20 for clients without AES-NI.
 * - No renegotiation (RFC 5746 issues, and a client-driven CPU cost), no TLS compression (CRIME).
 * - Session tickets stay on (RFC 8446 §4.6.1 / RFC 5077): each context has its own random ticket
 *   key, so a replaced context (ACME renewal) simply makes clients do one full handshake.
 */
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Key-exchange groups, Mozilla's order (RFC 7748 X25519 first). */
export const ECDH_CURVES = 'X25519:P-256:P-384';

/** The protocols offered by ALPN (RFC 7301); listeners with `http2: true` offer "h2" before them. */
export const ALPN_PROTOCOLS: readonly string[] = ['http/1.1'];

// RFC 5746 renegotiation off for TLS 1.2 (TLS 1.3 has none); compression off (CRIME).
const SECURE_OPTIONS = constants.SSL_OP_NO_COMPRESSION | constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_CIPHER_SERVER_PREFERENCE;

/** The context options of the profile, for a certificate (chain) and its key in PEM. */
export function profileOptions(cert: string | Buffer, key: string | Buffer, minVersion: TlsMinVersion): SecureContextOptions {
  return {
    cert,
    key,
    minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: CIPHERS,
    ecdhCurve: ECDH_CURVES,
    honorCipherOrder: true,
    secureOptions: SECURE_OPTIONS,
  };
}

/** A server context with the profile. Throws (OpenSSL's message) if the PEMs are bad or do not match. */
export function createProfileContext(cert: string | Buffer, key: string | Buffer, minVersion: TlsMinVersion): SecureContext {
  return createSecureContext(profileOptions(cert, key, minVersion));
}
