// Credential formats of the access rules: htpasswd files (bcrypt and scrypt accepted, every weak
// or unknown format refused with its line), Basic credentials (RFC 7617), the verification
// cache, API key files and digests, bearer tokens (RFC 6750) and claim header values.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import {
  parseHtpasswd, parsePasswordHash, verifyPassword, hashScryptPassword, parseBasicCredentials, VerificationCache,
  parseApiKeys, matchApiKey, bearerToken, claimHeaderValue, createBasicAuthRule, createApiKeysRule, AccessContext, AccessConfigError,
} from '../../dist/access/index.js';

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
/** A minimal AccessRequest. */
const requestWith = (headers = {}, extra = {}) => ({
  clientIp: '127.0.0.1', method: 'GET', host: 'example.com', path: '/', query: '', requestId: 'r1', req: { scheme: 'http' },
  header: (name) => headers[name],
  ...extra,
});

describe('password hashes', () => {
  let scryptHash;
  const bcryptHash = bcrypt.hashSync('s3cret', 4); // $2b$

  before(async () => {
    scryptHash = await hashScryptPassword('s3cret', 10);
  });

  it('accepts bcrypt in all three prefixes and checks the password', async () => {
    for (const prefix of ['$2b$', '$2y$', '$2a$']) {
      const hash = prefix + bcryptHash.slice(4);
      const stored = parsePasswordHash(hash);
      assert.equal(stored.kind, 'bcrypt', prefix);
      assert.equal(await verifyPassword('s3cret', stored), true, `${prefix} right password`);
      assert.equal(await verifyPassword('s3cret!', stored), false, `${prefix} wrong password`);
    }
  });

  it('accepts the PHC $scrypt$ format and checks the password', async () => {
    assert.match(scryptHash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const stored = parsePasswordHash(scryptHash);
    assert.equal(stored.kind, 'scrypt');
    assert.equal(await verifyPassword('s3cret', stored), true);
    assert.equal(await verifyPassword('S3cret', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  const refused = [
    ['plain', /plain-text/],
    ['$apr1$abc$0123456789abcdefghijkl', /MD5/],
    ['$1$abc$0123456789abcdefghijkl', /MD5/],
    ['{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /\{SHA\}/],
    ['$5$rounds=5000$salt$hash', /SHA-crypt/],
    ['$6$salt$hash', /SHA-crypt/],
    ['$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g', /argon2/],
    ['abJnggxhB/yWI', /crypt \(DES\)/],
    ['$2b$10$tooShort', /malformed bcrypt/],
    ['$2x$10$' + 'a'.repeat(53), /malformed bcrypt/],
    ['$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA', /malformed scrypt/],
    ['$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g', /out of bounds/],
    ['', /plain-text/],
  ];
  for (const [hash, why] of refused) {
    it(`refuses ${JSON.stringify(hash.slice(0, 12))}`, () => {
      const result = parsePasswordHash(hash);
      assert.equal(typeof result, 'string');
      assert.match(result, why);
    });
  }
});

describe('htpasswd files', () => {
  it('parses users, skips comments and blank lines, reports every bad line with its number', () => {
    const good = bcrypt.hashSync('x', 4);
    const text = [
      '# staff',
      `alice:${good}`,
      '',
      'bob:plaintext',
      'carol',
      `alice:${good}`,
      'dave:$apr1$xyz$0123456789abcdefghijkl',
      '   ',
    ].join('\n');
    const { users, problems } = parseHtpasswd(text);
    assert.deepEqual([...users.keys()], ['alice']);
    assert.deepEqual(problems.map((p) => p.line), [4, 5, 6, 7]);
    assert.match(problems[0].message, /user "bob": .*plain-text/);
    assert.match(problems[1].message, /expected user:hash/);
    assert.match(problems[2].message, /listed twice/);
    assert.match(problems[3].message, /MD5/);
    // A refused hash is never quoted back.
    for (const p of problems) assert.doesNotMatch(p.message, /plaintext|0123456789abcdef/);
  });

  it('accepts CRLF line ends and reports an empty file', () => {
    const good = bcrypt.hashSync('x', 4);
    assert.equal(parseHtpasswd(`a:${good}\r\nb:${good}\r\n`).users.size, 2);
    assert.match(parseHtpasswd('# nothing\n').problems[0].message, /no users/);
  });
});

describe('Basic credentials (RFC 7617)', () => {
  const cases = [
    [basic('alice', 'pw'), { user: 'alice', password: 'pw' }],
    [basic('alice', 'p:w:x'), { user: 'alice', password: 'p:w:x' }, 'the first colon splits'],
    [basic('élodie', 'mötley'), { user: 'élodie', password: 'mötley' }, 'UTF-8'],
    [basic('', ''), { user: '', password: '' }],
    [`bAsIc   ${Buffer.from('a:b').toString('base64')}`, { user: 'a', password: 'b' }, 'scheme case-insensitive'],
    [undefined, undefined],
    ['Bearer abc', undefined],
    [`Basic ${Buffer.from('nocolon').toString('base64')}`, undefined],
    ['Basic !!!', undefined],
    ['Basic YWJj', undefined, 'decodes to no colon'],
    ['Basic YTpi=', undefined, 'bad padding length'],
    [`Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString('base64')}`, undefined, 'not UTF-8'],
  ];
  for (const [header, expected, why] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}${why ? ` (${why})` : ''}`, () => {
      assert.deepEqual(parseBasicCredentials(header), expected);
    });
  }
});

describe('VerificationCache', () => {
  it('keys depend on user, stored hash and password, and are not the password', () => {
    const c = new VerificationCache();
    const k = c.keyOf('u', 'h', 'p');
    assert.equal(k, c.keyOf('u', 'h', 'p'));
    assert.notEqual(k, c.keyOf('u', 'h', 'q'));
    assert.notEqual(k, c.keyOf('u', 'h2', 'p'));
    assert.notEqual(c.keyOf('ab', 'c', 'd'), c.keyOf('a', 'bc', 'd'), 'no ambiguity between fields');
    assert.notEqual(k, new VerificationCache().keyOf('u', 'h', 'p'), 'keyed per cache (random HMAC key)');
    assert.doesNotMatch(k, /p$/);
  });

  it('stays bounded and evicts the least recently used entry', () => {
    const c = new VerificationCache(3);
    for (const k of ['a', 'b', 'c']) c.add(k);
    assert.equal(c.has('a'), true); // a becomes most recent
    c.add('d'); // evicts b
    assert.equal(c.size, 3);
    assert.equal(c.has('b'), false);
    assert.equal(c.has('a') && c.has('c') && c.has('d'), true);
  });
});

describe('basic auth rule', () => {
  let dir;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'barbican-access-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('allows the right password, refuses others with a Basic challenge, caches success', async () => {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `alice:${bcrypt.hashSync('pw', 4)}\nbob:${await hashScryptPassword('bpw', 10)}\n`);
    const rule = createBasicAuthRule({ realm: 'Staff', usersFile: file }, 'routes[0].access.basicAuth');
    const check = (h) => rule.check(requestWith({ authorization: h }), new AccessContext());
    assert.equal(await check(basic('alice', 'pw')), undefined);
    assert.equal(await check(basic('bob', 'bpw')), undefined);
    // Cached: the second check of the same credentials answers synchronously.
    assert.equal(check(basic('alice', 'pw')), undefined);
    for (const h of [basic('alice', 'PW'), basic('mallory', 'pw'), undefined, 'Basic xx']) {
      const d = await check(h);
      assert.equal(d.kind, 'deny');
      assert.equal(d.error.code, 'UNAUTHORIZED');
      assert.equal(d.error.status, 401);
      assert.deepEqual(d.headers, ['WWW-Authenticate', 'Basic realm="Staff", charset="UTF-8"']);
      assert.doesNotMatch(d.error.message, /PW|pw|mallory/, 'no credentials in the log message');
    }
  });

  it('names the key path, the file and the line of a refused entry', () => {
    const file = join(dir, 'weak');
    writeFileSync(file, `ok:${bcrypt.hashSync('x', 4)}\n# md5 below\nold:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n`);
    assert.throws(
      () => createBasicAuthRule({ realm: 'x', usersFile: file }, 'routes[3].access.basicAuth'),
      (err) => err instanceof AccessConfigError && err.message === `routes[3].access.basicAuth.usersFile: ${file}:3: user "old": MD5 hashes ($apr1$, $1$) are refused: use bcrypt (htpasswd -B) or $scrypt$`,
    );
    assert.throws(() => createBasicAuthRule({ realm: 'x', usersFile: join(dir, 'missing') }, 'r'), /r\.usersFile: cannot read .*missing: ENOENT/);
  });
});

describe('API keys', () => {
  const k1 = 'key-one-0123456789';
  const k2 = 'key-two-abcdef';

  it('parses digests with and without names, reports bad lines without quoting them', () => {
    const text = `# keys\nci:${sha256(k1)}\n${sha256(k2).toUpperCase()}\nraw-key-by-mistake\nci2:${sha256(k1)}\nx:${'0'.repeat(63)}\n`;
    const list = parseApiKeys(text);
    assert.equal(list.digests.length, 2);
    assert.deepEqual(list.names, ['ci', sha256(k2)]);
    assert.deepEqual(list.problems.map((p) => p.line), [4, 5, 6]);
    assert.match(list.problems[0].message, /SHA-256 hex digest/);
    assert.doesNotMatch(list.problems[0].message, /raw-key/);
    assert.match(list.problems[1].message, /twice/);
  });

  it('matches a key against every digest', () => {
    const { digests } = parseApiKeys(`${sha256(k1)}\n${sha256(k2)}\n`);
    assert.equal(matchApiKey(k1, digests), 0);
    assert.equal(matchApiKey(k2, digests), 1);
    assert.equal(matchApiKey('nope', digests), -1);
    assert.equal(matchApiKey(sha256(k1), digests), -1, 'the digest itself is not a key');
  });

  it('the rule reads the header, then the query parameter, and records the key name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'barbican-keys-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, `ci:${sha256(k1)}\n`);
      const rule = createApiKeysRule({ header: 'X-Api-Key', query: 'api_key', keysFile: file }, 'routes[0].access.apiKeys');
      const ctx = new AccessContext();
      assert.equal(rule.check(requestWith({ 'x-api-key': k1 }), ctx), undefined);
      assert.equal(ctx.apiKey, 'ci');
      assert.equal(rule.check(requestWith({}, { query: `?a=1&api_key=${encodeURIComponent(k1)}` }), new AccessContext()), undefined);
      for (const req of [requestWith({}), requestWith({ 'x-api-key': 'wrong' }), requestWith({ 'x-api-key': '' }), requestWith({}, { query: '?api_key=wrong' })]) {
        const d = rule.check(req, new AccessContext());
        assert.equal(d.error.code, 'UNAUTHORIZED');
        assert.deepEqual(d.headers, ['WWW-Authenticate', 'ApiKey header="x-api-key", query="api_key"']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bearer tokens (RFC 6750 §2.1) and claim header values', () => {
  const tokens = [
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer  a-b_c~d+e/f==', 'a-b_c~d+e/f=='],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['Bearer abc, Bearer def', undefined, 'two Authorization headers joined'],
    [undefined, undefined],
  ];
  for (const [header, expected] of tokens) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => assert.equal(bearerToken(header), expected));
  }

  const claims = [
    ['alice', 'alice'],
    [42, '42'],
    [true, 'true'],
    [['admin', 'dev'], 'admin, dev'],
    [{ a: 1 }, '{"a":1}'],
    ['line\r\nX-Injected: 1', undefined],
    ['nul\0', undefined],
    [null, undefined],
    [undefined, undefined],
    ['José', Buffer.from('José', 'utf8').toString('latin1')],
    [{ s: 'a\nb' }, '{"s":"a\\nb"}', 'JSON escapes control characters'],
  ];
  for (const [value, expected] of claims) {
    it(`claim ${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => assert.equal(claimHeaderValue(value), expected));
  }
});
