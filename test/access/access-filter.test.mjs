// The access filter of a route: rule order (IP → authentication → rate limit), sync and async
// answers, headers set upstream from credentials (stripped from the client first), RateLimit
// fields on admitted responses, and the configuration checks of routes[].access / rateLimit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import bcrypt from 'bcryptjs';
import { createAccessFilter, LimiterRegistry, AccessConfigError } from '../../dist/access/index.js';
import { loadConfigText, formatProblems } from '../../dist/config/index.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const req = (clientIp, headers = {}) => ({ clientIp, method: 'GET', host: 'h', path: '/', query: '', requestId: 'r', req: { scheme: 'http' }, header: (n) => headers[n] });
const jwt = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
const build = (access, rateLimit) => createAccessFilter({ route: 'api', keyPath: 'routes[0]', access, rateLimit, limiters: new LimiterRegistry() });
const jwtConfig = (extra = {}) => ({ secret: SECRET, jwksCacheMaxAge: 600000, jwksCooldown: 30000, jwksTimeout: 5000, clockSkew: 30000, forwardClaims: {}, ...extra });

describe('access filter', () => {
  let dir;
  let keysFile;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-filter-'));
    keysFile = join(dir, 'keys');
    writeFileSync(keysFile, `ci:${createHash('sha256').update('good-key').digest('hex')}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is absent for routes without access or rateLimit', () => {
    assert.equal(build(undefined, undefined), undefined);
  });

  it('IP rules answer synchronously, with one shared continue', () => {
    const f = build({ allow: ['10.0.0.0/8'], deny: ['10.0.0.13'] });
    const ok = f.onRequest(req('10.1.1.1'));
    assert.equal(ok.kind, 'continue');
    assert.equal(f.onRequest(req('10.1.1.2')), ok);
    for (const ip of ['10.0.0.13', '192.168.1.1']) {
      const d = f.onRequest(req(ip));
      assert.equal(d.kind, 'deny');
      assert.equal(d.error.code, 'ACCESS_DENIED');
      assert.equal(d.error.status, 403);
    }
    assert.equal(f.onUpstreamRequest, undefined, 'nothing to do upstream');
    assert.equal(f.onResponse, undefined);
  });

  it('checks IP rules before authentication, authentication before the rate limit', async () => {
    const f = build({ deny: ['10.0.0.13'], apiKeys: { header: 'x-api-key', keysFile } }, { requests: 1, per: 60000, burst: 0, key: 'apiKey', maxKeys: 10 });
    // A denied address is refused by IP even with a valid key, and uses no quota.
    assert.equal(f.onRequest(req('10.0.0.13', { 'x-api-key': 'good-key' })).error.code, 'ACCESS_DENIED');
    // A request without a valid key is refused before it could use up the key's quota.
    assert.equal(f.onRequest(req('1.1.1.1', { 'x-api-key': 'bad' })).error.code, 'UNAUTHORIZED');
    assert.equal(f.onRequest(req('1.1.1.1', { 'x-api-key': 'good-key' })).kind, 'continue');
    // The quota is the key's, whatever the address.
    const d = f.onRequest(req('2.2.2.2', { 'x-api-key': 'good-key' }));
    assert.equal(d.error.code, 'RATE_LIMITED');
  });

  it('every configured authentication must pass', async () => {
    const f = build({ deny: [], apiKeys: { header: 'x-api-key', keysFile }, jwt: jwtConfig() });
    const token = await jwt({ sub: 'alice' });
    assert.equal((await f.onRequest(req('1.1.1.1', { 'x-api-key': 'good-key', authorization: `Bearer ${token}` }))).kind, 'continue');
    assert.equal((await f.onRequest(req('1.1.1.1', { authorization: `Bearer ${token}` }))).error.code, 'UNAUTHORIZED');
    const noToken = await f.onRequest(req('1.1.1.1', { 'x-api-key': 'good-key' }));
    assert.equal(noToken.error.code, 'UNAUTHORIZED');
    assert.deepEqual(noToken.headers, ['WWW-Authenticate', 'Bearer'], 'RFC 6750 §3.1: no error code without a token');
  });

  it('strips forwarded-claim headers from the client request and sets them from the verified token', async () => {
    const f = build({ deny: [], jwt: jwtConfig({ forwardClaims: { sub: 'X-User-Id', roles: 'x-roles', missing: 'x-missing' } }) });
    const token = await jwt({ sub: 'alice', roles: ['admin', 'dev'] });
    const r = req('1.1.1.1', { authorization: `Bearer ${token}` });
    const pending = f.onRequest(r);
    assert.ok(pending instanceof Promise, 'jwt verification is asynchronous');
    assert.equal((await pending).kind, 'continue');
    const forged = ['Host', 'h', 'x-user-id', 'root', 'X-Missing', 'forged', 'X-Roles', 'everything', 'Accept', '*/*'];
    assert.deepEqual(f.onUpstreamRequest(r, forged), ['Host', 'h', 'Accept', '*/*', 'X-User-Id', 'alice', 'x-roles', 'admin, dev']);
    // A request the filter knows nothing about still has the forgeable headers removed.
    assert.deepEqual(f.onUpstreamRequest(req('1.1.1.1'), ['x-user-id', 'root']), []);
  });

  it('adds RateLimit fields to admitted responses only', () => {
    const f = build(undefined, { requests: 10, per: 1000, burst: 4, key: 'ip', maxKeys: 10 });
    const r = req('1.1.1.1');
    assert.equal(f.onRequest(r).kind, 'continue');
    assert.deepEqual(f.onResponse(r, ['A', 'b']), ['A', 'b', 'RateLimit-Policy', '"api";q=10;w=1;barbican-burst=4', 'RateLimit', '"api";r=4;t=1']);
    assert.deepEqual(f.onResponse(req('1.1.1.1'), ['A', 'b']), ['A', 'b'], 'not for a request that was not admitted by it');
  });

  it('refuses bad files at build time, naming the key path and the file', () => {
    const bad = join(dir, 'bad-keys');
    writeFileSync(bad, 'not-a-digest\n');
    assert.throws(() => build({ deny: [], apiKeys: { header: 'x-api-key', keysFile: bad } }), (err) => err instanceof AccessConfigError && err.message.startsWith(`routes[0].access.apiKeys.keysFile: ${bad}:1: expected a SHA-256`));
    const pem = join(dir, 'bad.pem');
    writeFileSync(pem, 'garbage');
    assert.throws(() => build({ deny: [], jwt: jwtConfig({ secret: undefined, publicKeyFile: pem }) }), /routes\[0\]\.access\.jwt\.publicKeyFile: .*not a PEM public key/);
  });

  it('basic auth answers asynchronously the first time, synchronously once cached', async () => {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `alice:${bcrypt.hashSync('pw', 4)}\n`);
    const f = build({ deny: [], basicAuth: { realm: 'R', usersFile: file } });
    const auth = { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` };
    const first = f.onRequest(req('1.1.1.1', auth));
    assert.ok(first instanceof Promise);
    assert.equal((await first).kind, 'continue');
    assert.equal(f.onRequest(req('1.1.1.1', auth)).kind, 'continue');
  });
});

describe('routes[].access and routes[].rateLimit in the config', () => {
  const base = (route) => `
listeners: [{ name: web, address: "127.0.0.1:0" }]
upstreams: { app: { targets: [{ url: "http://127.0.0.1:1" }] } }
routes:
  - name: api
    upstream: app
${route}`;
  const load = (route) => loadConfigText(base(route), 'b.yaml', {});

  it('accepts a full example and fills defaults', () => {
    const result = load(`    access:
      allow: [10.0.0.0/8]
      apiKeys: { keysFile: ./k }
      jwt: { jwksUrl: "https://idp/jwks.json", audiences: [api] }
      forwardAuth: { url: "http://127.0.0.1:9000/verify" }
    rateLimit: { requests: 5, key: apiKey }`);
    assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
    const route = result.config.routes[0];
    assert.deepEqual(route.access.deny, []);
    assert.equal(route.access.apiKeys.header, 'x-api-key');
    assert.equal(route.access.jwt.clockSkew, 30000);
    assert.equal(route.access.jwt.jwksCooldown, 30000);
    assert.deepEqual(route.access.forwardAuth.copyRequestHeaders, ['authorization', 'cookie']);
    assert.equal(route.access.forwardAuth.timeout, 5000);
    assert.deepEqual({ per: route.rateLimit.per, burst: route.rateLimit.burst, maxKeys: route.rateLimit.maxKeys }, { per: 1000, burst: 0, maxKeys: 100000 });
  });

  const problems = [
    ['    access: { allow: [10.0.0.0/33] }', /routes\[0\]\.access\.allow\[0\]: .*IP address or CIDR/],
    ['    access: { allow: [] }', /routes\[0\]\.access\.allow/],
    ['    access: { jwt: { secret: short } }', /at least 32 characters/],
    ['    access: { jwt: { audiences: [a] } }', /exactly one of jwksUrl, secret, publicKeyFile/],
    ['    access: { jwt: { jwksUrl: "https://x/j", algorithms: [HS256] } }', /routes\[0\]\.access\.jwt\.algorithms: HS\* algorithms go with secret/],
    [`    access: { jwt: { secret: "${SECRET}", algorithms: [RS256] } }`, /HS\* algorithms go with secret/],
    [`    access: { jwt: { secret: "${SECRET}", algorithms: [none] } }`, /routes\[0\]\.access\.jwt\.algorithms\[0\]/],
    [`    access: { jwt: { secret: "${SECRET}", forwardClaims: { sub: host } } }`, /header other than Host/],
    [`    access: { basicAuth: { usersFile: x }, jwt: { secret: "${SECRET}" } }`, /basicAuth and jwt both need the Authorization header/],
    ['    access: { basicAuth: { usersFile: x, realm: "a\\"b" } }', /realm without quotes/],
    ['    access: { forwardAuth: { url: "ftp://x" } }', /http\(s\) URL/],
    ['    access: { forwardAuth: { url: "http://x", copyResponseHeaders: [content-length] } }', /header other than Host/],
    ['    rateLimit: { per: 1s }', /routes\[0\]\.rateLimit\.requests/],
    ['    rateLimit: { requests: 1, per: 0s }', /per must be longer than 0/],
    ['    rateLimit: { requests: 1, key: cookie }', /expected ip, apiKey, header:NAME or jwt:CLAIM/],
    ['    rateLimit: { requests: 1, key: "jwt:sub" }', /routes\[0\]\.rateLimit\.key: rateLimit key jwt:CLAIM needs access\.jwt/],
    ['    rateLimit: { requests: 1, key: apiKey }', /needs access\.apiKeys/],
    ['    access: { alow: [10.0.0.0/8] }', /did you mean "allow"/],
  ];
  for (const [route, expected] of problems) {
    it(`refuses ${route.trim()}`, () => {
      const result = load(route);
      assert.equal(result.ok, false);
      assert.match(formatProblems(result.problems), expected);
    });
  }
});
