// The pieces of the supervisor that need no process: restart backoff, the worker plan.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../dist/workers/backoff.js';
import { planWorkers } from '../../dist/workers/plan.js';
import { loadConfigText } from '../../dist/config/index.js';

const parseConfig = (obj) => loadConfigText(JSON.stringify(obj), 'test.yaml');

describe('workers: backoff', () => {
  it('doubles from 100 ms to 10 s and starts over after 30 s up', () => {
    const b = new Backoff();
    const delays = Array.from({ length: 9 }, () => b.next(50));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
    assert.equal(b.next(30_000), 100);
    assert.equal(b.next(10), 200);
  });
});

describe('workers: plan', () => {
  const base = { listeners: [{ name: 'web', address: '127.0.0.1:8080' }], upstreams: { o: { targets: [{ url: 'http://127.0.0.1:9' }] } }, routes: [{ name: 'r', upstream: 'o' }] };
  const config = (extra) => {
    const r = parseConfig({ ...base, ...extra });
    assert.ok(r.ok, JSON.stringify(r.problems));
    return r.config;
  };
  it('defaults to 1; auto is the core count; N is N', () => {
    assert.deepEqual(planWorkers(config({})), { ok: true, count: 1 });
    assert.deepEqual(planWorkers(config({ server: { workers: 'auto' } }), 6), { ok: true, count: 6 });
    assert.deepEqual(planWorkers(config({ server: { workers: 3 } })), { ok: true, count: 3 });
  });
  it('refuses 0 and other strings', () => {
    assert.equal(parseConfig({ ...base, server: { workers: 0 } }).ok, false);
    assert.equal(parseConfig({ ...base, server: { workers: 'many' } }).ok, false);
  });
  it('refuses ACME with more than one worker', () => {
    const c = config({ server: { workers: 2 } });
    const withAcme = { ...c, listeners: [{ ...c.listeners[0], tls: { certificates: [], acme: {} } }] };
    const plan = planWorkers(withAcme);
    assert.equal(plan.ok, false);
    assert.match(plan.problem, /acme is not supported with more than one worker/);
    assert.equal(planWorkers({ ...withAcme, server: { ...c.server, workers: 1 } }).ok, true);
  });
});
