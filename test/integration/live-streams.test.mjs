// Streaming responses are forwarded as they come, not buffered: Server-Sent Events, a plain
// chunked stream and a long poll. The origin and the client run in this process, so one clock
// (performance.now) times each chunk from the origin's write to the client's read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startOrigin, startProxy, simpleConfig } from '../helpers.mjs';

const CHUNKS = 12;
const EVERY_MS = 50;
/** Generous: the test machine is shared. A buffering proxy would be ~CHUNKS × EVERY_MS late. */
const MAX_DELAY_MS = 250;

describe('streaming responses are not buffered', () => {
  let origin;
  let proxy;
  /** Send times of the chunks of the current stream, by index. */
  let sentAt = [];

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url === '/long-poll') {
        setTimeout(() => res.end('{"event":"late"}'), 600);
        return;
      }
      const sse = req.url === '/events';
      res.writeHead(200, sse ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } : { 'content-type': 'application/octet-stream' });
      let i = 0;
      const timer = setInterval(() => {
        sentAt[i] = performance.now();
        res.write(sse ? `id: ${i}\ndata: tick ${i}\n\n` : `chunk ${i};`);
        if (++i === CHUNKS) {
          clearInterval(timer);
          res.end();
        }
      }, EVERY_MS);
      res.on('close', () => clearInterval(timer));
    });
    proxy = await startProxy(simpleConfig(origin.url));
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  /** GETs `path` through the proxy; resolves the arrival time of each chunk marker found. */
  function stream(path, marker) {
    sentAt = [];
    return new Promise((resolve, reject) => {
      const arrivals = [];
      let text = '';
      http.get(`${proxy.url}${path}`, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d) => {
          const now = performance.now();
          text += d;
          for (let m; (m = marker.exec(text)) !== null; ) {
            arrivals[Number(m[1])] = now;
            text = text.slice(m.index + m[0].length);
          }
        });
        res.on('end', () => resolve({ res, arrivals }));
      }).on('error', reject);
    });
  }

  function assertLive(arrivals) {
    assert.equal(arrivals.filter((t) => t !== undefined).length, CHUNKS, 'every chunk arrived');
    const delays = arrivals.map((t, i) => t - sentAt[i]);
    const sorted = [...delays].sort((a, b) => a - b);
    assert.ok(sorted.at(-1) < MAX_DELAY_MS, `each chunk within ${MAX_DELAY_MS} ms of its write (delays ${delays.map((d) => d.toFixed(1)).join(', ')} ms)`);
    // The first chunk arrived long before the origin wrote the last one.
    assert.ok(arrivals[0] < sentAt[CHUNKS - 1] - (CHUNKS / 2) * EVERY_MS, 'the stream was relayed while it was produced');
  }

  it('Server-Sent Events (text/event-stream): each event reaches the client as it is sent', async () => {
    const { res, arrivals } = await stream('/events', /data: tick (\d+)\n\n/);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assertLive(arrivals);
  });

  it('a plain chunked response: each chunk reaches the client as it is sent', async () => {
    const { arrivals } = await stream('/chunked', /chunk (\d+);/);
    assertLive(arrivals);
  });

  it('a long poll: the answer comes when the origin has it', async () => {
    const t0 = performance.now();
    const body = await new Promise((resolve, reject) => {
      http.get(`${proxy.url}/long-poll`, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    const ms = performance.now() - t0;
    assert.equal(body, '{"event":"late"}');
    assert.ok(ms >= 550 && ms < 600 + MAX_DELAY_MS * 4, `answered after ${ms.toFixed(0)} ms`);
  });
});
