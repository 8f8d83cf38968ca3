// Client request heads are read by SimpleRequestHead when they are simple and llhttp is fresh,
// else by llhttp, which is set up afresh after a head with a Content-Length body
// (server/http1-connection.ts). One client connection here sends requests of every kind in
// turn, some pipelined in one write, some split across writes, so each path follows the
// other: the origin must receive exactly what was sent, in order, and each answer must be the
// answer to its request. And after a refused request nothing, not even its body, is read.
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { simpleConfig, startOrigin, startProxy } from '../helpers.mjs';

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads Content-Length framed responses off a socket: next() resolves { status, headers, body };
 * next(true) reads the answer to a HEAD (its Content-Length names a body that is not sent).
 */
function responseReader(socket) {
  let data = Buffer.alloc(0);
  let closed = false;
  const waiters = [];
  const pump = () => {
    while (waiters.length > 0) {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) break;
      const lines = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = {};
      for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const length = waiters[0].head ? 0 : Number(headers['content-length']);
      if (data.length < end + 4 + length) break;
      const body = data.subarray(end + 4, end + 4 + length).toString('latin1');
      data = data.subarray(end + 4 + length);
      waiters.shift().resolve({ status: Number(lines[0].split(' ')[1]), headers, body });
    }
    if (closed) for (const w of waiters.splice(0)) w.reject(new Error(`connection closed; unread: ${JSON.stringify(data.toString('latin1'))}`));
  };
  socket.on('data', (d) => {
    data = Buffer.concat([data, d]);
    pump();
  });
  socket.on('close', () => {
    closed = true;
    pump();
  });
  return {
    next: (head = false) => new Promise((resolve, reject) => (waiters.push({ resolve, reject, head }), pump())),
    get closed() {
      return closed;
    },
  };
}

// Each step: the writes (latin1, 20 ms apart), and the requests they hold as the origin must
// see them. Which reader takes a head: the fast path while llhttp is fresh; llhttp from the
// first head the fast path declines until a Content-Length body, after which llhttp is set up
// afresh. The comments say which one each head meets.
const STEPS = [
  { writes: ['GET /s1 HTTP/1.1\r\nHost: a\r\n\r\n'], expect: [['GET', '/s1', 0]] }, // fast path
  // obs-text: llhttp's, and llhttp keeps the connection's heads from here on…
  { writes: ['GET /s2 HTTP/1.1\r\nHost: a\r\nX-Name: caf\u00e9\r\n\r\n'], expect: [['GET', '/s2', 0, 'caf\u00e9']] },
  // … until a Content-Length body: llhttp stops at this head and is set up afresh.
  { writes: ['POST /s3 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'], expect: [['POST', '/s3', 3]] },
  { writes: ['GET /s4 HTTP/1.1\r\nHost: a\r\n\r\n'], expect: [['GET', '/s4', 0]] }, // fast path
  // fast path; a Content-Length body over two writes, relayed raw.
  { writes: ['POST /s5 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello', 'world'], expect: [['POST', '/s5', 10]] },
  // Chunked: llhttp reads the head and frames the body.
  { writes: ['POST /s6 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'], expect: [['POST', '/s6', 3]] },
  { writes: ['GET /s7 HTTP/1.1\r\nHost: a\r\n\r\n'], expect: [['GET', '/s7', 0]] }, // llhttp
  // Pipelined in one write: llhttp (a Content-Length body: then afresh), fast path, llhttp (an
  // empty value), llhttp.
  {
    writes: [
      'PUT /s8 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nGET ' +
        'GET /s9 HTTP/1.1\r\nHost: a\r\n\r\n' +
        'GET /s10 HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n' +
        'DELETE /s11 HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    expect: [
      ['PUT', '/s8', 4],
      ['GET', '/s9', 0],
      ['GET', '/s10', 0],
      ['DELETE', '/s11', 0],
    ],
  },
  // A head split across writes: llhttp's (it keeps the first part), with a body: then afresh.
  { writes: ['PATCH /s12 HTTP/1.1\r\nHo', 'st: a\r\nContent-Length: 2\r\n\r\n{}'], expect: [['PATCH', '/s12', 2]] },
  { writes: ['HEAD /s13 HTTP/1.1\r\nHost: a\r\n\r\n'], expect: [['HEAD', '/s13', 0]], head: true }, // fast path
  // fast path; the head split across writes: declined, llhttp's.
  { writes: ['GET /s14?x=%41&y=[1] HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /s15 HTTP/1.1\r\nHo', 'st: a\r\n\r\n'], expect: [['GET', '/s14?x=%41&y=[1]', 0], ['GET', '/s15', 0]] },
];

test('requests read by either path, one after another on one connection, reach the origin exactly', async () => {
  const origin = await startOrigin((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      const answer = Buffer.from(`${req.method} ${req.url} ${body}`, 'latin1');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': answer.length, 'x-name': req.headers['x-name'] ?? '-' });
      res.end(req.method === 'HEAD' ? undefined : answer);
    });
  });
  const proxy = await startProxy(simpleConfig(origin.url));
  const socket = net.connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  const reader = responseReader(socket);
  try {
    let seen = 0;
    for (const step of STEPS) {
      for (let i = 0; i < step.writes.length; i++) {
        if (i > 0) await wait(20);
        socket.write(Buffer.from(step.writes[i], 'latin1'));
      }
      for (const [method, url, length, name] of step.expect) {
        const res = await reader.next(step.head === true);
        assert.equal(res.status, 200, `${url}`);
        assert.notEqual(res.headers.connection, 'close', `${url}: the connection stays open`);
        const sent = origin.requests[seen++];
        assert.equal(`${sent.method} ${sent.url}`, `${method} ${url}`, 'the origin saw the requests in order');
        if (!step.head) {
          assert.match(res.body, new RegExp(`^${method} ${url.replace(/[?[\]]/g, '\\$&')} `), `${url}: its own answer`);
          assert.equal(res.body.length - `${method} ${url} `.length, length, `${url}: body length`);
        }
        if (name !== undefined) assert.equal(res.headers['x-name'], name, `${url}: obs-text relayed`);
      }
    }
    assert.equal(origin.requests.length, seen);
    assert.equal(origin.requests[7].method, 'PUT');
    assert.equal(origin.requests[11].method, 'PATCH');
    assert.equal(reader.closed, false);
  } finally {
    socket.destroy();
    await proxy.close();
    await origin.close();
  }
});

test('after a refused request nothing more is read: its body never reaches the origin as a request', async () => {
  const origin = await startOrigin((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('ok'), req.url === '/slow' ? 200 : 0));
  });
  const proxy = await startProxy(simpleConfig(origin.url));
  try {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
    const cases = [
      // Refused by the head checks (417), on the fast path's head.
      { head: `POST /r1 HTTP/1.1\r\nHost: a\r\nExpect: bogus\r\nContent-Length: ${smuggled.length}\r\n\r\n`, status: 417 },
      // Refused by the guard in the pipeline (two Hosts: 400).
      { head: `POST /r2 HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: ${smuggled.length}\r\n\r\n`, status: 400 },
      // Refused on llhttp's path (obs-text makes it llhttp's).
      { head: `POST /r3 HTTP/1.1\r\nHost: a\r\nX-A: caf\u00e9\r\nExpect: bogus\r\nContent-Length: ${smuggled.length}\r\n\r\n`, status: 417 },
      // Refused while another request is answered: it waits its turn, and so does nothing behind it.
      { before: 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n', head: `POST /r4 HTTP/1.1\r\nHost: a\r\nExpect: bogus\r\nContent-Length: ${smuggled.length}\r\n\r\n`, status: 417 },
    ];
    for (const { before, head, status } of cases) {
      const socket = net.connect(proxy.port, '127.0.0.1');
      await once(socket, 'connect');
      const reader = responseReader(socket);
      // The body, then a request behind it, in the same write and in a later one.
      socket.write(Buffer.from((before ?? '') + head + smuggled + smuggled, 'latin1'));
      if (before !== undefined) assert.equal((await reader.next()).status, 200);
      const res = await reader.next();
      assert.equal(res.status, status, head);
      socket.write(smuggled);
      await Promise.race([once(socket, 'close'), wait(3000)]);
      assert.equal(reader.closed, true, 'the connection is closed after the refusal');
      socket.destroy();
    }
    // One more request on a fresh connection, so the origin has certainly seen all it will see.
    const socket = net.connect(proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    const reader = responseReader(socket);
    socket.write('GET /after HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await reader.next()).status, 200);
    socket.destroy();
    assert.deepEqual(
      origin.requests.map((r) => r.url),
      ['/slow', '/after'],
    );
  } finally {
    await proxy.close();
    await origin.close();
  }
});
