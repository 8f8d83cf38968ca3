// Path rewriting: stripPrefix at segment boundaries, then addPrefix; the query is untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPathRewriter, rewriteSchema } from '../../dist/routing/index.js';

test('nothing to do → undefined', () => {
  for (const rewrite of [undefined, {}, { stripPrefix: '/' }, { addPrefix: '/' }, { stripPrefix: '/', addPrefix: '//' }, { stripPrefix: '/v1?x' }]) {
    assert.equal(createPathRewriter(rewrite), undefined, JSON.stringify(rewrite));
  }
  // The schema's output (with its `host` default) is accepted as is.
  assert.equal(createPathRewriter(rewriteSchema.parse({})), undefined);
});

const cases = [
  // [rewrite, input, expected]
  // stripPrefix at a segment boundary
  [{ stripPrefix: '/v1' }, '/v1/x', '/x'],
  [{ stripPrefix: '/v1' }, '/v1/x/y', '/x/y'],
  [{ stripPrefix: '/v1' }, '/v1', '/'],
  [{ stripPrefix: '/v1' }, '/v1/', '/'],
  [{ stripPrefix: '/v1' }, '/v1?q', '/?q'],
  [{ stripPrefix: '/v1' }, '/v1?a=1', '/?a=1'],
  [{ stripPrefix: '/v1' }, '/v1/x?a=1&b=/v1', '/x?a=1&b=/v1'],
  [{ stripPrefix: '/v1' }, '/v10', '/v10'],
  [{ stripPrefix: '/v1' }, '/v10/x', '/v10/x'],
  [{ stripPrefix: '/v1' }, '/v2/x', '/v2/x'],
  [{ stripPrefix: '/v1' }, '/', '/'],
  [{ stripPrefix: '/v1' }, '/?x=/v1', '/?x=/v1'],
  [{ stripPrefix: '/v1' }, '/x/v1', '/x/v1'],
  [{ stripPrefix: '/v1' }, '/V1/x', '/V1/x'],
  [{ stripPrefix: '/v1' }, '/v1//x', '//x'],
  [{ stripPrefix: '/v1/' }, '/v1/x', '/x'],
  [{ stripPrefix: '/v1/' }, '/v1', '/'],
  [{ stripPrefix: '/v1/' }, '/v10', '/v10'],
  [{ stripPrefix: '/a/b' }, '/a/b/c', '/c'],
  [{ stripPrefix: '/a/b' }, '/a/bc', '/a/bc'],
  [{ stripPrefix: '/a/b' }, '/a', '/a'],
  // a stripPrefix holding "?" could only match across the path/query boundary: never stripped
  [{ stripPrefix: '/v1?x', addPrefix: '/a' }, '/v1?x/y', '/a/v1?x/y'],
  // addPrefix
  [{ addPrefix: '/api' }, '/x', '/api/x'],
  [{ addPrefix: '/api/' }, '/x', '/api/x'],
  [{ addPrefix: '/api' }, '/', '/api/'],
  [{ addPrefix: '/api' }, '/?q=1', '/api/?q=1'],
  [{ addPrefix: '/api' }, '/x?q=/y', '/api/x?q=/y'],
  [{ addPrefix: '/a/b/' }, '/c/', '/a/b/c/'],
  // both: strip, then add
  [{ stripPrefix: '/v1', addPrefix: '/api' }, '/v1/x', '/api/x'],
  [{ stripPrefix: '/v1', addPrefix: '/api' }, '/v1', '/api/'],
  [{ stripPrefix: '/v1', addPrefix: '/api/' }, '/v1?a=1', '/api/?a=1'],
  [{ stripPrefix: '/v1', addPrefix: '/api' }, '/v10/x', '/api/v10/x'],
  [{ stripPrefix: '/v1', addPrefix: '/api' }, '/other', '/api/other'],
  [{ stripPrefix: '/v1', addPrefix: '/v1' }, '/v1/x', '/v1/x'],
  // a target not in origin form is left alone
  [{ stripPrefix: '/v1', addPrefix: '/api' }, '*', '*'],
  [{ addPrefix: '/api' }, '', ''],
];

test('rewrite table', async (t) => {
  for (const [rewrite, input, expected] of cases) {
    await t.test(`${JSON.stringify(rewrite)} ${input}`, () => {
      const rewriter = createPathRewriter(rewrite);
      assert.equal(typeof rewriter, 'function');
      assert.equal(rewriter(input), expected);
    });
  }
});

test('the result of an origin-form input always starts with /', () => {
  const rewriters = [{ stripPrefix: '/v1' }, { stripPrefix: '/v1', addPrefix: '/a' }, { addPrefix: '/a/' }].map(createPathRewriter);
  for (const input of ['/', '/v1', '/v1/', '/v1?', '/v1?x', '/v1#', '/v1/a', '/x']) {
    for (const rewrite of rewriters) assert.ok(rewrite(input).startsWith('/'), input);
  }
});
