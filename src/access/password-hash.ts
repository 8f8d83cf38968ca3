/**
 * Stored password hashes of an htpasswd file: which ones are accepted, and checking a password
 * against one.
 *
 * - bcrypt (`$2y$`, `$2b$`, `$2a$`), checked with bcryptjs. bcrypt is slow by design (50–100 ms
 *   at cost 10) and bcryptjs runs on the main thread: basic-auth.ts caches successful checks.
 *   bcrypt reads only the first 72 bytes of a password.
 * - scrypt (RFC 7914) in the PHC string format: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>`,
 *   salt and derived key in standard base64 without padding. It runs on libuv's thread pool, so
 *   it does not hold up other requests. Make one with {@link hashScryptPassword}, or:
 *
 *   node -e 'const c=require("crypto"),b=(x)=>x.toString("base64").replace(/=+$/,""),s=c.randomBytes(16);
 *     console.log("$scrypt$ln=15,r=8,p=1$"+b(s)+"$"+b(c.scryptSync(process.argv[1],s,32,{N:32768,r:8,p:1,maxmem:64<<20})))' 'PASSWORD'
 *
 * Everything else (plain text, crypt, MD5 `$apr1$`/`$1$`, `{SHA}`, SHA-crypt `$5$`/`$6$`,
 * argon2) is refused: weak, or not available in Node's crypto.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';

export type StoredPassword =
  | { readonly kind: 'bcrypt'; readonly encoded: string }
  | { readonly kind: 'scrypt'; readonly encoded: string; readonly salt: Buffer; readonly key: Buffer; readonly options: ScryptOptions };

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{22,88})$/;
/** Bounds that keep one check from taking seconds or gigabytes (128·N·r·p bytes). */
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

/** Why a hash is refused, by what it looks like (no part of the hash is repeated). */
function refusal(hash: string): string {
  if (hash.startsWith('$apr1$') || hash.startsWith('$1$')) return 'MD5 hashes ($apr1$, $1$) are refused: use bcrypt (htpasswd -B) or $scrypt$';
  if (hash.startsWith('{SHA}')) return '{SHA} hashes are refused (unsalted SHA-1): use bcrypt (htpasswd -B) or $scrypt$';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt hashes ($5$, $6$) are not supported: use bcrypt (htpasswd -B) or $scrypt$';
  if (hash.startsWith('$argon2')) return 'argon2 hashes are not supported (not in Node\'s crypto): use bcrypt (htpasswd -B) or $scrypt$';
  if (hash.startsWith('$2')) return 'malformed bcrypt hash (expected $2y$, $2b$ or $2a$, a cost 04-31 and 53 characters)';
  if (hash.startsWith('$scrypt$')) return 'malformed scrypt hash (expected $scrypt$ln=N,r=R,p=P$salt$key, base64 without padding, salt ≥ 8 and key ≥ 16 bytes)';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'crypt (DES) hashes are refused: use bcrypt (htpasswd -B) or $scrypt$';
  return 'not a bcrypt or scrypt hash (plain-text passwords are refused): use bcrypt (htpasswd -B) or $scrypt$';
}

/** The stored hash, or the reason it is refused. */
export function parsePasswordHash(hash: string): StoredPassword | string {
  if (BCRYPT.test(hash)) return { kind: 'bcrypt', encoded: hash };
  const m = SCRYPT.exec(hash);
  if (m) {
    const ln = Number(m[1]);
    const r = Number(m[2]);
    const p = Number(m[3]);
    const salt = Buffer.from(m[4]!, 'base64');
    const key = Buffer.from(m[5]!, 'base64');
    const N = 2 ** ln;
    const memory = 128 * N * r * p;
    if (ln < 1 || r < 1 || p < 1 || memory > SCRYPT_MAX_MEMORY) return `scrypt parameters out of bounds (ln ≥ 1, r ≥ 1, p ≥ 1, 128·N·r·p ≤ ${SCRYPT_MAX_MEMORY / 1024 / 1024} MiB)`;
    if (salt.length < 8 || key.length < 16) return refusal(hash);
    return { kind: 'scrypt', encoded: hash, salt, key, options: { N, r, p, maxmem: 2 * memory } };
  }
  return refusal(hash);
}

/** Whether `password` matches `stored`, compared in constant time. */
export function verifyPassword(password: string, stored: StoredPassword): Promise<boolean> {
  // bcryptjs compares the computed hash with the stored one in constant time itself.
  if (stored.kind === 'bcrypt') return bcrypt.compare(password, stored.encoded);
  return new Promise((resolve) => {
    scrypt(password, stored.salt, stored.key.length, stored.options, (err, derived) => {
      resolve(err === null && timingSafeEqual(derived, stored.key));
    });
  });
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** A `$scrypt$` hash of `password` (N = 2^ln, r = 8, p = 1, 16-byte salt, 32-byte key). */
export function hashScryptPassword(password: string, ln = 15): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (err, key) => {
      if (err) reject(err);
      else resolve(`$scrypt$ln=${ln},r=8,p=1$${b64(salt)}$${b64(key)}`);
    });
  });
}
