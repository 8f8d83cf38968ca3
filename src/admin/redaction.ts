/**
 * The config as GET /api/config shows it: every value under a key that names a secret is
 * replaced, and passwords inside URLs (redis://user:pass@host) are masked. Deny by name, so a
 * secret added to the schema later is hidden without a change here.
 */

export const REDACTED = '[redacted]';

/**
 * Secret-bearing key names: secret, token, password, any *Key / key (apiKey, privateKey), and
 * credential headers set by requestHeaders (authorization, cookie). Paths to files (keyFile,
 * usersFile) are kept: they say where a secret is, not what it is.
 */
const SECRET_KEY = /secret|token|passw(or)?d|(^|[a-z])key$|^(proxy-)?authorization$|^cookie$/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i;

/** Whether a key's value must not be shown. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/file$/i.test(key);
}

/** A deep copy of `value` with secrets replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'string') return value.replace(URL_PASSWORD, `$1${REDACTED}@`);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = isSecretKey(key) && child !== undefined && child !== null && child !== '' ? REDACTED : redact(child);
  }
  return out;
}
