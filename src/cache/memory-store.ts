/**
 * The in-memory cache store: a byte budget (`cache.maxBytes`) with least-recently-used
 * eviction per key. A Map keeps insertion order, so moving a key to the end on use makes the
 * first key the least recently used.
 */
import { derivedSize, type CachedResponse, type CacheStore, type DerivedRepresentation } from './store.js';

interface Bucket {
  variants: CachedResponse[];
  bytes: number;
}

export class MemoryStore implements CacheStore {
  private readonly buckets = new Map<string, Bucket>();
  bytes = 0;
  count = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): readonly CachedResponse[] | undefined {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return undefined;
    // Most recently used goes last.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    return bucket.variants;
  }

  put(key: string, response: CachedResponse): boolean {
    if (response.size > this.maxBytes) return false;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) bucket = { variants: [], bytes: 0 };
    else this.buckets.delete(key);
    const i = bucket.variants.findIndex((v) => v.variantId === response.variantId);
    if (i !== -1) {
      const old = bucket.variants[i]!;
      bucket.variants.splice(i, 1);
      bucket.bytes -= old.size;
      this.bytes -= old.size;
      this.count--;
    }
    bucket.variants.unshift(response);
    bucket.bytes += response.size;
    this.bytes += response.size;
    this.count++;
    this.buckets.set(key, bucket);
    this.evict(key);
    return true;
  }

  attach(key: string, response: CachedResponse, name: string, rep: DerivedRepresentation): boolean {
    const bucket = this.buckets.get(key);
    if (bucket === undefined || !bucket.variants.includes(response)) return false;
    const previous = response.derived?.get(name);
    const bytes = derivedSize(rep, response) - (previous === undefined ? 0 : derivedSize(previous, response));
    if (response.size + bytes > this.maxBytes) return false;
    (response.derived ??= new Map()).set(name, rep);
    response.size += bytes;
    bucket.bytes += bytes;
    this.bytes += bytes;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    this.evict(key);
    return true;
  }

  delete(key: string): boolean {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return false;
    this.buckets.delete(key);
    this.bytes -= bucket.bytes;
    this.count -= bucket.variants.length;
    return true;
  }

  purge(match: (key: string, response: CachedResponse) => boolean): number {
    let removed = 0;
    for (const [key, bucket] of [...this.buckets]) {
      const kept = bucket.variants.filter((r) => !match(key, r));
      const gone = bucket.variants.length - kept.length;
      if (gone === 0) continue;
      removed += gone;
      if (kept.length === 0) {
        this.delete(key);
        continue;
      }
      let bytes = 0;
      for (const r of kept) bytes += r.size;
      this.bytes -= bucket.bytes - bytes;
      this.count -= gone;
      bucket.variants = kept;
      bucket.bytes = bytes;
    }
    return removed;
  }

  /** Evicts least recently used keys until the budget holds; `keep` goes last (it was just stored). */
  private evict(keep: string): void {
    for (const [key, bucket] of this.buckets) {
      if (this.bytes <= this.maxBytes) return;
      if (key === keep) {
        // Only the new key is over budget: drop its oldest variants.
        while (this.bytes > this.maxBytes && bucket.variants.length > 1) {
          const old = bucket.variants.pop()!;
          bucket.bytes -= old.size;
          this.bytes -= old.size;
          this.count--;
        }
        return;
      }
      this.delete(key);
    }
  }
}
