/**
 * ACME state on disk, under `acme.storageDir`:
 *
 *   <storageDir>/<acme server>/account.key          the account key (RFC 8555 §7.3), kept
 *   <storageDir>/<acme server>/<first domain>/cert.pem   the issued chain
 *   <storageDir>/<acme server>/<first domain>/key.pem    its private key
 *
 * One folder per ACME server (host and path of the directory URL), so moving from a staging to
 * a production directory never serves or reuses the staging certificate. Directories are made
 * 0700 and keys written 0600 (the certificate too: one mode for the folder's files). Writes go
 * to a temporary file renamed into place, so a crash never leaves half a key.
 */
import { generateKeyPairSync, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateNames } from '../tls-context.js';

export interface AcmePaths {
  readonly dir: string;
  readonly accountKey: string;
  readonly cert: string;
  readonly key: string;
}

/** A folder name for a directory URL: `acme-v02.api.letsencrypt.org_directory`. */
export function serverFolder(directoryUrl: string): string {
  const url = new URL(directoryUrl);
  return `${url.host}${url.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Creates the folders (0700) and returns the file paths; throws the fs error if it cannot. */
export function openStorage(storageDir: string, directoryUrl: string, primaryDomain: string): AcmePaths {
  const server = join(storageDir, serverFolder(directoryUrl));
  const dir = join(server, primaryDomain.toLowerCase());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, accountKey: join(server, 'account.key'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** The file's contents, or undefined if it does not exist (other errors throw). */
export function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a file readable by its owner only, atomically. */
export function writePrivate(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600); // the umask may have narrowed it further, never widened; make it exact
  renameSync(tmp, file);
}

/** A new private key in PKCS#8 PEM: ECDSA P-256 (RFC 8555 §6.2 ES256; small and fast). */
export function newPrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The account key, created (0600) on first use. */
export function loadOrCreateAccountKey(paths: AcmePaths): { pem: Buffer; created: boolean } {
  const existing = readIfPresent(paths.accountKey);
  if (existing !== undefined) return { pem: existing, created: false };
  const pem = newPrivateKeyPem();
  writePrivate(paths.accountKey, pem);
  return { pem: Buffer.from(pem), created: true };
}

export interface StoredCertificate {
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  readonly notAfter: Date;
}

/**
 * Why a stored certificate cannot be served as it is (undefined: it can). It must cover every
 * domain (exact SAN match), match its key, be valid now, and not expire within `renewBeforeMs`.
 */
export function unusableReason(stored: StoredCertificate, domains: readonly string[], renewBeforeMs: number, now = Date.now()): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(stored.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(stored.keyPem))) return 'the stored key is not the certificate\'s';
  } catch {
    return 'the stored files cannot be parsed';
  }
  const names = new Set(certificateNames(cert));
  const missing = domains.filter((d) => !names.has(d.toLowerCase()));
  if (missing.length > 0) return `it does not cover ${missing.join(', ')}`;
  if (Date.parse(cert.validFrom) > now) return 'it is not valid yet';
  if (stored.notAfter.getTime() - renewBeforeMs <= now) return `it is valid only until ${stored.notAfter.toISOString()}`;
  return undefined;
}

/** The stored certificate and key, if both files exist. */
export function readStoredCertificate(paths: AcmePaths): StoredCertificate | undefined {
  const certPem = readIfPresent(paths.cert);
  const keyPem = readIfPresent(paths.key);
  if (certPem === undefined || keyPem === undefined) return undefined;
  let notAfter = new Date(0);
  try {
    notAfter = new Date(new X509Certificate(certPem).validTo);
  } catch {
    // unusableReason reports it
  }
  return { certPem, keyPem, notAfter };
}

/** Stores a newly issued certificate and its key (key first: a cert without its key is useless). */
export function storeCertificate(paths: AcmePaths, certPem: string, keyPem: string): void {
  writePrivate(paths.key, keyPem);
  writePrivate(paths.cert, certPem);
}
