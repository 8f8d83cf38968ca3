// Unit tests of passive outlier detection: pure logic, a fake clock (plain numbers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutlierDetector, maxEjectedTargets, outlierDetectionSchema } from '../../dist/health/index.js';
import { TargetState } from '../../dist/balancer/index.js';

const T0 = 1_000_000;

function targets(n) {
  return Array.from({ length: n }, (_, i) => new TargetState(`up|http://t${i}`, `http://t${i}`, { weight: 1 }));
}

function config(overrides = {}) {
  return outlierDetectionSchema.parse({ consecutiveFailures: 3, baseEjectionTime: '10s', ...overrides });
}

/** Fails `t` `count` times at `now`; returns the results of onFailure. */
function fail(detector, t, count, now = T0) {
  return Array.from({ length: count }, () => detector.onFailure(t, now));
}

test('ejects at the threshold and not before', () => {
  for (const threshold of [1, 2, 5]) {
    const [t, other] = targets(2);
    const d = createOutlierDetector([t, other], config({ consecutiveFailures: threshold }));
    const results = fail(d, t, threshold);
    assert.deepEqual(results, [...Array(threshold - 1).fill(false), true], `threshold ${threshold}`);
    assert.equal(t.ejections, 1);
    assert.equal(t.ejectedUntil, T0 + 10_000);
    assert.equal(t.consecutiveFailures, 0, 'the streak is reset by the ejection');
    assert.equal(t.isAvailable(T0), false);
  }
});

test('a success resets the failure count', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  fail(d, t, 2);
  assert.equal(t.consecutiveFailures, 2);
  d.onSuccess(t, T0);
  assert.equal(t.consecutiveFailures, 0);
  assert.deepEqual(fail(d, t, 2), [false, false], 'the count starts again from zero');
  assert.equal(d.onFailure(t, T0), true);
});

test('failures of requests sent before the ejection do not extend it', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  fail(d, t, 3);
  const until = t.ejectedUntil;
  assert.deepEqual(fail(d, t, 5, T0 + 1), [false, false, false, false, false]);
  assert.equal(t.ejectedUntil, until);
  assert.equal(t.ejections, 1);
});

test('ejection time grows with the number of ejections, capped at 10×', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  const cases = [];
  let now = T0;
  for (let k = 1; k <= 12; k++) {
    assert.equal(fail(d, t, 3, now).at(-1), true, `ejection ${k}`);
    cases.push([k, (t.ejectedUntil - now) / 1000]);
    // Back right when the time is up, and failing again at once (no decay: no success).
    now = t.ejectedUntil;
    assert.equal(t.isAvailable(now), true);
  }
  assert.deepEqual(cases, [
    [1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60], [7, 70], [8, 80], [9, 90], [10, 100], [11, 100], [12, 100],
  ]);
});

test('returns to rotation when the ejection time has passed', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  fail(d, t, 3);
  const table = [
    [T0, false],
    [T0 + 9_999, false],
    [T0 + 10_000, true],
    [T0 + 20_000, true],
  ];
  for (const [now, available] of table) assert.equal(t.isAvailable(now), available, `at +${now - T0}ms`);
  assert.equal(t.ejectedUntil, 0);
  assert.equal(t.availableSince, T0 + 10_000, 'isAvailable records when it came back');
});

test('max-ejection-percent caps how many targets are out at once', () => {
  // [group size, maxEjectionPercent, how many may be ejected at once]
  const table = [
    [1, 50, 1], // at least one, even where 50% of 1 rounds down to 0
    [1, 100, 1],
    [3, 50, 1],
    [3, 34, 1],
    [3, 67, 2],
    [3, 100, 3],
    [10, 50, 5],
    [10, 10, 1],
    [10, 5, 1],
    [10, 100, 10],
    [1, 0, 0], // 0% never ejects
    [3, 0, 0],
    [10, 0, 0],
  ];
  for (const [n, percent, cap] of table) {
    assert.equal(maxEjectedTargets(n, percent), cap, `maxEjectedTargets(${n}, ${percent})`);
    const group = targets(n);
    const d = createOutlierDetector(group, config({ maxEjectionPercent: percent }));
    const ejected = group.filter((t) => fail(d, t, 3).includes(true)).length;
    assert.equal(ejected, cap, `n=${n} ${percent}%`);
    assert.equal(group.filter((t) => !t.isAvailable(T0)).length, cap);
  }
});

test('a target refused by the cap is ejected on its next failure once a slot frees up', () => {
  const [a, b] = targets(2);
  const d = createOutlierDetector([a, b], config({ maxEjectionPercent: 50 }));
  assert.equal(fail(d, a, 3).at(-1), true);
  assert.deepEqual(fail(d, b, 3), [false, false, false], 'cap of 1 reached');
  assert.equal(b.ejections, 0);
  const later = a.ejectedUntil; // a's time is up
  assert.equal(d.onFailure(b, later), true, 'the kept streak ejects b at once');
  assert.equal(b.ejectedUntil, later + 10_000);
});

test('the ejection multiplier decays by one per baseEjectionTime of good behaviour', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  let now = T0;
  for (let k = 0; k < 3; k++) {
    fail(d, t, 3, now);
    now = t.ejectedUntil;
  }
  assert.equal(t.ejections, 3);
  const back = now; // the third ejection ended here; isAvailable not called yet
  // [time of a success, ejections afterwards]
  const table = [
    [back + 1, 3], // just back
    [back + 10_000, 3], // not longer than baseEjectionTime yet
    [back + 10_001, 2], // longer: one decrement
    [back + 10_002, 2], // a burst of successes decrements only once
    [back + 15_000, 2],
    [back + 20_002, 1], // another baseEjectionTime later
    [back + 30_003, 0],
    [back + 90_000, 0], // never below zero
  ];
  for (const [at, ejections] of table) {
    d.onSuccess(t, at);
    assert.equal(t.ejections, ejections, `success at +${at - back}ms`);
  }
  // The next ejection is short again.
  now = back + 100_000;
  fail(d, t, 3, now);
  assert.equal(t.ejectedUntil - now, 10_000);
});

test('no decay while still ejected, and the decay counts from availableSince', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], config());
  fail(d, t, 3);
  d.onSuccess(t, T0 + 5_000); // a late success of a request sent before the ejection
  assert.equal(t.ejections, 1);
  assert.equal(t.isAvailable(T0 + 10_000), true);
  t.setHealthy(false, T0 + 12_000);
  t.setHealthy(true, T0 + 15_000); // back at +15s by the active check
  d.onSuccess(t, T0 + 24_000);
  assert.equal(t.ejections, 1, 'only 9s since it came back');
  d.onSuccess(t, T0 + 25_001);
  assert.equal(t.ejections, 0);
});

test('a disabled detector counts failures but never ejects', () => {
  for (const n of [1, 3, 10]) {
    const group = targets(n);
    const d = createOutlierDetector(group, config({ enabled: false }));
    for (const t of group) assert.deepEqual(fail(d, t, 10), Array(10).fill(false));
    assert.ok(group.every((t) => t.isAvailable(T0) && t.ejections === 0 && t.ejectedUntil === 0));
    assert.equal(group[0].consecutiveFailures, 10);
  }
});

test('defaults: 5 failures in a row eject for 30s', () => {
  const [t, other] = targets(2);
  const d = createOutlierDetector([t, other], outlierDetectionSchema.parse({}));
  assert.deepEqual(fail(d, t, 5), [false, false, false, false, true]);
  assert.equal(t.ejectedUntil, T0 + 30_000);
});
