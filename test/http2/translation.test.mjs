// HTTP/2 → HTTP/1.1 translation (RFC 9113 §8) against the real proxy, with requests built
// frame by frame (h2-frames.mjs) so that invalid ones can be sent at all, and a raw origin that
// records every byte. Each malformed request must be refused (RST_STREAM, or a 4xx answer) with
// nothing of it reaching the origin; a probe on the same connection must then go through, so
// the refusal neither desynchronises nor poisons anything. Valid requests must reach the origin
// as exactly one canonical HTTP/1.1 request (one Host, one framing, no hop-by-hop field, no
// field node:http2 dropped as invalid).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, startRawOrigin, simpleConfig } from '../helpers.mjs';
import { connectRaw, headers, data, get, TYPE, ERROR } from './h2-frames.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOP = new Set(['keep-alive', 'proxy-connection', 'trailer', 'upgrade']);

/** Parses complete requests out of one origin connection's bytes; `partial` if bytes remain. */
function parseRequests(buf) {
  const requests = [];
  let pos = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd === -1) break;
    const lines = buf.toString('latin1', pos, headEnd).split('\r\n');
    const problems = [];
    const m = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(lines[0]);
    if (!m) problems.push(`request line ${JSON.stringify(lines[0])}`);
    const fields = [];
    for (const line of lines.slice(1)) {
      const h = /^([^:]+): (.*)$/.exec(line);
      if (!h || !TOKEN.test(h[1]) || /[\0\r\n]/.test(h[2])) problems.push(`field line ${JSON.stringify(line)}`);
      else fields.push([h[1].toLowerCase(), h[2]]);
    }
    const all = (n) => fields.filter(([k]) => k === n).map(([, v]) => v);
    if (all('host').length !== 1) problems.push('Host count');
    if (all('content-length').length + all('transfer-encoding').length > 1) problems.push('framing ambiguous');
    for (const [k] of fields) if (HOP.has(k)) problems.push(`${k} forwarded`);
    // The only TE an origin may get is "trailers", nominated by Connection (RFC 9110 §10.1.4).
    for (const v of all('te')) if (v !== 'trailers' || !all('connection').includes('TE')) problems.push(`TE ${v} forwarded`);
    for (const v of all('connection')) if (v !== 'TE') problems.push(`Connection ${v} forwarded`);
    let p = headEnd + 4;
    let body = Buffer.alloc(0);
    if (all('transfer-encoding').length === 1) {
      if (all('transfer-encoding')[0] !== 'chunked') problems.push('coding');
      const parts = [];
      let complete = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p, 'latin1');
        if (le === -1) break;
        const size = parseInt(buf.toString('latin1', p, le), 16);
        if (Number.isNaN(size)) {
          problems.push('chunk size');
          break;
        }
        if (buf.length < le + 2 + size + 2) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) return { requests, partial: true };
      body = Buffer.concat(parts);
    } else if (all('content-length').length === 1) {
      const n = Number(all('content-length')[0]);
      if (buf.length < p + n) return { requests, partial: true };
      body = buf.subarray(p, p + n);
      p += n;
    }
    requests.push({ method: m?.[1], target: m?.[2], fields, body: body.toString('latin1'), problems, get: (n) => all(n) });
    pos = p;
  }
  return { requests, partial: pos < buf.length };
}

/** Origin connections: each { bytes, closed }; answers every complete request with 200 "ok". */
function recordingOrigin() {
  const conns = [];
  const originP = startRawOrigin((socket) => {
    const c = { bytes: Buffer.alloc(0), closed: false, answered: 0 };
    conns.push(c);
    socket.on('data', (d) => {
      c.bytes = Buffer.concat([c.bytes, d]);
      const { requests } = parseRequests(c.bytes);
      while (c.answered < requests.length) {
        c.answered++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    socket.on('close', () => (c.closed = true));
    socket.on('error', () => {});
  });
  return { originP, conns };
}

const POST = (path, extra = []) => [[':method', 'POST'], [':scheme', 'http'], [':authority', 'example.test'], [':path', path], ...extra];

/** Requests that must never reach the origin. `expect`: 'reset' (RST_STREAM), or a status. */
const REFUSED = [
  ['uppercase field name', get('/x', 'example.test', [['X-Upper', '1']]), 'reset'],
  ['Connection', get('/x', 'example.test', [['connection', 'close']]), 'reset'],
  ['Keep-Alive', get('/x', 'example.test', [['keep-alive', 'timeout=5']]), 'reset'],
  ['Proxy-Connection', get('/x', 'example.test', [['proxy-connection', 'keep-alive']]), 'reset'],
  ['Transfer-Encoding', POST('/x', [['transfer-encoding', 'chunked']]), 'reset'],
  ['Upgrade', get('/x', 'example.test', [['upgrade', 'websocket']]), 'reset'],
  ['TE gzip', get('/x', 'example.test', [['te', 'gzip']]), 'reset'],
  ['TE trailers, gzip', get('/x', 'example.test', [['te', 'trailers, gzip']]), 'reset'],
  ['missing :path', [[':method', 'GET'], [':scheme', 'http'], [':authority', 'example.test']], 'reset'],
  ['missing :method', [[':scheme', 'http'], [':authority', 'example.test'], [':path', '/x']], 'reset'],
  ['missing :scheme', [[':method', 'GET'], [':authority', 'example.test'], [':path', '/x']], 'reset'],
  ['repeated :method', [[':method', 'GET'], ...get('/x')], 'reset'],
  ['repeated :path', [...get('/x'), [':path', '/y']], 'reset'],
  ['unknown pseudo-header', [...get('/x'), [':protocol', 'websocket']], 'reset'],
  ['response pseudo-header in a request', [...get('/x'), [':status', '200']], 'reset'],
  ['pseudo-header after a field', [[':method', 'GET'], [':scheme', 'http'], ['x-a', '1'], [':authority', 'example.test'], [':path', '/x']], 'reset'],
  ['empty :path', get(''), 'reset'],
  ['absolute-form :path', get('http://evil.test/x'), 'reset'],
  ['asterisk :path on GET', get('*'), 'reset'],
  ['CR LF in :path', get('/x HTTP/1.1\r\nHost: evil.test\r\n\r\nGET /y'), 'reset'],
  ['space in :path', get('/x HTTP/1.1'), 'reset'],
  ['invalid :authority', get('/x', 'evil.test/x'), 'reset'],
  ['OPTIONS * (not proxied, as over HTTP/1.1)', [[':method', 'OPTIONS'], [':scheme', 'http'], [':authority', 'example.test'], [':path', '*']], 400],
  ['CONNECT', [[':method', 'CONNECT'], [':authority', 'evil.test:443']], 405],
  [':authority with userinfo', get('/x', 'user@example.test'), 400],
  [':authority and Host differ', get('/x', 'example.test', [['host', 'evil.test']]), 400],
  // (nghttp2 resets these itself; Barbican's own check answers 400 if it ever lets them through.)
  ['two Host fields', [[':method', 'GET'], [':scheme', 'http'], [':path', '/x'], ['host', 'example.test'], ['host', 'evil.test']], ['reset', 400]],
  ['no :authority and no Host', [[':method', 'GET'], [':scheme', 'http'], [':path', '/x']], ['reset', 400]],
  [':scheme other than http/https', [[':method', 'GET'], [':scheme', 'gopher'], [':authority', 'example.test'], [':path', '/x']], 400],
  ['Content-Length not a number', POST('/x', [['content-length', '1, 1']]), 'reset'],
  ['Content-Length on a request ended by its HEADERS', get('/x', 'example.test', [['content-length', '5']]), 'reset'],
  ['fragment in :path', get('/x#frag'), 400],
  ['dot-segments above the root', get('/../../etc/passwd'), 400],
];

/** Requests that reach the origin, translated; `check(request)` asserts how. */
const FORWARDED = [
  ['TE: trailers is accepted and passed on as HTTP/1.1 says', get('/te', 'example.test', [['te', 'trailers']]), (r) => assert.deepEqual([r.get('te'), r.get('connection')], [['trailers'], ['TE']])],
  ['Host without :authority is the target host', [[':method', 'GET'], [':scheme', 'http'], [':path', '/host'], ['host', 'only-host.test']], (r) => assert.deepEqual(r.get('host'), ['only-host.test'])],
  [':authority and Host equal (case aside) are one Host', get('/same', 'Example.test', [['host', 'example.TEST']]), (r) => assert.deepEqual(r.get('host'), ['Example.test'])],
  ['split cookies are one Cookie joined with "; "', get('/c', 'example.test', [['cookie', 'a=1'], ['cookie', 'b=2']]), (r) => assert.deepEqual(r.get('cookie'), ['a=1; b=2'])],
  ['CR LF in a value never reaches the origin', get('/crlf', 'example.test', [['x-a', 'b\r\nx-injected: 1']]), (r) => assert.deepEqual(r.get('x-injected'), [])],
  ['LF in a value never reaches the origin', get('/lf', 'example.test', [['x-a', 'b\nx-injected: 1']]), (r) => assert.deepEqual(r.get('x-injected'), [])],
  ['NUL in a value never reaches the origin', get('/nul', 'example.test', [['x-a', 'b\0c']]), (r) => assert.ok(!r.fields.some(([, v]) => v.includes('\0')))],
  ['colon in a name never reaches the origin', get('/colon', 'example.test', [['x-a:b', 'c']]), (r) => assert.ok(!r.fields.some(([k]) => k.includes('x-a')))],
  ['space in a name never reaches the origin', get('/space', 'example.test', [['x-a b', 'c']]), (r) => assert.ok(!r.fields.some(([k]) => k.includes('x-a')))],
  ['X-Forwarded-For from the client is replaced', get('/xff', 'example.test', [['x-forwarded-for', '6.6.6.6']]), (r) => assert.deepEqual(r.get('x-forwarded-for'), ['127.0.0.1'])],
];

describe('HTTP/2 → HTTP/1.1 translation (raw frames, raw origin)', () => {
  let origin;
  let conns;
  let proxy;

  before(async () => {
    const o = recordingOrigin();
    origin = await o.originP;
    conns = o.conns;
    proxy = await startProxy({ ...simpleConfig(origin.url), listeners: [{ name: 'web', address: '127.0.0.1:0', h2c: true }] });
  });
  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  /** Every complete request the origin has received so far, with its connection. */
  const received = () => conns.flatMap((c) => parseRequests(c.bytes).requests);

  /** Waits for stream `id` to be answered (HEADERS) or reset; returns { status, reset }. */
  async function outcome(c, id) {
    await c.until((f) => f.some((x) => x.streamId === id && (x.type === TYPE.RST_STREAM || (x.type === TYPE.HEADERS && (x.flags & 0x1 || f.some((y) => y.streamId === id && y.type === TYPE.DATA && y.flags & 0x1))))) || c.goaway() !== undefined);
    return { status: c.status(id), reset: c.reset(id) };
  }

  for (const [name, fields, expected] of REFUSED) {
    it(`refuses: ${name}`, async () => {
      const before = received().length;
      const c = await connectRaw(proxy.port);
      try {
        c.send(headers(1, fields, { endStream: !fields.some(([n]) => n === ':method') || !fields.some(([n, v]) => n === ':method' && v === 'POST') }));
        if (fields.some(([n, v]) => n === ':method' && v === 'POST')) c.send(data(1, 'hello'));
        const got = await outcome(c, 1);
        const allowed = Array.isArray(expected) ? expected : [expected];
        const ok = (allowed.includes('reset') && got.reset === ERROR.PROTOCOL_ERROR) || allowed.includes(got.status);
        assert.ok(ok, `${allowed.join(' or ')} expected, got ${JSON.stringify(got)}`);
        // The connection is still usable: a probe on the next stream reaches the origin.
        c.send(headers(3, get('/probe')));
        const probe = await outcome(c, 3);
        assert.equal(probe.status, 200, `probe answered 200, got ${JSON.stringify(probe)}`);
        await sleep(20);
        const now = received().slice(before);
        assert.deepEqual(now.map((r) => r.target), ['/probe'], 'only the probe reached the origin');
        assert.deepEqual(now[0].problems, []);
      } finally {
        c.close();
      }
    });
  }

  for (const [name, fields, check] of FORWARDED) {
    it(`translates: ${name}`, async () => {
      const before = received().length;
      const c = await connectRaw(proxy.port);
      try {
        c.send(headers(1, fields));
        const got = await outcome(c, 1);
        assert.equal(got.status, 200, JSON.stringify(got));
        await sleep(20);
        const now = received().slice(before);
        assert.equal(now.length, 1);
        assert.deepEqual(now[0].problems, []);
        check(now[0]);
      } finally {
        c.close();
      }
    });
  }

  for (const [name, declared, sent] of [
    ['more DATA than Content-Length', '3', 'hello'],
    ['less DATA than Content-Length', '10', 'hello'],
  ]) {
    it(`never forwards a body that disagrees with Content-Length: ${name}`, async () => {
      const before = received().length;
      const c = await connectRaw(proxy.port);
      try {
        c.send(headers(1, POST('/cl', [['content-length', declared]]), { endStream: false }), data(1, sent));
        const got = await outcome(c, 1);
        assert.ok(got.reset !== undefined || got.status >= 400, JSON.stringify(got));
        c.send(headers(3, get('/probe')));
        assert.equal((await outcome(c, 3)).status, 200);
        await sleep(50);
        const now = received().slice(before);
        assert.deepEqual(now.map((r) => r.target), ['/probe'], 'no complete /cl request at the origin');
        // A connection that carried part of the refused request was closed, never reused.
        for (const conn of conns) {
          const { requests, partial } = parseRequests(conn.bytes);
          if (partial) assert.ok(conn.closed || requests.length === 0, 'a partial request left on an open connection');
        }
      } finally {
        c.close();
      }
    });
  }
});
