// HTTP/2 flood protections (RFC 9113 §10.5), each exercised with hand-built frames against the
// real proxy: the abusive connection must be closed (GOAWAY, ENHANCE_YOUR_CALM where Barbican
// decides) or its streams refused, the proxy must stay responsive on a new connection, and its
// memory must stay within a bound while it happens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startOrigin, startProxy, simpleConfig, adminRequest } from '../helpers.mjs';
import { connectRaw, frame, headers, hpack, settings, ping, rstStream, get, TYPE, FLAG, ERROR } from './h2-frames.mjs';
import { h2once } from './h2-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
/** Memory the proxy may gain during one flood (generous: the machine is shared and GC is lazy). */
const MEMORY_BOUND_MIB = 64;

describe('HTTP/2 flood protections', () => {
  let origin;
  let proxy;
  /** Requests held open by the origin (/slow) until the test ends. */
  const held = [];

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url.startsWith('/slow')) {
        held.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    proxy = await startProxy({
      ...simpleConfig(origin.url),
      listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }],
      server: { http2: { maxConcurrentStreams: 20, maxStreamResetsPerSecond: 50, maxControlFramesPerSecond: 50 } },
      logging: { level: 'info', accessLog: { format: 'off' } },
      admin: { address: '127.0.0.1:0' },
    });
  });
  after(async () => {
    for (const res of held) res.destroy();
    await proxy?.close();
    await origin?.close();
  });

  /** The proxy answers a normal request on a fresh connection. */
  async function assertResponsive() {
    const res = await h2once(proxy.port, { ':path': '/alive' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'ok');
  }

  /** Runs `flood` and asserts the proxy's RSS grew by less than the bound. */
  async function withinMemory(flood) {
    const before = rssMiB(proxy.proc.pid);
    await flood();
    const growth = rssMiB(proxy.proc.pid) - before;
    assert.ok(growth < MEMORY_BOUND_MIB, `RSS grew by ${growth.toFixed(1)} MiB`);
  }

  it('advertises the stream limit and refuses streams beyond it', async () => {
    // Before the client acknowledges the limit, streams beyond it are refused (REFUSED_STREAM,
    // RFC 9113 §5.1.2) and the others go on.
    const c = await connectRaw(proxy.port);
    try {
      assert.ok(await c.until((f) => f.some((x) => x.type === TYPE.SETTINGS && !(x.flags & FLAG.ACK))));
      const s = c.frames.find((x) => x.type === TYPE.SETTINGS && !(x.flags & FLAG.ACK)).payload;
      let advertised;
      for (let i = 0; i < s.length; i += 6) if (s.readUInt16BE(i) === 3) advertised = s.readUInt32BE(i + 2);
      assert.equal(advertised, 20);
      const bufs = [];
      for (let i = 0; i < 30; i++) bufs.push(headers(1 + 2 * i, get(`/slow/limit${i}`)));
      c.send(...bufs);
      assert.ok(await c.until((f) => f.filter((x) => x.type === TYPE.RST_STREAM).length >= 10));
      const resets = c.frames.filter((x) => x.type === TYPE.RST_STREAM);
      assert.deepEqual(resets.map((x) => x.payload.readUInt32BE(0)), Array(10).fill(ERROR.REFUSED_STREAM));
      assert.deepEqual(resets.map((x) => x.streamId), Array.from({ length: 10 }, (_, i) => 41 + 2 * i));
      const reached = () => origin.requests.filter((r) => r.url.startsWith('/slow/limit')).length;
      for (let i = 0; i < 250 && reached() < 20; i++) await sleep(20);
      await sleep(100);
      assert.equal(reached(), 20);
    } finally {
      c.close();
    }
    // Once it has acknowledged the limit, a client that goes over it loses the connection (nghttp2).
    const d = await connectRaw(proxy.port);
    try {
      d.send(settings([], true));
      const bufs = [];
      for (let i = 0; i < 25; i++) bufs.push(headers(1 + 2 * i, get(`/slow/over${i}`)));
      d.send(...bufs);
      assert.ok(await d.until(() => d.closed), 'connection closed');
      assert.ok(d.goaway() !== undefined, 'GOAWAY sent');
    } finally {
      d.close();
    }
    await assertResponsive();
  });

  it('closes a connection that resets streams rapidly (CVE-2023-44487) with GOAWAY ENHANCE_YOUR_CALM', async () => {
    await withinMemory(async () => {
      const c = await connectRaw(proxy.port);
      try {
        const bufs = [];
        for (let i = 0; i < 2000; i++) bufs.push(headers(1 + 2 * i, get(`/slow/rr${i}`)), rstStream(1 + 2 * i));
        c.send(...bufs);
        assert.ok(await c.until(() => c.closed, 10_000), 'connection closed');
        assert.equal(c.goaway()?.code, ERROR.ENHANCE_YOUR_CALM);
      } finally {
        c.close();
      }
    });
    await assertResponsive();
    // The requests that were cancelled were cancelled at the origin too, and few got there at all.
    await sleep(200);
    const reached = origin.requests.filter((r) => r.url.startsWith('/slow/rr')).length;
    assert.ok(reached <= 200, `${reached} cancelled requests reached the origin`);
    assert.match(proxy.stderr(), /rapid reset/);
    const metrics = (await adminRequest(proxy, '/metrics')).body.toString();
    assert.match(metrics, /barbican_http2_connections_closed_total\{reason="rapid_reset"\} 1/);
    assert.match(metrics, /barbican_requests_by_protocol_total\{protocol="HTTP\/2"\} [1-9]/);
  });

  it('closes a connection that floods CONTINUATION frames', async () => {
    await withinMemory(async () => {
      const c = await connectRaw(proxy.port);
      try {
        c.send(headers(1, get('/cont'), { endHeaders: false }));
        const block = hpack([['x-filler', 'a'.repeat(100)]]);
        for (let round = 0; round < 20 && !c.closed; round++) {
          const bufs = [];
          for (let i = 0; i < 500; i++) bufs.push(frame(TYPE.CONTINUATION, 0, 1, block));
          c.send(...bufs);
          await sleep(5);
        }
        assert.ok(await c.until(() => c.closed, 10_000), 'connection closed');
        assert.ok(c.goaway() !== undefined || c.reset(1) !== undefined, 'GOAWAY or RST_STREAM sent');
      } finally {
        c.close();
      }
    });
    await assertResponsive();
    assert.equal(origin.requests.filter((r) => r.url === '/cont').length, 0);
  });

  it('refuses a header list over limits.maxHeaderBytes without forwarding it', async () => {
    const c = await connectRaw(proxy.port);
    try {
      const fields = get('/big-head');
      for (let i = 0; i < 40; i++) fields.push([`x-big-${i}`, 'b'.repeat(1000)]);
      // 40 KB of fields, over the 16 KiB default: in HEADERS + CONTINUATION frames.
      const block = hpack(fields);
      const first = block.subarray(0, 16_000);
      const rest = block.subarray(16_000);
      c.send(frame(TYPE.HEADERS, FLAG.END_STREAM, 3, first), frame(TYPE.CONTINUATION, 0, 3, rest.subarray(0, 16_000)), frame(TYPE.CONTINUATION, FLAG.END_HEADERS, 3, rest.subarray(16_000)));
      assert.ok(await c.until((f) => f.some((x) => x.streamId === 3 && (x.type === TYPE.RST_STREAM || x.type === TYPE.HEADERS)) || c.goaway() !== undefined));
      const status = c.status(3);
      assert.ok(c.reset(3) !== undefined || c.goaway() !== undefined || status === 431, `refused, got ${status}`);
    } finally {
      c.close();
    }
    await sleep(50);
    assert.equal(origin.requests.filter((r) => r.url === '/big-head').length, 0);
    await assertResponsive();
  });

  for (const [name, make] of [
    ['SETTINGS', () => settings([[4, 65535]])],
    ['PING', () => ping()],
  ]) {
    it(`closes a connection that floods ${name} frames with GOAWAY ENHANCE_YOUR_CALM`, async () => {
      await withinMemory(async () => {
        const c = await connectRaw(proxy.port);
        try {
          const bufs = [];
          for (let i = 0; i < 5000; i++) bufs.push(make());
          c.send(...bufs);
          assert.ok(await c.until(() => c.closed, 10_000), 'connection closed');
          assert.equal(c.goaway()?.code, ERROR.ENHANCE_YOUR_CALM);
        } finally {
          c.close();
        }
      });
      await assertResponsive();
    });
  }

  it('lets a client PING at a normal rate', async () => {
    const c = await connectRaw(proxy.port);
    try {
      for (let i = 0; i < 5; i++) {
        c.send(ping());
        await sleep(20);
      }
      assert.ok(await c.until((f) => f.filter((x) => x.type === TYPE.PING && x.flags & FLAG.ACK).length === 5));
      assert.equal(c.goaway(), undefined);
      assert.equal(c.closed, false);
    } finally {
      c.close();
    }
  });
});
