// Upstream response heads are read by SimpleResponseHead when they are simple and llhttp is
// fresh, else by llhttp (upstream-connection.ts). One pooled connection here takes responses of
// every kind in turn, so each path follows the other: the relayed responses must be exact, and
// the connection reused until the target says close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, simpleConfig, startProxy, startRawOrigin } from '../helpers.mjs';

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// Each answer is a list of writes (latin1), sent 30 ms apart; `close` ends the connection after.
const ANSWERS = [
  { parts: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Seq: 1\r\n\r\nfirst'], body: 'first' },
  { parts: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Seq: 2\r\n\r\n6\r\nsecond\r\n0\r\n\r\n'], body: 'second' },
  // Not simple (obs-text): llhttp reads it, then is set up afresh after the raw body.
  { parts: ['HTTP/1.1 200 OK\r\nX-Seq: 3\r\nX-Name: caf\u00e9\r\nContent-Length: 5\r\n\r\nthird'], body: 'third', name: 'caf\u00e9' },
  { parts: ['HTTP/1.1 201 Created\r\nContent-Length: 6\r\nX-Seq: 4\r\n\r\nfourth'], body: 'fourth', status: 201 },
  // The body arrives over two reads.
  { parts: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Seq: 5\r\n\r\nfif', 'th-body'], body: 'fifth-body' },
  // The head arrives over two reads: llhttp's (it keeps the first part).
  { parts: ['HTTP/1.1 200 OK\r\nX-Se', 'q: 6\r\nContent-Length: 5\r\n\r\nsixth'], body: 'sixth' },
  { parts: ['HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Seq: 7\r\n\r\nseventh'], body: 'seventh' },
  { method: 'HEAD', parts: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Seq: 8\r\n\r\n'], body: '' },
  { parts: ['HTTP/1.1 404 Not Found\r\nContent-Length: 6\r\nX-Seq: 9\r\nConnection: close\r\n\r\nninth!'], body: 'ninth!', status: 404, close: true },
  { parts: ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Seq: 10\r\n\r\ntenth'], body: 'tenth' },
];

test('responses read by either path, one after another on one connection, are relayed exactly', async () => {
  let next = 0;
  let accepted = 0;
  const origin = await startRawOrigin((socket) => {
    accepted++;
    let pending = '';
    socket.on('data', async (d) => {
      pending += d.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        const answer = ANSWERS[next++];
        for (let i = 0; i < answer.parts.length; i++) {
          if (i > 0) await wait(30);
          socket.write(Buffer.from(answer.parts[i], 'latin1'));
        }
        if (answer.close) socket.end();
      }
    });
  });
  const proxy = await startProxy(simpleConfig(origin.url));
  try {
    for (let i = 0; i < ANSWERS.length; i++) {
      const answer = ANSWERS[i];
      const res = await request(`${proxy.url}/r${i + 1}`, { method: answer.method ?? 'GET' });
      assert.equal(res.status, answer.status ?? 200, `response ${i + 1}`);
      assert.equal(res.body.toString('latin1'), answer.body, `response ${i + 1} body`);
      assert.equal(res.headers['x-seq'], i === 7 ? '8' : String(i + 1), `response ${i + 1} is the one sent`);
      if (answer.name !== undefined) assert.equal(res.headers['x-name'], answer.name);
      if (answer.method === 'HEAD') assert.equal(res.headers['content-length'], '5');
    }
    // Nine answers on the first connection; the target closed it after the ninth.
    assert.equal(accepted, 2);
  } finally {
    await proxy.close();
    await origin.close();
  }
});
