/**
 * The one place where socket and TLS errors from an upstream connection become ProxyErrors,
 * by their `code`.
 */
import { ProxyError } from '../errors/index.js';

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Classifies an error raised while connecting to a target. */
export function classifyConnectError(err: NodeJS.ErrnoException): ProxyError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return new ProxyError('UPSTREAM_CONNECT_REFUSED', `connection refused (${code})`, { cause: err });
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
    return new ProxyError('UPSTREAM_TLS_FAILED', `TLS handshake failed (${code})`, { cause: err });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ProxyError('UPSTREAM_RESET', `connection reset while connecting (${code})`, { cause: err });
  return new ProxyError('UPSTREAM_CONNECT_FAILED', `connect failed (${code || err.message})`, { cause: err });
}

/** Classifies an error on an established connection. */
export function classifyConnectionError(err: NodeJS.ErrnoException | undefined, when = ''): ProxyError {
  const how = err?.code ?? 'closed';
  return new ProxyError('UPSTREAM_RESET', `connection ${how === 'closed' ? 'closed' : 'failed'} by the target${when ? ` ${when}` : ''} (${how})`, { cause: err });
}
