// JWT through the real proxy (RFC 7519, RFC 8725, RFC 6750): a local JWKS server (node:http
// serving jose-exported keys) with key rotation, a shared secret and a PEM public key; tokens
// signed with the wrong key, expired, for another audience or issuer, with alg none or an HMAC
// made from the public key; forged forwardClaims headers; a JWKS endpoint that is down.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { startOrigin, startProxy, request, deadAddress } from '../helpers.mjs';

const ISSUER = 'https://issuer.test/';
const SECRET = 'shared-secret-for-the-internal-route-0123456789';
const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A JWKS server: serves `keys` (replaceable) and counts fetches. */
async function startJwks() {
  const state = { keys: [], fetches: 0 };
  const server = http.createServer((req, res) => {
    state.fetches++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { state, url: `http://127.0.0.1:${server.address().port}/jwks.json`, close: () => new Promise((r) => server.close(r)) };
}

async function keyPair(alg, kid) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { privateKey, publicKey, jwk, kid, alg };
}

function sign(key, claims = {}, { aud = 'api', iss = ISSUER, exp = '5m', header = {} } = {}) {
  let jwt = new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).setIssuedAt();
  if (aud) jwt = jwt.setAudience(aud);
  if (iss) jwt = jwt.setIssuer(iss);
  if (exp !== null) jwt = jwt.setExpirationTime(exp);
  return jwt.sign(key.privateKey);
}

describe('access: jwt', () => {
  let origin;
  let proxy;
  let jwks;
  let dir;
  let k1;
  let k2;
  let ec;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-jwt-'));
    [k1, k2, ec] = await Promise.all([keyPair('RS256', 'k1'), keyPair('RS256', 'k2'), keyPair('ES256', 'ec')]);
    jwks = await startJwks();
    jwks.state.keys = [k1.jwk];
    const pem = join(dir, 'issuer.pem');
    writeFileSync(pem, await exportSPKI(ec.publicKey));
    origin = await startOrigin();
    const dead = await deadAddress();
    const jwtBase = { issuer: ISSUER, audiences: ['api', 'api2'] };
    proxy = await startProxy({
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [
        { name: 'jwks', match: { pathPrefix: '/jwks/' }, upstream: 'origin', access: { jwt: { ...jwtBase, jwksUrl: jwks.url, jwksCooldown: '0s', forwardClaims: { sub: 'x-user-id', roles: 'x-user-roles' } } } },
        { name: 'secret', match: { pathPrefix: '/secret/' }, upstream: 'origin', access: { jwt: { secret: SECRET, issuer: ISSUER, forwardClaims: { sub: 'x-user-id' } } } },
        { name: 'pem', match: { pathPrefix: '/pem/' }, upstream: 'origin', access: { jwt: { ...jwtBase, publicKeyFile: pem, algorithms: ['ES256'] } } },
        { name: 'down', match: { pathPrefix: '/down/' }, upstream: 'origin', access: { jwt: { ...jwtBase, jwksUrl: `${dead}/jwks.json`, jwksTimeout: '1s' } } },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    await jwks?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path, token, headers = {}) => request(`${proxy.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  async function refused(path, token, why, headers) {
    const before = origin.requests.length;
    const res = await get(path, token, headers);
    assert.equal(res.status, 401, why);
    assert.equal(origin.requests.length, before, `${why}: the origin received the request`);
    return res;
  }

  it('a valid token gets through; claims go upstream and forged claim headers are replaced', async () => {
    const res = await get('/jwks/a', await sign(k1, { roles: ['admin', 'dev'] }), { 'x-user-id': 'root', 'X-User-Roles': 'everything' });
    assert.equal(res.status, 200);
    const seen = origin.requests.at(-1);
    assert.equal(seen.headers['x-user-id'], 'alice');
    assert.equal(seen.headers['x-user-roles'], 'admin, dev');
    assert.equal(seen.rawHeaders.filter((h) => /^x-user-(id|roles)$/i.test(h)).length, 2, 'one of each, the forged ones removed');
  });

  it('a forged claim header is removed even when the token lacks that claim', async () => {
    const res = await get('/jwks/b', await sign(k1), { 'x-user-roles': 'admin' });
    assert.equal(res.status, 200);
    assert.equal(origin.requests.at(-1).headers['x-user-roles'], undefined);
  });

  it('no token: 401 with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const res = await refused('/jwks/c', undefined, 'no token');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.match(res.body.toString(), /code: UNAUTHORIZED/);
  });

  it('bad tokens: 401 with error="invalid_token" and nothing sent upstream', async () => {
    const other = await keyPair('RS256', 'k1'); // same kid, different key
    const now = Math.floor(Date.now() / 1000);
    const header = b64url({ alg: 'none', typ: 'JWT' });
    const payload = b64url({ sub: 'alice', aud: 'api', iss: ISSUER, exp: now + 300 });
    const valid = await sign(k1);
    const [h, p, s] = valid.split('.');
    const tampered = `${h}.${b64url({ sub: 'admin', aud: 'api', iss: ISSUER, exp: now + 300 })}.${s}`;
    const cases = [
      [await sign(other), 'signed with the wrong key'],
      [await sign(k1, {}, { exp: now - 120 }), 'expired beyond the clock skew'],
      [await sign(k1, {}, { aud: 'other' }), 'wrong audience'],
      [await sign(k1, {}, { aud: null }), 'no audience'],
      [await sign(k1, {}, { iss: 'https://evil.test/' }), 'wrong issuer'],
      [`${header}.${payload}.`, 'alg none'],
      [tampered, 'payload changed after signing'],
      [`${h}.${p}`, 'two parts'],
      ['not-a-jwt', 'garbage'],
      [await sign(k1, { nbf: now + 600 }), 'not valid yet'],
    ];
    for (const [token, why] of cases) {
      const res = await refused('/jwks/d', token, why);
      assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"', why);
    }
  });

  it('a token within the clock skew is accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await get('/jwks/e', await sign(k1, {}, { exp: now - 10 }))).status, 200);
  });

  it('HS256 made with the public key as secret is refused (algorithm confusion, RFC 8725 §2.1)', async () => {
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey(await exportSPKI(k1.publicKey)).export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT({ sub: 'admin', aud: 'api', iss: ISSUER }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setExpirationTime('5m').sign(new TextEncoder().encode(pem));
    await refused('/jwks/f', token, 'HS256 with the public key');
  });

  it('keys are cached; an unknown kid makes Barbican fetch the key set again (rotation)', async () => {
    const fetches = jwks.state.fetches;
    for (let i = 0; i < 3; i++) assert.equal((await get('/jwks/g', await sign(k1))).status, 200);
    assert.equal(jwks.state.fetches, fetches, 'the cached key set is used');
    // The issuer rotates to k2: a k2 token has a kid Barbican has not seen.
    jwks.state.keys = [k1.jwk, k2.jwk];
    assert.equal((await get('/jwks/h', await sign(k2))).status, 200);
    assert.equal(jwks.state.fetches, fetches + 1, 'one refetch for the unknown kid');
    // k1 is retired: tokens with it stop working once the new set is fetched.
    jwks.state.keys = [k2.jwk];
    const k3 = await keyPair('RS256', 'k3');
    await refused('/jwks/i', await sign(k3), 'kid not in the set even after a refetch');
    await refused('/jwks/j', await sign(k1), 'retired key');
    assert.equal((await get('/jwks/k', await sign(k2))).status, 200);
  });

  it('a shared secret (HS256) route', async () => {
    const secret = new TextEncoder().encode(SECRET);
    const good = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setExpirationTime('1m').sign(secret);
    const res = await get('/secret/a', good, { 'x-user-id': 'forged' });
    assert.equal(res.status, 200);
    assert.equal(origin.requests.at(-1).headers['x-user-id'], 'svc');
    const wrong = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setExpirationTime('1m').sign(new TextEncoder().encode(`${SECRET}x`));
    await refused('/secret/b', wrong, 'other secret');
    await refused('/secret/c', await sign(k1, {}, { aud: null }), 'RS256 on an HS256 route');
  });

  it('a PEM public key (ES256) route', async () => {
    assert.equal((await get('/pem/a', await sign(ec))).status, 200);
    await refused('/pem/b', await sign(k1), 'RS256 not in algorithms');
    await refused('/pem/c', await sign(await keyPair('ES256', 'ec')), 'another EC key');
  });

  it('a key set that cannot be fetched is 503, never access', async () => {
    const before = origin.requests.length;
    const res = await get('/down/a', await sign(k1));
    assert.equal(res.status, 503);
    assert.match(res.body.toString(), /code: AUTH_SERVICE_UNAVAILABLE/);
    assert.equal(origin.requests.length, before);
  });
});
