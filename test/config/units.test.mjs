// Durations and sizes as users write them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from '../../dist/config/units.js';

test('parseDuration', async (t) => {
  const cases = [
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5m', 90_000],
    ['0s', 0],
    [' 10s ', 10_000],
    ['10 s', 10_000],
    [1500, undefined], // a bare number: seconds or milliseconds? refused
    ['0', 0],
    [0, 0],
    ['10', undefined], // a string needs a unit
    ['1d', undefined],
    ['10S', undefined],
    ['-5s', undefined],
    ['s', undefined],
    ['', undefined],
    ['10 secs', undefined],
    [-1, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ];
  for (const [input, expected] of cases) {
    await t.test(JSON.stringify(input) ?? String(input), () => assert.equal(parseDuration(input), expected));
  }
});

test('parseSize', async (t) => {
  const cases = [
    ['512KiB', 512 * 1024],
    ['10MiB', 10 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['100kB', 100_000],
    ['10MB', 10_000_000],
    ['1GB', 1_000_000_000],
    ['16kib', 16 * 1024], // units are case-insensitive
    ['1.5KiB', 1536],
    ['1.0001KiB', 1024], // rounded down to whole bytes
    ['100', 100],
    ['100B', 100],
    ['0', 0],
    [4096, 4096],
    [0, 0],
    ['10TiB', undefined],
    ['10 megabytes', undefined],
    ['-1KiB', undefined],
    ['KiB', undefined],
    ['', undefined],
    [1.5, undefined],
    [-1, undefined],
  ];
  for (const [input, expected] of cases) {
    await t.test(JSON.stringify(input), () => assert.equal(parseSize(input), expected));
  }
});
