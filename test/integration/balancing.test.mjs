// Load balancing through the real proxy: weighted policies, hash affinity, sticky cookies,
// backups, and leastLatency steering away from a slow target.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy } from '../helpers.mjs';
import { lbFixtures, get, loadLoop, sleep, tally } from './balancing-helpers.mjs';

const { origins, origin, proxyFor, closeAll } = lbFixtures(startProxy);
after(closeAll);

/** Asserts each share is within ±5% (relative) of its weight share. */
function assertShares(counts, weights, total, label) {
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  for (const [name, w] of Object.entries(weights)) {
    const expected = (w / sum) * total;
    const got = counts[name] ?? 0;
    assert.ok(Math.abs(got - expected) <= expected * 0.05, `${label}: ${name} got ${got}, expected ${expected.toFixed(0)} ±5% (${JSON.stringify(counts)})`);
  }
}

// Random draws vary: 2:3 keeps ±5% of each share above 4 standard deviations over 10,000 draws
// (a 10% share would be only 1.7σ from failing), so the test does not flake.
for (const [balancer, weights] of [['roundRobin', [1, 3, 6]], ['leastConnections', [1, 3, 6]], ['random', [2, 3]]]) {
  test(`${balancer}: weights ${weights.join(':')} hold within ±5% over 10,000 requests`, async (t) => {
    const names = ['a', 'b', 'c'].slice(0, weights.length);
    const list = await origins(...names);
    const proxy = await proxyFor({ balancer, targets: list.map((o, i) => ({ url: o.url, weight: weights[i] })) });
    // leastConnections follows weights while targets keep up (ties at equal load go by weight);
    // under concurrency its in-flight counts, not the weights, decide — that is the policy.
    const results = await loadLoop(`${proxy.url}/`, { total: 10_000, concurrency: balancer === 'leastConnections' ? 1 : 16 });
    assert.equal(results.filter((r) => r.status !== 200).length, 0);
    t.diagnostic(`${balancer} ${weights.join(':')}: ${JSON.stringify(tally(results))}`);
    assertShares(tally(results), Object.fromEntries(names.map((n, i) => [n, weights[i]])), 10_000, balancer);
  });
}

test('hash on a header: one key always reaches one target; keys spread by weight', async () => {
  const [a, b, c] = await origins('a', 'b', 'c');
  const proxy = await proxyFor({ balancer: 'hash', hashOn: 'header:x-user', targets: [{ url: a.url }, { url: b.url, weight: 2 }, { url: c.url }] });
  const first = new Map();
  const results = await loadLoop(`${proxy.url}/`, {
    total: 4_000,
    concurrency: 16,
    headers: (i) => ({ 'x-user': `user-${i % 2000}` }),
    onResult: () => {},
  });
  assert.equal(results.filter((r) => r.status !== 200).length, 0);
  // Re-ask for 200 keys: each must land where it landed before.
  for (let k = 0; k < 200; k++) {
    const r1 = await get(`${proxy.url}/`, { 'x-user': `user-${k}` });
    const r2 = await get(`${proxy.url}/other/path`, { 'x-user': `user-${k}` });
    assert.equal(r1.origin, r2.origin, `user-${k} moved`);
    first.set(k, r1.origin);
  }
  const counts = tally(results);
  // 2,000 distinct keys: each share within ±5 points of its weight share (25/50/25%).
  for (const [name, share] of [['a', 0.25], ['b', 0.5], ['c', 0.25]]) {
    assert.ok(Math.abs(counts[name] / 4000 - share) <= 0.05, `${name}: ${counts[name]} of 4000`);
  }
});

test('sticky: the cookie pins a client to a target, is not the address, and a forged one is ignored', async () => {
  const [a, b, c] = await origins('a', 'b', 'c');
  const proxy = await proxyFor({ sticky: { cookie: 'srv', ttl: '10m' }, targets: [{ url: a.url }, { url: b.url }, { url: c.url }] });
  const first = await get(`${proxy.url}/`);
  const setCookie = first.headers['set-cookie']?.[0];
  assert.match(setCookie, /^srv=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
  assert.ok(!setCookie.includes('127.0.0.1') && !setCookie.includes(String(a.port)), 'the cookie must not reveal the target');
  const cookie = setCookie.split(';')[0];
  for (let i = 0; i < 30; i++) {
    const r = await get(`${proxy.url}/`, { cookie: `other=1; ${cookie}` });
    assert.equal(r.origin, first.origin);
    assert.equal(r.headers['set-cookie'], undefined, 'no new cookie while the pin holds');
  }
  // A forged value is balanced as usual and replaced.
  const forged = await get(`${proxy.url}/`, { cookie: 'srv=127.0.0.1' });
  assert.equal(forged.status, 200);
  assert.match(forged.headers['set-cookie'][0], /^srv=/);
  // The pinned target dies: the client is served elsewhere and re-pinned.
  const pinned = [a, b, c].find((o) => o.name === first.origin);
  await pinned.stop();
  const moved = await get(`${proxy.url}/`, { cookie });
  assert.equal(moved.status, 200);
  assert.notEqual(moved.origin, first.origin);
  assert.match(moved.headers['set-cookie'][0], /^srv=/);
  assert.notEqual(moved.headers['set-cookie'][0].split(';')[0], cookie);
});

test('backup targets take traffic only when no primary is available', async () => {
  const [p1, p2, bk] = await origins('p1', 'p2', 'bk');
  const proxy = await proxyFor({
    targets: [{ url: p1.url }, { url: p2.url }, { url: bk.url, backup: true }],
    healthCheck: { path: '/healthz', interval: '100ms', timeout: '200ms', unhealthyThreshold: 1, healthyThreshold: 1 },
  });
  let results = await loadLoop(`${proxy.url}/`, { total: 200, concurrency: 4 });
  assert.deepEqual(Object.keys(tally(results)).sort(), ['p1', 'p2']);
  p1.healthStatus = 503;
  p2.healthStatus = 503;
  await sleep(600);
  results = await loadLoop(`${proxy.url}/`, { total: 100, concurrency: 4 });
  assert.deepEqual(tally(results), { bk: 100 });
  p2.healthStatus = 200;
  await sleep(600);
  results = await loadLoop(`${proxy.url}/`, { total: 100, concurrency: 4 });
  assert.deepEqual(tally(results), { p2: 100 });
});

test('leastLatency sends at most 20% of traffic to a target 10× slower than the others', async (t) => {
  const delayed = (ms) => (req, res, o) => setTimeout(() => {
    res.writeHead(200, { 'x-origin': o.name });
    res.end(o.name);
  }, ms);
  const fast1 = await origin('fast1', delayed(5));
  const fast2 = await origin('fast2', delayed(5));
  const slow = await origin('slow', delayed(50));
  const proxy = await proxyFor({ balancer: 'leastLatency', targets: [{ url: fast1.url }, { url: fast2.url }, { url: slow.url }] });
  const results = await loadLoop(`${proxy.url}/`, { total: 1_500, concurrency: 8 });
  assert.equal(results.filter((r) => r.status !== 200).length, 0);
  const counts = tally(results);
  const share = (counts.slow ?? 0) / 1_500;
  t.diagnostic(`leastLatency, slow target 10× slower: ${JSON.stringify(counts)}`);
  assert.ok(share <= 0.2, `slow target got ${(share * 100).toFixed(1)}% (${JSON.stringify(counts)})`);
  assert.ok((counts.fast1 ?? 0) > 300 && (counts.fast2 ?? 0) > 300, JSON.stringify(counts));
});
