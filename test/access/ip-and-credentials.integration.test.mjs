// IP rules, basic auth and API keys through the real proxy, with an origin that records what it
// receives: each rule admits and refuses as configured, a forged X-Forwarded-For from a peer
// that is not a trusted proxy changes nothing, refused requests never reach the origin, and an
// early answer to a request whose body was not read leaves the connection closed cleanly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { hashScryptPassword } from '../../dist/access/index.js';
import { startOrigin, startProxy, rawRequest } from '../helpers.mjs';

/** GET/POST through the proxy, optionally from another loopback source address. */
function send(port, path, { headers = {}, method = 'GET', body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false, localAddress }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

describe('access: IP rules, basic auth, API keys', () => {
  let origin;
  let proxy;
  let dir;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-access-it-'));
    const users = join(dir, 'htpasswd');
    writeFileSync(users, `# staff\nalice:${bcrypt.hashSync('wonderland', 10).replace('$2b$', '$2y$')}\nbob:${await hashScryptPassword('builder', 14)}\ncarol:${bcrypt.hashSync('cached', 10)}\n`);
    const keys = join(dir, 'keys');
    writeFileSync(keys, `ci:${sha256('key-for-ci')}\n${sha256('anonymous-key')}\n`);
    origin = await startOrigin();
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        { name: 'allow-local', match: { pathPrefix: '/local/' }, upstream: 'origin', access: { allow: ['127.0.0.0/8'], deny: ['127.0.0.2'] } },
        { name: 'allow-ten', match: { pathPrefix: '/ten/' }, upstream: 'origin', access: { allow: ['10.0.0.0/8'] } },
        { name: 'staff', match: { pathPrefix: '/staff/' }, upstream: 'origin', access: { basicAuth: { realm: 'Staff area', usersFile: users } } },
        { name: 'keys', match: { pathPrefix: '/keys/' }, upstream: 'origin', access: { apiKeys: { header: 'x-api-key', query: 'api_key', keysFile: keys } } },
        { name: 'fixed', match: { pathPrefix: '/fixed/' }, respond: { status: 200, body: 'fixed\n' }, access: { allow: ['10.0.0.0/8'] } },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Asserts that the origin received nothing while `fn` ran. */
  async function originSeesNothing(fn) {
    const before = origin.requests.length;
    await fn();
    assert.equal(origin.requests.length, before, 'the origin received a refused request');
  }

  it('allows addresses in the allow list and refuses the denied one (deny wins)', async () => {
    const ok = await send(proxy.port, '/local/a');
    assert.equal(ok.status, 200);
    assert.equal(origin.requests.at(-1).url, '/local/a');
    await originSeesNothing(async () => {
      const denied = await send(proxy.port, '/local/b', { localAddress: '127.0.0.2' });
      assert.equal(denied.status, 403);
      assert.match(denied.body, /code: ACCESS_DENIED/);
      assert.equal(denied.headers['cache-control'], 'no-store');
      assert.ok(denied.headers['x-request-id']);
    });
  });

  it('a forged X-Forwarded-For from an untrusted peer does not get past an allow list', async () => {
    await originSeesNothing(async () => {
      for (const xff of ['10.1.2.3', '10.1.2.3, 10.0.0.1', '::ffff:10.1.2.3']) {
        const res = await send(proxy.port, '/ten/x', { headers: { 'x-forwarded-for': xff } });
        assert.equal(res.status, 403, xff);
      }
    });
    // And a denied client cannot pretend to be someone allowed.
    const res = await send(proxy.port, '/local/c', { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(res.status, 403);
  });

  it('applies to routes answered by Barbican itself', async () => {
    const res = await send(proxy.port, '/fixed/');
    assert.equal(res.status, 403);
  });

  it('basic auth: bcrypt ($2y$) and scrypt users get in, everyone else gets a 401 challenge', async () => {
    for (const [user, pass] of [['alice', 'wonderland'], ['bob', 'builder']]) {
      const res = await send(proxy.port, '/staff/x', { headers: { authorization: basic(user, pass) } });
      assert.equal(res.status, 200, user);
      assert.equal(JSON.parse(res.body).headers.authorization, basic(user, pass), 'credentials are passed on to the origin');
    }
    await originSeesNothing(async () => {
      for (const authorization of [undefined, basic('alice', 'Wonderland'), basic('mallory', 'wonderland'), basic('bob', ''), 'Basic !!', 'Bearer x']) {
        const res = await send(proxy.port, '/staff/x', { headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401, String(authorization));
        assert.equal(res.headers['www-authenticate'], 'Basic realm="Staff area", charset="UTF-8"');
        assert.match(res.body, /code: UNAUTHORIZED/);
      }
    });
  });

  it('basic auth: a success is cached, so bcrypt runs once per user and password', async (t) => {
    // Figures only (tests assert behaviour, not speed): carol is used by no other test.
    const headers = { authorization: basic('carol', 'cached') };
    const times = [];
    for (let i = 0; i < 21; i++) {
      const start = performance.now();
      assert.equal((await send(proxy.port, '/staff/y', { headers })).status, 200);
      times.push(performance.now() - start);
    }
    const first = times.shift();
    t.diagnostic(`bcrypt cost 10: first request ${first.toFixed(1)} ms, cached median ${times.sort((a, b) => a - b)[10].toFixed(2)} ms`);
  });

  it('API keys: by header or query parameter; a missing or unknown key gets 401', async () => {
    assert.equal((await send(proxy.port, '/keys/a', { headers: { 'x-api-key': 'key-for-ci' } })).status, 200);
    assert.equal((await send(proxy.port, '/keys/a', { headers: { 'x-api-key': 'anonymous-key' } })).status, 200);
    assert.equal((await send(proxy.port, '/keys/b?api_key=key-for-ci')).status, 200);
    await originSeesNothing(async () => {
      for (const [path, headers] of [['/keys/c', {}], ['/keys/c', { 'x-api-key': 'wrong' }], ['/keys/c', { 'x-api-key': sha256('key-for-ci') }], ['/keys/c?api_key=wrong', {}]]) {
        const res = await send(proxy.port, path, { headers });
        assert.equal(res.status, 401, JSON.stringify([path, headers]));
        assert.equal(res.headers['www-authenticate'], 'ApiKey header="x-api-key", query="api_key"');
      }
    });
  });

  it('a refusal logs its code in the access log', async () => {
    await send(proxy.port, '/keys/logged');
    const [line] = await proxy.waitForLog((l) => l.path === '/keys/logged');
    assert.equal(line.status, 401);
    assert.equal(line.error, 'UNAUTHORIZED');
    assert.equal(line.route, 'keys');
  });

  it('an early 401 to a request with an unread body closes the connection cleanly', async () => {
    await originSeesNothing(async () => {
      // Head and a part of a 100 kB body: the answer comes before the body is read.
      const head = 'POST /staff/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n';
      const { data, closed } = await rawRequest(proxy.port, head + 'x'.repeat(1000), { idleMs: 3000 });
      assert.match(data, /^HTTP\/1\.1 401 /);
      assert.match(data, /\r\nConnection: close\r\n/i);
      assert.equal(closed, true, 'the connection is closed, not left waiting for the body');
    });
  });

  it('after a refusal, a request without a body keeps the connection; one with a body closes it', async () => {
    const refused = 'GET /keys/a HTTP/1.1\r\nHost: x\r\n\r\n';
    const next = 'GET /keys/a HTTP/1.1\r\nHost: x\r\nX-Api-Key: key-for-ci\r\nConnection: close\r\n\r\n';
    let { data } = await rawRequest(proxy.port, refused + next, { idleMs: 2000 });
    assert.deepEqual([...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])), [401, 200]);
    // The server answers before llhttp has read the body (even one in the same packet), so it
    // cannot reuse the connection: it says Connection: close and nothing pipelined is handled.
    const withBody = 'POST /keys/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
    ({ data } = await rawRequest(proxy.port, withBody + next, { idleMs: 2000 }));
    assert.deepEqual([...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])), [401]);
    assert.match(data, /\r\nConnection: close\r\n/i);
  });
});
