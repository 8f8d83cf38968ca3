// One drain listener at a time per exchange (proxy/drain-resume.ts): a read parsed on after the
// target was paused must not add a listener per chunk.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { DrainResume } from '../../dist/proxy/drain-resume.js';

test('DrainResume arms one listener per wait and resumes once per drain', () => {
  const socket = new EventEmitter();
  const out = { onDrain: (fn) => socket.once('drain', fn) };
  let resumed = 0;
  const drain = new DrainResume(() => resumed++);
  for (let i = 0; i < 100; i++) drain.after(out);
  assert.equal(socket.listenerCount('drain'), 1);
  socket.emit('drain');
  assert.equal(resumed, 1);
  assert.equal(socket.listenerCount('drain'), 0);
  // The next wait arms again.
  drain.after(out);
  drain.after(out);
  assert.equal(socket.listenerCount('drain'), 1);
  socket.emit('drain');
  assert.equal(resumed, 2);
});
