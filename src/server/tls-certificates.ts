/**
 * Reads the configured certificate files of a TLS listener when it starts, and turns every way
 * they can be wrong into one line naming the key path and the file (never a stack trace, never
 * key material): missing or unreadable file, not PEM, a key that is not the certificate's.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertificateConfig } from './tls-config.js';
import { certificateNames, type SniEntry } from './tls-context.js';
import { createProfileContext, type TlsMinVersion } from './tls-profile.js';

/** A startup problem with a TLS file; the message starts with the key path. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

/** A loaded certificate: its SNI entry and when it expires. */
export interface LoadedCertificate extends SniEntry {
  readonly notAfter: Date;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

/** Reads a file for the key at `keyPath`, or throws a TlsFileError naming both. */
export function readTlsFile(keyPath: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new TlsFileError(`${keyPath}: cannot read ${JSON.stringify(file)}: ${FS_REASONS[code] ?? (code || 'read error')}`);
  }
}

/** Parses the leaf certificate of a PEM chain, or throws naming the key path. */
export function parseCertificate(keyPath: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsFileError(`${keyPath}: ${JSON.stringify(file)} is not a PEM certificate`);
  }
}

function parseKey(keyPath: string, file: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new TlsFileError(`${keyPath}: ${JSON.stringify(file)} is not an unencrypted PEM private key`);
  }
}

/**
 * Builds a served certificate from PEM text already read. `keyPath` names the config entry
 * (`listeners[1].tls.certificates[0]`) for messages; `files` names where the PEMs came from.
 */
export function certificateFromPem(
  keyPath: string,
  files: { cert: string; key: string },
  certPem: Buffer,
  keyPem: Buffer,
  minVersion: TlsMinVersion,
): LoadedCertificate {
  const cert = parseCertificate(`${keyPath}.certFile`, files.cert, certPem);
  const key = parseKey(`${keyPath}.keyFile`, files.key, keyPem);
  if (!cert.checkPrivateKey(key)) {
    throw new TlsFileError(`${keyPath}.keyFile: ${JSON.stringify(files.key)} is not the private key of ${JSON.stringify(files.cert)}`);
  }
  let context;
  try {
    context = createProfileContext(certPem, keyPem, minVersion);
  } catch (err) {
    // OpenSSL's reason (e.g. "ee key too small"); it never contains key material.
    throw new TlsFileError(`${keyPath}: ${JSON.stringify(files.cert)} cannot be used: ${(err as Error).message}`);
  }
  return { names: certificateNames(cert), context, notAfter: new Date(cert.validTo) };
}

/** Reads and checks one `certificates[]` entry of a listener. */
export function loadCertificate(keyPath: string, config: CertificateConfig, minVersion: TlsMinVersion): LoadedCertificate {
  const certPem = readTlsFile(`${keyPath}.certFile`, config.certFile);
  const keyPem = readTlsFile(`${keyPath}.keyFile`, config.keyFile);
  return certificateFromPem(keyPath, { cert: config.certFile, key: config.keyFile }, certPem, keyPem, minVersion);
}
