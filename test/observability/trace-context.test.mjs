// New traceparents come from batches of 512 made at once (observability/trace-context.ts): each
// must be well-formed and new, across batch boundaries; continuing a trace keeps its id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextTraceparent } from '../../dist/observability/trace-context.js';

const NEW = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/;

test('new traces: well-formed, never all-zero, no id repeated over several batches', () => {
  const traces = new Set();
  const spans = new Set();
  for (let i = 0; i < 1600; i++) {
    const m = NEW.exec(nextTraceparent(undefined));
    assert.ok(m, `traceparent ${i}`);
    assert.notEqual(m[1], '0'.repeat(32));
    assert.notEqual(m[2], '0'.repeat(16));
    traces.add(m[1]);
    spans.add(m[2]);
  }
  assert.equal(traces.size, 1600);
  assert.equal(spans.size, 1600);
});

test('a valid incoming traceparent keeps its trace id and flags, with a new parent id', () => {
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const out = nextTraceparent(incoming);
  assert.match(out, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  assert.notEqual(out.slice(36, 52), '00f067aa0ba902b7');
});
