// Every entry of the smuggling corpus against the real proxy, in front of a raw origin that
// records every byte it receives. Each entry is followed on the same connection by a pipelined
// probe request, so a request that the proxy framed differently from the corpus's intent, or
// anything read after a refusal, would show up at the origin.
//
// Checked on the client side: the statuses of the answers (so exactly one answer for a
// refusal), the error code, and that the connection is closed where the entry requires it.
// Checked on the origin side: nothing at all arrived, or no complete request did, or exactly
// the expected requests did, each re-framed without ambiguity (one Host; Content-Length or
// chunked, never both; no hop-by-hop or Expect header; a canonical request line).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { startProxy, startRawOrigin, simpleConfig } from '../helpers.mjs';
import { CORPUS, CLASSES } from './smuggling-corpus.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Never sent upstream: hop-by-hop (RFC 9110 §7.6.1) or answered by Barbican (Expect). */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect']);

// --- the origin side: a strict parser of what Barbican sends -------------------------------

/**
 * Parses one request from `buf` at `start`. Returns null while it is incomplete, else
 * { end, request } where request has the parts and `problems` (anything ambiguous or not
 * canonical; Barbican must never produce any).
 */
function parseOriginRequest(buf, start) {
  const headEnd = buf.indexOf('\r\n\r\n', start, 'latin1');
  if (headEnd === -1) return null;
  const head = buf.toString('latin1', start, headEnd);
  const problems = [];
  const lines = head.split('\r\n');
  const m = /^(\S+) (\S+) HTTP\/1\.1$/.exec(lines[0]);
  if (m === null || !TOKEN.test(m[1])) problems.push(`request line ${JSON.stringify(lines[0])}`);
  const headers = [];
  for (const line of lines.slice(1)) {
    const h = /^([^:]*): (.*)$/.exec(line);
    if (h === null || !TOKEN.test(h[1]) || /[\0\r\n]/.test(h[2])) {
      problems.push(`header line ${JSON.stringify(line)}`);
      continue;
    }
    headers.push([h[1].toLowerCase(), h[2]]);
  }
  const all = (name) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const hosts = all('host');
  const lengths = all('content-length');
  const codings = all('transfer-encoding');
  if (hosts.length !== 1) problems.push(`${hosts.length} Host headers`);
  if (lengths.length > 1) problems.push('more than one Content-Length');
  if (codings.length > 1) problems.push('more than one Transfer-Encoding');
  if (lengths.length > 0 && codings.length > 0) problems.push('Content-Length and Transfer-Encoding');
  if (codings.length === 1 && codings[0] !== 'chunked') problems.push(`Transfer-Encoding ${codings[0]}`);
  if (lengths.length === 1 && !/^(?:0|[1-9][0-9]*)$/.test(lengths[0])) problems.push(`Content-Length ${lengths[0]}`);
  // A WebSocket handshake carries the Upgrade / Connection pair on purpose (RFC 6455 §4.1).
  const handshake = all('sec-websocket-key').length === 1 && all('upgrade').join() === 'websocket' && all('connection').join() === 'Upgrade';
  for (const [name] of headers) if (NOT_FORWARDED.has(name) && !(handshake && (name === 'upgrade' || name === 'connection'))) problems.push(`${name} header forwarded`);

  let pos = headEnd + 4;
  let body;
  let framing = 'none';
  if (codings.length === 1) {
    framing = 'chunked';
    const parts = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
      if (lineEnd === -1) return null;
      const sizeLine = buf.toString('latin1', pos, lineEnd);
      if (!/^[0-9A-Fa-f]+$/.test(sizeLine)) {
        problems.push(`chunk size line ${JSON.stringify(sizeLine)}`);
        return { end: buf.length, request: { method: m?.[1], target: m?.[2], headers, framing, body: Buffer.alloc(0), problems } };
      }
      const size = parseInt(sizeLine, 16);
      pos = lineEnd + 2;
      if (size === 0) {
        // Barbican sends no trailers: the last chunk is followed by the final CRLF.
        if (buf.length < pos + 2) return null;
        if (buf.toString('latin1', pos, pos + 2) !== '\r\n') problems.push('trailer section sent upstream');
        pos += 2;
        break;
      }
      if (buf.length < pos + size + 2) return null;
      parts.push(buf.subarray(pos, pos + size));
      if (buf.toString('latin1', pos + size, pos + size + 2) !== '\r\n') problems.push('chunk data not followed by CRLF');
      pos += size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    if (lengths.length === 1) framing = 'length';
    const length = lengths.length === 1 ? Number(lengths[0]) : 0;
    if (buf.length < pos + length) return null;
    body = buf.subarray(pos, pos + length);
    pos += length;
  }
  const host = hosts[0];
  return { end: pos, request: { method: m?.[1], target: m?.[2], host, headers, framing, body: Buffer.from(body), problems } };
}

/** A raw origin answering 200 to every complete request and recording bytes and requests. */
async function startRecordingOrigin() {
  const record = { bytes: 0, requests: [] };
  const origin = await startRawOrigin((socket) => {
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      record.bytes += d.length;
      buf = Buffer.concat([buf, d]);
      for (let parsed = parseOriginRequest(buf, 0); parsed !== null; parsed = parseOriginRequest(buf, 0)) {
        buf = buf.subarray(parsed.end);
        record.requests.push(parsed.request);
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  return Object.assign(origin, { record });
}

// --- the client side --------------------------------------------------------------------

/** Parses complete responses from `data` (latin1): { finals: [{status, head, body}], interim: [status] }. */
function parseResponses(data) {
  const finals = [];
  const interim = [];
  let pos = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) break;
    const head = data.slice(pos, headEnd);
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
    pos = headEnd + 4;
    if (status >= 100 && status < 200) {
      interim.push(status);
      continue;
    }
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    if (length === null) break; // every response in these tests has a length
    const end = pos + Number(length[1]);
    if (data.length < end) break;
    finals.push({ status, head, body: data.slice(pos, end) });
    pos = end;
  }
  return { finals, interim };
}

/**
 * Sends `payload` on a new connection. Resolves once the server has closed it, or once
 * `expected` final answers have arrived and nothing more came for a short while (unless
 * `waitClose`), or after a timeout. Returns { data, finals, interim, closed }.
 */
async function exchange(port, payload, { expected, waitClose, timeoutMs = 4000 }) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.write(payload);
  const deadline = performance.now() + timeoutMs;
  let settledAt = 0;
  while (!closed && performance.now() < deadline) {
    await sleep(5);
    if (waitClose) continue;
    if (parseResponses(data).finals.length >= expected) {
      settledAt ||= performance.now();
      if (performance.now() - settledAt >= 40) break; // a surplus answer would show by now
    }
  }
  socket.destroy();
  return { data, closed, ...parseResponses(data) };
}

// --- the corpus -------------------------------------------------------------------------

describe('smuggling corpus: the data', () => {
  it('has at least 40 entries, unique names, and covers every class', () => {
    assert.ok(CORPUS.length >= 40, `${CORPUS.length} entries`);
    assert.equal(new Set(CORPUS.map((e) => e.name)).size, CORPUS.length, 'names are unique');
    for (const c of CLASSES) assert.ok(CORPUS.some((e) => e.class === c), `class ${c} has an entry`);
    for (const e of CORPUS) assert.ok(CLASSES.includes(e.class), `${e.name}: known class ${e.class}`);
  });
});

describe('smuggling corpus against the real proxy', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startRecordingOrigin();
    proxy = await startProxy(
      simpleConfig(origin.url, { maxBodyBytes: 1024 }, {
        server: { limits: { maxHeaderBytes: '2KiB', headersTimeout: '2s', requestTimeout: '3s', keepAliveTimeout: '2s' } },
      }),
    );
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  CORPUS.forEach((entry, index) => {
    const statuses = [entry.status].flat();
    it(`${entry.class}: ${entry.name} → ${statuses.join(', ')}${entry.close ? ' + close' : ''}`, async () => {
      const probe = `GET /__probe/${index} HTTP/1.1\r\nHost: probe.test\r\n\r\n`;
      const forwards = Array.isArray(entry.origin);
      // The probe is answered only when the connection stays open after the entry.
      const expectedStatuses = forwards && !entry.close ? [...statuses, 200] : statuses;
      const bytesBefore = origin.record.bytes;
      const requestsBefore = origin.record.requests.length;

      const res = await exchange(proxy.port, Buffer.from(entry.raw + probe, 'latin1'), {
        expected: expectedStatuses.length,
        waitClose: entry.close,
      });
      await sleep(20); // anything on its way to the origin has arrived by now (the last two tests catch stragglers)
      const show = `\n--- client received ---\n${res.data}`;

      // Client side.
      assert.deepEqual(res.finals.map((r) => r.status), expectedStatuses, `statuses${show}`);
      if (entry.code) {
        const refusal = res.finals.find((r) => r.status >= 400);
        assert.match(refusal.body, new RegExp(`^code: ${entry.code}$`, 'm'), `error code${show}`);
        assert.match(refusal.head, /\r\nX-Request-Id: \S+/i, 'the refusal carries a request id');
      }
      if (entry.close) {
        assert.equal(res.closed, true, `the proxy closed the connection${show}`);
        assert.match(res.finals.at(-1).head, /\r\nConnection: close(\r\n|$)/i, `the last answer says Connection: close${show}`);
      }
      if (entry.forbid) assert.doesNotMatch(res.data, entry.forbid, show);

      // Origin side.
      const received = origin.record.requests.slice(requestsBefore);
      const seen = `\n--- origin received ---\n${received.map((r) => `${r.method} ${r.target} (${r.framing}, ${r.body.length} body bytes)`).join('\n')}`;
      if (entry.origin === 'nothing') {
        assert.equal(origin.record.bytes - bytesBefore, 0, `not one byte reached the origin${seen}`);
      } else if (entry.origin === 'no-complete-request') {
        assert.deepEqual(received, [], `no complete request reached the origin${seen}`);
      } else {
        const expectedRequests = entry.close ? entry.origin : [...entry.origin, { method: 'GET', target: `/__probe/${index}`, host: 'probe.test', framing: 'none' }];
        assert.equal(received.length, expectedRequests.length, `the origin got exactly the expected requests${seen}`);
        expectedRequests.forEach((want, i) => {
          const got = received[i];
          assert.deepEqual(got.problems, [], `request ${i} is unambiguous`);
          assert.equal(got.method, want.method, `request ${i} method`);
          assert.equal(got.target, want.target, `request ${i} target`);
          if (want.host !== undefined) assert.equal(got.host, want.host, `request ${i} Host`);
          if (want.framing !== undefined) assert.equal(got.framing, want.framing, `request ${i} framing`);
          for (const [name, value] of Object.entries(want.headers ?? {})) {
            assert.deepEqual(got.headers.filter(([n]) => n === name).map(([, v]) => v), [value], `request ${i} header ${name}`);
          }
          assert.equal(got.body.toString('latin1'), want.body ?? '', `request ${i} body`);
        });
      }
    });
  });

  it('every request the origin ever received was unambiguous', () => {
    const bad = origin.record.requests.filter((r) => r.problems.length > 0);
    assert.deepEqual(bad.map((r) => [r.target, r.problems]), []);
    assert.ok(origin.record.requests.length > 0, 'the control entries did reach the origin');
  });

  it('no probe behind a refused entry ever reached the origin', () => {
    const probes = new Set(origin.record.requests.map((r) => r.target).filter((t) => t.startsWith('/__probe/')));
    CORPUS.forEach((entry, index) => {
      if (!Array.isArray(entry.origin) || entry.close) {
        assert.ok(!probes.has(`/__probe/${index}`), `probe after "${entry.name}"`);
      }
    });
    assert.ok(!origin.record.requests.some((r) => r.target === '/smuggled'), 'no smuggled request got through');
  });
});
