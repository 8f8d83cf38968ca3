/**
 * htpasswd files: `user:hash` per line (Apache's format), blank lines and `#` comments allowed.
 * Every bad line is reported at once, with its line number; a hash is never quoted back.
 */
import type { FileProblem } from './access-config-error.js';
import { parsePasswordHash, type StoredPassword } from './password-hash.js';

export interface Htpasswd {
  readonly users: ReadonlyMap<string, StoredPassword>;
  readonly problems: readonly FileProblem[];
}

export function parseHtpasswd(text: string): Htpasswd {
  const users = new Map<string, StoredPassword>();
  const problems: FileProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    // RFC 7617 §2: a user-id cannot contain a colon, so the first one ends it.
    if (colon <= 0) {
      problems.push({ line: i + 1, message: 'expected user:hash' });
      continue;
    }
    const user = line.slice(0, colon);
    const stored = parsePasswordHash(line.slice(colon + 1));
    if (typeof stored === 'string') problems.push({ line: i + 1, message: `user ${JSON.stringify(user)}: ${stored}` });
    else if (users.has(user)) problems.push({ line: i + 1, message: `user ${JSON.stringify(user)} is listed twice` });
    else users.set(user, stored);
  }
  if (users.size === 0 && problems.length === 0) problems.push({ line: 1, message: 'no users in the file' });
  return { users, problems };
}
