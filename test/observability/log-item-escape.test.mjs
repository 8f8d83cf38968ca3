// The combined format's escaping, as Apache httpd's ap_escape_logitem (%r, %{…}i): `"` and `\`
// backslash-escaped, \b \n \r \t \v as C escapes, other bytes outside printable ASCII as \xhh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLogItem } from '../../dist/observability/log-item-escape.js';

const CASES = [
  ['/plain/path?x=1&y=%20', '/plain/path?x=1&y=%20'],
  ['/a b', '/a b'], // a space is printable: httpd leaves it
  ['/a"b', '/a\\"b'],
  ['/a\\b', '/a\\\\b'],
  ['\b\n\r\t\v', '\\b\\n\\r\\t\\v'],
  ['\x00\x01\x1b\x1f', '\\x00\\x01\\x1b\\x1f'],
  ['\x7f', '\\x7f'],
  // Latin-1 strings are the bytes received: one \xhh per byte.
  ['caf\xc3\xa9', 'caf\\xc3\\xa9'],
  ['\xff', '\\xff'],
  // A char above 0xff (HTTP/2 only) is escaped as its UTF-8 bytes; an astral one as 4 bytes.
  ['\u20ac', '\\xe2\\x82\\xac'],
  ['\u{1f600}x', '\\xf0\\x9f\\x98\\x80x'],
  ['x"\r\nINJECTED 127.0.0.1 - -', 'x\\"\\r\\nINJECTED 127.0.0.1 - -'],
];

test('escapeLogItem escapes as httpd does', () => {
  for (const [input, expected] of CASES) assert.equal(escapeLogItem(input), expected, JSON.stringify(input));
});

test('escapeLogItem returns a clean value itself', () => {
  const v = '/clean?path=1';
  assert.equal(escapeLogItem(v), v);
  assert.equal(escapeLogItem(''), '');
});
