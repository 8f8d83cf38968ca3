/**
 * Remembers successful password checks, so that bcrypt (slow by design) runs once per user and
 * password rather than on every request of a logged-in browser.
 *
 * Entries are keyed by an HMAC-SHA-256 of (user, stored hash, password) under a random key made
 * when the cache is made: a memory dump does not hold the passwords nor a fast unsalted hash of
 * them, and a changed hash in the file (then a reload) never matches an old entry. Failed checks
 * are never cached. Bounded: least recently used entries go first.
 */
import { createHmac, randomBytes } from 'node:crypto';

export class VerificationCache {
  private readonly entries = new Set<string>();
  private readonly secret = randomBytes(32);

  constructor(readonly capacity = 1024) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cache key of a (user, stored hash, password) triple. */
  keyOf(user: string, storedHash: string, password: string): string {
    // Lengths first, so that no two different triples hash the same byte string.
    return createHmac('sha256', this.secret)
      .update(`${user.length}:${storedHash.length}:${password.length}:`)
      .update(user)
      .update(storedHash)
      .update(password)
      .digest('base64');
  }

  /** Whether the key is cached; a hit becomes the most recently used. */
  has(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    this.entries.add(key);
    return true;
  }

  add(key: string): void {
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
