// The access log's hand-built JSON must be exactly what JSON.stringify would write.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAccessLog } from '../../dist/observability/access-log.js';
import { isoTime, jsonString, JsonStringMemo } from '../../dist/observability/json-text.js';

const STRINGS = ['', '/small', 'a"b', 'back\\slash', 'tab\there', 'nl\nx', '\u0000\u001f\u007f', 'é ü 中文', '😀', '\ud800 lone', '/p?q=1&r="x"', 'x'.repeat(300)];

test('jsonString is JSON.stringify for every kind of string', () => {
  for (const s of STRINGS) assert.equal(jsonString(s), JSON.stringify(s), `for ${JSON.stringify(s)}`);
});

test('JsonStringMemo is jsonString, whether the value repeats (as the same string or an equal one) or changes', () => {
  const memo = new JsonStringMemo();
  const seq = ['', '/a', '/a', ('/' + 'a').slice(0), 'a"b', 'a"b', '/a', '', 'é', '/a', ...STRINGS, ...[...STRINGS].reverse()];
  for (const s of seq) assert.equal(memo.of(s), JSON.stringify(s), `for ${JSON.stringify(s)}`);
});

test('isoTime is toISOString, also when the millisecond repeats or goes back', () => {
  for (const ms of [0, 1, 1, 1764600000123, 1764600000123, 1764600000124, 1764599999999, 253402300799999]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test('a JSON access-log line parses to the record, absent fields left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'barbican-alog-'));
  const file = join(dir, 'access.log');
  const log = createAccessLog({ format: 'json', output: file });
  const base = { time: 1764600000123, requestId: 'req-1', clientIp: '::1', method: 'GET', host: 'a.test', httpVersion: 'HTTP/1.1', status: 200, bytesIn: 3, bytesOut: 12, durationMs: 1.23456, route: undefined, upstream: undefined, target: undefined, retries: 0, upstreamMs: undefined, cacheStatus: undefined, error: undefined, userAgent: undefined, referer: undefined };
  const records = [
    { ...base, path: '/plain' },
    { ...base, httpVersion: 'HTTP/2.0', path: '/q?x="1"\\', route: 'r"1', upstream: 'app', target: 'http://127.0.0.1:1', retries: 2, upstreamMs: 0.5, cacheStatus: 'Barbican; hit', error: 'UPSTREAM_RESET' },
  ];
  // Durations are formatted from integer microseconds: every kind of value must read back the same.
  for (const durationMs of [0, 0.0004, 0.0005, 0.05, 1.2345, 12, 999.9999, 123456.789]) records.push({ ...base, path: `/d/${durationMs}`, durationMs, upstreamMs: durationMs / 3 });
  for (const r of records) log.write(r);
  await new Promise((resolve) => setTimeout(resolve, 50));
  log.flush();
  // The file may still be opening on a loaded machine: wait for both lines.
  let lines = [];
  for (let i = 0; i < 100 && lines.length < records.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  }
  rmSync(dir, { recursive: true, force: true });
  assert.equal(lines.length, records.length);
  const expected = (r) => JSON.parse(JSON.stringify({ time: new Date(r.time).toISOString(), requestId: r.requestId, clientIp: r.clientIp, method: r.method, host: r.host, path: r.path, protocol: r.httpVersion, status: r.status, bytesIn: r.bytesIn, bytesOut: r.bytesOut, durationMs: Math.round(r.durationMs * 1000) / 1000, route: r.route, upstream: r.upstream, target: r.target, retries: r.retries, upstreamMs: r.upstreamMs === undefined ? undefined : Math.round(r.upstreamMs * 1000) / 1000, cacheStatus: r.cacheStatus, error: r.error }));
  assert.deepEqual(JSON.parse(lines[0]), expected(records[0]));
  for (let i = 1; i < records.length; i++) assert.deepEqual(JSON.parse(lines[i]), expected(records[i]));
});
