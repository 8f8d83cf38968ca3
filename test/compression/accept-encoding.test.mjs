// Accept-Encoding negotiation (RFC 9110 §12.5.3, weights §12.4.2), table-driven.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateEncoding, parseAcceptEncoding } from '../../dist/compression/index.js';

const BR_GZIP = ['br', 'gzip'];
const GZIP_BR = ['gzip', 'br'];

describe('negotiateEncoding', () => {
  const cases = [
    // [Accept-Encoding, offered, expected, why]
    [undefined, BR_GZIP, null, 'no header: identity'],
    ['', BR_GZIP, null, 'empty value: identity only'],
    ['gzip', BR_GZIP, 'gzip', 'only gzip accepted'],
    ['br', BR_GZIP, 'br', 'only br accepted'],
    ['gzip, deflate, br', BR_GZIP, 'br', 'equal weights: the route order wins'],
    ['gzip, deflate, br', GZIP_BR, 'gzip', 'equal weights: the route order wins (gzip first)'],
    ['gzip, deflate, br, zstd', BR_GZIP, 'br', 'zstd not offered'],
    ['gzip;q=1.0, br;q=0.5', BR_GZIP, 'gzip', 'a higher weight beats the route order'],
    ['br;q=0, gzip', BR_GZIP, 'gzip', 'q=0 excludes br'],
    ['br;q=0, gzip;q=0', BR_GZIP, null, 'everything excluded: identity'],
    ['*', BR_GZIP, 'br', '* accepts everything'],
    ['*;q=0', BR_GZIP, null, '*;q=0 excludes everything not named'],
    ['gzip;q=0.5, *;q=0', BR_GZIP, 'gzip', 'named coding beats *;q=0'],
    ['br;q=0, *', BR_GZIP, 'gzip', 'named exclusion beats *'],
    ['deflate', BR_GZIP, null, 'only a coding not offered'],
    ['identity', BR_GZIP, null, 'identity only'],
    ['gzip;q=0.4, identity;q=0.8', BR_GZIP, null, 'identity weighted above gzip'],
    ['gzip, identity;q=0', BR_GZIP, 'gzip', 'identity excluded, gzip accepted'],
    ['x-gzip', BR_GZIP, 'gzip', 'x-gzip is gzip (RFC 9110 §8.4.1.3)'],
    ['GZIP', BR_GZIP, 'gzip', 'coding names are case-insensitive'],
    ['gzip ; Q=0.5', BR_GZIP, 'gzip', 'whitespace and Q'],
    ['br;q=2, gzip', BR_GZIP, 'gzip', 'malformed weight: the element is ignored'],
    ['br;q=0.0001, gzip;q=0.5', BR_GZIP, 'gzip', 'more than three decimals: ignored'],
    ['br;q=0.001', BR_GZIP, 'br', 'smallest non-zero weight still accepts'],
    [' , ,gzip', BR_GZIP, 'gzip', 'empty elements'],
    ['gzip;level=9;q=0', BR_GZIP, null, 'other parameters are ignored, q still applies'],
  ];
  for (const [header, offered, expected, why] of cases) {
    it(`${JSON.stringify(header)} offering [${offered}] → ${expected} (${why})`, () => {
      assert.equal(negotiateEncoding(header, offered), expected);
    });
  }
});

describe('parseAcceptEncoding', () => {
  it('keeps the first weight of a repeated coding', () => {
    assert.deepEqual([...parseAcceptEncoding('gzip;q=0.2, gzip;q=1, br')], [['gzip', 0.2], ['br', 1]]);
  });
});
