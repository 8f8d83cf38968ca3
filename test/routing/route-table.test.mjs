// Route table: every condition alone and combined, order, host normalization, HEAD→GET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRouteTable,
  routesSchema,
  normalizeHost,
  compileHostPattern,
  hostMatches,
  compileConditions,
  conditionsHold,
} from '../../dist/routing/index.js';

/** A MatchInput; header names in `headers` must be lower case, like the proxy's. */
function req(request = {}) {
  const { path = '/', method = 'GET', headers = {} } = request;
  // `host: undefined` means "no Host header", so no destructuring default for it.
  const host = 'host' in request ? request.host : 'example.com';
  return { host, path, method, header: (name) => headers[name] };
}

/** A table of the given matches (through the real schema); payloads are route names. */
function table(matches) {
  const routes = routesSchema.parse(matches.map((match, i) => ({ name: `r${i}`, match, upstream: 'app' })));
  return createRouteTable(routes, (route) => route.name);
}

/** True when a one-route table with `match` matches the request. */
function matches(match, request) {
  return table([match]).match(req(request)) === 'r0';
}

const conditionCases = [
  // empty match
  ['empty match, any request', {}, {}, true],
  ['empty match, no Host header', {}, { host: undefined }, true],
  ['empty match, odd method', {}, { method: 'PROPFIND', path: '/x/y' }, true],
  // hosts
  ['host exact', { hosts: ['example.com'] }, { host: 'example.com' }, true],
  ['host other', { hosts: ['example.com'] }, { host: 'example.org' }, false],
  ['host absent', { hosts: ['example.com'] }, { host: undefined }, false],
  ['host empty', { hosts: ['example.com'] }, { host: '' }, false],
  ['host one of several', { hosts: ['a.test', 'b.test'] }, { host: 'b.test' }, true],
  ['host is a suffix only', { hosts: ['example.com'] }, { host: 'www.example.com' }, false],
  ['host is a prefix only', { hosts: ['example.com'] }, { host: 'example.com.evil' }, false],
  // path
  ['path exact', { path: '/ping' }, { path: '/ping' }, true],
  ['path trailing slash differs', { path: '/ping' }, { path: '/ping/' }, false],
  ['path longer', { path: '/ping' }, { path: '/pingx' }, false],
  ['path is case-sensitive', { path: '/ping' }, { path: '/PING' }, false],
  ['path percent-encoded as sent', { path: '/a%20b' }, { path: '/a%20b' }, true],
  ['path not decoded', { path: '/a b' }, { path: '/a%20b' }, false],
  // pathPrefix
  ['prefix itself', { pathPrefix: '/v1/' }, { path: '/v1/' }, true],
  ['prefix deeper', { pathPrefix: '/v1/' }, { path: '/v1/a/b' }, true],
  ['prefix without slash', { pathPrefix: '/v1/' }, { path: '/v1' }, false],
  ['prefix plain string', { pathPrefix: '/v1' }, { path: '/v10' }, true],
  ['prefix other', { pathPrefix: '/v1' }, { path: '/v2/x' }, false],
  ['prefix /', { pathPrefix: '/' }, { path: '/anything' }, true],
  // pathRegex
  ['regex hit', { pathRegex: '^/items/[0-9]+$' }, { path: '/items/42' }, true],
  ['regex miss', { pathRegex: '^/items/[0-9]+$' }, { path: '/items/abc' }, false],
  ['regex unanchored', { pathRegex: '[0-9]{3}' }, { path: '/a/123/b' }, true],
  ['regex case-sensitive', { pathRegex: '^/items$' }, { path: '/ITEMS' }, false],
  // methods
  ['method listed', { methods: ['GET', 'POST'] }, { method: 'POST' }, true],
  ['method not listed', { methods: ['GET', 'POST'] }, { method: 'DELETE' }, false],
  ['HEAD matches GET route', { methods: ['GET'] }, { method: 'HEAD' }, true],
  ['HEAD does not match POST route', { methods: ['POST'] }, { method: 'HEAD' }, false],
  ['GET does not match HEAD-only route', { methods: ['HEAD'] }, { method: 'GET' }, false],
  ['method is case-sensitive', { methods: ['GET'] }, { method: 'get' }, false],
  // headers
  ['header exact', { headers: { 'x-canary': '1' } }, { headers: { 'x-canary': '1' } }, true],
  ['header missing', { headers: { 'x-canary': '1' } }, {}, false],
  ['header other value', { headers: { 'x-canary': '1' } }, { headers: { 'x-canary': '2' } }, false],
  ['header value is exact, not contains', { headers: { 'x-canary': '1' } }, { headers: { 'x-canary': '1, 1' } }, false],
  ['header value case-sensitive', { headers: { 'x-env': 'prod' } }, { headers: { 'x-env': 'PROD' } }, false],
  ['header name case-insensitive', { headers: { 'X-Canary': '1' } }, { headers: { 'x-canary': '1' } }, true],
  ['header name upper in config', { headers: { 'X-ENV': 'prod' } }, { headers: { 'x-env': 'prod' } }, true],
  ['all headers needed', { headers: { a: '1', b: '2' } }, { headers: { a: '1' } }, false],
  ['all headers present', { headers: { a: '1', b: '2' } }, { headers: { a: '1', b: '2' } }, true],
  ['empty header value', { headers: { a: '' } }, { headers: { a: '' } }, true],
  ['empty header value vs absent', { headers: { a: '' } }, {}, false],
];

test('each condition alone', async (t) => {
  for (const [name, match, request, expected] of conditionCases) {
    await t.test(name, () => assert.equal(matches(match, request), expected));
  }
});

const full = {
  hosts: ['api.example.com', '*.example.com'],
  pathPrefix: '/v1/',
  methods: ['GET', 'POST'],
  headers: { 'x-canary': '1' },
};
const good = { host: 'api.example.com', path: '/v1/users', method: 'POST', headers: { 'x-canary': '1' } };

const combinedCases = [
  ['all hold', full, good, true],
  ['all hold, wildcard host, HEAD', full, { ...good, host: 'A.B.Example.COM:8443', method: 'HEAD' }, true],
  ['host fails', full, { ...good, host: 'example.com' }, false],
  ['path fails', full, { ...good, path: '/v2/users' }, false],
  ['method fails', full, { ...good, method: 'PUT' }, false],
  ['header fails', full, { ...good, headers: {} }, false],
  ['path + method', { path: '/ping', methods: ['GET'] }, { path: '/ping', method: 'HEAD' }, true],
  ['path + method, method fails', { path: '/ping', methods: ['GET'] }, { path: '/ping', method: 'POST' }, false],
  ['regex + host', { hosts: ['x.test'], pathRegex: '^/a' }, { host: 'x.test', path: '/abc' }, true],
  ['regex + host, host fails', { hosts: ['x.test'], pathRegex: '^/a' }, { host: 'y.test', path: '/abc' }, false],
  ['regex + host, regex fails', { hosts: ['x.test'], pathRegex: '^/a' }, { host: 'x.test', path: '/b' }, false],
];

test('conditions combined', async (t) => {
  for (const [name, match, request, expected] of combinedCases) {
    await t.test(name, () => assert.equal(matches(match, request), expected));
  }
});

const hostCases = [
  // [config host, request Host header, expected]
  ['example.com', 'example.com', true],
  ['example.com', 'example.com:8080', true],
  ['example.com', 'EXAMPLE.com', true],
  ['example.com', 'Example.COM:443', true],
  ['example.com', 'example.com.', true],
  ['example.com', 'example.com.:8080', true],
  ['example.com', 'EXAMPLE.COM.:80', true],
  ['example.com', 'example.com..', false],
  ['example.com', 'example.co', false],
  ['Example.COM', 'example.com', true],
  ['example.com.', 'example.com', true],
  ['example.com:8443', 'example.com:80', true], // the port is ignored, in config too
  ['localhost', 'localhost:3000', true],
  ['127.0.0.1', '127.0.0.1:8080', true],
  ['127.0.0.1', '127.0.0.2', false],
  ['[::1]', '[::1]:8080', true],
  ['[::1]', '[::1]', true],
  ['[::1]', '[::2]:8080', false],
  ['[2001:db8::a]', '[2001:DB8::A]:443', true],
  ['[2001:DB8::A]', '[2001:db8::a]', true],
  ['::1', '[::1]:8080', true], // a bare IPv6 address in config is bracketed
  ['[::1]', '::1', true], // a bare IPv6 Host (invalid, but seen) is too
  ['[::1]', '[::1', false],
  // Only ASCII letters fold: U+212A KELVIN SIGN lower-cases to "k" in Unicode.
  ['key.test', '\u212Aey.test', false],
  ['*.example.com', 'a.example.com', true],
  ['*.example.com', 'A.Example.Com:8080', true],
  ['*.example.com', 'a.example.com.', true],
  ['*.example.com', 'a.b.example.com', true],
  ['*.example.com', 'a.b.c.d.example.com', true],
  ['*.example.com', 'example.com', false],
  ['*.example.com', 'example.com:80', false],
  ['*.example.com', 'example.com.', false],
  ['*.example.com', '.example.com', false],
  ['*.example.com', 'aexample.com', false],
  ['*.example.com', 'a.example.com.evil', false],
  ['*.example.com', 'a.example.org', false],
  ['*.Example.COM.', 'x.example.com', true],
  ['*.b.example.com', 'a.b.example.com', true],
  ['*.b.example.com', 'a.c.example.com', false],
  ['*.b.example.com', 'b.example.com', false],
];

test('hosts: ports, IPv6 literals, trailing dots, case, wildcard depth', async (t) => {
  for (const [pattern, host, expected] of hostCases) {
    await t.test(`${pattern} vs ${JSON.stringify(host)}`, () => {
      assert.equal(matches({ hosts: [pattern] }, { host }), expected);
      // The same answer through the pattern helpers, and with the route after many wildcards
      // (which switches the table to its map-based wildcard lookup).
      assert.equal(hostMatches(compileHostPattern(pattern), normalizeHost(host)), expected);
      const many = Array.from({ length: 12 }, (_, i) => ({ hosts: [`*.w${i}.test`] }));
      assert.equal(table([...many, { hosts: [pattern] }]).matchIndex(req({ host })) === 12, expected);
    });
  }
});

test('normalizeHost', () => {
  const cases = [
    [undefined, ''],
    ['', ''],
    ['example.com', 'example.com'],
    ['EXAMPLE.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:1', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
    ['::1', '[::1]'],
    [':80', ''],
    ['\u212Aey.TEST', '\u212Aey.test'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeHost(input), expected, String(input));
  const already = 'already.normalized.example';
  assert.equal(normalizeHost(already), already);
});

test('first match wins, in config order', async (t) => {
  const t1 = table([
    { path: '/ping' }, // r0
    { hosts: ['api.example.com'], pathPrefix: '/v1/' }, // r1
    { hosts: ['*.example.com'], pathPrefix: '/v1/' }, // r2
    { hosts: ['api.example.com'] }, // r3
    { pathPrefix: '/v1/' }, // r4
    { hosts: ['*.example.com'] }, // r5
    { methods: ['POST'] }, // r6
    {}, // r7
  ]);
  const cases = [
    ['route without hosts before host routes', { host: 'api.example.com', path: '/ping' }, 'r0'],
    ['exact before wildcard', { host: 'api.example.com', path: '/v1/x' }, 'r1'],
    ['wildcard for other subdomain', { host: 'www.example.com', path: '/v1/x' }, 'r2'],
    ['exact host, other path', { host: 'api.example.com', path: '/other' }, 'r3'],
    ['no host route, unknown host', { host: 'other.test', path: '/v1/x' }, 'r4'],
    ['wildcard, other path', { host: 'deep.er.example.com', path: '/x' }, 'r5'],
    ['apex not covered by wildcard', { host: 'example.com', path: '/x', method: 'POST' }, 'r6'],
    ['catch-all last', { host: 'example.com', path: '/x' }, 'r7'],
    ['no host header', { host: undefined, path: '/x' }, 'r7'],
  ];
  for (const [name, request, expected] of cases) {
    await t.test(name, () => assert.equal(t1.match(req(request)), expected));
  }

  await t.test('a later route for the same host does not jump an earlier catch-all', () => {
    const t2 = table([{ pathPrefix: '/' }, { hosts: ['a.test'] }]);
    assert.equal(t2.match(req({ host: 'a.test' })), 'r0');
  });

  await t.test('a wildcard listed first beats a later exact host', () => {
    const t3 = table([{ hosts: ['*.example.com'] }, { hosts: ['api.example.com'] }]);
    assert.equal(t3.match(req({ host: 'api.example.com' })), 'r0');
  });

  await t.test('a shallow wildcard listed first beats a later deeper one', () => {
    const t4 = table([{ hosts: ['*.example.com'] }, { hosts: ['*.b.example.com'] }]);
    assert.equal(t4.match(req({ host: 'a.b.example.com' })), 'r0');
    const t5 = table([{ hosts: ['*.b.example.com'] }, { hosts: ['*.example.com'] }]);
    assert.equal(t5.match(req({ host: 'a.b.example.com' })), 'r0');
    assert.equal(t5.match(req({ host: 'a.c.example.com' })), 'r1');
  });

  await t.test('identical routes: the first one', () => {
    const t6 = table([{ path: '/a' }, { path: '/a' }]);
    assert.equal(t6.match(req({ path: '/a' })), 'r0');
  });
});

test('no match → undefined (and matchIndex → -1)', () => {
  const t1 = table([{ hosts: ['a.test'] }, { path: '/x' }, { methods: ['POST'], pathPrefix: '/y' }]);
  for (const request of [{ host: 'b.test' }, { host: undefined, path: '/y' }, { path: '/y', method: 'GET' }]) {
    assert.equal(t1.match(req(request)), undefined);
    assert.equal(t1.matchIndex(req(request)), -1);
  }
});

test('an empty table matches nothing', () => {
  const t1 = createRouteTable([], () => 1);
  assert.equal(t1.size, 0);
  assert.equal(t1.match(req()), undefined);
});

test('hosts: [] is refused by the schema (it would be a route that never matches)', () => {
  assert.throws(() => table([{ hosts: [] }, {}]));
  assert.throws(() => table([{ methods: [] }, {}]));
});

test('payload is computed once per route, in order, and returned as is', () => {
  const routes = routesSchema.parse([
    { match: { path: '/a' }, upstream: 'a' },
    { match: { path: '/b' }, respond: { body: 'b' } },
  ]);
  const calls = [];
  const objects = [{ id: 'A' }, { id: 'B' }];
  const t1 = createRouteTable(routes, (route, index) => {
    calls.push([route, index]);
    return objects[index];
  });
  assert.deepEqual(calls, [[routes[0], 0], [routes[1], 1]]);
  assert.equal(t1.size, 2);
  assert.equal(t1.match(req({ path: '/b' })), objects[1]);
  t1.match(req({ path: '/a' }));
  assert.equal(calls.length, 2);
});

test('payloads that are falsy are still matches', () => {
  const routes = routesSchema.parse([{ match: { path: '/a' }, upstream: 'a' }, { upstream: 'b' }]);
  const t1 = createRouteTable(routes, (_, i) => (i === 0 ? 0 : null));
  assert.equal(t1.match(req({ path: '/a' })), 0);
  assert.equal(t1.match(req({ path: '/z' })), null);
});

test('a hosts entry that names no host is reported with its path', () => {
  const routes = routesSchema.parse([
    { match: { hosts: ['ok.test'] }, upstream: 'a' },
    { match: { hosts: ['fine.test', '.', ':80'] }, upstream: 'a' },
  ]);
  assert.throws(() => createRouteTable(routes, () => 1), (err) => {
    assert.match(err.message, /routes\[1\]\.match\.hosts\[1\]/);
    assert.match(err.message, /routes\[1\]\.match\.hosts\[2\]/);
    return true;
  });
});

test('the compiled regex keeps no state between requests', () => {
  const t1 = table([{ pathRegex: '^/a' }]);
  for (let i = 0; i < 5; i++) assert.equal(t1.match(req({ path: '/abc' })), 'r0');
});

// The host index must decide exactly what a plain in-order scan decides. Compare the two on a
// generated table mixing exact hosts, wildcards at several depths and host-less routes.
test('the host index agrees with a plain in-order scan', () => {
  // A 32-bit LCG (Numerical Recipes constants); the high bits are the random ones.
  let seed = 42;
  const rand = (n) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const hostPool = ['example.com', 'a.example.com', 'b.a.example.com', 'x.test', 'y.x.test', 'other.org', 'z.other.org'];
  const patternPool = [...hostPool, ...hostPool.map((h) => `*.${h}`)];
  const pathPool = ['/', '/a', '/a/b', '/b'];
  let decided = 0;
  for (const wildcardCount of [3, 20]) {
    const matchesList = [];
    for (let i = 0; i < 40; i++) {
      const m = {};
      if (rand(3) > 0) m.hosts = Array.from({ length: 1 + rand(3) }, () => patternPool[rand(patternPool.length)]);
      if (rand(2) === 0) m.pathPrefix = pathPool[rand(pathPool.length)];
      if (rand(3) === 0) m.methods = [['GET', 'POST', 'PUT'][rand(3)]];
      // A catch-all early in the table would hide every later route: keep them rare.
      if (m.hosts === undefined && m.methods === undefined && (m.pathPrefix ?? '/') === '/' && i < 35) m.methods = ['PUT'];
      matchesList.push(m);
    }
    // Extra wildcards (never requested) to switch between the scan and the map lookup.
    for (let i = 0; i < wildcardCount; i++) matchesList.unshift({ hosts: [`*.pad${i}.invalid`] });
    const routes = routesSchema.parse(matchesList.map((match) => ({ match, upstream: 'u' })));
    const indexed = createRouteTable(routes, (_, i) => i);
    const reference = routes.map((r) => ({
      hosts: r.match.hosts?.map(compileHostPattern),
      conditions: compileConditions(r.match),
    }));
    const scan = (request) => reference.findIndex((r) =>
      (r.hosts === undefined || r.hosts.some((p) => hostMatches(p, normalizeHost(request.host)))) &&
      conditionsHold(r.conditions, request));
    const hosts = [...hostPool, ...hostPool.map((h) => `q.${h}`), 'unknown.test', undefined, 'A.EXAMPLE.COM:80', 'Q.B.A.Example.com.:1'];
    for (const host of hosts) {
      for (const path of pathPool) {
        for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
          const request = req({ host, path, method });
          const expected = scan(request);
          assert.equal(indexed.matchIndex(request), expected, `${host} ${method} ${path}`);
          if (expected >= wildcardCount) decided++;
        }
      }
    }
  }
  assert.ok(decided > 100, 'the generated tables should match many requests');
});

// The table memoizes Host values (bounded): answers must not depend on what it saw before.
test('answers do not depend on earlier requests (host memo overflow, long hosts)', () => {
  const t1 = table([{ hosts: ['a.test'] }, { hosts: ['*.b.test'] }, { path: '/p' }]);
  const expected = (i) => (i % 3 === 0 ? 'r0' : i % 3 === 1 ? 'r1' : undefined);
  const hostOf = (i) => (i % 3 === 0 ? `A.TEST:${i}` : i % 3 === 1 ? `x${i}.b.test` : `c${i}.test`);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3000; i++) assert.equal(t1.match(req({ host: hostOf(i) })), expected(i), hostOf(i));
  }
  const long = `${'x'.repeat(400)}.b.test`;
  assert.equal(t1.match(req({ host: long })), 'r1');
  assert.equal(t1.match(req({ host: long })), 'r1');
  assert.equal(t1.match(req({ host: long.replace('.b.', '.c.'), path: '/p' })), 'r2');
});
