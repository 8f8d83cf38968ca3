// Target state is keyed by identity (upstream + URL): a runtime rebuilt from a new config
// (what a reload does) keeps health, ejections and latency of the targets it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetStateRegistry } from '../../dist/balancer/index.js';
import { loadConfigText } from '../../dist/config/index.js';
import { buildRuntime, closeRuntime } from '../../dist/proxy/runtime.js';
import { createLogger } from '../../dist/observability/logger.js';

function config(targets, weight = 1) {
  const yaml = `
listeners: [{ name: web, address: 127.0.0.1:0 }]
upstreams:
  app:
    targets: [${targets.map((t) => `{ url: "${t}", weight: ${weight} }`).join(', ')}]
routes: [{ upstream: app }]
logging: { accessLog: { format: off } }
`;
  const result = loadConfigText(yaml, 'test.yaml', {});
  assert.ok(result.ok, JSON.stringify(result.problems));
  return result.config;
}

test('a rebuilt runtime keeps the state of targets it keeps, and starts fresh for new ones', async () => {
  const registry = new TargetStateRegistry();
  const logger = createLogger('error');
  const first = buildRuntime(config(['http://127.0.0.1:3001', 'http://127.0.0.1:3002']), logger, registry);
  const [a, b] = first.upstreams.get('app').targets.map((t) => t.state);
  a.healthy = false;
  b.ejectedUntil = Date.now() + 60_000;
  b.ejections = 2;

  const second = buildRuntime(config(['http://127.0.0.1:3002', 'http://127.0.0.1:3003'], 5), logger, registry);
  const [b2, c2] = second.upstreams.get('app').targets.map((t) => t.state);
  assert.equal(b2, b, 'the kept target has the same state object');
  assert.equal(b2.ejections, 2);
  assert.equal(b2.weight, 5, 'new settings apply to the kept state');
  assert.equal(c2.healthy, true);
  assert.equal(c2.ejections, 0);

  registry.retain(new Set([b2.id, c2.id]));
  const third = buildRuntime(config(['http://127.0.0.1:3001']), logger, registry);
  assert.equal(third.upstreams.get('app').targets[0].state.healthy, true, 'a forgotten target comes back fresh');
  for (const rt of [first, second, third]) await closeRuntime(rt);
});

test('a build that fails leaves the kept targets with their old settings', () => {
  const registry = new TargetStateRegistry();
  const logger = createLogger('error');
  const first = buildRuntime(config(['http://127.0.0.1:3001']), logger, registry);
  const state = first.upstreams.get('app').targets[0].state;
  const broken = config(['http://127.0.0.1:3001', 'https://127.0.0.1:3002'], 7);
  broken.upstreams.app.tls.caFile = '/nonexistent/ca.pem'; // read when the runtime is built
  assert.throws(() => buildRuntime(broken, logger, registry), /nonexistent/);
  assert.equal(state.weight, 1, 'the running runtime keeps weight 1');
  const next = buildRuntime(config(['http://127.0.0.1:3001'], 4), logger, registry);
  assert.equal(next.upstreams.get('app').targets[0].state, state);
  assert.equal(state.weight, 4);
});

test('drains: given before the state exists, kept across rebuilds, forgotten with the target', () => {
  const registry = new TargetStateRegistry();
  // A worker is told the instance's drains before it builds its first runtime.
  assert.equal(registry.setDraining('app|http://b', true, 1000), false, 'no state yet');
  const a = registry.get('app', 'http://a', { weight: 1 });
  const b = registry.get('app', 'http://b', { weight: 1 });
  assert.equal(a.draining, false);
  assert.equal(b.draining, true, 'built drained');
  assert.equal(a.isAvailable(2000), true);
  assert.equal(b.isAvailable(2000), false);
  // A rebuild that keeps the target keeps the drain.
  registry.retain(new Set(['app|http://a', 'app|http://b']));
  assert.equal(registry.get('app', 'http://b', { weight: 1 }).draining, true);
  // Undrain: back in rotation, slow start counted from now.
  assert.equal(registry.setDraining('app|http://b', false, 5000), true);
  assert.equal(b.draining, false);
  assert.equal(b.availableSince, 5000);
  // Drained, then removed by a reload, then added back: it comes back in rotation (as a new target).
  registry.setDraining('app|http://b', true, 6000);
  registry.retain(new Set(['app|http://a']));
  assert.deepEqual(registry.ids(), ['app|http://a']);
  const again = registry.get('app', 'http://b', { weight: 1 });
  assert.notEqual(again, b);
  assert.equal(again.draining, false);
});
