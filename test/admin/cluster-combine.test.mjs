// How per-target state and recent errors of several workers combine into the instance's view
// (admin/cluster.ts): pure functions, table-driven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineTargets, mergeErrors } from '../../dist/admin/cluster.js';

const NOW = 1_000_000;
const t = (over) => ({ upstream: 'app', url: 'http://a', healthy: true, ejectedUntil: 0, ejections: 0, draining: false, inFlight: 0, latencyEwmaMs: 0, weight: 1, backup: false, ...over });
const worker = (slot, targets, errors = []) => ({ slot, pid: 100 + slot, startedAt: 0, requests: 0, connections: 0, inFlight: 0, targets, errors });

test('combineTargets: sums in-flight and ejections, worst verdict wins, counts per verdict', () => {
  const cases = [
    { name: 'all healthy', a: t({ inFlight: 2 }), b: t({ inFlight: 3 }), want: { healthy: true, ejected: false, draining: false, inFlight: 5, workers: { reporting: 2, unhealthy: 0, ejected: 0, draining: 0 } } },
    { name: 'one checker says down', a: t({ healthy: false }), b: t(), want: { healthy: false, ejected: false, draining: false, inFlight: 0, workers: { reporting: 2, unhealthy: 1, ejected: 0, draining: 0 } } },
    { name: 'ejected in one, expired in the other', a: t({ ejectedUntil: NOW + 500, ejections: 1 }), b: t({ ejectedUntil: NOW - 1, ejections: 2 }), want: { healthy: true, ejected: true, draining: false, inFlight: 0, workers: { reporting: 2, unhealthy: 0, ejected: 1, draining: 0 } } },
    { name: 'draining in worker 1 only', a: t({ draining: true }), b: t(), want: { healthy: true, ejected: false, draining: true, inFlight: 0, workers: { reporting: 2, unhealthy: 0, ejected: 0, draining: 1 } } },
  ];
  for (const c of cases) {
    const [got] = combineTargets([worker(1, [c.a]), worker(2, [c.b])], NOW);
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k], v, `${c.name}: ${k}`);
  }
  const [ej] = combineTargets([worker(1, [t({ ejectedUntil: NOW + 500, ejections: 1 })]), worker(2, [t({ ejectedUntil: NOW + 900, ejections: 2 })])], NOW);
  assert.equal(ej.ejectedUntil, NOW + 900);
  assert.equal(ej.ejections, 3);
  const [lat] = combineTargets([worker(1, [t({ latencyEwmaMs: 4 })]), worker(2, [t({ latencyEwmaMs: 9 })])], NOW);
  assert.equal(lat.latencyEwmaMs, 9, 'the worst worker’s latency');
  const two = combineTargets([worker(1, [t(), t({ url: 'http://b' })]), worker(2, [t({ url: 'http://b', inFlight: 1 })])], NOW);
  assert.deepEqual(two.map((x) => [x.url, x.workers.reporting, x.inFlight]), [['http://a', 1, 0], ['http://b', 2, 1]]);
});

test('mergeErrors: every worker’s, tagged, newest first, bounded', () => {
  const e = (at, message) => ({ at: new Date(at).toISOString(), kind: '5xx', message });
  const merged = mergeErrors([worker(1, [], [e(3000, 'c'), e(1000, 'a')]), worker(2, [], [e(2000, 'b')])], 2);
  assert.deepEqual(merged.map((x) => [x.message, x.worker]), [['c', 1], ['b', 2]]);
});
