// The in-memory store: byte budget, LRU eviction, variants. (Contract-style: any CacheStore.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, Collapser } from '../../dist/cache/index.js';

function response(bytes, variantId = '') {
  const body = Buffer.alloc(bytes);
  return { status: 200, headers: ['Content-Type', 'text/plain'], body, varyNames: null, varyValues: [], variantId, initialAge: 0, responseTime: Date.now(), lifetime: 60_000, mustRevalidate: false, noCache: false, etag: undefined, lastModified: undefined, size: 256 + bytes };
}

for (const [name, make] of [['MemoryStore', (max) => new MemoryStore(max)]]) {
  test(`${name}: memory stays under maxBytes while filling with 10× that much`, () => {
    const max = 100_000;
    const store = make(max);
    let stored = 0;
    for (let i = 0; stored < 10 * max; i++) {
      assert.ok(store.put(`k${i}`, response(1000 + (i % 7) * 300)));
      stored += 1000 + (i % 7) * 300;
      assert.ok(store.bytes <= max, `bytes ${store.bytes} after ${i + 1} puts`);
    }
    assert.ok(store.bytes > max * 0.9, 'the budget is used');
  });

  test(`${name}: least recently used keys are evicted first`, () => {
    const store = make(3 * 1256);
    store.put('a', response(1000));
    store.put('b', response(1000));
    store.put('c', response(1000));
    store.get('a'); // a is now the most recently used
    store.put('d', response(1000));
    assert.ok(store.get('a'), 'a kept');
    assert.equal(store.get('b'), undefined, 'b evicted');
    assert.ok(store.get('c') && store.get('d'));
  });

  test(`${name}: variants are kept side by side and replaced by variantId; delete removes all`, () => {
    const store = make(1_000_000);
    store.put('k', response(10, 'gzip'));
    store.put('k', response(10, 'br'));
    store.put('k', response(20, 'gzip'));
    assert.equal(store.get('k').length, 2);
    assert.equal(store.count, 2);
    assert.equal(store.bytes, 256 + 10 + 256 + 20);
    assert.ok(store.delete('k'));
    assert.equal(store.bytes, 0);
    assert.equal(store.count, 0);
  });

  test(`${name}: an object larger than the whole budget is refused`, () => {
    const store = make(1000);
    assert.equal(store.put('k', response(5000)), false);
    assert.equal(store.bytes, 0);
  });
}

test('Collapser: waiters wake once when the fetch settles', async () => {
  const c = new Collapser();
  c.begin('k');
  let woken = 0;
  c.wait('k', () => woken++);
  const cancel = c.wait('k', () => woken++);
  cancel();
  assert.equal(c.waiting, 1);
  c.settle('k');
  c.settle('k');
  assert.equal(woken, 1);
  assert.equal(c.isPending('k'), false);
});
