// loadConfigText / formatProblems: results, positions and cross-references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblems, loadConfigText } from '../../dist/config/index.js';
import { checkReferences } from '../../dist/config/references.js';

const MINIMAL = `listeners:
  - name: web
    address: :8080
routes:
  - respond: { body: ok }
`;

test('a valid file gives the parsed config, defaults filled and units parsed', () => {
  const result = loadConfigText(MINIMAL, 'barbican.yaml', {});
  assert.equal(result.ok, true);
  assert.equal(result.config.server.limits.maxHeaderBytes, 16 * 1024);
  assert.equal(result.config.server.shutdownTimeout, 30_000);
  assert.deepEqual(result.config.upstreams, {});
  assert.equal(result.config.logging.level, 'info');
});

test('JSON is YAML', () => {
  const json = JSON.stringify({ listeners: [{ name: 'web', address: ':8080' }], routes: [{ respond: { body: 'ok' } }] });
  assert.equal(loadConfigText(json, 'barbican.json', {}).ok, true);
});

test('problems carry path, message, file, line, column and hint', () => {
  const text = `listeners:
  - name: web
    address: :8080
upstreams:
  app:
    targets: [{ url: "http://127.0.0.1:3001" }]
routes:
  - upstream: ap
`;
  const result = loadConfigText(text, 'barbican.yaml', {});
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems, [
    { path: 'routes[0].upstream', message: 'unknown upstream "ap"', file: 'barbican.yaml', line: 8, column: 15, hint: 'did you mean "app"?' },
  ]);
  assert.equal(formatProblems(result.problems), 'barbican.yaml:8:15: routes[0].upstream: unknown upstream "ap" (did you mean "app"?)');
});

test('an unknown key points at the key; a missing key at the object that lacks it', () => {
  const text = `listeners:
  - name: web
    adress: :8080
routes:
  - respond: { body: ok }
`;
  const result = loadConfigText(text, 'barbican.yaml', {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), [
    'barbican.yaml:2:5: listeners[0].address: required key missing',
    'barbican.yaml:3:5: listeners[0].adress: unknown key "adress" (did you mean "address"?)',
  ].join('\n'));
});

test('a key with no value is pointed at by its key', () => {
  const result = loadConfigText(`${MINIMAL}upstreams:\n  app:\n`, 'barbican.yaml', {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), 'barbican.yaml:7:3: upstreams.app: expected an object, got null');
});

test('problems come in file order', () => {
  const text = `logging: { level: loud }
routes:
  - respond: { status: 99 }
listeners:
  - name: web
    address: nowhere
server: { shutdownTimeout: forever }
`;
  const result = loadConfigText(text, 'barbican.yaml', {});
  assert.equal(result.ok, false);
  const lines = result.problems.map((p) => p.line);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
  assert.equal(result.problems.length, 4);
});

test('formatProblems: one line per problem, the position and path parts only when known', () => {
  assert.equal(formatProblems([]), '');
  assert.equal(
    formatProblems([
      { path: '', message: 'file not found', file: 'a.yaml' },
      { path: '', message: 'invalid YAML: x', file: 'a.yaml', line: 3, column: 1 },
      { path: 'routes[0]', message: 'm', file: 'a.yaml', line: 4 },
      { path: 'x.y', message: 'unknown key "y"', file: 'a.yaml', line: 5, column: 7, hint: 'did you mean "z"?' },
    ]),
    ['a.yaml: file not found', 'a.yaml:3:1: invalid YAML: x', 'a.yaml:4: routes[0]: m', 'a.yaml:5:7: x.y: unknown key "y" (did you mean "z"?)'].join('\n'),
  );
});

test('cross-references are checked even when the schema finds other problems', () => {
  const text = `listeners:
  - name: web
    address: :8080
    colour: red
routes:
  - upstream: nowhere
`;
  const result = loadConfigText(text, 'barbican.yaml', {});
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems.map((p) => p.message), ['unknown key "colour"', 'unknown upstream "nowhere"']);
  assert.equal(result.problems[1].hint, 'no upstreams are defined');
});

test('checkReferences', async (t) => {
  const listener = (name, address) => ({ name, address });
  const cases = [
    ['nothing to check', {}, []],
    ['not an object', 'text', []],
    ['an unused upstream is fine', { upstreams: { a: {}, b: {} }, routes: [{ upstream: 'a' }] }, []],
    ['an unknown upstream', { upstreams: { app: {} }, routes: [{ upstream: 'ap' }] }, [['routes[0].upstream', 'unknown upstream "ap"', 'did you mean "app"?']]],
    ['upstreams left out', { routes: [{ upstream: 'app' }] }, [['routes[0].upstream', 'unknown upstream "app"', 'no upstreams are defined']]],
    ['upstreams of the wrong type: left to the schema', { upstreams: [], routes: [{ upstream: 'app' }] }, []],
    ['an upstream of the wrong type: left to the schema', { upstreams: {}, routes: [{ upstream: 1 }] }, []],
    ['a name inherited from Object.prototype is not an upstream', { upstreams: {}, routes: [{ upstream: 'toString' }] }, [['routes[0].upstream', 'unknown upstream "toString"', 'no upstreams are defined']]],
    ['duplicate listener names', { listeners: [listener('a', ':1'), listener('b', ':2'), listener('a', ':3')] }, [['listeners[2].name', 'duplicate listener name "a"', 'first used by listeners[0]']]],
    ['duplicate addresses, spelled alike', { listeners: [listener('a', '127.0.0.1:80'), listener('b', '127.0.0.1:80')] }, [['listeners[1].address', 'duplicate listener address "127.0.0.1:80"', 'first used by listeners[0]']]],
    ['duplicate addresses, spelled differently', { listeners: [listener('a', ':80'), listener('b', '0.0.0.0:80')] }, [['listeners[1].address', 'duplicate listener address "0.0.0.0:80"', 'first used by listeners[0], as ":80"']]],
    ['same port, different hosts', { listeners: [listener('a', '127.0.0.1:80'), listener('b', '[::1]:80')] }, []],
    ['port 0 never clashes', { listeners: [listener('a', ':0'), listener('b', ':0')] }, []],
    ['an invalid address: left to the schema', { listeners: [listener('a', 'x'), listener('b', 'x')] }, []],
    ['duplicate route names', { routes: [{ name: 'r', respond: {} }, { respond: {} }, { name: 'r', respond: {} }] }, [['routes[2].name', 'duplicate route name "r"', 'first used by routes[0]']]],
  ];
  for (const [name, data, expected] of cases) {
    await t.test(name, () => {
      const problems = checkReferences(data).map((p) => [p.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1).replace(/\.\[/g, '['), p.message, p.hint]);
      assert.deepEqual(problems, expected);
    });
  }
});

test('yaml safety: too many alias expansions are a problem, not a hang', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
  const result = loadConfigText(lines.join('\n'), 'bomb.yaml', {});
  assert.equal(result.ok, false);
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0].message, /^cannot read the YAML: /);
});

test('more than one YAML document is a problem', () => {
  const result = loadConfigText(`${MINIMAL}---\n${MINIMAL}`, 'two.yaml', {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), 'two.yaml:6:1: the file holds more than one YAML document (---); Barbican reads exactly one');
});
