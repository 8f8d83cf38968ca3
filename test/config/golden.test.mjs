// Golden-file tests: each test/fixtures/config/bad/NAME.yaml (or .json) fails to load, and
// formatProblems() gives exactly NAME.expected.txt. Every file under good/ loads.
//
// After an intended change of wording or schema, regenerate the expected files and review the diff:
//   npx tsc -p tsconfig.json && BARBICAN_UPDATE_GOLDEN=1 node --test test/config/golden.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblems, loadConfigFile, loadConfigText } from '../../dist/config/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/config');
const CONFIG_FILE = /\.(ya?ml|json)$/;
// A fixed environment, so that the outputs do not depend on the machine running the tests.
const ENV = Object.freeze({ HOME: '/home/barbican', EMPTY: '' });
const update = process.env.BARBICAN_UPDATE_GOLDEN === '1';

const badFiles = (await readdir(join(fixtures, 'bad'))).filter((f) => CONFIG_FILE.test(f)).sort();
const goodFiles = (await readdir(join(fixtures, 'good'))).filter((f) => CONFIG_FILE.test(f)).sort();

test('there are golden cases for every required kind of mistake', () => {
  const required = [
    'yaml-syntax', 'unknown-top-level-key', 'unknown-nested-key', 'wrong-type', 'bad-duration', 'bad-size',
    'unknown-upstream', 'route-two-actions', 'route-no-action', 'unset-env', 'bad-cidr', 'bad-target-url',
    'several-problems',
  ];
  const names = badFiles.map((f) => f.replace(CONFIG_FILE, ''));
  for (const name of required) assert.ok(names.includes(name), `missing fixture bad/${name}.yaml`);
});

for (const file of badFiles) {
  test(`bad/${file}`, async () => {
    const text = await readFile(join(fixtures, 'bad', file), 'utf8');
    const result = loadConfigText(text, file, ENV);
    assert.equal(result.ok, false, `${file} should not load`);
    for (const problem of result.problems) {
      assert.equal(problem.file, file);
      assert.ok(Number.isInteger(problem.line) && problem.line >= 1, `line of ${JSON.stringify(problem)}`);
      assert.ok(Number.isInteger(problem.column) && problem.column >= 1, `column of ${JSON.stringify(problem)}`);
    }
    const actual = `${formatProblems(result.problems)}\n`;
    const expectedFile = join(fixtures, 'bad', file.replace(CONFIG_FILE, '.expected.txt'));
    if (update) {
      await writeFile(expectedFile, actual);
      return;
    }
    assert.equal(actual, await readFile(expectedFile, 'utf8'));
  });
}

const GOOD_ENV = Object.freeze({
  HEADERS_TIMEOUT: '2500ms',
  LISTEN_PORT: '8443',
  APP_HOST: 'app.internal',
  APP_WEIGHT: '7',
  API_TOKEN: '012345',
  EMPTY: '',
  INJECTION: 'plain',
});

for (const file of goodFiles) {
  test(`good/${file} loads`, async () => {
    const result = await loadConfigFile(join(fixtures, 'good', file), GOOD_ENV);
    assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  });
}

test('good/env.yaml: values come from the environment, typed by the schema', async () => {
  const result = await loadConfigFile(join(fixtures, 'good', 'env.yaml'), GOOD_ENV);
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
  const { config } = result;
  assert.equal(config.server.limits.maxConnections, 500); // default, read as a number
  assert.equal(config.server.limits.maxBodyBytes, 1024 * 1024);
  assert.equal(config.server.limits.headersTimeout, 2500);
  assert.equal(config.listeners[0].address, '0.0.0.0:8443');
  assert.equal(config.listeners[0].redirectToHttps, false);
  assert.equal(config.upstreams.app.targets[0].url, 'http://app.internal:3001');
  assert.equal(config.upstreams.app.targets[0].weight, 7);
  const headers = config.routes[0].requestHeaders.set;
  assert.equal(headers['x-token'], '012345'); // a string field keeps its leading zero
  assert.equal(headers['x-literal'], '${NOT_A_VARIABLE}');
  assert.equal(headers['x-quoted-number'], '3001');
  assert.equal(headers['x-empty'], '');
  assert.equal(headers['x-empty-default'], 'fallback');
});

test('good/env.yaml: an environment value cannot inject YAML structure', async () => {
  const result = await loadConfigFile(join(fixtures, 'good', 'env.yaml'), { ...GOOD_ENV, INJECTION: 'x\nadmin: { token: stolen }' });
  // The value is not a valid header value (it holds a newline), and nothing else appears.
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems.map((p) => p.path), ['routes[0].requestHeaders.set.x-injection']);
  const safe = await loadConfigFile(join(fixtures, 'good', 'env.yaml'), { ...GOOD_ENV, INJECTION: '{ a: 1 }, [b]' });
  assert.ok(safe.ok);
  assert.equal(safe.config.routes[0].requestHeaders.set['x-injection'], '{ a: 1 }, [b]');
  assert.equal(Object.hasOwn(safe.config, 'admin'), false);
});

test('good/anchors.yaml: aliases share values', async () => {
  const result = await loadConfigFile(join(fixtures, 'good', 'anchors.yaml'), {});
  assert.ok(result.ok);
  assert.deepEqual(result.config.upstreams.b.timeouts, { connect: 10_000, responseHeaders: 120_000, idle: 120_000 });
});

test('a missing file is a problem, not a throw', async () => {
  const path = join(fixtures, 'does-not-exist.yaml');
  const result = await loadConfigFile(path, {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), `${path}: file not found`);
});

test('a directory is a problem, not a throw', async () => {
  const result = await loadConfigFile(fixtures, {});
  assert.equal(result.ok, false);
  assert.equal(formatProblems(result.problems), `${fixtures}: is a directory, not a file`);
});

test('problems from a file carry its path', async () => {
  const path = join(fixtures, 'bad', 'unknown-upstream.yaml');
  const result = await loadConfigFile(path, ENV);
  assert.equal(result.ok, false);
  assert.ok(result.problems.every((p) => p.file === path));
});
