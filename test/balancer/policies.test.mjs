// What each policy does beyond the shared contract: smooth round robin order, least
// connections, least latency (P2C over peak-EWMA) avoiding and then forgiving a slow target,
// consistent hashing (stability, weights, keys moved when a target goes), and PeakEwma itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TargetState,
  NONE_TRIED,
  PeakEwma,
  compileKeyHash,
  createHash,
  createLeastConnections,
  createLeastLatency,
  createRoundRobin,
} from '../../dist/balancer/index.js';

const NOW = 1_700_000_000_000;

function targets(weights, prefix = 'up') {
  return weights.map((weight, i) => new TargetState(`${prefix}|http://10.0.0.${i}:80`, `http://10.0.0.${i}:80`, { weight }));
}

/** A request: client address, path and lower-case headers. */
function request({ ip = '192.0.2.1', path = '/', headers = {} } = {}) {
  return { clientIp: ip, path, header: (name) => headers[name] };
}

const ipOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const pct = (x) => `${(100 * x).toFixed(2)}%`;

describe('roundRobin', () => {
  test('5:1:1 is smooth: a a b a c a a', () => {
    const policy = createRoundRobin(targets([5, 1, 1]));
    const order = Array.from({ length: 14 }, () => 'abc'[policy.select(request(), NOW, NONE_TRIED)]).join(' ');
    assert.equal(order, 'a a b a c a a a a b a c a a');
  });
});

describe('leastConnections', () => {
  test('prefers the target with the fewest requests in flight', () => {
    const group = targets([1, 1, 1]);
    const policy = createLeastConnections(group);
    group[0].inFlight = 3;
    group[1].inFlight = 1;
    group[2].inFlight = 2;
    for (let i = 0; i < 10; i++) assert.equal(policy.select(request(), NOW, NONE_TRIED), 1);
  });

  test('in flight counts per weight: inFlight / weight (nginx least_conn)', () => {
    const group = targets([1, 3]);
    const policy = createLeastConnections(group);
    group[0].inFlight = 1; // 1 / 1 = 1
    group[1].inFlight = 4; // 4 / 3 = 1.33
    assert.equal(policy.select(request(), NOW, NONE_TRIED), 0);
    group[1].inFlight = 2; // 2 / 3 = 0.67
    assert.equal(policy.select(request(), NOW, NONE_TRIED), 1);
  });

  test('an idle upstream (all at 0 in flight) is split by weight, smoothly', () => {
    const group = targets([5, 1, 1]);
    const policy = createLeastConnections(group);
    const picks = [];
    for (let i = 0; i < 7; i++) picks.push(policy.select(request(), NOW, NONE_TRIED));
    assert.deepEqual(picks, [0, 0, 1, 0, 2, 0, 0]);
  });

  test('ties rotate instead of always going to the first target', () => {
    const policy = createLeastConnections(targets([1, 1, 1]));
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) counts[policy.select(request(), NOW, NONE_TRIED)]++;
    assert.deepEqual(counts, [100, 100, 100]);
  });
});

describe('leastLatency', () => {
  /**
   * One request per millisecond to three targets; a request to target k finishes after
   * `latencies[k]` ms, which is when its target's inFlight goes down and its latency is observed.
   */
  function simulation(latencies) {
    const group = targets(latencies.map(() => 1));
    const policy = createLeastLatency(group);
    const pending = []; // { at, k, latency }
    let now = NOW;
    return {
      group,
      /** Runs `count` requests; returns each target's share. */
      run(count) {
        const counts = group.map(() => 0);
        for (let i = 0; i < count; i++) {
          now += 1;
          for (let j = 0; j < pending.length; ) {
            const p = pending[j];
            if (p.at > now) {
              j++;
              continue;
            }
            group[p.k].inFlight--;
            group[p.k].latency.observe(p.latency, p.at);
            pending[j] = pending[pending.length - 1];
            pending.pop();
          }
          const k = policy.select(request(), now, NONE_TRIED);
          counts[k]++;
          group[k].inFlight++;
          pending.push({ at: now + latencies[k], k, latency: latencies[k] });
        }
        return counts.map((c) => c / count);
      },
    };
  }

  test('a target 10× slower than the two others gets ≤ 20% of the traffic, and more once it is fast again', (t) => {
    const latencies = [10, 10, 100];
    const sim = simulation(latencies);
    const slow = sim.run(10_000);
    t.diagnostic(`10× slower target: ${pct(slow[2])} of 10,000 requests (fast ones: ${pct(slow[0])}, ${pct(slow[1])})`);
    assert.ok(slow[2] <= 0.2, `slow target got ${pct(slow[2])}`);
    assert.ok(slow[2] > 0, 'the slow target is still probed now and then');

    latencies[2] = 10; // recovers
    sim.run(60_000); // peak-EWMA forgets with a 10 s time constant
    const recovered = sim.run(10_000);
    t.diagnostic(`after recovery: ${recovered.map(pct).join(', ')}`);
    assert.ok(recovered[2] >= 0.25, `recovered target got ${pct(recovered[2])}`);
  });

  test('a target without a latency sample yet is tried', () => {
    const group = targets([1, 1]);
    const policy = createLeastLatency(group);
    group[0].latency.observe(5, NOW);
    group[0].inFlight = 2;
    // The new target is costed at half the other's latency: 2.5 × 1 < 5 × 3.
    for (let i = 0; i < 20; i++) assert.equal(policy.select(request(), NOW, NONE_TRIED), 1);
  });

  test('cost is latency × (inFlight + 1) / weight; equal costs are settled by weight', () => {
    const group = targets([1, 1]);
    const policy = createLeastLatency(group);
    group[0].latency.observe(10, NOW); // 10 × 4 = 40
    group[0].inFlight = 3;
    group[1].latency.observe(30, NOW); // 30 × 1 = 30
    for (let i = 0; i < 20; i++) assert.equal(policy.select(request(), NOW, NONE_TRIED), 1);
    group[1].weight = 0.5; // 30 × 1 / 0.5 = 60
    for (let i = 0; i < 20; i++) assert.equal(policy.select(request(), NOW, NONE_TRIED), 0);
    group[1].weight = 0.75; // 30 / 0.75 = 40: a tie, settled 1 : 0.75
    let first = 0;
    for (let i = 0; i < 1750; i++) if (policy.select(request(), NOW, NONE_TRIED) === 0) first++;
    assert.ok(first > 900 && first < 1100, `${first} of 1750`);
  });
});

describe('hash', () => {
  /** Target id chosen for each of `count` distinct client addresses. */
  function assignments(policy, group, count = 10_000, now = NOW) {
    return Array.from({ length: count }, (_, i) => group[policy.select(request({ ip: ipOf(i) }), now, NONE_TRIED)].id);
  }

  test('the same key goes to the same target', () => {
    const group = targets([1, 1, 1, 1]);
    const policy = createHash(group, { hashOn: 'ip' });
    for (let i = 0; i < 500; i++) {
      const first = policy.select(request({ ip: ipOf(i) }), NOW, NONE_TRIED);
      for (let j = 0; j < 3; j++) assert.equal(policy.select(request({ ip: ipOf(i) }), NOW, NONE_TRIED), first);
    }
    // A policy built again over the same targets (a reload) agrees, whatever their order.
    const again = createHash([...group].reverse(), { hashOn: 'ip' });
    const reversed = [...group].reverse();
    for (let i = 0; i < 500; i++) {
      const ip = ipOf(i);
      assert.equal(reversed[again.select(request({ ip }), NOW, NONE_TRIED)], group[policy.select(request({ ip }), NOW, NONE_TRIED)]);
    }
  });

  test('keys spread by weight', (t) => {
    // The table's slots follow the weights exactly; the keys are a sample of them, so 100,000
    // keys (a 10% share is then ±5σ within ±5% of itself; with 10,000 keys only ±1.7σ).
    const weights = [1, 2, 3, 4];
    const group = targets(weights);
    const ids = assignments(createHash(group, { hashOn: 'ip' }), group, 100_000);
    const shares = group.map((g) => ids.filter((id) => id === g.id).length / ids.length);
    t.diagnostic(`weights 1:2:3:4 → ${shares.map(pct).join(', ')}`);
    for (const [i, w] of weights.entries()) assert.ok(Math.abs(shares[i] - w / 10) <= 0.05 * (w / 10), `target ${i}: ${pct(shares[i])}`);
  });

  for (const n of [3, 5, 10]) {
    test(`removing one of ${n} targets moves ≤ 1.5/${n} of the keys`, (t) => {
      const group = targets(Array(n).fill(1));
      const policy = createHash(group, { hashOn: 'ip' });
      const before = assignments(policy, group);
      let worstRebuilt = 0;
      let worstMarked = 0;
      for (let r = 0; r < n; r++) {
        const removed = group[r];
        // (1) A new policy over the n - 1 others (a reload without it).
        const rest = group.filter((g) => g !== removed);
        const rebuilt = assignments(createHash(rest, { hashOn: 'ip' }), rest);
        const movedRebuilt = before.filter((id, i) => id !== rebuilt[i]).length / before.length;
        // (2) The same policy with the target unavailable: only its own keys move.
        removed.healthy = false;
        const marked = assignments(policy, group);
        removed.healthy = true;
        const movedMarked = before.filter((id, i) => id !== marked[i]).length / before.length;
        for (const [i, id] of before.entries()) if (id !== removed.id) assert.equal(marked[i], id, 'a key of a target that stayed moved');
        assert.ok(marked.every((id) => id !== removed.id));
        worstRebuilt = Math.max(worstRebuilt, movedRebuilt);
        worstMarked = Math.max(worstMarked, movedMarked);
      }
      t.diagnostic(`n=${n}: worst keys moved: rebuilt ${pct(worstRebuilt)}, marked unavailable ${pct(worstMarked)} (1/n = ${pct(1 / n)})`);
      assert.ok(worstRebuilt <= 1.5 / n, `rebuilt: ${pct(worstRebuilt)} moved`);
      assert.ok(worstMarked <= 1.5 / n, `marked unavailable: ${pct(worstMarked)} moved`);
      // The keys come back when the target does.
      assert.deepEqual(assignments(policy, group), before);
    });
  }

  test('keys from header:, cookie: and path', () => {
    const group = targets([1, 1, 1, 1, 1]);
    const spread = (policy, make) => new Set(Array.from({ length: 200 }, (_, i) => policy.select(make(`user-${i}`), NOW, NONE_TRIED))).size;

    const byHeader = createHash(group, { hashOn: 'header:X-User' });
    const header = (v) => request({ ip: ipOf(Math.floor(Math.random() * 1e6)), headers: { 'x-user': v } });
    for (let i = 0; i < 100; i++) assert.equal(byHeader.select(header(`user-${i}`), NOW, NONE_TRIED), byHeader.select(header(`user-${i}`), NOW, NONE_TRIED));
    assert.ok(spread(byHeader, header) >= 4);

    const byPath = createHash(group, { hashOn: 'path' });
    const path = (v) => request({ ip: ipOf(Math.floor(Math.random() * 1e6)), path: `/${v}` });
    for (let i = 0; i < 100; i++) assert.equal(byPath.select(path(`p${i}`), NOW, NONE_TRIED), byPath.select(path(`p${i}`), NOW, NONE_TRIED));
    assert.ok(spread(byPath, path) >= 4);

    const byCookie = createHash(group, { hashOn: 'cookie:session' });
    for (let i = 0; i < 100; i++) {
      const v = `user-${i}`;
      const picks = [`session=${v}`, `a=1; session=${v}`, `a=1;session=${v} ; b=2`, `xsession=0; session=${v}; session=other`].map((cookie) =>
        byCookie.select(request({ ip: ipOf(i), headers: { cookie } }), NOW, NONE_TRIED),
      );
      assert.equal(new Set(picks).size, 1, `cookie forms of ${v} disagree: ${picks}`);
    }
    assert.ok(spread(byCookie, (v) => request({ ip: ipOf(Math.floor(Math.random() * 1e6)), headers: { cookie: `session=${v}` } })) >= 4);
  });

  test('key extraction: the value alone is hashed; absent or empty → no key', () => {
    const cookie = compileKeyHash('cookie:session');
    const header = compileKeyHash('header:X-Session'); // header names are matched in lower case
    const same = header(request({ headers: { 'x-session': 'abc' } }));
    assert.notEqual(same, -1);
    for (const c of ['session=abc', 'a=1; session=abc', ' a=1 ;  session=abc  ; b', 'b=; session=abc']) assert.equal(cookie(request({ headers: { cookie: c } })), same, c);
    for (const c of [undefined, '', 'a=1', 'xsession=abc', 'session', 'session=', 'session= ; a=b', 'Session=abc', 'a=session=abc']) {
      assert.equal(cookie(request({ headers: { cookie: c } })), -1, String(c));
    }
    assert.equal(header(request()), -1);
    assert.equal(header(request({ headers: { 'x-session': '' } })), -1);
    assert.notEqual(compileKeyHash('path')(request({ path: '/a' })), compileKeyHash('path')(request({ path: '/b' })));
    assert.throws(() => compileKeyHash('query:x'), /hashOn/);
  });

  test('slow start: a ramping target takes a growing subset of its keys; all ramping together moves nothing', () => {
    const group = targets([1, 1, 1, 1]).map((g) => Object.assign(g, { slowStart: 10_000 }));
    const policy = createHash(group, { hashOn: 'ip' });
    const settled = assignments(policy, group);
    group[0].availableSince = NOW;
    const mine = (now) => new Set(assignments(policy, group, 10_000, now).flatMap((id, i) => (id === group[0].id ? [i] : [])));
    const early = mine(NOW + 2_000);
    const later = mine(NOW + 6_000);
    assert.ok(early.size > 0 && early.size < later.size);
    for (const i of early) assert.ok(later.has(i), 'a key the ramping target had was taken away again');
    for (const g of group) g.availableSince = NOW; // the whole group came back at once
    assert.deepEqual(assignments(policy, group, 10_000, NOW + 1_000), settled);
  });

  test('a request without the key is balanced at random', () => {
    const group = targets([1, 1, 1]);
    const policy = createHash(group, { hashOn: 'header:x-user' });
    const counts = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) counts[policy.select(request({ ip: '192.0.2.1' }), NOW, NONE_TRIED)]++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `counts ${counts}`);
  });

  test('a retry of the same key (target in tried) goes to another target, the same one each time', () => {
    const group = targets([1, 1, 1, 1]);
    const policy = createHash(group, { hashOn: 'ip' });
    for (let i = 0; i < 200; i++) {
      const req = request({ ip: ipOf(i) });
      const first = policy.select(req, NOW, NONE_TRIED);
      const second = policy.select(req, NOW, [group[first]]);
      assert.notEqual(second, first);
      assert.equal(policy.select(req, NOW, [group[first]]), second);
    }
  });
});

describe('PeakEwma', () => {
  test('0 until the first sample', () => {
    assert.equal(new PeakEwma().at(NOW), 0);
  });

  test('a sample above the average replaces it at once', () => {
    const e = new PeakEwma();
    e.observe(10, NOW);
    assert.equal(e.at(NOW), 10);
    e.observe(100, NOW + 1);
    assert.equal(e.at(NOW + 1), 100);
  });

  test('lower samples pull it down with time', () => {
    const e = new PeakEwma();
    e.observe(100, NOW);
    let now = NOW;
    for (let i = 0; i < 100; i++) e.observe(10, (now += 100)); // 10 s of 10 ms samples
    const after10s = e.at(now);
    assert.ok(after10s > 10 && after10s < 50, `after 10 s: ${after10s}`); // 10 + 90 / e ≈ 43
    for (let i = 0; i < 500; i++) e.observe(10, (now += 100)); // 50 s more
    assert.ok(e.at(now) < 10.5, `after 60 s: ${e.at(now)}`); // 10 + 90 / e^6 ≈ 10.2
    // A single lower sample right after a peak barely moves it.
    e.observe(500, now);
    e.observe(10, now + 1);
    assert.ok(e.at(now + 1) > 499);
  });

  test('without samples it decays toward 0', () => {
    const e = new PeakEwma();
    e.observe(100, NOW);
    assert.ok(Math.abs(e.at(NOW + 10_000) - 100 / Math.E) < 1e-9);
    assert.ok(e.at(NOW + 100_000) < 0.01);
    assert.equal(e.at(NOW - 5), 100, 'a clock read before the sample does not grow it');
  });
});
