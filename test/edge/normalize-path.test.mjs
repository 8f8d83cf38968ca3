// The canonical request path (src/proxy/normalize-path.ts), table-driven: RFC 3986 §6.2.2
// percent-encoding and dot-segment normalization, merged slashes, and the paths refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from '../../dist/proxy/normalize-path.js';

// [input, canonical form]
const CANONICAL = [
  // already canonical: returned as is
  ['/', '/'],
  ['/admin', '/admin'],
  ['/a/b/c/', '/a/b/c/'],
  ['/a.b/c_d-e~f', '/a.b/c_d-e~f'],
  ['/.well-known/acme-challenge/x', '/.well-known/acme-challenge/x'],
  ['/a/.hidden', '/a/.hidden'],
  ['/a/...', '/a/...'],
  ['/a;v=1/b', '/a;v=1/b'],
  ['/a|b^c[d]', '/a|b^c[d]'],
  // unreserved characters decoded (§2.3, §6.2.2.2)
  ['/%61dmin', '/admin'],
  ['/%41%5a%30%39', '/AZ09'],
  ['/a%2Db%2ec%5Fd%7Ee', '/a-b.c_d~e'],
  // other percent-encodings kept, hex upper-cased (§6.2.2.1)
  ['/a%2fb', '/a%2Fb'],
  ['/a%2Fb', '/a%2Fb'],
  ['/%c3%a9t%C3%A9', '/%C3%A9t%C3%A9'],
  ['/a%20b', '/a%20b'],
  ['/a%25b', '/a%25b'],
  ['/a%3fb', '/a%3Fb'],
  // double encoding stays: only %25 is an encoding here, the "2e" after it is text
  ['/%252e%252e/x', '/%252e%252e/x'],
  // dot-segments removed (§5.2.4)
  ['/./admin', '/admin'],
  ['/public/../admin', '/admin'],
  ['/a/b/../c', '/a/c'],
  ['/a/b/./c', '/a/b/c'],
  ['/a/b/..', '/a/'],
  ['/a/b/.', '/a/b/'],
  ['/a/..', '/'],
  ['/.', '/'],
  ['/a/b/../../c/', '/c/'],
  // encoded dot-segments are dot-segments once decoded
  ['/a/%2e%2e/admin', '/admin'],
  ['/a/%2E./admin', '/admin'],
  ['/a/.%2e/admin', '/admin'],
  ['/%2e/admin', '/admin'],
  ['/a/%2e', '/a/'],
  // repeated slashes merged, before dot-segments are removed
  ['//admin', '/admin'],
  ['///a////b', '/a/b'],
  ['/a//', '/a/'],
  ['//', '/'],
  ['/a//../b', '/b'],
  ['/a/.//b', '/a/b'],
];

// [input, reason]
const REFUSED = [
  ['/a%zz', /invalid percent-encoding/],
  ['/a%', /invalid percent-encoding/],
  ['/a%4', /invalid percent-encoding/],
  ['/a%4/b', /invalid percent-encoding/],
  ['/%u0061dmin', /invalid percent-encoding/],
  ['/a%00', /control character/],
  ['/a%0d%0aSet-Cookie:x', /control character/],
  ['/a%1F', /control character/],
  ['/a%7f', /control character/],
  ['/a\\b', /backslash/],
  ['/..', /above the root/],
  ['/../x', /above the root/],
  ['/a/../../x', /above the root/],
  ['/%2e%2e/x', /above the root/],
  ['//../x', /above the root/],
  ['/public/..;/admin', /dot-segment hidden/],
  ['/public/.;x/admin', /dot-segment hidden/],
  ['/public/..%3b/admin', /dot-segment hidden/],
  ['/public/..%2fadmin', /dot-segment hidden/],
  ['/public/%2e%2e%2Fadmin', /dot-segment hidden/],
  ['/public/a%2F..%2Fadmin', /dot-segment hidden/],
  ['/public/..%5cadmin', /dot-segment hidden/],
];

describe('normalizePath: canonical forms', () => {
  for (const [input, expected] of CANONICAL) {
    it(`${input} → ${expected}`, () => {
      assert.equal(normalizePath(input), expected);
    });
  }

  it('a canonical path is returned as the same string (no copy)', () => {
    const path = `/static/app.${'x'.repeat(20)}.js`;
    assert.equal(normalizePath(path), path);
    const dotted = '/.well-known/security.txt';
    assert.equal(normalizePath(dotted), dotted);
  });

  it('is idempotent: the canonical form of a canonical form is itself', () => {
    for (const [, expected] of CANONICAL) assert.equal(normalizePath(expected), expected, expected);
  });
});

describe('normalizePath: refused paths', () => {
  for (const [input, reason] of REFUSED) {
    it(`${JSON.stringify(input)} is refused (${reason.source})`, () => {
      const result = normalizePath(input);
      assert.equal(typeof result, 'object', `expected a refusal, got ${JSON.stringify(result)}`);
      assert.match(result.problem, reason);
    });
  }
});
