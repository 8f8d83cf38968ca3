// Environment interpolation: ${NAME}, ${NAME:-default} and the $${ escape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolateString } from '../../dist/config/interpolate.js';
import { formatProblems, loadConfigText } from '../../dist/config/index.js';

const ENV = Object.freeze({ HOST: 'example.com', PORT: '8080', EMPTY: '', BRACES: '${HOST}', DOLLAR: '$$${' });

test('interpolateString', async (t) => {
  const cases = [
    // [input, expected value, expected errors]
    ['no variables', 'no variables', []],
    ['${HOST}', 'example.com', []],
    ['http://${HOST}:${PORT}/', 'http://example.com:8080/', []],
    ['${MISSING:-fallback}', 'fallback', []],
    ['${MISSING:-}', '', []],
    ['${EMPTY:-fallback}', 'fallback', []], // like sh: unset or empty takes the default
    ['${EMPTY}', '', []], // set but empty is fine
    ['${HOST:-fallback}', 'example.com', []],
    ['${MISSING:-a:b-c d}', 'a:b-c d', []], // a default is plain text up to the first }
    ['$${HOST}', '${HOST}', []],
    ['cost: $5, $$ and $HOST', 'cost: $5, $$ and $HOST', []], // only ${ is special
    ['$${HOST} is ${HOST}', '${HOST} is example.com', []],
    ['${BRACES}', '${HOST}', []], // substituted text is not scanned again
    ['${DOLLAR}', '$$${', []],
    ['${MISSING}', '', ['environment variable MISSING is not set and has no default']],
    ['${A}${B}', '', ['environment variable A is not set and has no default', 'environment variable B is not set and has no default']],
    ['${1X}', '${1X}', ['invalid variable reference "${1X}" (expected ${NAME} or ${NAME:-default})']],
    ['${}', '${}', ['invalid variable reference "${}" (expected ${NAME} or ${NAME:-default})']],
    ['${HOST-x}', '${HOST-x}', ['invalid variable reference "${HOST-x}" (expected ${NAME} or ${NAME:-default})']],
    ['${HOST', '${HOST', ['unterminated "${" (write "$${" for a literal "${")']],
    ['${A:-${B}}', '${A:-${B}}', ['a default cannot contain another variable (in "${A:-${B}")']],
  ];
  for (const [input, value, errors] of cases) {
    await t.test(JSON.stringify(input), () => {
      const result = interpolateString(input, ENV);
      assert.deepEqual(result.errors, errors);
      if (errors.length === 0) assert.equal(result.value, value);
    });
  }
});

test('interpolateString reports whether the text had anything to replace', () => {
  assert.equal(interpolateString('plain $ text', ENV).changed, false);
  assert.equal(interpolateString('$${x}', ENV).changed, true);
  assert.equal(interpolateString('${HOST}', ENV).changed, true);
});

const base = (extra) => `listeners:
  - name: web
    address: :8080
routes:
  - respond:
${extra}
`;

function body(text, env) {
  const result = loadConfigText(text, 'test.yaml', env);
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  return result.config.routes[0].respond;
}

test('values are interpolated after parsing, so they cannot change the structure', () => {
  const env = { BODY: 'ok\nstatus: 500', STATUS: '201' };
  const respond = body(base('      body: ${BODY}\n      status: ${STATUS}'), env);
  assert.equal(respond.body, 'ok\nstatus: 500');
  assert.equal(respond.status, 201);
});

test('keys and comments are not interpolated', () => {
  const result = loadConfigText(`# \${NOT_SET} in a comment is fine
listeners:
  - name: web
    address: :8080
routes:
  - respond: { body: ok }
\${KEY}: 1
`, 'test.yaml', {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), 'test.yaml:7:1: ["${KEY}"]: unknown key "${KEY}"');
});

test('an unquoted value becomes a number or boolean only where the schema takes one', () => {
  const text = `server:
  limits:
    maxConnections: \${N}
    headersTimeout: \${D}
listeners:
  - name: \${N}
    address: :8080
    redirectToHttps: \${B}
routes:
  - respond:
      body: "\${N}"
      status: \${STATUS}
`;
  const result = loadConfigText(text, 'test.yaml', { N: '42', D: '42s', B: 'true', STATUS: '204' });
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  const { config } = result;
  assert.equal(config.server.limits.maxConnections, 42);
  assert.equal(config.server.limits.headersTimeout, 42_000);
  assert.equal(config.listeners[0].name, '42'); // a string field stays a string
  assert.equal(config.listeners[0].redirectToHttps, true);
  assert.equal(config.routes[0].respond.body, '42');
  assert.equal(config.routes[0].respond.status, 204);
});

test('a quoted value stays a string', () => {
  const result = loadConfigText(base('      status: "${STATUS}"'), 'test.yaml', { STATUS: '204' });
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), 'test.yaml:6:15: routes[0].respond.status: expected a number, got string');
});

test('an unset variable is reported once, at its value, with its key path', () => {
  const result = loadConfigText(base('      body: ok\n      status: ${STATUS}'), 'test.yaml', {});
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems, [
    { path: 'routes[0].respond.status', message: 'environment variable STATUS is not set and has no default', file: 'test.yaml', line: 7, column: 15 },
  ]);
});

test('the environment defaults to process.env', () => {
  process.env.BARBICAN_TEST_BODY = 'from process.env';
  try {
    const result = loadConfigText(base('      body: ${BARBICAN_TEST_BODY}'), 'test.yaml');
    assert.ok(result.ok);
    assert.equal(result.config.routes[0].respond.body, 'from process.env');
  } finally {
    delete process.env.BARBICAN_TEST_BODY;
  }
});

test('an anchored value is interpolated once and shared by its aliases', () => {
  const text = `listeners:
  - name: &n \${NAME}
    address: :8080
routes:
  - name: *n
    respond: { body: ok }
`;
  const result = loadConfigText(text, 'test.yaml', { NAME: 'edge' });
  assert.ok(result.ok);
  assert.equal(result.config.listeners[0].name, 'edge');
  assert.equal(result.config.routes[0].name, 'edge');
});

test('an unset variable is not reported again by the checks that follow', () => {
  const text = `listeners:
  - name: web
    address: \${ADDRESS}
routes:
  - upstream: \${UPSTREAM}
`;
  const result = loadConfigText(text, 'test.yaml', {});
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems.map((p) => `${p.path}: ${p.message}`), [
    'listeners[0].address: environment variable ADDRESS is not set and has no default',
    'routes[0].upstream: environment variable UPSTREAM is not set and has no default',
  ]);
});
