// Pure parts of the shared state: the circuit breaker on a fake clock, fleet event parsing
// (malformed messages are ignored, never thrown), the stored-response codec (an entry read
// from Redis is judged exactly like the one stored), the state.redis schema, and the shared
// ejection rule (the local maxEjectionPercent cap holds for announced ejections).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, parseEvent, redisSchema } from '../../dist/state/index.js';
import { decodeStored, encodeStored } from '../../dist/cache/index.js';
import { applyRemoteEjection } from '../../dist/health/index.js';

describe('circuit breaker', () => {
  it('opens after N consecutive failures, lets one trial through after openTime, closes on its success', () => {
    let now = 0;
    const changes = [];
    const b = new CircuitBreaker(3, 1000, (s) => changes.push(s), () => now);
    b.failure();
    b.failure();
    b.success(); // the streak is broken
    b.failure();
    b.failure();
    assert.equal(b.state, 'closed');
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.allows(), false);
    now = 999;
    assert.equal(b.allows(), false);
    now = 1000;
    assert.equal(b.state, 'half-open');
    assert.equal(b.allows(), true, 'one trial');
    assert.equal(b.allows(), false, 'only one');
    b.failure();
    assert.equal(b.state, 'open', 'a failed trial opens it again');
    now = 2000;
    assert.equal(b.allows(), true);
    b.success();
    assert.equal(b.state, 'closed');
    assert.equal(b.allows(), true);
    assert.deepEqual(changes, ['open', 'closed']);
    assert.equal(b.opened, 1);
  });
});

describe('fleet events', () => {
  it('parses the four kinds and ignores anything else', () => {
    assert.deepEqual(parseEvent('{"t":"purge","from":"a","what":{"tag":"x"}}'), { t: 'purge', from: 'a', what: { tag: 'x' } });
    assert.deepEqual(parseEvent('{"t":"invalidate","from":"a","keys":["k"]}'), { t: 'invalidate', from: 'a', keys: ['k'] });
    assert.deepEqual(parseEvent('{"t":"filled","from":"a","key":"k"}'), { t: 'filled', from: 'a', key: 'k' });
    assert.deepEqual(parseEvent('{"t":"eject","from":"a","upstream":"u","target":"http://x","ms":5000}'), { t: 'eject', from: 'a', upstream: 'u', target: 'http://x', ms: 5000 });
    for (const bad of ['', 'null', '[]', '{"t":"purge","from":"a","what":{}}', '{"t":"eject","from":"a","upstream":"u","target":"t","ms":-1}', '{"t":"filled","key":"k"}', '{"t":"other","from":"a"}', '{"t":"invalidate","from":"a","keys":[1]}']) {
      assert.equal(parseEvent(bad), undefined, bad);
    }
  });
});

describe('stored-response codec', () => {
  const stored = {
    status: 200,
    headers: ['Content-Type', 'text/plain', 'Cache-Control', 'max-age=60'],
    head: '',
    body: Buffer.from('hello'),
    varyNames: ['accept-encoding'],
    varyValues: [undefined],
    variantId: 'accept-encoding=',
    initialAge: 1200,
    responseTime: 1_700_000_000_000,
    lifetime: 60_000,
    mustRevalidate: true,
    noCache: false,
    etag: '"v1"',
    lastModified: undefined,
    staleWhileRevalidate: 5000,
    staleIfError: -1,
    tags: ['a', 'b'],
    size: 0,
  };

  it('round-trips every field freshness and selection depend on, and rebuilds the head', () => {
    const back = decodeStored(encodeStored(stored));
    assert.ok(back);
    for (const k of ['status', 'headers', 'varyNames', 'varyValues', 'variantId', 'initialAge', 'responseTime', 'lifetime', 'mustRevalidate', 'noCache', 'etag', 'lastModified', 'staleWhileRevalidate', 'staleIfError', 'tags']) {
      assert.deepEqual(back[k], stored[k], k);
    }
    assert.equal(back.body.toString(), 'hello');
    assert.equal(back.head, 'Content-Type: text/plain\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\n');
    assert.ok(back.size > 5);
  });

  it('refuses bytes that are not an entry', () => {
    assert.equal(decodeStored(Buffer.from('')), undefined);
    assert.equal(decodeStored(Buffer.from('BC1\x00\x00\x00\x05{bad}')), undefined);
    assert.equal(decodeStored(Buffer.from('BC1\x00\x00\xff\xffshort')), undefined);
    const wrong = Buffer.from('XX1\x00\x00\x00\x02{}');
    assert.equal(decodeStored(wrong), undefined);
  });
});

describe('state.redis schema', () => {
  it('fills defaults and refuses sentinels with cluster, bad URLs and unknown keys', () => {
    const c = redisSchema.parse({});
    assert.equal(c.url, 'redis://127.0.0.1:6379');
    assert.equal(c.keyPrefix, 'barbican:');
    assert.equal(c.commandTimeout, 250);
    assert.equal(c.rateLimit.onFailure, 'local');
    assert.equal(c.cache.maxObjectBytes, 1024 * 1024);
    assert.equal(redisSchema.safeParse({ sentinels: ['a:1'], cluster: ['b:2'] }).success, false);
    assert.equal(redisSchema.safeParse({ url: 'http://x' }).success, false);
    assert.equal(redisSchema.safeParse({ sentinels: ['nohost'] }).success, false);
    assert.equal(redisSchema.safeParse({ urll: 'redis://x' }).success, false);
    assert.equal(redisSchema.safeParse({ rateLimit: { onFailure: 'maybe' } }).success, false);
  });
});

describe('shared ejections', () => {
  const target = (url) => ({ url, ejectedUntil: 0 });
  const config = { maxEjectionPercent: 50 };

  it('ejects until the announced time, keeps a longer local ejection, and respects maxEjectionPercent', () => {
    const ts = [target('a'), target('b'), target('c'), target('d')];
    assert.equal(applyRemoteEjection(ts, ts[0], 5000, config, 1000), true);
    assert.equal(ts[0].ejectedUntil, 6000);
    assert.equal(applyRemoteEjection(ts, ts[0], 1000, config, 1000), false, 'already ejected for longer');
    assert.equal(applyRemoteEjection(ts, ts[1], 5000, config, 1000), true);
    assert.equal(applyRemoteEjection(ts, ts[2], 5000, config, 1000), false, 'two of four is the cap at 50%');
    assert.equal(ts[2].ejectedUntil, 0);
  });
});
