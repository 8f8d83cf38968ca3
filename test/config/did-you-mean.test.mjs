// Suggestions for near-miss names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { damerauLevenshtein, didYouMean, formatPath } from '../../dist/config/errors.js';

test('damerauLevenshtein', async (t) => {
  const cases = [
    ['', '', 0],
    ['abc', 'abc', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1], // one transposition
    ['abcd', 'acbd', 1],
    ['ca', 'abc', 2], // unrestricted: transpose, then insert (optimal string alignment says 3)
    ['weigth', 'weight', 1],
    ['trustedProxy', 'trustedProxies', 3],
    ['flaw', 'lawn', 2],
    ['héllo', 'hello', 1], // code points, not UTF-16 units
  ];
  for (const [a, b, expected] of cases) {
    await t.test(`${a} / ${b}`, () => {
      assert.equal(damerauLevenshtein(a, b), expected);
      assert.equal(damerauLevenshtein(b, a), expected);
    });
  }
});

test('didYouMean', async (t) => {
  const cases = [
    ['trustedProxy', ['trustedProxies', 'hideResponseHeaders', 'limits', 'shutdownTimeout'], 'trustedProxies'],
    ['loging', ['server', 'listeners', 'upstreams', 'routes', 'logging'], 'logging'],
    ['upstream', ['server', 'listeners', 'upstreams', 'routes', 'logging'], 'upstreams'],
    ['ap', ['app', 'static'], 'app'],
    ['statics', ['app', 'static'], 'static'],
    ['healthcheck', ['healthCheck', 'timeouts'], 'healthCheck'], // case alone counts as close
    ['redirectToHTTPS', ['name', 'address', 'redirectToHttps'], 'redirectToHttps'],
    ['timeout', ['timeouts', 'retries'], 'timeouts'],
    ['maxHeaderSize', ['maxHeaderBytes', 'maxBodyBytes'], 'maxHeaderBytes'],
    ['Info', ['error', 'warn', 'info', 'debug'], 'info'],
    ['billing', ['app', 'static'], undefined], // nothing close
    ['colour', ['trustedProxies', 'limits'], undefined],
    ['x', ['y', 'z'], undefined], // a one-letter name is never "close" to another
    ['ab', ['xy'], undefined],
    ['', ['a'], undefined],
    ['app', ['app'], undefined], // the same name is not a suggestion
    ['weigth', ['weight', 'height'], 'weight'], // ties: fewer edits first
    ['pathprefix', ['path', 'pathPrefix', 'pathRegex'], 'pathPrefix'],
  ];
  for (const [input, candidates, expected] of cases) {
    await t.test(`${input} → ${expected}`, () => assert.equal(didYouMean(input, candidates), expected));
  }
});

test('formatPath', () => {
  assert.equal(formatPath([]), '');
  assert.equal(formatPath(['routes', 2, 'upstream']), 'routes[2].upstream');
  assert.equal(formatPath(['upstreams', 'app', 'targets', 0, 'url']), 'upstreams.app.targets[0].url');
  assert.equal(formatPath(['upstreams', 'my-app']), 'upstreams.my-app');
  assert.equal(formatPath(['upstreams', 'a.b', 'targets']), 'upstreams["a.b"].targets');
  assert.equal(formatPath(['headers', 'x canary']), 'headers["x canary"]');
  assert.equal(formatPath([0]), '[0]');
});
