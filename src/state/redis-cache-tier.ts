/**
 * The second cache tier in Redis (cache/second-tier.ts): memory → Redis → origin.
 *
 * Keys (prefix = state.redis.keyPrefix):
 *   <prefix>c:{<cache key>}  a hash, variant id → encoded response (cache/stored-codec.ts)
 *   <prefix>l:{<cache key>}  the fill lock (SET NX PX lockTime, value = the holder's id)
 *   <prefix>t:<tag>          the cache keys stored with a purge tag (for purges by tag)
 * The braces make the entry and its lock one Redis Cluster hash slot (one script runs on both).
 *
 * An entry lives in Redis for its freshness plus its stale windows and a minute (to be
 * revalidated with its validators); freshness itself is judged from the metadata it carries,
 * never from the Redis TTL. Responses above maxObjectBytes stay local.
 *
 * Every method settles; failures count as misses (the cache falls back to local) and are
 * counted as fallbacks for the metrics.
 */
import type { Cluster } from 'ioredis';
import { decodeStored, encodeStored, keyOfUrl, keyPrefixOf, type CachedResponse, type PurgeWhat, type SecondTier, type TierFetch } from '../cache/index.js';
import type { RedisConfig } from './config.js';
import type { RedisClient, RedisState } from './redis-state.js';

/** Seconds an entry is kept in Redis past its freshness and stale windows. */
const GRACE_MS = 60_000;
/** How often a wait for another instance's fill checks that Redis is still there. */
const WAIT_CHECK_MS = 100;

/** `*`, `?`, `[`, `]` and `\` matched literally in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export class RedisCacheTier implements SecondTier {
  private readonly prefix: string;
  /** Waits for other instances' fills, by cache key. */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly state: RedisState,
    private readonly config: RedisConfig['cache'],
  ) {
    this.prefix = state.prefix;
    state.on('filled', (e) => this.wake(e.key));
  }

  private entryKey(key: string): string {
    return `${this.prefix}c:{${key}}`;
  }

  private lockKey(key: string): string {
    return `${this.prefix}l:{${key}}`;
  }

  private tagKey(tag: string): string {
    return `${this.prefix}t:${tag}`;
  }

  available(): boolean {
    return this.state.available();
  }

  private fallback(): void {
    this.state.stats.fallbacks.cache++;
  }

  async fetchOrLock(key: string): Promise<TierFetch> {
    // Listen for the end of another instance's fill before asking, so a "filled" that
    // arrives before the answer is not missed.
    const filled = this.filled(key);
    let reply: Buffer[];
    try {
      reply = await this.state.run((c) => c.barbicanFetchOrLockBuffer(this.entryKey(key), this.lockKey(key), this.state.instanceId, this.config.lockTime));
    } catch {
      filled.cancel();
      this.fallback();
      return { kind: 'miss' };
    }
    const kind = reply[0]?.toString();
    if (kind === 'wait') return { kind: 'wait', filled: filled.promise };
    filled.cancel();
    if (kind === 'lock') return { kind: 'lock' };
    const variants = this.decode(reply, 1);
    return variants === undefined ? { kind: 'miss' } : { kind: 'hit', variants };
  }

  async fetch(key: string): Promise<CachedResponse[] | undefined> {
    try {
      const hash = await this.state.run((c) => c.hgetallBuffer(this.entryKey(key)));
      const flat: Buffer[] = [];
      for (const [field, value] of Object.entries(hash)) flat.push(Buffer.from(field), value);
      return this.decode(flat, 0);
    } catch {
      this.fallback();
      return undefined;
    }
  }

  /** Variants from a flat [field, value, …] reply starting at `from`, newest first; undefined when none decode. */
  private decode(reply: Buffer[], from: number): CachedResponse[] | undefined {
    const variants: CachedResponse[] = [];
    for (let i = from + 1; i < reply.length; i += 2) {
      const r = decodeStored(reply[i]!);
      if (r !== undefined) variants.push(r);
    }
    if (variants.length === 0) return undefined;
    return variants.sort((a, b) => b.responseTime - a.responseTime);
  }

  async put(key: string, response: CachedResponse): Promise<void> {
    if (response.body.length > this.config.maxObjectBytes || !this.state.available()) return;
    const stale = Math.max(response.staleWhileRevalidate, response.staleIfError, 0);
    const ttl = Math.max(1_000, Math.min(86_400_000, response.lifetime - response.initialAge + stale + GRACE_MS));
    const entry = this.entryKey(key);
    try {
      await this.state.run((c) => c.multi().hset(entry, response.variantId, encodeStored(response)).pexpire(entry, ttl).exec());
      for (const tag of response.tags) {
        const tk = this.tagKey(tag);
        // The tag set lives as long as its longest-lived entry: NX sets a first expiry, GT only lengthens it.
        await this.state.run((c) => c.pipeline().sadd(tk, key).pexpire(tk, ttl, 'NX').pexpire(tk, ttl, 'GT').exec());
      }
    } catch {
      this.fallback();
    }
  }

  release(key: string): void {
    this.state
      .run((c) => c.barbicanUnlock(this.lockKey(key), this.state.instanceId))
      .catch(() => {})
      .finally(() => this.state.publish({ t: 'filled', key }));
  }

  invalidate(keys: readonly string[]): void {
    if (keys.length === 0 || !this.state.available()) return;
    const list = [...keys];
    // One DEL per key: in a Cluster they are in different slots.
    void Promise.all(list.map((k) => this.state.run((c) => c.del(this.entryKey(k))))).catch(() => {});
    this.state.publish({ t: 'invalidate', keys: list });
  }

  async purge(what: PurgeWhat): Promise<number> {
    this.state.publish({ t: 'purge', what });
    try {
      let keys: string[];
      if ('url' in what) {
        const k = keyOfUrl(what.url);
        keys = k === undefined ? [] : [k];
      } else if ('prefix' in what) {
        const p = keyPrefixOf(what.prefix);
        keys = p === undefined ? [] : await this.scan(`${this.prefix}c:{${globEscape(p)}*`);
      } else {
        const tk = this.tagKey(what.tag);
        keys = await this.state.run((c) => c.smembers(tk));
        await this.state.run((c) => c.del(tk));
      }
      let removed = 0;
      for (const k of keys) removed += await this.state.run((c) => c.del(this.entryKey(k)));
      return removed;
    } catch {
      this.fallback();
      return 0;
    }
  }

  /** The cache keys of the entries matching `pattern`, on every master of a Cluster. Admin only: SCAN walks the keyspace. */
  private async scan(pattern: string): Promise<string[]> {
    const client: RedisClient = this.state.client;
    const nodes: RedisClient[] = this.state.config.cluster !== undefined ? (client as Cluster).nodes('master') : [client];
    const found: string[] = [];
    const start = `${this.prefix}c:{`.length;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await this.state.run(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
        cursor = next;
        for (const redisKey of batch) found.push(redisKey.slice(start, -1));
      } while (cursor !== '0');
    }
    return found;
  }

  subscribe(handlers: { purge(what: PurgeWhat): void; invalidate(keys: readonly string[]): void }): () => void {
    const onPurge = (e: { what: PurgeWhat }): void => handlers.purge(e.what);
    const onInvalidate = (e: { keys: string[] }): void => handlers.invalidate(e.keys);
    this.state.on('purge', onPurge);
    this.state.on('invalidate', onInvalidate);
    return () => {
      this.state.off('purge', onPurge);
      this.state.off('invalidate', onInvalidate);
    };
  }

  /** A promise settled when another instance announces the end of its fill of `key`, after lockTime, or when Redis goes away. */
  private filled(key: string): { promise: Promise<void>; cancel(): void } {
    let done: () => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    let check: NodeJS.Timeout | undefined;
    const promise = new Promise<void>((resolve) => {
      done = () => {
        clearTimeout(timer);
        clearInterval(check);
        const set = this.waiting.get(key);
        set?.delete(done);
        if (set !== undefined && set.size === 0) this.waiting.delete(key);
        resolve();
      };
    });
    let set = this.waiting.get(key);
    if (set === undefined) {
      set = new Set();
      this.waiting.set(key, set);
    }
    set.add(done);
    timer = setTimeout(done, this.config.lockTime);
    check = setInterval(() => {
      if (!this.state.available()) done();
    }, WAIT_CHECK_MS);
    timer.unref();
    check.unref();
    return { promise, cancel: done };
  }

  private wake(key: string): void {
    const set = this.waiting.get(key);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }
}
