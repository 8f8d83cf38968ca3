/**
 * Request collapsing: while one miss for a key is being fetched (the leader), later misses
 * for the same key wait for it instead of going to the origin. When the leader is done they
 * look again: served from the store if the response was stored and matches, otherwise each
 * goes upstream itself (a response that turned out uncacheable is not shared).
 */

export type Waiter = () => void;

export class Collapser {
  private readonly pending = new Map<string, Waiter[]>();

  /** A fetch for `key` is in flight. */
  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /** Marks `key` as being fetched; the caller must call settle(key) exactly once. */
  begin(key: string): void {
    this.pending.set(key, []);
  }

  /** Waits for the fetch of `key`; returns a function that stops waiting. */
  wait(key: string, waiter: Waiter): () => void {
    const list = this.pending.get(key);
    if (list === undefined) {
      queueMicrotask(waiter);
      return () => {};
    }
    list.push(waiter);
    return () => {
      const i = list.indexOf(waiter);
      if (i !== -1) list.splice(i, 1);
    };
  }

  /** The fetch of `key` is over (stored or not): wakes every waiter. */
  settle(key: string): void {
    const list = this.pending.get(key);
    if (list === undefined) return;
    this.pending.delete(key);
    for (const w of list) w();
  }

  /** Requests waiting, over all keys (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }
}
