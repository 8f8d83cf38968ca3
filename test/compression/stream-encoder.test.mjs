// The streaming stage on its own: output, flushing, backpressure towards the origin and from
// the client, and a compressor error reported to its owner (never thrown).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamEncoder } from '../../dist/compression/index.js';

/** An output that records chunks; `accept` false makes write() ask for a pause. */
function output(accept = true) {
  const o = {
    chunks: [],
    accept,
    drains: [],
    write(chunk) {
      o.chunks.push(Buffer.from(chunk));
      return o.accept;
    },
    onDrain(fn) {
      o.drains.push(fn);
    },
    drain() {
      o.accept = true;
      const fns = o.drains.splice(0);
      for (const fn of fns) fn();
    },
  };
  return o;
}

function owner() {
  const o = { ended: false, failed: null };
  o.encoderEnded = () => (o.ended = true);
  o.encoderFailed = (err) => (o.failed = err);
  return o;
}

const until = async (cond, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
};

describe('StreamEncoder', () => {
  it('compresses, and reports the end once every byte is out', async () => {
    const out = output();
    const own = owner();
    const enc = new StreamEncoder(out, own, 'gzip', 5, -1, false);
    const input = Buffer.from('hello compression '.repeat(1000));
    enc.write(input);
    enc.end();
    await until(() => own.ended);
    assert.deepEqual(zlib.gunzipSync(Buffer.concat(out.chunks)), input);
  });

  it('flushes after each read for streams, so the first part is decodable before the end', async () => {
    const out = output();
    const enc = new StreamEncoder(out, owner(), 'br', 4, -1, true);
    enc.write(Buffer.from('data: first\n\n'));
    enc.readDone();
    await until(() => out.chunks.length > 0);
    const partial = zlib.createBrotliDecompress();
    const got = [];
    partial.on('data', (d) => got.push(d));
    partial.write(Buffer.concat(out.chunks));
    await until(() => got.length > 0);
    assert.equal(Buffer.concat(got).toString(), 'data: first\n\n');
    enc.destroy();
  });

  it('asks the origin to pause when its input queue is full, and resumes it on drain', async () => {
    const out = output();
    const enc = new StreamEncoder(out, owner(), 'gzip', 5, -1, false);
    let ok = true;
    let writes = 0;
    while (ok && writes < 100) {
      ok = enc.write(Buffer.alloc(64 * 1024, 97 + (writes % 20)));
      writes++;
    }
    assert.equal(ok, false, 'write() said pause');
    assert.ok(writes <= 3, `paused after ${writes} writes of 64 KiB`);
    assert.ok(enc.retainsInput, 'input still held by the compressor');
    let resumed = false;
    enc.onDrain(() => (resumed = true));
    await until(() => resumed);
    enc.destroy();
  });

  it('stops compressing while the client does not take its output', async () => {
    const out = output(false);
    const own = owner();
    const enc = new StreamEncoder(out, own, 'gzip', 1, -1, false);
    // Incompressible input, so output is produced.
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 8; i++) enc.write(randomBytes(64 * 1024));
    enc.end();
    await sleep(300);
    assert.equal(out.chunks.length, 1, 'one output chunk, then paused');
    assert.equal(own.ended, false);
    while (!own.ended) {
      out.drain();
      out.accept = false;
      await sleep(5);
    }
    assert.equal(zlib.gunzipSync(Buffer.concat(out.chunks)).length, 8 * 64 * 1024);
  });

  it('a compressor error goes to the owner, once, and nothing is thrown', async () => {
    const out = output();
    const own = owner();
    const enc = new StreamEncoder(out, own, 'gzip', 5, -1, false);
    enc.z.destroy(new Error('boom')); // (z is private in TypeScript only)
    await until(() => own.failed !== null);
    assert.equal(own.failed.message, 'boom');
    assert.equal(enc.write(Buffer.from('more')), true, 'writes after a failure are dropped');
    enc.end();
    enc.destroy();
    await sleep(20);
    assert.equal(own.ended, false);
  });
});
